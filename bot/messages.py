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


# --- Flex messages (LINE reference, "Flex Message elements") -----------------

CAROUSEL_MAX = 12          # bubbles per carousel
FLEX_ALT_TEXT_MAX = 1500   # characters (UTF-16 code units, as LINE counts)
FLEX_BUTTON_LABEL_MAX = 40
PRIMARY = "#0F766E"        # Siang teal: primary buttons and headers
MUTED = "#6B7280"


def _line_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(body: str, limit: int) -> str:
    """``body`` cut to at most ``limit`` characters as LINE counts them, with "…" if cut."""
    if _line_len(body) <= limit:
        return body
    out = []
    used = 0
    for ch in body:
        width = _line_len(ch)
        if used + width > limit - 1:
            break
        out.append(ch)
        used += width
    return "".join(out) + "…"


def flex_text(body: str, *, size: str = "sm", weight: str | None = None,
              color: str | None = None, max_lines: int | None = None,
              wrap: bool = True) -> dict[str, Any]:
    """A Flex text component (wrapped by default)."""
    component: dict[str, Any] = {"type": "text", "text": body or " ", "size": size, "wrap": wrap}
    if weight:
        component["weight"] = weight
    if color:
        component["color"] = color
    if max_lines:
        component["maxLines"] = max_lines
    return component


def flex_box(contents: list[dict[str, Any]], *, layout: str = "vertical",
             spacing: str | None = "sm", **style: Any) -> dict[str, Any]:
    box: dict[str, Any] = {"type": "box", "layout": layout, "contents": contents}
    if spacing:
        box["spacing"] = spacing
    box.update(style)
    return box


def flex_button(action: dict[str, Any], *, style: str = "primary",
                color: str | None = None) -> dict[str, Any]:
    """A Flex button; primary buttons are Siang teal. Labels are cut to 40 characters."""
    action = dict(action)
    if "label" in action:
        action["label"] = action["label"][:FLEX_BUTTON_LABEL_MAX]
    button: dict[str, Any] = {"type": "button", "action": action, "style": style, "height": "sm"}
    if color or style == "primary":
        button["color"] = color or PRIMARY
    return button


def bubble(*, body: list[dict[str, Any]], header: str | None = None,
           footer: list[dict[str, Any]] | None = None, size: str = "kilo") -> dict[str, Any]:
    """A bubble: an optional coloured header line, a body, and footer buttons."""
    out: dict[str, Any] = {"type": "bubble", "size": size, "body": flex_box(body, spacing="md")}
    if header:
        out["header"] = flex_box([flex_text(header, weight="bold", color="#FFFFFF", max_lines=1)],
                                 spacing=None, backgroundColor=PRIMARY, paddingAll="12px")
    if footer:
        out["footer"] = flex_box(footer, spacing="sm")
    return out


def carousel(bubbles: list[dict[str, Any]]) -> dict[str, Any]:
    """A carousel of 1–12 bubbles.

    Raises:
        ValueError: no bubble, or more than LINE's 12.
    """
    if not 1 <= len(bubbles) <= CAROUSEL_MAX:
        raise ValueError(f"a carousel takes 1 to {CAROUSEL_MAX} bubbles, got {len(bubbles)}")
    return {"type": "carousel", "contents": bubbles}


def flex(alt_text: str, contents: dict[str, Any],
         quick_reply: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Flex message; ``alt_text`` (shown in notifications and chat lists) is cut to 1,500."""
    message: dict[str, Any] = {"type": "flex", "altText": clip(alt_text, FLEX_ALT_TEXT_MAX),
                               "contents": contents}
    if quick_reply:
        if len(quick_reply) > QUICK_REPLY_MAX:
            raise ValueError(f"quick reply takes at most {QUICK_REPLY_MAX} items")
        message["quickReply"] = {"items": [{"type": "action", "action": a} for a in quick_reply]}
    return message
