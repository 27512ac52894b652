"""LINE's request-body rules for message objects, as the Messaging API checks them.

Pure functions: a parsed JSON body in, a list of LINE ``ErrorDetail`` dicts out
(``{"message": ..., "property": "messages[0].text"}``), empty when the body is
valid. The wording of the detail messages follows the error responses LINE
returns (``"May not be empty"``, ``"Length must be between 0 and 5000"``,
``"Size must be between 1 and 5"``); the limits come from the Messaging API
reference (https://developers.line.biz/en/reference/messaging-api/) and the
OpenAPI file ``messaging-api.yml`` (``maxItems``/``maxLength``).

The checks cover what Siang sends (text, sticker, image, location, template,
flex, quick reply, actions) and the limits that bite in practice; they are
not a full JSON-schema validator.
"""

from __future__ import annotations

import re
from typing import Any

ErrorDetail = dict[str, str]

MESSAGE_TYPES = (
    "text", "textV2", "image", "video", "audio", "location", "sticker",
    "template", "imagemap", "flex", "coupon",
)
ACTION_TYPES = (
    "postback", "message", "uri", "datetimepicker", "camera", "cameraRoll",
    "location", "richmenuswitch", "clipboard",
)
# Quick reply buttons cannot open URIs or switch rich menus (LINE reference,
# "Quick reply" → "items object").
QUICK_REPLY_ACTION_TYPES = (
    "postback", "message", "datetimepicker", "camera", "cameraRoll",
    "location", "clipboard",
)
FLEX_COMPONENT_TYPES = (
    "box", "button", "image", "video", "icon", "text", "span", "separator", "filler",
)

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_ACTION_LABEL = 20
MAX_FLEX_ALT_TEXT = 1500
MAX_TEMPLATE_ALT_TEXT = 400
MAX_CAROUSEL_BUBBLES = 12
MAX_POSTBACK_DATA = 300
MAX_MULTICAST_TO = 500
MAX_URL = 2000
LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def line_length(text: str) -> int:
    """Length of ``text`` as LINE counts it: UTF-16 code units.

    LINE's servers are Java, so an emoji outside the BMP counts as 2; Thai
    characters (including combining vowels and tone marks) count as 1 each.
    """
    return len(text.encode("utf-16-le")) // 2


def _length(errors: list[ErrorDetail], value: Any, prop: str, max_len: int,
            *, required: bool = True, min_len: int = 0) -> None:
    if value is None or value == "":
        if required:
            errors.append({"message": "May not be empty", "property": prop})
        return
    if not isinstance(value, str):
        errors.append({"message": "Must be a string", "property": prop})
        return
    n = line_length(value)
    if n < min_len or n > max_len:
        errors.append({"message": f"Length must be between {min_len} and {max_len}",
                       "property": prop})


def _size(errors: list[ErrorDetail], value: Any, prop: str, lo: int, hi: int) -> bool:
    """Check an array's size; returns True when it is a list worth descending into."""
    if value is None:
        errors.append({"message": "May not be empty", "property": prop})
        return False
    if not isinstance(value, list):
        errors.append({"message": "Must be an array", "property": prop})
        return False
    if not lo <= len(value) <= hi:
        errors.append({"message": f"Size must be between {lo} and {hi}", "property": prop})
    return True


def _one_of(errors: list[ErrorDetail], value: Any, prop: str, allowed: tuple[str, ...]) -> bool:
    if value in allowed:
        return True
    if value is None or value == "":
        errors.append({"message": "May not be empty", "property": prop})
    else:
        errors.append({"message": "Must be one of the following values: [" + ", ".join(allowed) + "]",
                       "property": prop})
    return False


