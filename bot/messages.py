"""Builders for LINE message objects (plain JSON dicts, as the Messaging API takes them).

Limits from the Messaging API reference: quick reply ≤13 items, action
label ≤20 characters, postback data ≤300 characters, text ≤5,000 characters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

QUICK_REPLY_MAX = 13
LABEL_MAX = 20
POSTBACK_DATA_MAX = 300


def postback_data(action: str, **values: str | int) -> str:
    """Encode a postback as ``a=<action>&k=v``; raises ValueError past LINE's 300 characters."""
    data = urlencode({"a": action, **{k: str(v) for k, v in values.items()}})
    if len(data) > POSTBACK_DATA_MAX:
        raise ValueError(f"postback data longer than {POSTBACK_DATA_MAX} characters")
    return data


def parse_postback(data: str) -> dict[str, str]:
    """Decode postback data; unknown or malformed data gives an empty action."""
    return dict(parse_qsl(data or "", keep_blank_values=True)) if isinstance(data, str) else {}


def postback_action(label: str, data: str, display_text: str | None = None) -> dict[str, Any]:
    action = {"type": "postback", "label": label[:LABEL_MAX], "data": data}
    if display_text:
        action["displayText"] = display_text
    return action


def message_action(label: str, text: str) -> dict[str, Any]:
    return {"type": "message", "label": label[:LABEL_MAX], "text": text}


def text(body: str, quick_reply: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A text message, optionally with quick-reply actions (≤13)."""
    message: dict[str, Any] = {"type": "text", "text": body[:5000]}
    if quick_reply:
        if len(quick_reply) > QUICK_REPLY_MAX:
            raise ValueError(f"quick reply takes at most {QUICK_REPLY_MAX} items")
        message["quickReply"] = {"items": [{"type": "action", "action": a} for a in quick_reply]}
    return message
