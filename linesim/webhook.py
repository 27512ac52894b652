"""Webhook events as LINE builds, signs and delivers them.

Shapes follow ``webhook.yml`` (``CallbackRequest``, ``MessageEvent``,
``FollowEvent``, ``UnfollowEvent``, ``PostbackEvent``); the signature follows
LINE's "Verify the signature" rule: base64 of HMAC-SHA256 of the raw request
body, keyed with the channel secret, in the ``X-Line-Signature`` header.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import threading
import time
from typing import Any

import requests
from ulid import ULID

from linesim.state import Platform, SimConfig

WEBHOOK_TIMEOUT_S = 10.0
EVENT_TYPES = ("follow", "unfollow", "text", "postback", "sticker", "image", "location",
               "join", "leave")


class EventError(ValueError):
    """A simulated user action that LINE could not have produced (bad type or fields)."""


def sign(channel_secret: str, body: bytes) -> str:
    """``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(channel secret, body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sniff_image_type(data: bytes) -> str:
    """Content type of image bytes from their magic number (PNG, JPEG, GIF, WebP)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def build_event(platform: Platform, user_id: str, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Build the webhook event LINE would send for a simulated user action.

    Updates the platform as LINE would: a follow makes the user a friend, an
    unfollow blocks, a reply token is registered for follow, message and
    postback events, image bytes are stored as message content.

    Args:
        platform: the emulator state.
        user_id: the acting user.
        spec: ``{"type": "follow"|"unfollow"|"text"|"postback"|"sticker"|"image"|"location",
            "text", "data", "params", "display_text", "image_b64", "package_id",
            "sticker_id", "latitude", "longitude", "address", "title"}``.

    Returns:
        (event dict, what the chat transcript shows for the user or None).

    Raises:
        EventError: unknown type or a missing field.
    """
    kind = spec.get("type")
    if kind not in EVENT_TYPES:
        raise EventError(f"type must be one of {', '.join(EVENT_TYPES)}")
    user = platform.user(user_id)
    assert user is not None
    event_id = str(ULID())
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    # A group or room chat (spec "group_id" / "room_id"), and a channel in standby mode.
    for key, source_type in (("group_id", "group"), ("room_id", "room")):
        if isinstance(spec.get(key), str):
            id_key = "groupId" if source_type == "group" else "roomId"
            event["source"] = {"type": source_type, id_key: spec[key], "userId": user_id}
    if spec.get("mode") in ("active", "standby"):
        event["mode"] = spec["mode"]
    display: dict[str, Any] | None = None
    if kind in ("join", "leave"):
        if event["source"]["type"] == "user":
            raise EventError(f"{kind} needs group_id or room_id")
        event["source"].pop("userId", None)        # LINE sends no user for join and leave
        if kind == "join":
            event["replyToken"] = platform.issue_reply_token(user_id, event_id)
        platform.remember_event(event)
        return event, None
    if kind == "unfollow":
        with platform.lock:
            user.following = False
        platform.remember_event(event)
        return event, {"type": "system", "text": "blocked"}
    if event["mode"] != "standby":    # LINE gives no reply token in standby mode
        event["replyToken"] = platform.issue_reply_token(user_id, event_id)
    if kind == "follow":
        with platform.lock:
            event["follow"] = {"isUnblocked": user.ever_followed}
            user.following = True
            user.ever_followed = True
        display = {"type": "system", "text": "unblocked" if event["follow"]["isUnblocked"] else "followed"}
    elif kind == "postback":
        data = spec.get("data")
        if not isinstance(data, str):
            raise EventError("postback needs data")
        event["postback"] = {"data": data}
        if isinstance(spec.get("params"), dict):
            event["postback"]["params"] = {str(k): str(v) for k, v in spec["params"].items()}
        if spec.get("display_text"):
            display = {"type": "text", "text": str(spec["display_text"])}
        else:
            display = {"type": "postback", "data": data}
    else:
        event["type"] = "message"
        message: dict[str, Any] = {"id": platform.new_message_id(), "type": kind}
        if kind == "text":
            text = spec.get("text")
            if not isinstance(text, str) or not text:
                raise EventError("text needs text")
            message["text"] = text
            message["quoteToken"] = secrets.token_urlsafe(24)
            if spec.get("mention_self"):
                message["mention"] = {"mentionees": [
                    {"index": 0, "length": min(len(text), 6), "type": "user",
                     "userId": "Ubot", "isSelf": True}]}
        elif kind == "sticker":
            message.update({"packageId": str(spec.get("package_id", "446")),
                            "stickerId": str(spec.get("sticker_id", "1988")),
                            "stickerResourceType": "STATIC",
                            "quoteToken": secrets.token_urlsafe(24)})
        elif kind == "image":
            raw = spec.get("image_b64")
            if not isinstance(raw, str):
                raise EventError("image needs image_b64")
            try:
                data_bytes = base64.b64decode(raw, validate=True)
            except ValueError as exc:
                raise EventError(f"image_b64 is not base64: {exc}") from None
            with platform.lock:
                platform.contents[message["id"]] = (data_bytes, sniff_image_type(data_bytes))
            message["contentProvider"] = {"type": "line"}
            message["quoteToken"] = secrets.token_urlsafe(24)
        elif kind == "location":
            try:
                message["latitude"] = float(spec["latitude"])
                message["longitude"] = float(spec["longitude"])
            except (KeyError, TypeError, ValueError):
                raise EventError("location needs numeric latitude and longitude") from None
            message["title"] = str(spec.get("title") or "ตำแหน่งของฉัน")
            message["address"] = str(spec.get("address") or "")
        event["message"] = message
        display = message
    with platform.lock:
        user.has_chatted = True
    platform.remember_event(event)
    return event, display


def deliver(platform: Platform, webhook_url: str, channel_secret: str, bot_user_id: str,
            event: dict[str, Any], *, timeout_s: float = WEBHOOK_TIMEOUT_S) -> dict[str, Any]:
    """POST one event, signed, to the bot's webhook URL, and wait for the answer.

    Must be called without the platform lock held: the bot may call back into
    the emulator (a reply) before it answers.

    Returns:
        ``{"status": int | None, "error": str | None, "elapsed_s": float}``;
        status None when the bot could not be reached or timed out.
    """
    body = json.dumps({"destination": bot_user_id, "events": [event]},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8",
               "X-Line-Signature": sign(channel_secret, body),
               "User-Agent": "LineBotWebhook/2.0"}
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        resp = requests.post(webhook_url, data=body, headers=headers, timeout=timeout_s)
        status = resp.status_code
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
    result = {"status": status, "error": error, "elapsed_s": round(time.monotonic() - started, 4)}
    with platform.lock:
        platform.deliveries.append({"seq": platform.next_seq(), "webhookEventId": event["webhookEventId"],
                                    "isRedelivery": event["deliveryContext"]["isRedelivery"],
                                    "at": time.time(), **result})
    return result


def acked(result: dict[str, Any]) -> bool:
    """True when the bot answered a delivery with a 2xx."""
    return result["status"] is not None and 200 <= result["status"] < 300


def redeliver_until_acked(platform: Platform, cfg: SimConfig, webhook_event_id: str) -> None:
    """In a daemon thread: redeliver the event after each of ``cfg.redeliver_after_s``
    until the bot answers 2xx (LINE's webhook redelivery). Each try is in the deliveries."""

    def run() -> None:
        for wait_s in cfg.redeliver_after_s:
            time.sleep(wait_s)
            event = redelivery_of(platform, webhook_event_id)
            if event is None:
                return
            if acked(deliver(platform, cfg.webhook_url, cfg.channel_secret, cfg.bot_user_id,
                             event, timeout_s=cfg.webhook_timeout_s)):
                return

    threading.Thread(target=run, daemon=True, name="linesim-redeliver").start()


def redelivery_of(platform: Platform, webhook_event_id: str) -> dict[str, Any] | None:
    """The stored event with ``deliveryContext.isRedelivery`` true, or None if unknown.

    The event keeps its webhookEventId, timestamp and reply token, as LINE's
    webhook redelivery does (the reply token may well have expired by then).
    """
    with platform.lock:
        event = platform.events.get(webhook_event_id)
        if event is None:
            return None
        again = copy.deepcopy(event)
    again["deliveryContext"] = {"isRedelivery": True}
    return again
