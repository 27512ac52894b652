"""Asking the district city council (สภาคนเมืองประจำเขต) a question in chat (issue 18).

Before a council meeting, its question window is open to the district's
residents. A resident taps "ส่งคำถาม" (the invitation's quick reply, or the
"what's open" list: postback ``a=council&c=ask&p=<process>``) or types
"ถามสภา"; Siang asks for the question and waits (conversation state
``council_question``: ``{process, nonce}``). Their next text is the question
(:func:`on_text`, routed here by :mod:`bot.handlers.text` before it could be
taken as an idea). Like an idea, it is first compared with the questions
already asked (:func:`pb.council_questions.similar`): when some may be the
same, they are shown with "สนับสนุนคำถามนี้" (``c=s``: a support is recorded,
once each) and "ส่งเป็นคำถามใหม่" (``c=n``), the text waiting in the state;
otherwise it is stored at once and grouped (:func:`pb.council_questions.add`).
Buttons carry the state's nonce: a forged, stale or second tap changes nothing.
``c=x`` (or typing "ยกเลิก") cancels.
"""

from __future__ import annotations

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.council_messages import ask_action, district_name
from bot.handlers import abuse as guard
from bot.handlers import district
from nlp.similar_rule import rule_for
from pb import council, council_questions
from pb.thaidate import be_date, be_datetime

KEY = "council_question"
TEXT_SHOWN = 220


def _open_meeting(ctx: Context, process_id: int) -> council.Meeting | None:
    """The meeting of ``process_id`` if its window is open to this resident now, else None
    (and the resident is told why)."""
    assert ctx.resident is not None
    meeting = council.meeting_of_process(ctx.conn, process_id)
    if meeting is None or meeting.district != ctx.resident.district:
        ctx.reply(m.text(ctx.t("council_not_your_district")))
        return None
    if meeting.window(_db_now(ctx)) != "open":
        ctx.reply(m.text(ctx.t("council_window_closed",
                               date=be_date(meeting.meets_at))))
        return None
    return meeting


def _db_now(ctx: Context):
    """The database's now (the window is compared as :func:`pb.council.open_items` does)."""
    row = ctx.conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def _cancel_action(ctx: Context, nonce: str) -> dict:
    label = ctx.t("council_cancel_button")
    return m.postback_action(label, m.postback_data("council", c="x", n=nonce), display_text=label)


def start(ctx: Context, process_id: int) -> None:
    """Ask for the question to meeting ``process_id`` and wait for it."""
    if not district.ready(ctx):
        return
    meeting = _open_meeting(ctx, process_id)
    if meeting is None:
        return
    entry = conversation.put(ctx, KEY, process=process_id, nonce=conversation.new_nonce())
    ctx.reply(m.text(ctx.t("council_ask_prompt",
                           district=district_name(meeting.district, ctx.language),
                           date=be_datetime(meeting.meets_at),
                           closes=be_datetime(meeting.closes_at)),
                     quick_reply=[_cancel_action(ctx, entry["nonce"])]))


def on_typed(ctx: Context, _text: str = "") -> None:
    """Typed "ถามสภา" / "ask council": the open window of the resident's district, if any."""
    if not district.ready(ctx):
        return
    assert ctx.resident is not None
    open_now = council.open_window_of_district(ctx.conn, ctx.resident.district)
    if not open_now:
        ctx.reply(m.text(ctx.t("council_none_open",
                               district=district_name(ctx.resident.district, ctx.language))))
        return
    start(ctx, open_now[0].process_id)


def my_data_line(ctx: Context) -> str:
    """The "my data" line about council questions and supports; "" when there are none."""
    assert ctx.resident is not None
    asked, supported = council_questions.count_of_resident(ctx.conn, ctx.resident.id)
    if not asked and not supported:
        return ""
    return ctx.t("council_my_data", asked=asked, supported=supported)


def is_waiting(ctx: Context) -> bool:
    """True while the resident's next text is a council question."""
    return conversation.get(ctx, KEY) is not None


def on_text(ctx: Context, text: str) -> None:
    """The question itself (the state says which meeting); see the module doc."""
    entry = conversation.get(ctx, KEY)
    assert entry is not None and ctx.resident is not None
    process_id = int(entry["process"])
    meeting = _open_meeting(ctx, process_id)
    if meeting is None:
        conversation.pop(ctx, KEY)
        return
    body = intake.normalise(text)
    problem = guard.text_problem(body)
    if problem is not None:          # the question stays awaited, with its cancel button
        key = "council_question_too_long" if problem == "too_long" else "council_question_unclear"
        ctx.reply(m.text(ctx.t(key, n=f"{guard.MAX_CHARS:,}"),
                         quick_reply=[_cancel_action(ctx, str(entry["nonce"]))]))
        return
    ctx.show_loading()               # before any write: may suspend the event for the LINE call
    notes: list[str] = []
    if entry.get("text"):            # a question waiting for "support or send new": sent as new
        if str(entry["text"]).lower() == body.lower():
            _store(ctx, meeting, str(entry["text"]), str(entry.get("event") or ""))
            return
        number, _ = _add(ctx, process_id, str(entry["text"]), str(entry.get("event") or ""))
        notes.append(ctx.t("council_pending_sent", number=f"{number:,}"))
    _, grouping = ctx.embed(body)
    topic_min = rule_for(ctx.model_name).topic_min
    shown = [] if topic_min is None else council_questions.similar(
        ctx.conn, process_id, grouping, ctx.model_name, min_similarity=topic_min,
        exclude_resident=ctx.resident.id)
    if not shown:
        _store(ctx, meeting, body, ctx.webhook_event_id, notes=notes)
        return
    entry = conversation.put(ctx, KEY, process=process_id, nonce=conversation.new_nonce(),
                             text=body, event=ctx.webhook_event_id,
                             candidates=[s.id for s in shown])
    ctx.reply(*[m.text(n) for n in notes], m.text(ctx.t("council_similar_intro")),
              _carousel(ctx, shown, str(entry["nonce"])))


