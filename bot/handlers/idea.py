"""Submitting an idea: validate, store once, embed, assign to a cluster, confirm."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from pb import clusters, ideas, processes

MAX_CHARS = ideas.MAX_IDEA_CHARS


def normalise(text: str) -> str:
    """Whitespace collapsed, zero-width characters removed (what we store and embed)."""
    cleaned = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(cleaned.split())


def on_text(ctx: Context, text: str) -> None:
    """Store the idea and reply with its number and its group.

    The idea row is keyed by the webhook event, so a redelivered event or a
    retried job stores nothing twice.
    """
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    body = normalise(text)
    if not body:
        ctx.reply(m.text(ctx.t("idea_empty")))
        return
    if len(body) > MAX_CHARS:
        ctx.reply(m.text(ctx.t("idea_too_long", limit=f"{MAX_CHARS:,}", length=f"{len(body):,}")))
        return
    process_id = processes.current_id(ctx.conn)
    idea_id, created = ideas.insert(
        ctx.conn, process_id=process_id, resident_id=resident.id, district=resident.district,
        text=body, normalised_text=body.lower(), webhook_event_id=ctx.webhook_event_id)
    if created:
        raw, centred = ctx.embed(body)
        ideas.store_embedding(ctx.conn, idea_id, ctx.model_name, raw)
        clusters.assign(ctx.conn, idea_id, process_id, resident.district, centred,
                        ctx.assign_threshold)
    membership = clusters.cluster_of(ctx.conn, idea_id)
    others = membership[1] - 1 if membership else 0
    grouping = ctx.t("grouped_with", others=others) if others > 0 else ctx.t("grouped_alone")
    ctx.reply(m.text(ctx.t("idea_received", number=f"{idea_id:,}", grouping=grouping,
                           district=resident.district)))

