"""The similar-idea check: before a typed idea is stored as new, show up to three
ideas that may be the same problem and let the resident support one instead.

Place first (issue 15; rule and calibration in :mod:`nlp.similar_rule`):

* a location shared in the last minutes (``held_location``) → ideas of the
  process within the rule's radius whose grouping-vector cosine reaches
  ``near_min`` (:func:`pb.ideas.similar_near`), shown as "near you";
* no location → ideas of the district at the much stricter ``topic_min``
  (:func:`pb.ideas.similar_in_district`), shown as "on the same topic in
  your district", or none when staff turned that path off;
* an idea about a place stored without a location is confirmed with an
  invitation to share one (skippable, :func:`bot.intake.store_new`); when
  the location comes, ideas near it are offered (:func:`offer_near_stored`):
  "support instead" makes the resident's idea join that one
  (:func:`pb.duplicates.join`), "keep mine" keeps it.

Thresholds come per process from :func:`pb.similar_settings.get` (staff
settings over the calibrated defaults). The best idea of each cluster is
kept, so three bubbles show three different groups.

The pending idea text waits in the resident's conversation state
(``pending_idea``: text, the webhook event that carried it, the ideas
shown, its place if it was searched near one, a nonce) until they tap
"สนับสนุนไอเดียนี้" (a support is recorded, no idea stored) or
"ส่งเป็นไอเดียใหม่" (stored as new, keyed by the original event). Postbacks
carry the nonce: a forged, stale or second tap finds nothing to answer and
changes nothing.
"""

from __future__ import annotations

import numpy as np

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from nlp.similar_rule import SimilarRule, one_per_group, pick
from pb import duplicates, ideas, processes, similar_settings, supports

MAX_SHOWN = 3
CANDIDATES = 20          # nearest ideas read before keeping the best per cluster
TEXT_SHOWN = 220         # characters of an idea shown in a bubble


def rule(ctx: Context, process_id: int) -> SimilarRule:
    """The process's similar-idea rule for this embedder (staff settings over the calibrated one)."""
    return similar_settings.get(ctx.conn, process_id, ctx.model_name)


def find(ctx: Context, process_id: int, grouping: np.ndarray,
         place: tuple[float, float] | None = None, *, exclude_idea: int | None = None
         ) -> tuple[list[ideas.SimilarIdea], bool]:
    """Up to :data:`MAX_SHOWN` similar ideas by the rule, one per cluster, best first.

    Args:
        grouping: the new idea's grouping vector, (dim,) float32 (``ctx.embed``).
        place: its (latitude, longitude) when the resident shared one: the
            "near you" path (:func:`pb.ideas.similar_near`); else the
            text-only path over the district.
        exclude_idea: an idea never to suggest (the resident's own, stored).

    Returns:
        (ideas to show, True if the "near you" path chose them).
    """
    assert ctx.resident is not None and ctx.resident.district is not None
    the_rule = rule(ctx, process_id)
    if place is not None:
        near = ideas.similar_near(
            ctx.conn, process_id=process_id, model=ctx.model_name, grouping=grouping,
            latitude=place[0], longitude=place[1], radius_m=the_rule.radius_m,
            limit=CANDIDATES, exclude_resident=ctx.resident.id)
        found = [ideas.SimilarIdea(n.id, n.text, n.cluster_id, n.similarity) for n, _ in near]
        metres: np.ndarray | None = np.array([d for _, d in near])
    elif the_rule.topic_min is None:
        return [], False
    else:
        found = ideas.similar_in_district(
            ctx.conn, process_id=process_id, district=ctx.resident.district,
            model=ctx.model_name, grouping=grouping, limit=CANDIDATES,
            exclude_resident=ctx.resident.id)
        metres = None
    order, is_near = pick(np.array([f.similarity for f in found]), metres,
                          the_rule.with_values(max_shown=CANDIDATES))
    ordered = (found[int(k)] for k in order if found[int(k)].id != exclude_idea)
    return one_per_group(ordered, lambda idea: idea.cluster_id, MAX_SHOWN), is_near


def offer(ctx: Context, process_id: int, body: str, grouping: np.ndarray,
          notes: list[str]) -> bool:
    """Show similar ideas and keep ``body`` pending; False (nothing sent) when none is close.

    A location the resident shared in the last minutes (``held_location``)
    takes the "near you" path; when it finds ideas, the location moves into
    the pending idea (it is this idea's place), else it stays held and
    :func:`bot.intake.store_new` attaches it.
    """
    held = conversation.get(ctx, "held_location")
    place = (float(held["lat"]), float(held["lon"])) if held else None
    shown, near = find(ctx, process_id, grouping, place)
    if not shown:
        return False
    if place is not None:
        conversation.pop(ctx, "held_location")
    where = {"lat": place[0], "lon": place[1]} if place is not None else {}
    entry = conversation.put(ctx, "pending_idea", text=body, event=ctx.webhook_event_id,
                             candidates=[s.id for s in shown], near=near,
                             nonce=conversation.new_nonce(), **where)
    intro = ("similar_intro_near" if near else "similar_intro")
    ctx.reply(*[m.text(n) for n in notes],
              m.text(ctx.t(intro, district=intake.district_shown(ctx, ctx.resident.district))),
              carousel_message(ctx, shown, entry["nonce"], near=near))
    return True


