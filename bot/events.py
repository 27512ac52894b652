"""LINE webhook events as line-bot-sdk v3 models, parsed once in the worker.

The webhook stores each event's raw JSON (``pb.events``); the event job
turns it into a typed model here (:class:`linebot.v3.webhooks.MessageEvent`,
:class:`~linebot.v3.webhooks.PostbackEvent`,
:class:`~linebot.v3.webhooks.FollowEvent`, ...) so conversation steps read
attributes (``event.message.text``) instead of guarding dicts.

* An event type the SDK does not know (LINE adds types) becomes the SDK's
  fallback :class:`linebot.v3.webhook.UnknownEvent`, as its own
  ``WebhookParser`` does.
* A message of a type the SDK does not know keeps a plain
  :class:`~linebot.v3.webhooks.MessageContent` (type and id only).
* Anything else the SDK refuses (a field missing or of the wrong type) is
  *malformed*: :func:`parse` raises :class:`MalformedEvent`, and the job
  records the error on the stored event and answers with help.
"""

from __future__ import annotations

from typing import Any

from linebot.v3.webhook import UnknownEvent
from linebot.v3.webhooks import Event, MessageContent, MessageEvent
from pydantic.v1 import ValidationError

#: Message types the SDK has a model for (``MessageContent``'s discriminator).
KNOWN_MESSAGE_TYPES = frozenset({"text", "image", "video", "audio", "file", "location",
                                 "sticker"})


class MalformedEvent(ValueError):
    """A stored event the SDK cannot parse; ``reason`` is short and quotes no user text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _known_types() -> frozenset[str]:
    # Event's discriminator map is name-mangled and private; read it once, defensively.
    mapping = getattr(Event, "_Event__discriminator_value_class_map", None)
    return frozenset(mapping) if isinstance(mapping, dict) else frozenset(
        {"message", "postback", "follow", "unfollow"})


KNOWN_EVENT_TYPES = _known_types()


def parse(raw: Any) -> Event:
    """One stored webhook event (LINE's JSON object) → its SDK model.

    Args:
        raw: the event as LINE sent it (a dict with camelCase keys).

    Returns:
        The model of its type; :class:`UnknownEvent` for a type the SDK does
        not know; a :class:`MessageEvent` whose ``message`` is a plain
        :class:`MessageContent` for an unknown message type.

    Raises:
        MalformedEvent: not an object, or fields missing or of the wrong type.
    """
    if not isinstance(raw, dict):
        raise MalformedEvent("event is not an object")
    kind = raw.get("type")
    try:
        if not isinstance(kind, str) or kind not in KNOWN_EVENT_TYPES:
            return UnknownEvent.new_from_json_dict(raw)
        message = raw.get("message")
        if kind == "message" and isinstance(message, dict) \
                and message.get("type") not in KNOWN_MESSAGE_TYPES:
            return MessageEvent.parse_obj({**raw, "message": MessageContent.parse_obj(message)})
        return Event.from_dict(raw)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise MalformedEvent(f"malformed {str(kind)[:30]} event: {', '.join(fields)[:200]}") \
            from None
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise MalformedEvent(f"malformed {str(kind)[:30]} event ({type(exc).__name__})") \
            from None


def fallback(raw: Any) -> UnknownEvent:
    """The stand-in model of a malformed event: its type (if a string), nothing else."""
    raw = raw if isinstance(raw, dict) else {}
    kind, source, mode = raw.get("type"), raw.get("source"), raw.get("mode")
    # The source's type and the mode are kept: a malformed event from a group chat
    # or a standby channel must not be answered as if it came from a 1:1 chat.
    return UnknownEvent.construct(
        type=kind if isinstance(kind, str) else "invalid",
        source={"type": source.get("type")} if isinstance(source, dict) else None,
        mode=mode if isinstance(mode, str) else None)


def reply_token(raw: Any) -> str | None:
    """The event's reply token, read from the raw JSON (the fallback models drop it)."""
    token = raw.get("replyToken") if isinstance(raw, dict) else None
    return token if isinstance(token, str) and token else None


def user_id(raw: Any) -> str | None:
    """The LINE user id of the event's source, read from the raw JSON.

    The same value ``pb.events.user_of`` locks on (``source.userId``), for
    every source type; the SDK's fallback model drops it.
    """
    source = raw.get("source") if isinstance(raw, dict) else None
    value = source.get("userId") if isinstance(source, dict) else None
    return value if isinstance(value, str) and value else None
