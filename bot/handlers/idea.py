"""Submitting an idea: check it, look for similar ideas, then store once, embed, cluster.

The path of a typed idea (consented resident with a district):

1. odd input is answered, not stored: empty, too long, too short,
   emoji-only (:mod:`bot.handlers.abuse`);
2. the same text sent again by the same resident is pointed at, not stored;
3. the rate limit (:mod:`pb.abuse`) may ask them to wait;
4. LINE's loading animation starts (before anything slow: embedding); an
   idea waiting for "support or send as new" is sent as new first (the
   resident moved on without choosing; their idea is not lost);
5. a listed abusive word stores the idea as ``flagged`` for staff review;
6. otherwise the idea is embedded, and the
   similar-idea check (:mod:`bot.handlers.similar`) may show up to three
   similar ideas and wait for the resident's choice;
7. else the idea is stored as new (:func:`bot.intake.store_new`): embedding,
   cluster, held photo and location attached, and a confirmation with its
   number and group.
"""

from __future__ import annotations

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.handlers import abuse as guard
from bot.handlers import similar
from nlp.screening import is_unclear
from pb import abuse, ideas, processes
from pb.thaidate import BANGKOK


def on_menu(ctx: Context) -> None:
    """Rich menu "ส่งไอเดีย": invite the resident to type (gates handled by the menu).

    A pending edit is dropped: what they type next is a new idea.
    """
    assert ctx.resident is not None and ctx.resident.district is not None
    conversation.pop(ctx, "edit")
    ctx.reply(m.text(ctx.t("menu_idea_prompt",
                           district=intake.district_shown(ctx, ctx.resident.district))))


def on_text(ctx: Context, text: str) -> None:
    """A typed idea from a consented resident with a district (steps in the module doc)."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    body = intake.normalise(text)
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
        ctx.reply(m.text(ctx.tn("rate_limited", abuse.IDEAS_PER_HOUR,
                               time=until.astimezone(BANGKOK).strftime("%H:%M"))))
        return
    ctx.show_loading()  # before any write: may suspend the event for the LINE call
    notes: list[str] = []
    pending = conversation.pop(ctx, "pending_idea")
    if pending is not None:
        number = intake.store_pending(ctx, pending, reply=False)
        if str(pending["text"]).lower() == body.lower():  # the same idea typed again
            ctx.reply(m.text(ctx.t("idea_already_sent", number=f"{number:,}")))
            return
        notes.append(ctx.t("pending_sent_as_new", number=f"{number:,}"))
    if is_unclear(body):
        intake.store_unclear(ctx, process_id, body)
        return
    words = abuse.abusive_words(body)
    if words:
        intake.store_flagged(ctx, process_id, body, words, notes)
        return
    raw, grouping = ctx.embed(body)
    if similar.offer(ctx, process_id, body, grouping, notes):
        return
    intake.store_new(ctx, body, ctx.webhook_event_id, raw=raw, grouping=grouping, notes=notes)
