"""Group and room chats: one invitation to chat 1:1, never an idea (issue 14).

LINE's guidelines and PDPA point the same way: an idea or a vote is a
resident's own and needs their consent, given in a 1:1 chat; what people say
to each other in a group is not for Siang to keep. So in a group or a room
Siang posts one short, polite invitation when it is added and one on the
first mention of the account, and stores nothing of what was said.
"""

from __future__ import annotations

from linebot.v3.webhooks import (GroupSource, JoinEvent, LeaveEvent, MessageEvent, RoomSource,
                                 TextMessageContent)

from bot import messages as m
from bot.context import Context
from pb import group_chats


def chat_of(ctx: Context) -> tuple[str, str] | None:
    """(chat id, "group" or "room") of the event's source, or None for a 1:1 chat."""
    source = getattr(ctx.event, "source", None)
    if isinstance(source, GroupSource):
        return source.group_id, "group"
    if isinstance(source, RoomSource):
        return source.room_id, "room"
    return None


def _mentions_the_account(event: MessageEvent) -> bool:
    message = event.message
    if not isinstance(message, TextMessageContent) or message.mention is None:
        return False
    return any(getattr(mentionee, "is_self", False) for mentionee in message.mention.mentionees)


def on_event(ctx: Context) -> None:
    """A group or room event the policy answers: join, leave, or a message."""
    chat = chat_of(ctx)
    if chat is None:
        return
    chat_id, kind = chat
    if isinstance(ctx.event, JoinEvent):
        group_chats.joined(ctx.conn, chat_id, kind)
        ctx.reply(m.text(ctx.t("group_invite")))
    elif isinstance(ctx.event, LeaveEvent):
        group_chats.left(ctx.conn, chat_id, kind)
    elif isinstance(ctx.event, MessageEvent) and _mentions_the_account(ctx.event):
        if group_chats.first_mention(ctx.conn, chat_id, kind):
            ctx.reply(m.text(ctx.t("group_invite")))
