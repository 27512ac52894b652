"""Conversation steps, one module each, reached through explicit dispatch tables.

``dispatch(ctx)`` looks at the webhook event's type (and, for messages, the
message type; for postbacks, the action) and calls one entry point.
Unknown events get help, never silence (when there is a reply token).
"""

from __future__ import annotations

from collections.abc import Callable

from bot import messages as m
from bot.context import Context
from bot.handlers import (consent, district, edit, follow, help, location, menu, photo,
                          privacy, similar, text)
from bot.handlers import vote

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
}


def on_message(ctx: Context) -> None:
    message = ctx.event.get("message")
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "text":
        body = message.get("text")
        text.on_text(ctx, body if isinstance(body, str) else "")
    elif kind == "sticker":
        help.on_sticker(ctx)
    elif kind == "image":
        photo.on_image(ctx)
    elif kind == "location":
        location.on_location(ctx)
    else:
        help.on_unsupported(ctx)


def on_postback(ctx: Context) -> None:
    postback = ctx.event.get("postback")
    values = m.parse_postback(postback.get("data", "") if isinstance(postback, dict) else "")
    handler = POSTBACK_ACTIONS.get(values.get("a", ""))
    if handler is None:
        ctx.reply(m.text(ctx.t("stale_action")))
    else:
        handler(ctx, values)


EVENT_HANDLERS: dict[str, Callable[[Context], None]] = {
    "follow": follow.on_follow,
    "unfollow": follow.on_unfollow,
    "message": on_message,
    "postback": on_postback,
}


def dispatch(ctx: Context) -> None:
    """Handle one event; an unknown type gets help if LINE gave a reply token."""
    handler = EVENT_HANDLERS.get(str(ctx.event.get("type")))
    if handler is not None:
        handler(ctx)
    elif ctx.event.get("replyToken"):
        help.on_help(ctx)
