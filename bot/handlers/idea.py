"""Submitting an idea: check it, look for similar ideas, then store once, embed, cluster.

The path of a typed idea (consented resident with a district):

1. odd input is answered, not stored: empty, too long, too short,
   emoji-only (:mod:`bot.handlers.abuse`);
2. the same text sent again by the same resident is pointed at, not stored;
3. the rate limit (:mod:`pb.abuse`) may ask them to wait;
4. an idea waiting for "support or send as new" is sent as new first (the
   resident moved on without choosing; their idea is not lost);
5. a listed abusive word stores the idea as ``flagged`` for staff review;
6. otherwise LINE's loading animation starts, the idea is embedded, and the
   similar-idea check (:mod:`bot.handlers.similar`) may show up to three
   similar ideas and wait for the resident's choice;
7. else the idea is stored as new: embedding, cluster, held photo and
   location attached, and a confirmation with its number and group.

The idea row is keyed by the webhook event of the text, so a redelivered
event, a retried job or a double tap on "send as new" stores nothing twice.
"""

from __future__ import annotations

import numpy as np

from bot import conversation
from bot import messages as m
from bot.context import Context
from bot.handlers import abuse as guard
from pb import abuse, clusters, districts, ideas, photos, processes
from pb.thaidate import BANGKOK

MAX_CHARS = ideas.MAX_IDEA_CHARS


def normalise(text: str) -> str:
    """Whitespace collapsed, zero-width characters removed (what we store and embed)."""
    cleaned = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(cleaned.split())


def district_shown(ctx: Context, name: str) -> str:
    return name if ctx.language == "th" else districts.ENGLISH_NAMES.get(name, name)


def on_menu(ctx: Context) -> None:
    """Rich menu "ส่งไอเดีย": invite the resident to type (gates handled by the menu).

    A pending edit is dropped: what they type next is a new idea.
    """
    assert ctx.resident is not None and ctx.resident.district is not None
    conversation.pop(ctx, "edit")
    ctx.reply(m.text(ctx.t("menu_idea_prompt", district=district_shown(ctx, ctx.resident.district))))


def on_text(ctx: Context, text: str) -> None:
    """A typed idea from a consented resident with a district (steps in the module doc)."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    body = normalise(text)
    problem = guard.text_problem(body)
    if problem is not None:
        ctx.reply(guard.problem_message(ctx, problem, body))
        return
    process_id = processes.current_id(ctx.conn)
    same = ideas.same_text_of_resident(ctx.conn, resident.id, process_id, body.lower())
    if same is not None:
        ctx.reply(m.text(ctx.t("idea_already_sent", number=f"{same:,}")))
        return
    until = abuse.rate_limited_until(ctx.conn, resident.id)
    if until is not None:
        ctx.reply(m.text(ctx.t("rate_limited", limit=abuse.IDEAS_PER_HOUR,
                               time=until.astimezone(BANGKOK).strftime("%H:%M"))))
        return
    notes: list[str] = []
    pending = conversation.pop(ctx, "pending_idea")
    if pending is not None:
        number = store_new(ctx, pending["text"], pending["event"], reply=False)
        if str(pending["text"]).lower() == body.lower():  # the same idea typed again
            ctx.reply(m.text(ctx.t("idea_already_sent", number=f"{number:,}")))
            return
        notes.append(ctx.t("pending_sent_as_new", number=f"{number:,}"))
    words = abuse.abusive_words(body)
    if words:
        store_flagged(ctx, process_id, body, words, notes)
        return
    if ctx.user_id:
        ctx.show_loading(ctx.user_id)
    raw, centred = ctx.embed(body)
    from bot.handlers import similar  # here: similar.py builds on this module's store_new

    if similar.offer(ctx, process_id, body, centred, notes):  # centred = grouping vector
        return
    store_new(ctx, body, ctx.webhook_event_id, raw=raw, centred=centred, notes=notes)


def store_new(ctx: Context, body: str, event_key: str, *, raw: np.ndarray | None = None,
              centred: np.ndarray | None = None, notes: list[str] | None = None,
              reply: bool = True) -> int:
    """Store an idea as new (once per ``event_key``), embed and cluster it, and confirm.

    Args:
        body: the normalised idea text.
        event_key: the webhook event id of the text that carried it.
        raw, centred: its vectors if already computed (else embedded here).
        notes: lines to send before the confirmation.
        reply: False to store silently (the caller reports the number).

    Returns:
        The idea id (its number for the resident).
    """
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    process_id = processes.current_id(ctx.conn)
    idea_id, created = ideas.insert(
        ctx.conn, process_id=process_id, resident_id=resident.id, district=resident.district,
        text=body, normalised_text=body.lower(), webhook_event_id=event_key)
    extras: list[str] = []
    if created:
        if raw is None or centred is None:
            raw, centred = ctx.embed(body)
        ideas.store_embedding(ctx.conn, idea_id, ctx.model_name, raw, centred)
        clusters.assign(ctx.conn, idea_id, process_id, resident.district, centred,
                        ctx.assign_threshold)
        extras = attach_held(ctx, idea_id)
    if reply:
        ctx.reply(*[m.text(n) for n in notes or []], received_message(ctx, idea_id, extras))
    return idea_id


def store_flagged(ctx: Context, process_id: int, body: str, words: list[str],
                  notes: list[str]) -> int:
    """Store an idea with a listed word as ``flagged``: embedded (for a later restore), not clustered."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    idea_id, created = ideas.insert(
        ctx.conn, process_id=process_id, resident_id=resident.id, district=resident.district,
        text=body, normalised_text=body.lower(), webhook_event_id=ctx.webhook_event_id)
    if created:
        raw, grouping = ctx.embed(body)
        ideas.store_embedding(ctx.conn, idea_id, ctx.model_name, raw, grouping)
        abuse.flag(ctx.conn, idea_id, words)
        attach_held(ctx, idea_id)
    ctx.reply(*[m.text(n) for n in notes], m.text(ctx.t("idea_flagged", number=f"{idea_id:,}")))
    return idea_id


def attach_held(ctx: Context, idea_id: int) -> list[str]:
    """Attach held photos and a held location to a just-stored idea; lines to tell the resident."""
    assert ctx.resident is not None
    lines = []
    attached = photos.attach_held(ctx.conn, ctx.resident.id, idea_id)
    if attached:
        lines.append(ctx.t("photos_attached_new", n=attached))
    held = conversation.pop(ctx, "held_location")
    if held is not None:
        ideas.set_location(ctx.conn, idea_id, float(held["lat"]), float(held["lon"]))
        lines.append(ctx.t("location_attached_new"))
    return lines


def grouping_line(ctx: Context, idea_id: int) -> str:
    membership = clusters.cluster_of(ctx.conn, idea_id)
    others = membership[1] - 1 if membership else 0
    return ctx.t("grouped_with", others=others) if others > 0 else ctx.t("grouped_alone")


def received_message(ctx: Context, idea_id: int, extras: list[str] | None = None) -> dict:
    """"ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ N)" with its group and attachments."""
    assert ctx.resident is not None and ctx.resident.district is not None
    grouping = "\n".join([grouping_line(ctx, idea_id), *(extras or [])])
    return m.text(ctx.t("idea_received", number=f"{idea_id:,}", grouping=grouping,
                        district=district_shown(ctx, ctx.resident.district)))