def offer_near_stored(ctx: Context, idea_id: int, text: str, place: tuple[float, float]
                      ) -> dict | None:
    """After a location reached a just-stored idea: the ideas near it, as a message.

    The resident may support one of them instead (their idea then joins it,
    :func:`pb.duplicates.join`) or keep theirs; returns the carousel message
    (None when nothing near is similar).
    """
    process_id = processes.current_id(ctx.conn)
    _, grouping = ctx.embed(text)
    shown, _ = find(ctx, process_id, grouping, place, exclude_idea=idea_id)
    if not shown:
        return None
    entry = conversation.put(ctx, "near_check", idea=idea_id, candidates=[s.id for s in shown],
                             nonce=conversation.new_nonce())
    return carousel_message(ctx, shown, entry["nonce"], near=True, stored=True)


def _new_action(ctx: Context, nonce: str) -> dict:
    label = ctx.t("send_new_button")
    return m.postback_action(label, m.postback_data("sim", c="n", n=nonce), display_text=label)


def _keep_action(ctx: Context, nonce: str) -> dict:
    label = ctx.t("keep_mine_button")
    return m.postback_action(label, m.postback_data("sim", c="k", n=nonce), display_text=label)


def carousel_message(ctx: Context, shown: list[ideas.SimilarIdea], nonce: str, *,
                     near: bool = False, stored: bool = False) -> dict:
    """The Flex carousel: each similar idea, how many back it, and the two buttons.

    ``near``: headed "near you"; ``stored``: the resident's idea is already
    stored (a location came after it), so the buttons are "support this
    instead" (``c=j``) and "keep mine" (``c=k``).
    """
    backers = supports.backers(ctx.conn, [s.id for s in shown])
    support_label = ctx.t("support_instead_button" if stored else "support_button")
    other = _keep_action(ctx, nonce) if stored else _new_action(ctx, nonce)
    header = "similar_header_near" if near else "similar_header"
    bubbles = []
    for i, s in enumerate(shown, start=1):
        bubbles.append(m.bubble(
            header=ctx.t(header, i=i, n=len(shown)),
            body=[m.flex_text(m.clip(s.text, TEXT_SHOWN), size="md", max_lines=6),
                  m.flex_text(ctx.tn("backers", backers.get(s.id, 1)), color=m.MUTED)],
            footer=[
                m.flex_button(m.postback_action(
                    support_label, m.postback_data("sim", c="j" if stored else "s", i=s.id, n=nonce),
                    display_text=support_label)),
                m.flex_button(other, style="secondary"),
            ]))
    titles = " / ".join(m.clip(s.text, 60) for s in shown)
    return m.flex(ctx.t("similar_alt_near" if near else "similar_alt", titles=titles),
                  m.carousel(bubbles), quick_reply=[other])


def on_choice(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=sim&c=s&i=<idea>&n=<nonce>`` (support), ``c=n`` (send as new);
    after a location reached a stored idea, ``c=j&i=<idea>`` (join that idea) or ``c=k`` (keep)."""
    resident = ctx.resident
    if resident is None or not resident.has_consented or resident.district is None:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    choice = values.get("c")
    nonce = values.get("n", "")
    if choice in ("j", "k"):
        _on_near_check(ctx, choice, values, nonce)
        return
    pending = conversation.get(ctx, "pending_idea")
    if pending is None or choice not in ("s", "n") or not nonce \
            or str(pending.get("nonce")) != nonce:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    if choice == "n":
        conversation.pop(ctx, "pending_idea")
        ctx.show_loading()
        intake.store_pending(ctx, pending)
        return
    idea_id = _int(values.get("i"))
    if idea_id not in [int(c) for c in pending.get("candidates", [])]:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    target = ideas.get(ctx.conn, idea_id)
    if target is None or target.status != "active":
        ctx.reply(m.text(ctx.t("support_gone"), quick_reply=[_new_action(ctx, nonce)]))
        return
    conversation.pop(ctx, "pending_idea")
    added = supports.add(ctx.conn, process_id=target.process_id, resident_id=resident.id,
                         idea_id=idea_id,
                         webhook_event_id=ctx.webhook_event_id)
    n = supports.backers(ctx.conn, [idea_id]).get(idea_id, 1)
    if added:
        ctx.reply(m.text(ctx.tn("support_recorded", n, text=m.clip(target.text, 120))))
    else:
        ctx.reply(m.text(ctx.tn("support_already", n)))


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


def _on_near_check(ctx: Context, choice: str, values: dict[str, str], nonce: str) -> None:
    entry = conversation.get(ctx, "near_check")
    if entry is None or not nonce or str(entry.get("nonce")) != nonce:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    own = int(entry["idea"])
    if choice == "k":
        conversation.pop(ctx, "near_check")
        ctx.reply(m.text(ctx.t("kept_mine", number=f"{own:,}")))
        return
    target_id = _int(values.get("i"))
    if target_id not in [int(c) for c in entry.get("candidates", [])]:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    assert ctx.resident is not None
    if not duplicates.join(ctx.conn, ctx.resident.id, own, target_id):
        ctx.reply(m.text(ctx.t("support_gone")))
        return
    conversation.pop(ctx, "near_check")
    target = ideas.get(ctx.conn, target_id)
    n = supports.backers(ctx.conn, [target_id]).get(target_id, 1)
    ctx.reply(m.text(ctx.t("joined_near", number=f"{own:,}",
                           text=m.clip(target.text if target else "", 120))
                     + "\n" + ctx.tn("backers", n)))
