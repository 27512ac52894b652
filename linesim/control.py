"""The emulator's own control surface (``/_sim/...``): simulated users, records, faults.

Not part of LINE's API and not authenticated: tests, the demo and the chat
page drive the emulator through it (usually via :class:`linesim.client.SimClient`).
Errors here are ``{"error": "..."}`` with 400/404/409.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, request

from linesim import webhook
from linesim.endpoint import config, json_response, platform
from linesim.state import Fault, FaultMix

bp = Blueprint("sim_control", __name__, url_prefix="/_sim")


def _bad(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


#: The longest a long poll of a transcript is held (below clients' usual 30 s timeout).
MAX_WAIT_S = 25.0


def _since() -> int:
    try:
        return int(request.args.get("since", "0"))
    except ValueError:
        return 0


def _deliver_and_answer(event: dict[str, Any]) -> Response:
    cfg = config()
    result = webhook.deliver(platform(), cfg.webhook_url, cfg.channel_secret, cfg.bot_user_id,
                             event, timeout_s=cfg.webhook_timeout_s)
    if cfg.redeliver and not webhook.acked(result):
        webhook.redeliver_until_acked(platform(), cfg, event["webhookEventId"])
    return json_response({"event": event, **result})


@bp.post("/users/<user_id>/events")
def send_event(user_id: str) -> Response:
    """A simulated user acts; the event is built as LINE would, signed and POSTed to the bot.

    Body: ``{"type": "follow"|"unfollow"|"text"|"postback"|"sticker"|"image"|"location",
    "text"?, "data"?, "params"?, "display_text"?, "image_b64"?, "package_id"?,
    "sticker_id"?, "latitude"?, "longitude"?, "address"?, "title"?}``.

    Returns:
        200 ``{"event", "status", "error", "elapsed_s"}`` where status is the
        bot's HTTP status (None if unreachable); 400 for a malformed action;
        409 when a user who blocked the account tries to send a message.
    """
    spec = request.get_json(silent=True, force=True)
    if not isinstance(spec, dict):
        return _bad(400, "body must be a JSON object")
    p = platform()
    user = p.user(user_id)
    with p.lock:
        blocked = user.ever_followed and not user.following
    if blocked and spec.get("type") not in ("follow", "unfollow"):
        return _bad(409, "this user has blocked the account; send a follow event first")
    try:
        event, display = webhook.build_event(p, user_id, spec)
    except webhook.EventError as exc:
        return _bad(400, str(exc))
    if display is not None:
        p.record_user_message(user_id, event, display=display)
    return _deliver_and_answer(event)


@bp.post("/redeliver/<webhook_event_id>")
def redeliver(webhook_event_id: str) -> Response:
    """Send a past event again with ``deliveryContext.isRedelivery`` true (same id, same reply token)."""
    event = webhook.redelivery_of(platform(), webhook_event_id)
    if event is None:
        return _bad(404, "unknown webhookEventId")
    return _deliver_and_answer(event)


@bp.post("/users/<user_id>")
def set_profile(user_id: str) -> Response:
    """Create or update a simulated user: ``{"displayName", "language", "following"?}``.

    Language defaults to ``th``. ``following`` true makes the user a friend
    without sending a follow event (handy for push tests).
    """
    body = request.get_json(silent=True, force=True) or {}
    if not isinstance(body, dict):
        return _bad(400, "body must be a JSON object")
    p = platform()
    user = p.set_profile(user_id, body.get("displayName"), body.get("language"))
    if isinstance(body.get("following"), bool):
        with p.lock:
            user.following = body["following"]
            user.ever_followed = user.ever_followed or body["following"]
    return json_response(_user_state(user_id))


def _user_state(user_id: str) -> dict[str, Any]:
    p = platform()
    user = p.user(user_id)
    with p.lock:
        menu_id = user.rich_menu_id or p.default_rich_menu_id
        menu = p.rich_menus.get(menu_id) if menu_id else None
        return {
            **user.profile(),
            "following": user.following,
            "blocked": user.ever_followed and not user.following,
            "loading": user.loading_until > time.time(),
            "loadingUntil": user.loading_until or None,
            "richMenu": ({**menu, "imageUrl": f"/_sim/richmenu/{menu_id}/image"}
                         if menu and menu_id in p.rich_menu_images else None),
        }


@bp.get("/users/<user_id>")
def get_user(user_id: str) -> Response:
    """The simulated user's profile and state (following, loading animation, rich menu)."""
    if platform().user(user_id, create=False) is None:
        return _bad(404, "unknown user")
    return json_response(_user_state(user_id))


@bp.get("/users")
def list_users() -> Response:
    """All simulated users: ``[{userId, displayName, language, following}]``."""
    p = platform()
    with p.lock:
        users = [{**u.profile(), "following": u.following} for u in p.users.values()]
    return json_response(users)


@bp.get("/users/<user_id>/messages")
def user_messages(user_id: str) -> Response:
    """Every message the bot sent this user (reply, push, multicast, broadcast), oldest first.

    Query: ``since`` (seq, default 0) returns entries with a larger seq;
    ``with_user=1`` also returns what the user sent (``from: "user"``);
    ``wait`` (seconds, at most 25) holds the request until the bot's next
    message after ``since`` arrives: a long poll, instead of polling.
    Each entry: ``{seq, from, via, message, id, at}``.
    """
    with_user = request.args.get("with_user") in ("1", "true", "yes")
    try:
        wait_s = min(MAX_WAIT_S, max(0.0, float(request.args.get("wait", "0"))))
    except ValueError:
        wait_s = 0.0
    if wait_s and not with_user:
        return json_response(platform().wait_for_bot(user_id, _since(), wait_s))
    return json_response(platform().transcript(user_id, _since(), with_user=with_user))