def _add(ctx: Context, process_id: int, body: str, event: str) -> tuple[int, int]:
    assert ctx.resident is not None
    _, grouping = ctx.embed(body)
    return council_questions.add(ctx.conn, process_id=process_id, resident_id=ctx.resident.id,
                                 text=body, model=ctx.model_name, grouping=grouping,
                                 threshold=ctx.assign_threshold,
                                 webhook_event_id=event or None)


def _store(ctx: Context, meeting: council.Meeting, body: str, event: str, *,
           notes: list[str] | None = None) -> None:
    number, size = _add(ctx, meeting.process_id, body, event)
    conversation.pop(ctx, KEY)
    lines = [ctx.t("council_question_received", number=f"{number:,}",
                   date=be_date(meeting.meets_at))]
    if size > 1:
        lines.append(ctx.tn("council_question_grouped", size - 1))
    ctx.reply(*[m.text(n) for n in notes or []],
              m.text("\n".join(lines), quick_reply=[ask_action(meeting.process_id, ctx.language)]))


def _carousel(ctx: Context, shown: list[council_questions.SimilarQuestion], nonce: str) -> dict:
    backers = council_questions.backers(ctx.conn, [s.id for s in shown])
    support = ctx.t("council_support_button")
    new = ctx.t("council_send_new_button")
    new_action = m.postback_action(new, m.postback_data("council", c="n", n=nonce),
                                   display_text=new)
    bubbles = [m.bubble(
        header=ctx.t("council_similar_header", i=i, n=len(shown)),
        body=[m.flex_text(m.clip(s.text, TEXT_SHOWN), size="md", max_lines=6),
              m.flex_text(ctx.tn("council_backers", backers.get(s.id, 1)), color=m.MUTED)],
        footer=[m.flex_button(m.postback_action(
                    support, m.postback_data("council", c="s", i=s.id, n=nonce),
                    display_text=support)),
                m.flex_button(new_action, style="secondary")])
        for i, s in enumerate(shown, start=1)]
    titles = " / ".join(m.clip(s.text, 60) for s in shown)
    return m.flex(ctx.t("council_similar_alt", titles=titles), m.carousel(bubbles),
                  quick_reply=[new_action])


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """``a=council``: ``c=ask&p=<process>`` start; ``c=s&i=<question>&n=<nonce>`` support;
    ``c=n&n=<nonce>`` send mine as new; ``c=x&n=<nonce>`` cancel."""
    choice = values.get("c", "")
    if choice == "ask":
        try:
            process_id = int(values.get("p", ""))
        except ValueError:
            ctx.reply(m.text(ctx.t("stale_action")))
            return
        start(ctx, process_id)
        return
    entry = conversation.get(ctx, KEY)
    nonce = values.get("n", "")
    if entry is None or not nonce or str(entry.get("nonce")) != nonce \
            or choice not in ("s", "n", "x"):
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    if choice == "x":
        conversation.pop(ctx, KEY)
        ctx.reply(m.text(ctx.t("cancelled")))
        return
    if not entry.get("text"):
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    assert ctx.resident is not None
    meeting = _open_meeting(ctx, int(entry["process"]))
    if meeting is None:
        conversation.pop(ctx, KEY)
        return
    if choice == "n":
        ctx.show_loading()
        _store(ctx, meeting, str(entry["text"]), str(entry.get("event") or ""))
        return
    try:
        question_id = int(values.get("i", ""))
    except ValueError:
        question_id = -1
    found = council_questions.get(ctx.conn, question_id)
    if question_id not in [int(c) for c in entry.get("candidates", [])] or found is None \
            or found[0] != meeting.process_id:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    conversation.pop(ctx, KEY)
    added = council_questions.support(ctx.conn, question_id, ctx.resident.id)
    n = council_questions.backers(ctx.conn, [question_id]).get(question_id, 1)
    key = "council_support_recorded" if added else "council_support_already"
    ctx.reply(m.text(ctx.tn(key, n, text=m.clip(found[1], 120))))