def validate_action(action: Any, prop: str, *, label_max: int | None = MAX_ACTION_LABEL,
                    label_required: bool = False,
                    allowed: tuple[str, ...] = ACTION_TYPES) -> list[ErrorDetail]:
    """Check one action object (LINE reference, "Action objects").

    Args:
        action: the parsed action dict.
        prop: JSON path of the action, used in the error details.
        label_max: maximum label length (20 for quick reply, templates and rich
            menu areas, 40 for flex buttons); None to skip the check.
        label_required: whether ``label`` must be present (quick reply, templates).
        allowed: the action types allowed at this place.

    Returns:
        Error details; empty when valid. Enforces postback/datetimepicker
        ``data`` ≤300 characters, ``displayText``/message ``text`` ≤300,
        ``uri`` ≤1000.
    """
    errors: list[ErrorDetail] = []
    if not isinstance(action, dict):
        return [{"message": "May not be empty", "property": prop}]
    kind = action.get("type")
    if not _one_of(errors, kind, f"{prop}.type", allowed):
        return errors
    if label_max is not None:
        _length(errors, action.get("label"), f"{prop}.label", label_max,
                required=label_required)
    if kind in ("postback", "datetimepicker", "richmenuswitch"):
        data = action.get("data")
        if data is None:
            errors.append({"message": "May not be empty", "property": f"{prop}.data"})
        else:
            _length(errors, data, f"{prop}.data", MAX_POSTBACK_DATA, required=False)
        if kind == "postback":
            _length(errors, action.get("displayText"), f"{prop}.displayText", 300, required=False)
            _length(errors, action.get("text"), f"{prop}.text", 300, required=False)
        if kind == "datetimepicker":
            _one_of(errors, action.get("mode"), f"{prop}.mode", ("date", "time", "datetime"))
        if kind == "richmenuswitch":
            _length(errors, action.get("richMenuAliasId"), f"{prop}.richMenuAliasId", 32)
    elif kind == "message":
        _length(errors, action.get("text"), f"{prop}.text", 300)
    elif kind == "uri":
        _length(errors, action.get("uri"), f"{prop}.uri", 1000)
    elif kind == "clipboard":
        _length(errors, action.get("clipboardText"), f"{prop}.clipboardText", 1000, min_len=1)
    return errors


def _quick_reply(quick_reply: Any, prop: str) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if not isinstance(quick_reply, dict):
        return [{"message": "Must be an object", "property": prop}]
    items = quick_reply.get("items")
    if not _size(errors, items, f"{prop}.items", 1, MAX_QUICK_REPLY_ITEMS):
        return errors
    for i, item in enumerate(items):
        p = f"{prop}.items[{i}]"
        if not isinstance(item, dict):
            errors.append({"message": "Must be an object", "property": p})
            continue
        if item.get("type", "action") != "action":
            errors.append({"message": "Must be one of the following values: [action]",
                           "property": f"{p}.type"})
        if item.get("imageUrl") is not None:
            _url(errors, item.get("imageUrl"), f"{p}.imageUrl")
        errors += validate_action(item.get("action"), f"{p}.action", label_required=True,
                                  allowed=QUICK_REPLY_ACTION_TYPES)
    return errors


def _url(errors: list[ErrorDetail], value: Any, prop: str, max_len: int = MAX_URL) -> None:
    _length(errors, value, prop, max_len)
    if isinstance(value, str) and value and not value.startswith("https://"):
        errors.append({"message": "Must be an HTTPS URL", "property": prop})


def _template(template: Any, prop: str) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if not isinstance(template, dict):
        return [{"message": "May not be empty", "property": prop}]
    kind = template.get("type")
    if not _one_of(errors, kind, f"{prop}.type", ("buttons", "confirm", "carousel", "image_carousel")):
        return errors
    if kind == "buttons":
        has_header = bool(template.get("thumbnailImageUrl") or template.get("title"))
        _length(errors, template.get("title"), f"{prop}.title", 40, required=False)
        _length(errors, template.get("text"), f"{prop}.text", 60 if has_header else 160)
        if template.get("thumbnailImageUrl"):
            _url(errors, template["thumbnailImageUrl"], f"{prop}.thumbnailImageUrl")
        actions = template.get("actions")
        if _size(errors, actions, f"{prop}.actions", 1, 4):
            for i, a in enumerate(actions):
                errors += validate_action(a, f"{prop}.actions[{i}]", label_required=True)
    elif kind == "confirm":
        _length(errors, template.get("text"), f"{prop}.text", 240)
        actions = template.get("actions")
        if _size(errors, actions, f"{prop}.actions", 2, 2):
            for i, a in enumerate(actions):
                errors += validate_action(a, f"{prop}.actions[{i}]", label_required=True)
    elif kind == "carousel":
        columns = template.get("columns")
        if _size(errors, columns, f"{prop}.columns", 1, 10):
            for i, col in enumerate(columns):
                p = f"{prop}.columns[{i}]"
                if not isinstance(col, dict):
                    errors.append({"message": "Must be an object", "property": p})
                    continue
                has_header = bool(col.get("thumbnailImageUrl") or col.get("title"))
                _length(errors, col.get("title"), f"{p}.title", 40, required=False)
                _length(errors, col.get("text"), f"{p}.text", 60 if has_header else 120)
                actions = col.get("actions")
                if _size(errors, actions, f"{p}.actions", 1, 3):
                    for j, a in enumerate(actions):
                        errors += validate_action(a, f"{p}.actions[{j}]", label_required=True)
    else:  # image_carousel
        columns = template.get("columns")
        if _size(errors, columns, f"{prop}.columns", 1, 10):
            for i, col in enumerate(columns):
                p = f"{prop}.columns[{i}]"
                if not isinstance(col, dict):
                    errors.append({"message": "Must be an object", "property": p})
                    continue
                _url(errors, col.get("imageUrl"), f"{p}.imageUrl")
                errors += validate_action(col.get("action"), f"{p}.action", label_max=12)
    return errors