@bp.get("/calls")
def calls() -> Response:
    """Every Messaging API call recorded: ``[{seq, method, path, headers, body, status, response, at}]``.

    Query: ``since`` (seq); ``limit`` (at most this many, oldest first: page a long record).
    """
    try:
        limit = max(0, int(request.args.get("limit", "0"))) or None
    except ValueError:
        limit = None
    return json_response(platform().calls_since(_since(), limit))


@bp.delete("/calls")
def reset_calls() -> Response:
    """Forget recorded calls (users and transcripts stay)."""
    platform().reset_calls()
    return json_response({})


@bp.post("/reset")
def reset() -> Response:
    """Forget all emulator state (users, transcripts, tokens, calls, faults, rich menus)."""
    platform().reset()
    return json_response({})


@bp.get("/deliveries")
def deliveries() -> Response:
    """Webhook deliveries: ``[{seq, webhookEventId, isRedelivery, status, error, elapsed_s, at}]``."""
    p = platform()
    with p.lock:
        return json_response([d for d in p.deliveries if d["seq"] > _since()])


@bp.post("/faults")
def set_faults() -> Response:
    """Replace the injected faults with a list of
    ``{"path_prefix", "status": 429|500|..|null, "count": N, "delay_s": 0.0, "accepted": false}``.

    Each applies to the next ``count`` Messaging API calls whose path starts
    with ``path_prefix``; 429 answers with LINE's rate-limit body.
    """
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, list):
        return _bad(400, "body must be a JSON list of faults")
    faults = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("path_prefix"), str):
            return _bad(400, "each fault needs a path_prefix")
        try:
            faults.append(Fault(path_prefix=item["path_prefix"],
                                status=int(item["status"]) if item.get("status") else None,
                                count=int(item.get("count", 1)),
                                delay_s=float(item.get("delay_s", 0.0)),
                                accepted=bool(item.get("accepted", False))))
        except (TypeError, ValueError) as exc:
            return _bad(400, f"bad fault: {exc}")
    platform().set_faults(faults)
    return json_response([f.as_dict() for f in faults])


@bp.get("/faults")
def get_faults() -> Response:
    """The faults still pending."""
    p = platform()
    with p.lock:
        return json_response([f.as_dict() for f in p.faults])


@bp.delete("/faults")
def clear_faults() -> Response:
    """Drop all pending faults."""
    platform().set_faults([])
    return json_response({})


@bp.post("/faults/mix")
def set_fault_mix() -> Response:
    """Random faults for every later call: ``{"p500", "p429", "p_slow", "slow_s", "seed",
    "path_prefix"}`` (probabilities per call, seconds); ``{}`` or ``null`` turns them off.

    Counted faults (``POST /_sim/faults``) are taken first.
    """
    body = request.get_json(silent=True, force=True)
    if not body:
        platform().set_fault_mix(None)
        return json_response(None)
    if not isinstance(body, dict):
        return _bad(400, "body must be a JSON object")
    try:
        mix = FaultMix(**{k: (str(v) if k == "path_prefix" else int(v) if k == "seed"
                              else float(v)) for k, v in body.items()})
    except (TypeError, ValueError) as exc:
        return _bad(400, f"bad fault mix: {exc}")
    if min(mix.p500, mix.p429, mix.p_slow) < 0 or mix.p500 + mix.p429 + mix.p_slow > 1:
        return _bad(400, "probabilities must be ≥ 0 and add up to at most 1")
    platform().set_fault_mix(mix)
    return json_response(mix.as_dict())


@bp.get("/faults/mix")
def get_fault_mix() -> Response:
    """The random fault mix in force (or null) and how many of each it injected so far:
    ``{"mix": {...} | null, "injected": {"500": n, "429": n, "slow": n}}``."""
    p = platform()
    with p.lock:
        return json_response({"mix": p.fault_mix.as_dict() if p.fault_mix else None,
                              "injected": dict(p.mix_injected)})


@bp.post("/limits")
def set_limits() -> Response:
    """Set per-endpoint rate limits: ``{"/v2/bot/message/push": 5, ...}`` (requests per second).

    An empty object (or 0 for a prefix) turns limiting off; over the limit the
    Messaging API answers 429 with LINE's body.
    """
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return _bad(400, "body must be a JSON object of path prefix → requests per second")
    try:
        platform().set_rate_limits({str(k): float(v) for k, v in body.items()})
    except (TypeError, ValueError) as exc:
        return _bad(400, f"bad limit: {exc}")
    return json_response(platform().rate_limits)


@bp.get("/limits")
def get_limits() -> Response:
    """The rate limits in force (path prefix → requests per second)."""
    return json_response(platform().rate_limits)


@bp.get("/content/<message_id>")
def user_content(message_id: str) -> Response:
    """An image a simulated user sent, without auth (for the chat page)."""
    p = platform()
    with p.lock:
        item = p.contents.get(message_id)
    if item is None:
        return _bad(404, "unknown content")
    return Response(item[0], mimetype=item[1])


@bp.get("/richmenu/<rich_menu_id>/image")
def rich_menu_image(rich_menu_id: str) -> Response:
    """A rich menu's image, without auth (for the chat page)."""
    p = platform()
    with p.lock:
        item = p.rich_menu_images.get(rich_menu_id)
    if item is None:
        return _bad(404, "no image")
    return Response(item[0], mimetype=item[1])
