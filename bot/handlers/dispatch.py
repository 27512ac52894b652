"""The dispatch tables: one webhook event (an SDK model) → one conversation step.

``dispatch(ctx)`` looks at the event's model class (and, for messages, the
message content's class; for postbacks, the ``a=`` action) and calls one
entry point. Unknown events (the SDK's ``UnknownEvent``, or a malformed
event's stand-in) get help, never silence, when LINE gave a reply token.

Imports run one way: this module imports the steps; no step imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from linebot.v3.webhooks import (FollowEvent, GroupSource, ImageMessageContent, JoinEvent,
                                 LeaveEvent, LocationMessageContent, MessageEvent, PostbackEvent,
                                 RoomSource, StickerMessageContent, TextMessageContent,
                                 UnfollowEvent)

from bot import messages as m
from bot.context import Context
from bot.handlers import (consent, district, edit, follow, group, help, location, menu, photo,
                          policy, privacy, similar, text, vote)
from bot.handlers import whats_open
from bot.handlers import council
from bot.handlers import hearing
from bot.handlers import community

PostbackHandler = Callable[[Context, dict[str, str]], None]

POSTBACK_ACTIONS: dict[str, PostbackHandler] = {
    "consent": consent.on_consent,
    "district": district.on_pick,
    "districts": district.on_page,
    "menu": menu.on_postback,        # rich menu areas
    "sim": similar.on_choice,        # support a similar idea / send mine as new
    "idea": edit.on_postback,        # edit or withdraw one's own idea
    "priv": privacy.on_postback,     # privacy notice, my data, erase, withdraw consent
    "vote": vote.on_postback,        # pick projects, confirm a ballot (issue 6)
    "comm": community.on_postback,   # which community I live in (issue 18)
    "council": council.on_postback,  # a question to the district city council (issue 18)
    "open": whats_open.on_postback,  # what's open in my district, more (issue 18)
    "hear": hearing.on_postback,     # answer a district public hearing, session (issue 18)
}


def _on_text_message(ctx: Context) -> None:
    assert isinstance(ctx.event, MessageEvent) and isinstance(ctx.event.message, TextMessageContent)
    text.on_text(ctx, ctx.event.message.text)


#: Message content class → step; any other message type is answered as unsupported.
MESSAGE_HANDLERS: dict[type, Callable[[Context], None]] = {
    TextMessageContent: _on_text_message,
    StickerMessageContent: help.on_sticker,
    ImageMessageContent: photo.on_image,
    LocationMessageContent: location.on_location,
}


def on_message(ctx: Context) -> None:
    """A message event: the step of its content type."""
    assert isinstance(ctx.event, MessageEvent)
    MESSAGE_HANDLERS.get(type(ctx.event.message), help.on_unsupported)(ctx)


def on_postback(ctx: Context) -> None:
    """A postback event: the step of its ``a=`` action; an unknown action is stale.

    A tap from a LINE user Siang has no row for (an old button after an
    erase, or a chat older than Siang) is never met with silence: a second
    tap of the erase confirmation hears that the data is gone; any other
    button starts again with the welcome and the consent question.
    """
    assert isinstance(ctx.event, PostbackEvent)
    values = m.parse_postback(ctx.event.postback.data)
    if ctx.resident is None or not ctx.resident.followed:
        if values.get("a") == "priv" and values.get("c") == "eraseok":
            ctx.reply(m.text(ctx.t("erase_already_done")))
            ctx.sender_erased = True
        else:
            follow.on_follow(ctx)
        return
    handler = POSTBACK_ACTIONS.get(values.get("a", ""))
    if handler is None:
        ctx.reply(m.text(ctx.t("stale_action")))
    else:
        handler(ctx, values)


EVENT_HANDLERS: dict[type, Callable[[Context], None]] = {
    JoinEvent: group.on_event,
    LeaveEvent: group.on_event,
    FollowEvent: follow.on_follow,
    UnfollowEvent: follow.on_unfollow,
    MessageEvent: on_message,
    PostbackEvent: on_postback,
}


def dispatch(ctx: Context) -> None:
    """Handle one event; an unknown type gets help if LINE gave a reply token.

    Raises:
        bot.context.NeedsLine: a step needs a LINE call first (the job makes
            it outside the transaction and runs the event again).
    """
    row = policy.decide(*event_key(ctx.event))
    if row.action == policy.STORE:
        return
    if row.action == policy.RECORD:
        handler = EVENT_HANDLERS.get(type(ctx.event))
        if handler is not None:
            handler(ctx)
        ctx.replies.clear()              # LINE gives these events no reply token
        return
    if group.chat_of(ctx) is not None:
        group.on_event(ctx)
        return
    handler = EVENT_HANDLERS.get(type(ctx.event))
    if handler is not None:
        handler(ctx)
    elif ctx.reply_token:
        help.on_help(ctx)


def event_key(event: object) -> tuple[str, str, str]:
    """(event type, source type, mode) of an SDK event model, as :mod:`policy` reads them.

    A model without a source (a malformed event's stand-in) counts as a 1:1
    chat, and one without a mode as active: the resident gets help.
    """
    kind = getattr(event, "type", None) or "unknown"
    source = getattr(event, "source", None)
    if isinstance(source, GroupSource):
        source_type = "group"
    elif isinstance(source, RoomSource):
        source_type = "room"
    else:       # an unknown or malformed event keeps a plain source (a dict or an old model)
        declared = source.get("type") if isinstance(source, dict) else getattr(source, "type", None)
        source_type = declared if declared in ("group", "room") else "user"
    mode = getattr(event, "mode", None)
    mode_value = getattr(mode, "value", mode) or "active"
    return str(kind), source_type, str(mode_value)