def _flex_component(comp: Any, prop: str, depth: int = 0) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if not isinstance(comp, dict):
        return [{"message": "Must be an object", "property": prop}]
    kind = comp.get("type")
    if not _one_of(errors, kind, f"{prop}.type", FLEX_COMPONENT_TYPES):
        return errors
    if depth > 10:
        return [{"message": "Nesting is too deep", "property": prop}]
    if kind == "box":
        _one_of(errors, comp.get("layout"), f"{prop}.layout", ("horizontal", "vertical", "baseline"))
        contents = comp.get("contents")
        if contents is None or not isinstance(contents, list):
            errors.append({"message": "May not be empty", "property": f"{prop}.contents"})
        else:
            for i, child in enumerate(contents):
                errors += _flex_component(child, f"{prop}.contents[{i}]", depth + 1)
    elif kind == "text":
        if not comp.get("contents"):
            _length(errors, comp.get("text"), f"{prop}.text", 2000)
    elif kind == "button":
        errors += validate_action(comp.get("action"), f"{prop}.action", label_max=40,
                                  label_required=True)
    elif kind in ("image", "icon"):
        _url(errors, comp.get("url"), f"{prop}.url")
    if kind != "button" and isinstance(comp.get("action"), dict):
        errors += validate_action(comp["action"], f"{prop}.action", label_max=40)
    return errors


def _flex_bubble(bubble: Any, prop: str) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if not isinstance(bubble, dict):
        return [{"message": "Must be an object", "property": prop}]
    if bubble.get("type") != "bubble":
        return [{"message": "Must be one of the following values: [bubble]", "property": f"{prop}.type"}]
    for block in ("header", "body", "footer"):
        if bubble.get(block) is not None:
            if not isinstance(bubble[block], dict) or bubble[block].get("type") != "box":
                errors.append({"message": "Must be one of the following values: [box]",
                               "property": f"{prop}.{block}.type"})
            else:
                errors += _flex_component(bubble[block], f"{prop}.{block}")
    if bubble.get("hero") is not None:
        errors += _flex_component(bubble["hero"], f"{prop}.hero")
    if isinstance(bubble.get("action"), dict):
        errors += validate_action(bubble["action"], f"{prop}.action", label_max=40)
    return errors


def _flex_contents(contents: Any, prop: str) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if not isinstance(contents, dict):
        return [{"message": "May not be empty", "property": prop}]
    kind = contents.get("type")
    if not _one_of(errors, kind, f"{prop}.type", ("bubble", "carousel")):
        return errors
    if kind == "bubble":
        return _flex_bubble(contents, prop)
    bubbles = contents.get("contents")
    if _size(errors, bubbles, f"{prop}.contents", 1, MAX_CAROUSEL_BUBBLES):
        for i, bubble in enumerate(bubbles):
            errors += _flex_bubble(bubble, f"{prop}.contents[{i}]")
    return errors


