"""The Messaging API surface (``/v2/bot/...``), shaped as in ``messaging-api.yml``.

Every endpoint goes through :func:`linesim.endpoint.line_endpoint`, which does what the LINE
platform does around each call: checks the Bearer channel access token
(401), applies injected faults and the per-endpoint rate limit (429), stamps
``x-line-request-id`` and records the call for ``GET /_sim/calls``.

The data-host endpoints (``api-data.line.me``: message content, rich menu
images) are served by the same app: the SDK sends them to
``Configuration.host`` as well.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from linesim import rules
from linesim.endpoint import (body_errors, config, error, json_body, json_response, line_endpoint,
                              platform)

bp = Blueprint("line_api", __name__)

QUOTABLE_TYPES = ("text", "textV2", "sticker", "image", "video")
RETRY_KEY_ENDPOINTS = ("push", "multicast", "broadcast", "narrowcast")

def _sent_messages(messages: list[dict[str, Any]], *, quotable: bool) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        sent: dict[str, Any] = {"id": platform().new_message_id()}
        if quotable and m.get("type") in QUOTABLE_TYPES:
            sent["quoteToken"] = uuid.uuid4().hex + uuid.uuid4().hex
        out.append(sent)
    return out


def _deliver(user_ids: list[str], via: str, messages: list[dict[str, Any]],
             sent: list[dict[str, Any]], *, force: bool = False) -> int:
    """Put messages in each reachable user's transcript; returns how many users got them.

    A user who blocked the account (or never befriended nor messaged it)
    does not receive pushes; LINE still answers 200. A reply always lands.
    """
    p = platform()
    delivered = 0
    with p.lock:
        for user_id in user_ids:
            if not force and p.profile_visible(user_id) is None:
                continue
            for message, s in zip(messages, sent):
                p.record_bot_message(user_id, via, message, s["id"], g.line_request_id)
            delivered += 1
    return delivered


def _retry_key() -> tuple[str | None, Response | None]:
    """The ``X-Line-Retry-Key`` header, checked to be a UUID (LINE rejects others with 400)."""
    key = request.headers.get("X-Line-Retry-Key")
    if key is None:
        return None, None
    try:
        uuid.UUID(key)
    except ValueError:
        return None, error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
    return key.lower(), None


def _send(via: str, recipients: Callable[[dict[str, Any]], tuple[list[str], list[dict[str, str]]]],
          *, quotable: bool, ok_status: int = 200) -> Response:
    """Shared body of push, multicast, broadcast and narrowcast.

    Args:
        via: the endpoint name, recorded on each delivered message.
        recipients: body → (user ids, extra error details).
        quotable: whether the answer carries ``sentMessages`` (push only).
        ok_status: 200, or 202 for narrowcast.
    """
    p = platform()
    key, resp = _retry_key()
    if resp is not None:
        return resp
    body, resp = json_body()
    if resp is not None:
        return resp
    with p.lock:  # check, send and remember the retry key atomically
        if key is not None:
            hit = p.accepted_retry(key)
            if hit is not None:
                extra = {}
                if "sentMessages" in hit["body"]:
                    extra["sentMessages"] = hit["body"]["sentMessages"]
                resp = error(409, "The retry key is already accepted", **extra)
                resp.headers["x-line-accepted-request-id"] = hit["request_id"]
                return resp
        user_ids, details = recipients(body)
        details += rules.validate_messages(body.get("messages"))
        if details:
            return body_errors(details)
        messages = body["messages"]
        sent = _sent_messages(messages, quotable=quotable)
        if via == "narrowcast":
            p.narrowcasts[g.line_request_id] = {"acceptedTime": time.time(), "body": body}
        else:
            _deliver(user_ids, via, messages, sent)
        answer: dict[str, Any] = {"sentMessages": sent} if quotable else {}
        if key is not None:
            p.remember_retry(key, g.line_request_id, answer)
        return json_response(answer, ok_status)


# --- sending messages -----------------------------------------------------

@bp.post("/v2/bot/message/reply")
@line_endpoint
def reply_message() -> Response:
    """Reply with 1–5 messages to a webhook event's reply token.

    LINE rules: the reply token is single use and expires (about a minute;
    here ``reply_token_ttl_s``) → 400 ``{"message": "Invalid reply token"}``;
    message objects are validated first (400 with details), so a rejected
    reply does not use up the token.
    """
    body, resp = json_body()
    if resp is not None:
        return resp
    details = []
    if not body.get("replyToken"):
        details.append({"message": "May not be empty", "property": "replyToken"})
    details += rules.validate_messages(body.get("messages"))
    if details:
        return body_errors(details)
    user_id = platform().consume_reply_token(body["replyToken"])
    if user_id is None:
        return error(400, "Invalid reply token")
    sent = _sent_messages(body["messages"], quotable=True)
    _deliver([user_id], "reply", body["messages"], sent, force=True)
    return json_response({"sentMessages": sent})


def _push_recipients(body: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    to = body.get("to")
    if not isinstance(to, str) or not to:
        return [], [{"message": "May not be empty", "property": "to"}]
    return [to], []


def _multicast_recipients(body: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    to = body.get("to")
    details: list[dict[str, str]] = []
    if not isinstance(to, list) or not to:
        return [], [{"message": "May not be empty" if not to else "Must be an array", "property": "to"}]
    if len(to) > rules.MAX_MULTICAST_TO:
        details.append({"message": f"Size must be between 1 and {rules.MAX_MULTICAST_TO}",
                        "property": "to"})
    for i, user_id in enumerate(to):
        if not isinstance(user_id, str) or not user_id:
            details.append({"message": "May not be empty", "property": f"to[{i}]"})
    return [u for u in to if isinstance(u, str)], details


def _followers(_: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    p = platform()
    with p.lock:
        return [u.user_id for u in p.users.values() if u.following], []


@bp.post("/v2/bot/message/push")
@line_endpoint
def push_message() -> Response:
    """Push 1–5 messages to one user; answers ``{"sentMessages": [{id, quoteToken?}]}``.

    ``X-Line-Retry-Key`` (a UUID): a repeat of an accepted key gets 409 with
    ``x-line-accepted-request-id`` and the first call's ``sentMessages``.
    """
    return _send("push", _push_recipients, quotable=True)


@bp.post("/v2/bot/message/multicast")
@line_endpoint
def multicast() -> Response:
    """Send 1–5 messages to 1–500 user ids (more → 400 ``Size must be between 1 and 500`` on ``to``).

    Answers ``{}``; retry key as for push.
    """
    return _send("multicast", _multicast_recipients, quotable=False)


@bp.post("/v2/bot/message/broadcast")
@line_endpoint
def broadcast() -> Response:
    """Send 1–5 messages to every user who currently follows the account; answers ``{}``."""
    return _send("broadcast", _followers, quotable=False)


@bp.post("/v2/bot/message/narrowcast")
@line_endpoint
def narrowcast() -> Response:
    """Accept and record a narrowcast (202 ``{}``); it is not delivered to anyone.

    Recipient/filter objects are recorded, not evaluated.
    """
    return _send("narrowcast", lambda body: ([], []), quotable=False, ok_status=202)


@bp.get("/v2/bot/message/progress/narrowcast")
@line_endpoint
def narrowcast_progress() -> Response:
    """Progress of an accepted narrowcast: always ``succeeded`` with 0 targets."""
    request_id = request.args.get("requestId", "")
    with platform().lock:
        info = platform().narrowcasts.get(request_id)
    if info is None:
        return error(404, "Not found")
    accepted = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(info["acceptedTime"]))
    return json_response({"phase": "succeeded", "successCount": 0, "failureCount": 0,
                          "targetCount": 0, "acceptedTime": accepted, "completedTime": accepted})


@bp.post("/v2/bot/message/validate/<kind>")
@line_endpoint
def validate_message_objects(kind: str) -> Response:
    """Validate message objects without sending (200 ``{}`` or 400 with details)."""
    if kind not in ("reply", "push", "multicast", "narrowcast", "broadcast"):
        return error(404, "Not found")
    body, resp = json_body()
    if resp is not None:
        return resp
    details = rules.validate_messages(body.get("messages"))
    return body_errors(details) if details else json_response({})


@bp.get("/v2/bot/message/quota")
@line_endpoint
def message_quota() -> Response:
    """The emulator has no monthly limit: ``{"type": "none"}``."""
    return json_response({"type": "none"})


@bp.get("/v2/bot/message/quota/consumption")
@line_endpoint
def quota_consumption() -> Response:
    """Messages delivered by push, multicast and broadcast so far (``{"totalUsage": n}``)."""
    with platform().lock:
        n = platform().quota_usage
    return json_response({"totalUsage": n})


# --- users, bot, loading --------------------------------------------------

@bp.get("/v2/bot/profile/<user_id>")
@line_endpoint
def get_profile(user_id: str) -> Response:
    """``UserProfileResponse`` (displayName, userId, language); 404 for unknown or blocking users."""
    profile = platform().profile_visible(user_id)
    if profile is None:
        return error(404, "Not found")
    return json_response(profile)


@bp.get("/v2/bot/followers/ids")
@line_endpoint
def follower_ids() -> Response:
    """``{"userIds": [...]}`` of current followers (one page; ``next`` is never set)."""
    ids, _ = _followers({})
    return json_response({"userIds": ids})


@bp.get("/v2/bot/info")
@line_endpoint
def bot_info() -> Response:
    """``BotInfoResponse`` for the emulated account."""
    return json_response({"userId": config().bot_user_id, "basicId": "@siang",
                          "displayName": "Siang", "chatMode": "bot", "markAsReadMode": "auto"})


@bp.post("/v2/bot/chat/loading/start")
@line_endpoint
def show_loading_animation() -> Response:
    """Show the loading animation: ``{chatId, loadingSeconds}`` → 202 ``{}``.

    LINE rule: ``loadingSeconds`` (default 20) is 5–60 and a multiple of 5.
    """
    body, resp = json_body()
    if resp is not None:
        return resp
    details = []
    chat_id = body.get("chatId")
    if not isinstance(chat_id, str) or not chat_id:
        details.append({"message": "May not be empty", "property": "chatId"})
    seconds = body.get("loadingSeconds", 20)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 5 <= seconds <= 60 or seconds % 5:
        details.append({"message": "Must be a multiple of 5 between 5 and 60",
                        "property": "loadingSeconds"})
    if details:
        return body_errors(details)
    if platform().user(chat_id, create=False) is not None:
        platform().loading_until(chat_id, seconds)
    return json_response({}, 202)


# --- message content (data host) -----------------------------------------

def _content(message_id: str) -> Response:
    with platform().lock:
        item = platform().contents.get(message_id)
    if item is None:
        return error(404, "Not found")
    data, content_type = item
    return Response(data, status=200, mimetype=content_type)


@bp.get("/v2/bot/message/<message_id>/content")
@line_endpoint
def get_message_content(message_id: str) -> Response:
    """Bytes of an image a simulated user sent (data host path); 404 if unknown."""
    return _content(message_id)


@bp.get("/v2/bot/message/<message_id>/content/preview")
@line_endpoint
def get_message_content_preview(message_id: str) -> Response:
    """The preview: the same bytes as the content."""
    return _content(message_id)


@bp.get("/v2/bot/message/<message_id>/content/transcoding")
@line_endpoint
def get_message_content_transcoding(message_id: str) -> Response:
    """Images need no transcoding: ``{"status": "succeeded"}`` once the content exists."""
    with platform().lock:
        known = message_id in platform().contents
    return json_response({"status": "succeeded"}) if known else error(404, "Not found")
