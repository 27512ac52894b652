"""Editing or withdrawing one's own idea while the process still collects ideas.

Postbacks from "ไอเดียของฉัน" (``a=idea``):

* ``c=edit&i=<idea>``: the next text replaces the idea's text
  (``edit`` in the conversation state, with a cancel button);
* ``c=wd&i=<idea>``: asks to confirm; ``c=wdok&n=<nonce>`` withdraws;
* ``c=cancel&n=<nonce>``: drops the pending edit or confirmation.

Every step re-checks :func:`pb.ideas.editable` (theirs, active or flagged,
process in the idea stage), so a forged id, someone else's idea, a closed
stage or a double tap changes nothing and gets a clear answer. An edited
idea is re-embedded and re-clustered (its old vector leaves its old cluster
exactly), and checked against the word list again. A withdrawn idea leaves
its cluster; supports others gave it move to a sibling idea.
"""

from __future__ import annotations

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.handlers import abuse as guard
from pb import abuse, clusters, ideas, supports

TEXT_SHOWN = 300


def _idea_id(values: dict[str, str]) -> int | None:
    """The idea id a postback names, or None if it is not a plausible id (forged data)."""
    try:
        idea_id = int(values.get("i", ""))
    except ValueError:
        return None
    return idea_id if 0 < idea_id < 2**63 else None


def _cancel_action(ctx: Context, nonce: str) -> dict:
    label = ctx.t("cancel")
    return m.postback_action(label, m.postback_data("idea", c="cancel", n=nonce), display_text=label)


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=idea&c=edit|wd|wdok|cancel``."""
    resident = ctx.resident
    if resident is None or not resident.has_consented:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    step = {"edit": ask_edit, "wd": ask_withdraw, "wdok": withdraw, "cancel": cancel}.get(
        values.get("c", ""))
    if step is None:
        ctx.reply(m.text(ctx.t("stale_action")))
    else:
        step(ctx, values)


def ask_edit(ctx: Context, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    idea_id = _idea_id(values)
    idea = ideas.editable(ctx.conn, idea_id, ctx.resident.id) if idea_id else None
    if idea is None:
        ctx.reply(m.text(ctx.t("edit_closed")))
        return
    entry = conversation.put(ctx, "edit", idea=idea.id, nonce=conversation.new_nonce())
    ctx.reply(m.text(ctx.t("edit_prompt", number=f"{idea.id:,}", text=m.clip(idea.text, TEXT_SHOWN)),
                     quick_reply=[_cancel_action(ctx, entry["nonce"])]))


def ask_withdraw(ctx: Context, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    idea_id = _idea_id(values)
    idea = ideas.editable(ctx.conn, idea_id, ctx.resident.id) if idea_id else None
    if idea is None:
        ctx.reply(m.text(ctx.t("edit_closed")))
        return
    entry = conversation.put(ctx, "confirm", what="withdraw", idea=idea.id,
                             nonce=conversation.new_nonce())
    yes = ctx.t("withdraw_yes")
    no = ctx.t("withdraw_no")
    ctx.reply(m.text(
        ctx.t("withdraw_confirm", number=f"{idea.id:,}", text=m.clip(idea.text, TEXT_SHOWN)),
        quick_reply=[
            m.postback_action(yes, m.postback_data("idea", c="wdok", n=entry["nonce"]),
                              display_text=yes),
            m.postback_action(no, m.postback_data("idea", c="cancel", n=entry["nonce"]),
                              display_text=no),
        ]))


def withdraw(ctx: Context, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    confirm = conversation.get(ctx, "confirm")
    if confirm is None or confirm.get("what") != "withdraw":
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    entry = conversation.answer(ctx, "confirm", values.get("n"))
    if entry is None:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    idea = ideas.editable(ctx.conn, int(entry["idea"]), ctx.resident.id)
    if idea is None:
        ctx.reply(m.text(ctx.t("edit_closed")))
        return
    supports.rehome(ctx.conn, [idea.id])
    ideas.detach_from_cluster(ctx.conn, idea.id)
    ideas.set_status(ctx.conn, idea.id, "withdrawn")
    ctx.reply(m.text(ctx.t("withdrawn", number=f"{idea.id:,}")))


def cancel(ctx: Context, values: dict[str, str]) -> None:
    nonce = values.get("n")
    for key in ("edit", "confirm"):
        if conversation.answer(ctx, key, nonce) is not None:
            ctx.reply(m.text(ctx.t("cancelled")))
            return
    ctx.reply(m.text(ctx.t("choice_done")))


def cancel_typed(ctx: Context, _text: str = "") -> None:
    """Typed "ยกเลิก"/"cancel": drop a pending edit or confirmation."""
    if ctx.resident is not None and ctx.resident.has_consented:
        conversation.pop(ctx, "edit")
        conversation.pop(ctx, "confirm")
        conversation.pop(ctx, "community")           # issue 18: a community name awaited
        conversation.pop(ctx, "council_question")    # issue 18: a council question awaited
        conversation.pop(ctx, "hearing")             # issue 18: a hearing question awaited
    ctx.reply(m.text(ctx.t("cancelled")))


def on_text(ctx: Context, text: str) -> None:
    """The new text of the idea being edited (``edit`` is in the conversation state)."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    entry = conversation.get(ctx, "edit")
    assert entry is not None
    body = intake.normalise(text)
    problem = guard.text_problem(body)
    if problem is not None:  # the edit stays pending, with its cancel button
        answer = guard.problem_message(ctx, problem, body)
        ctx.reply(m.text(answer["text"], quick_reply=[_cancel_action(ctx, str(entry["nonce"]))]))
        return
    conversation.pop(ctx, "edit")
    idea = ideas.editable(ctx.conn, int(entry["idea"]), resident.id)
    if idea is None:
        ctx.reply(m.text(ctx.t("edit_closed")))
        return
    ctx.show_loading()
    ideas.detach_from_cluster(ctx.conn, idea.id)  # before its vector is replaced
    ideas.update_text(ctx.conn, idea.id, body, body.lower())
    raw, grouping = ctx.embed(body)
    ideas.store_embedding(ctx.conn, idea.id, ctx.model_name, raw, grouping)
    words = abuse.abusive_words(body)
    if words:
        abuse.flag(ctx.conn, idea.id, words)
        ctx.reply(m.text(ctx.t("idea_flagged", number=f"{idea.id:,}")))
        return
    abuse.unflag(ctx.conn, idea.id)
    clusters.assign(ctx.conn, idea.id, idea.process_id, idea.district, grouping,
                    ctx.assign_threshold)
    ctx.reply(m.text(ctx.t("edit_saved", number=f"{idea.id:,}",
                           grouping=intake.grouping_line(ctx, idea.id))))