def validate_message(message: Any, prop: str) -> list[ErrorDetail]:
    """Check one message object (LINE reference, "Message objects").

    Args:
        message: the parsed message dict.
        prop: its JSON path, e.g. ``"messages[0]"``.

    Returns:
        Error details, empty when valid. Enforces: a known ``type``; text
        1–5000 characters; sticker ids; image/video HTTPS URLs ≤2000;
        location title/address ≤100; template altText ≤400 and the buttons,
        confirm, carousel limits; flex altText ≤1500 and ``contents`` a
        bubble or a carousel of ≤12 bubbles; quick reply ≤13 items whose
        actions have labels ≤20 characters; postback data ≤300 characters.
    """
    errors: list[ErrorDetail] = []
    if not isinstance(message, dict):
        return [{"message": "Must be an object", "property": prop}]
    kind = message.get("type")
    if not _one_of(errors, kind, f"{prop}.type", MESSAGE_TYPES):
        return errors
    if kind in ("text", "textV2"):
        _length(errors, message.get("text"), f"{prop}.text", MAX_TEXT)
    elif kind == "sticker":
        _length(errors, message.get("packageId"), f"{prop}.packageId", 100)
        _length(errors, message.get("stickerId"), f"{prop}.stickerId", 100)
    elif kind in ("image", "video"):
        _url(errors, message.get("originalContentUrl"), f"{prop}.originalContentUrl")
        _url(errors, message.get("previewImageUrl"), f"{prop}.previewImageUrl")
    elif kind == "audio":
        _url(errors, message.get("originalContentUrl"), f"{prop}.originalContentUrl")
    elif kind == "location":
        _length(errors, message.get("title"), f"{prop}.title", 100)
        _length(errors, message.get("address"), f"{prop}.address", 100)
        for key in ("latitude", "longitude"):
            if not isinstance(message.get(key), (int, float)):
                errors.append({"message": "May not be empty", "property": f"{prop}.{key}"})
    elif kind == "template":
        _length(errors, message.get("altText"), f"{prop}.altText", MAX_TEMPLATE_ALT_TEXT)
        errors += _template(message.get("template"), f"{prop}.template")
    elif kind == "flex":
        _length(errors, message.get("altText"), f"{prop}.altText", MAX_FLEX_ALT_TEXT)
        errors += _flex_contents(message.get("contents"), f"{prop}.contents")
    elif kind == "imagemap":
        _length(errors, message.get("altText"), f"{prop}.altText", MAX_TEMPLATE_ALT_TEXT)
        _url(errors, message.get("baseUrl"), f"{prop}.baseUrl")
    if message.get("quickReply") is not None:
        errors += _quick_reply(message["quickReply"], f"{prop}.quickReply")
    sender = message.get("sender")
    if isinstance(sender, dict):
        _length(errors, sender.get("name"), f"{prop}.sender.name", 20, required=False)
    return errors


def validate_messages(messages: Any, prop: str = "messages") -> list[ErrorDetail]:
    """Check a request's ``messages`` array: 1–5 message objects, each valid.

    Returns:
        Error details (``"Size must be between 1 and 5"`` on ``messages``
        for too few or too many), empty when valid.
    """
    errors: list[ErrorDetail] = []
    if not _size(errors, messages, prop, 1, MAX_MESSAGES) or errors:
        return errors
    for i, message in enumerate(messages):
        errors += validate_message(message, f"{prop}[{i}]")
    return errors


def validate_rich_menu(body: Any) -> list[ErrorDetail]:
    """Check a rich menu object (LINE reference, "Rich menu object").

    Enforces: ``size`` 2500×1686 or 2500×843; ``selected`` boolean;
    ``name`` 1–300 characters; ``chatBarText`` 1–14 characters; 1–20
    ``areas``, each with integer ``bounds`` inside the menu and an action
    whose label is ≤20 characters.
    """
    errors: list[ErrorDetail] = []
    if not isinstance(body, dict):
        return [{"message": "Must be an object", "property": ""}]
    size = body.get("size")
    width = height = None
    if not isinstance(size, dict):
        errors.append({"message": "May not be empty", "property": "size"})
    else:
        width, height = size.get("width"), size.get("height")
        if (width, height) not in ((2500, 1686), (2500, 843)):
            errors.append({"message": "Size must be 2500x1686 or 2500x843", "property": "size"})
    if not isinstance(body.get("selected"), bool):
        errors.append({"message": "May not be empty", "property": "selected"})
    _length(errors, body.get("name"), "name", 300, min_len=1)
    _length(errors, body.get("chatBarText"), "chatBarText", 14, min_len=1)
    areas = body.get("areas")
    if _size(errors, areas, "areas", 1, 20):
        for i, area in enumerate(areas):
            p = f"areas[{i}]"
            if not isinstance(area, dict):
                errors.append({"message": "Must be an object", "property": p})
                continue
            bounds = area.get("bounds")
            keys = ("x", "y", "width", "height")
            if not isinstance(bounds, dict) or not all(isinstance(bounds.get(k), int) for k in keys):
                errors.append({"message": "May not be empty", "property": f"{p}.bounds"})
            elif width and height and (bounds["x"] < 0 or bounds["y"] < 0
                                       or bounds["x"] + bounds["width"] > width
                                       or bounds["y"] + bounds["height"] > height):
                errors.append({"message": "Bounds must be inside the rich menu", "property": f"{p}.bounds"})
            errors += validate_action(area.get("action"), f"{p}.action")
    return errors


def error_body(details: list[ErrorDetail]) -> dict[str, Any]:
    """LINE's 400 body for request-body errors: ``{"message", "details"}``."""
    return {"message": f"The request body has {len(details)} error(s)", "details": details}
