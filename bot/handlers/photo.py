"""A photo sent with an idea: fetched once from LINE's content endpoint and stored.

Which idea it belongs to (Traffy-style chats send text and photo in either
order):

* the resident's newest idea, if it was sent in the last 30 minutes, can
  still be edited and has fewer than 3 photos → attached to it;
* otherwise (no recent idea, an idea waiting for "support or send as new",
  or a full idea) → *held* and attached to the next idea they send within
  30 minutes (:func:`pb.photos.attach_held`); a held photo not used by then
  is deleted when the next idea arrives, and with an erasure.

Limits: JPEG or PNG by their bytes, at most 10 MB (the download stops past
it), 3 per idea. Nothing is fetched before consent. A redelivered event
finds the photo already stored (keyed by LINE's message id).

The download (up to ``2 × line_timeout_s``) is never made inside the
event's transaction: :meth:`bot.context.Context.message_content` suspends the
event until the worker has fetched the bytes with no lock held.
"""

from __future__ import annotations

from linebot.v3.webhooks import ImageMessageContent

from bot import conversation
from bot import messages as m
from bot.context import Context
from bot.handlers import district
from pb import ideas, photos


def _target(ctx: Context) -> tuple[ideas.Idea | None, bool]:
    """(idea to attach to or None to hold, whether the newest idea is full)."""
    assert ctx.resident is not None
    if conversation.get(ctx, "pending_idea") is not None:
        return None, False
    latest = ideas.latest_of_resident(ctx.conn, ctx.resident.id, photos.HOLD_S)
    if latest is None:
        return None, False
    if photos.count_for_idea(ctx.conn, latest.id) >= photos.MAX_PER_IDEA:
        return None, True
    return latest, False


def _answer(ctx: Context, idea_id: int | None, full_idea: int | None = None) -> None:
    if idea_id is not None:
        ctx.reply(m.text(ctx.t("photo_attached", number=f"{idea_id:,}")))
    elif full_idea is not None:
        ctx.reply(m.text(ctx.tn("photo_limit", photos.MAX_PER_IDEA, number=f"{full_idea:,}")))
    else:
        ctx.reply(m.text(ctx.tn("photo_held", photos.HOLD_S // 60)))


def on_image(ctx: Context) -> None:
    """An image message."""
    if not district.ready(ctx):   # may attach things; else guided to the step owed
        return
    assert ctx.resident is not None
    message = ctx.event.message
    assert isinstance(message, ImageMessageContent)
    message_id = message.id[:64]
    provider = message.content_provider.type if message.content_provider else "line"
    if not message_id or provider != "line":
        ctx.reply(m.text(ctx.t("photo_failed")))
        return
    stored = photos.by_message(ctx.conn, message_id)
    if stored is not None:
        _answer(ctx, stored[1])
        return
    content = ctx.message_content(message_id, photos.MAX_BYTES)
    if content.too_large:
        ctx.reply(m.text(ctx.t("photo_too_large", limit=photos.MAX_BYTES // (1024 * 1024))))
        return
    if not content.ok:
        ctx.reply(m.text(ctx.t("photo_failed")))
        return
    kind = photos.sniff_type(content.data)
    if kind is None:
        ctx.reply(m.text(ctx.t("photo_bad_type")))
        return
    target, full = _target(ctx)
    photos.add(ctx.conn, resident_id=ctx.resident.id, idea_id=target.id if target else None,
               line_message_id=message_id, content_type=kind, data=content.data)
    latest = ideas.latest_of_resident(ctx.conn, ctx.resident.id, photos.HOLD_S) if full else None
    _answer(ctx, target.id if target else None, latest.id if latest else None)
