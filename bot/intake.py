"""Storing a resident's idea: the library the conversation steps share.

Used by :mod:`bot.handlers.idea` (a typed idea), :mod:`bot.handlers.similar`
("send as new"), :mod:`bot.handlers.edit` (the grouping line of an edited
idea), :mod:`bot.handlers.location` and :mod:`bot.handlers.privacy`
(district names). Not a conversation step itself.

An idea row is keyed by the webhook event of the text that carried it, so a
redelivered event, a retried job or a double tap on "send as new" stores
nothing twice.
"""

from __future__ import annotations

import numpy as np

from bot import conversation
from bot import messages as m
from bot.context import Context
from nlp.screening import strip_invisible
from nlp.similar_rule import is_place_idea
from pb import abuse, clusters, districts, ideas, photos, processes

#: ``idea_flags.reason`` of an idea with no readable words (keyboard mashing).
UNCLEAR = "unclear"


def normalise(text: str) -> str:
    """What we store and embed: control and format characters removed (bidi
    overrides such as U+202E, zero-width spaces; :func:`nlp.screening.strip_invisible`)
    and whitespace collapsed."""
    return " ".join(strip_invisible(text).split())


def district_shown(ctx: Context, name: str) -> str:
    """A district's name in the resident's language (Thai name → English in English)."""
    return name if ctx.language == "th" else districts.ENGLISH_NAMES.get(name, name)


def store_new(ctx: Context, body: str, event_key: str, *, raw: np.ndarray | None = None,
              grouping: np.ndarray | None = None, notes: list[str] | None = None,
              reply: bool = True, location: tuple[float, float] | None = None,
              take_held: bool = True) -> int:
    """Store an idea as new (once per ``event_key``), embed and cluster it, and confirm.

    Args:
        body: the normalised idea text.
        event_key: the webhook event id of the text that carried it.
        raw, grouping: its raw and grouping vectors if already computed
            (``ctx.embed``; else embedded here).
        notes: lines to send before the confirmation.
        reply: False to store silently (the caller reports the number).
        location: the idea's own place (latitude, longitude), if it has one.
        take_held: False for an idea of an earlier message (a pending idea):
            a held location is kept for the resident's next idea.

    An idea about a place (:func:`nlp.similar_rule.is_place_idea`) stored
    without one is confirmed with an invitation to share its location
    (a quick reply; skippable).

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
        if raw is None or grouping is None:
            raw, grouping = ctx.embed(body)
        ideas.store_embedding(ctx.conn, idea_id, ctx.model_name, raw, grouping)
        clusters.assign(ctx.conn, idea_id, process_id, resident.district, grouping,
                        ctx.assign_threshold)
        extras = attach_held(ctx, idea_id, location=location, take_held=take_held)
    invite = created and is_place_idea(body) and not ideas.has_location(ctx.conn, idea_id)
    if invite:
        extras.append(ctx.t("invite_location"))
    if reply:
        ctx.reply(*[m.text(n) for n in notes or []], received_message(
            ctx, idea_id, extras,
            quick_reply=[location_action(ctx)] if invite else None))
    return idea_id


def store_pending(ctx: Context, pending: dict, *, reply: bool = True) -> int:
    """Store an idea that waited for "support or send as new" (``pending_idea``) as new.

    It takes its own place (one it was searched near), never a held
    location: that one was shared for the resident's next idea (issue 14).
    Returns the idea id.
    """
    place = None
    if pending.get("lat") is not None and pending.get("lon") is not None:
        place = (float(pending["lat"]), float(pending["lon"]))
    return store_new(ctx, str(pending["text"]), str(pending["event"]), reply=reply,
                     location=place, take_held=False)


def location_action(ctx: Context) -> dict:
    """LINE's quick-reply location action ("send a location", opens the map)."""
    return {"type": "location", "label": ctx.t("send_location_button")}


def _insert_held_back(ctx: Context, process_id: int, body: str) -> tuple[int, bool]:
    """Insert an idea that staff review before anyone else sees it (the caller flags it);
    (idea id, whether this event created it)."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    return ideas.insert(
        ctx.conn, process_id=process_id, resident_id=resident.id, district=resident.district,
        text=body, normalised_text=body.lower(), webhook_event_id=ctx.webhook_event_id)


def store_flagged(ctx: Context, process_id: int, body: str, words: list[str],
                  notes: list[str]) -> int:
    """Store an idea with a listed word as ``flagged``: embedded (for a later restore),
    not clustered; confirms with its number. Returns the idea id."""
    idea_id, created = _insert_held_back(ctx, process_id, body)
    if created:
        raw, grouping = ctx.embed(body)
        ideas.store_embedding(ctx.conn, idea_id, ctx.model_name, raw, grouping)
        abuse.flag(ctx.conn, idea_id, words)
        attach_held(ctx, idea_id)
    ctx.reply(*[m.text(n) for n in notes], m.text(ctx.t("idea_flagged", number=f"{idea_id:,}")))
    return idea_id


def store_unclear(ctx: Context, process_id: int, body: str) -> int:
    """Keep a text with no readable words (:func:`nlp.screening.is_unclear`) for staff,
    flagged "unclear" and not clustered, and ask the resident to rephrase.

    Nothing is dropped silently: staff see it with the flagged ideas and can
    publish it. A held location or photo stays held for the rephrased idea.
    Returns the idea id.
    """
    idea_id, created = _insert_held_back(ctx, process_id, body)
    if created:
        abuse.flag(ctx.conn, idea_id, [], reason=UNCLEAR)
    ctx.reply(m.text(ctx.t("idea_unclear")))
    return idea_id


def attach_held(ctx: Context, idea_id: int, *, location: tuple[float, float] | None = None,
                take_held: bool = True) -> list[str]:
    """Attach held photos and a location to a just-stored idea; lines to tell the resident.

    The location is ``location`` (the idea's own) if given, else a held one
    when ``take_held``; otherwise a held location stays held.
    """
    assert ctx.resident is not None
    lines = []
    attached = photos.attach_held(ctx.conn, ctx.resident.id, idea_id)
    if attached:
        lines.append(ctx.tn("photos_attached_new", attached))
    held = None
    if location is None and take_held:
        held = conversation.pop(ctx, "held_location")
    if held is not None:
        location = (float(held["lat"]), float(held["lon"]))
    if location is not None:
        ideas.set_location(ctx.conn, idea_id, location[0], location[1])
        lines.append(ctx.t("location_attached_new"))
    return lines


def grouping_line(ctx: Context, idea_id: int) -> str:
    """"Grouped with N similar ideas" (or "in a group of its own") for one idea."""
    membership = clusters.cluster_of(ctx.conn, idea_id)
    others = membership[1] - 1 if membership else 0
    return ctx.tn("grouped_with", others) if others > 0 else ctx.t("grouped_alone")


def received_message(ctx: Context, idea_id: int, extras: list[str] | None = None,
                     quick_reply: list[dict] | None = None) -> dict:
    """"ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ N)" with its group and attachments."""
    assert ctx.resident is not None and ctx.resident.district is not None
    grouping = "\n".join([grouping_line(ctx, idea_id), *(extras or [])])
    return m.text(ctx.t("idea_received", number=f"{idea_id:,}", grouping=grouping,
                        district=district_shown(ctx, ctx.resident.district)),
                  quick_reply=quick_reply)
