"""Answering a district public hearing in LINE, and registering for its in-person session.

One tap on an invitation (or on "มีอะไรเปิดอยู่") starts: the hearing's title, area and
closing date, then its questions one at a time. Choices come as a Flex bubble of
buttons (several choices: tap to toggle, then confirm), ratings 1–5 as quick replies,
open questions as free text typed into the chat (routed here by
:mod:`bot.handlers.text` while the ``hearing`` state is live). A typed reply to a
choice question gets help and the question again. Answers can be changed until the
hearing closes ("แก้คำตอบ"). The session: register within its capacity ("full" is
said plainly), cancel, and a reminder the day before (:mod:`pb.hearing_answers`).

Postbacks (``a=hear``; each checks the hearing, its window and the resident's area):

* ``c=start&p=<hearing>``: the introduction and the next unanswered question;
* ``c=q&p=&q=<question>``: ask (again) one question, to change its answer;
* ``c=ans&p=&q=&o=<option>`` (single choice) / ``c=ans&p=&q=&v=<1-5>`` (rating);
* ``c=tog&p=&q=&o=`` and ``c=done&p=&q=``: toggle options of a multiple choice, confirm;
* ``c=skip&p=&q=``: skip an open question; ``c=stop&p=``: stop for now;
* ``c=mine&p=``: my answers, with buttons to change each;
* ``c=reg&p=`` / ``c=unreg&p=``: register for the session / cancel.
"""

from __future__ import annotations

from typing import Any

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from pb import hearing_answers, hearings
from pb.hearing_answers import Answer
from pb.hearing_questions import HearingError, Question
from pb.hearings import Hearing
from pb.thaidate import be_date, be_datetime

ACTION = "hear"
STATE = "hearing"
THAI_DIGITS = str.maketrans("๑๒๓๔๕", "12345")


def _data(command: str, found: Hearing, **values: Any) -> str:
    return m.postback_data(ACTION, c=command, p=found.id, **values)


def _action(label: str, data: str, shown: str | None = None) -> dict:
    return m.postback_action(label, data, display_text=shown or label)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() and len(raw) <= 12 else None


def _area(ctx: Context, found: Hearing) -> str:
    return found.area_en() if ctx.language == "en" else found.area_th()


def _title(ctx: Context, found: Hearing) -> str:
    return found.title_en if ctx.language == "en" and found.title_en else found.title


def _results_url(ctx: Context, found: Hearing) -> str:
    return f"{ctx.settings.public_base_url}/hearings/{found.id}"


# --- the entry point -------------------------------------------------------------------------


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=hear&c=...&p=<hearing>`` (see the module doc)."""
    step = COMMANDS.get(values.get("c", ""))
    found = _usable(ctx, _int(values.get("p")), step is not None)
    if found is None:
        return
    assert step is not None
    step(ctx, found, values)


def _usable(ctx: Context, hearing_id: int | None, known: bool) -> Hearing | None:
    """The hearing if the resident may take part now; else the reason is replied."""
    resident = ctx.resident
    found = hearings.load(ctx.conn, hearing_id) if hearing_id is not None and known else None
    if found is None or found.stage == "draft":
        ctx.reply(m.text(ctx.t("hear_err_bad_button")))
        return None
    if resident is None or not resident.has_consented or resident.district is None:
        ctx.reply(m.text(ctx.t("hear_not_eligible")))
        return None
    if not found.includes(resident.district):
        ctx.reply(m.text(ctx.t("hear_err_not_in_scope", area=_area(ctx, found))))
        return None
    now = hearings.now(ctx.conn)
    if found.accepting(now):
        return found
    conversation.pop(ctx, STATE)
    if found.stage == "published":
        ctx.reply(m.text(ctx.t("hear_err_published", title=_title(ctx, found),
                               url=_results_url(ctx, found))))
    elif found.stage == "open" and now < found.opens_at:
        ctx.reply(m.text(ctx.t("hear_err_not_open_yet", title=_title(ctx, found),
                               opens=be_date(found.opens_at))))
    else:
        ctx.reply(m.text(ctx.t("hear_err_closed", title=_title(ctx, found))))
    return None


def on_text(ctx: Context, text: str) -> None:
    """Typed text while a question waits (``hearing`` state live): an open question's
    answer, a rating typed as a digit, or help for a choice question."""
    entry = conversation.get(ctx, STATE) or {}
    found = _usable(ctx, _int(str(entry.get("p", ""))), True)
    if found is None:
        return
    question = _question(ctx, found, _int(str(entry.get("q", ""))))
    if question is None:
        on_start(ctx, found, {})
        return
    body = intake.normalise(text)
    if question.kind == "open":
        ctx.show_loading()      # before any write: may suspend the event for the LINE call
        if len(body) > hearing_answers.TEXT_MAX:
            ask(ctx, found, question, ctx.t("hear_err_text_too_long",
                                            limit=hearing_answers.TEXT_MAX))
            return
        _raw, grouping = ctx.embed(body)
        _save(ctx, found, question, text=body, grouping=[float(x) for x in grouping],
              model_name=ctx.model_name)
    elif question.kind == "rating" and body.translate(THAI_DIGITS) in ("1", "2", "3", "4", "5"):
        _save(ctx, found, question, rating=int(body.translate(THAI_DIGITS)))
    else:
        ask(ctx, found, question, ctx.t("hear_choice_help"))


# --- asking --------------------------------------------------------------------------------


def _question(ctx: Context, found: Hearing, question_id: int | None) -> Question | None:
    return next((q for q in hearings.questions_of(ctx.conn, found.id) if q.id == question_id),
                None)


def _answer_text(ctx: Context, question: Question, answer: Answer) -> str:
    if question.kind == "open":
        return m.clip(answer.text_answer or "", 200)
    if question.is_choice:
        return ", ".join(question.options[c] for c in answer.choices or []
                         if 0 <= c < len(question.options))
    return ctx.t("hear_rating_value", value=answer.rating or 0)


def ask(ctx: Context, found: Hearing, question: Question, note: str | None = None,
        picks: list[int] | None = None) -> None:
    """Reply with one question (and a note above it) and wait for its answer."""
    assert ctx.resident is not None
    questions = hearings.questions_of(ctx.conn, found.id)
    answers = hearing_answers.answers_of(ctx.conn, found.id, ctx.resident.id)
    current = answers.get(question.id)
    if picks is None:
        picks = list(current.choices or []) if current and question.kind == "multi" else []
    conversation.put(ctx, STATE, p=found.id, q=question.id, picks=picks)
    lines = [note] if note else []
    lines.append(ctx.t("hear_question", n=question.position, total=len(questions),
                       prompt=question.prompt))
    if current is not None:
        lines.append(ctx.t("hear_current_answer", answer=_answer_text(ctx, question, current)))
    stop = _action(ctx.t("hear_stop_button"), _data("stop", found))
    if question.kind == "open":
        lines.append(ctx.t("hear_type_answer"))
        skip = _action(ctx.t("hear_skip_button"), _data("skip", found, q=question.id))
        ctx.reply(m.text("\n".join(lines), quick_reply=[skip, stop]))
    elif question.kind == "rating":
        lines.append(ctx.t("hear_rating_help"))
        quick = [_action(str(v), _data("ans", found, q=question.id, v=v)) for v in range(1, 6)]
        ctx.reply(m.text("\n".join(lines), quick_reply=[*quick, stop]))
    else:
        lines.append(ctx.t("hear_pick_one" if question.kind == "single" else "hear_pick_many"))
        ctx.reply(m.text("\n".join(lines), quick_reply=[stop]),
                  _choice_bubble(ctx, found, question, picks))


def _choice_bubble(ctx: Context, found: Hearing, question: Question, picks: list[int]) -> dict:
    """The options as Flex buttons: one tap answers a single choice; for several
    choices each tap toggles (✅ marks a picked option) and a last button confirms."""
    command = "ans" if question.kind == "single" else "tog"
    buttons = []
    for index, option in enumerate(question.options):
        picked = index in picks
        label = ("✅ " if picked else "") + option
        buttons.append(m.flex_button(_action(m.clip(label, 40), _data(command, found,
                                                                      q=question.id, o=index),
                                             m.clip(option, 300)),
                                     style="secondary" if picked else "primary"))
    if question.kind == "multi":
        buttons.append(m.flex_button(_action(ctx.t("hear_confirm_button"),
                                             _data("done", found, q=question.id)),
                                     style="secondary"))
    body = [m.flex_text(m.clip(question.prompt, 300), weight="bold", max_lines=6)]
    if question.kind == "multi":
        body.append(m.flex_text(ctx.tn("hear_picked_count", len(picks)), color=m.MUTED))
    alt = m.clip(ctx.t("hear_choice_alt", n=question.position, prompt=question.prompt), 400)
    return m.flex(alt, m.bubble(header=m.clip(_title(ctx, found), 60), body=body,
                                footer=buttons))


def _next_question(ctx: Context, found: Hearing, after: int = 0) -> Question | None:
    """The first unanswered question after position ``after`` (else from the start)."""
    assert ctx.resident is not None
    answers = hearing_answers.answers_of(ctx.conn, found.id, ctx.resident.id)
    open_ones = [q for q in hearings.questions_of(ctx.conn, found.id) if q.id not in answers]
    later = [q for q in open_ones if q.position > after]
    return (later or open_ones or [None])[0]


def _session_lines(ctx: Context, found: Hearing) -> tuple[list[str], list[dict]]:
    """Lines about the in-person session and its register/cancel quick reply."""
    assert ctx.resident is not None
    session = hearing_answers.session_of(ctx.conn, found.id)
    if session is None:
        return [], []
    left = max(session.capacity - session.registered, 0)
    lines = [ctx.t("hear_session", place=session.place, when=be_datetime(session.starts_at),
                   left=left, capacity=session.capacity)]
    if hearing_answers.is_registered(ctx.conn, session.id, ctx.resident.id):
        lines.append(ctx.t("hear_session_mine"))
        return lines, [_action(ctx.t("hear_unregister_button"), _data("unreg", found))]
    return lines, [_action(ctx.t("hear_register_button"), _data("reg", found))]


def _finished(ctx: Context, found: Hearing, note: str | None) -> None:
    """Every question answered: thanks, until when answers can change, the session."""
    conversation.pop(ctx, STATE)
    lines = [note] if note else []
    lines.append(ctx.t("hear_all_done", title=_title(ctx, found),
                       closes=be_datetime(found.closes_at)))
    more, quick = _session_lines(ctx, found)
    quick.insert(0, _action(ctx.t("hear_mine_button"), _data("mine", found)))
    ctx.reply(m.text("\n".join(lines + more), quick_reply=quick))


def _go_on(ctx: Context, found: Hearing, after: int, note: str | None) -> None:
    following = _next_question(ctx, found, after)
    if following is None:
        _finished(ctx, found, note)
    else:
        ask(ctx, found, following, note)


def _save(ctx: Context, found: Hearing, question: Question, **answer: Any) -> None:
    assert ctx.resident is not None
    try:
        first = hearing_answers.save(ctx.conn, question, ctx.resident.id, ctx.resident.district,
                                     **answer)
    except HearingError as exc:
        ask(ctx, found, question, ctx.t(f"hear_err_{exc.code}", **exc.values))
        return
    _go_on(ctx, found, question.position,
           ctx.t("hear_saved" if first else "hear_changed", n=question.position))


# --- steps ---------------------------------------------------------------------------------


def on_start(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    count = len(hearings.questions_of(ctx.conn, found.id))
    intro = ctx.t("hear_intro", title=_title(ctx, found), area=_area(ctx, found),
                  closes=be_datetime(found.closes_at), n=count)
    if found.intro:
        intro += "\n" + m.clip(found.intro, 1000)
    _go_on(ctx, found, 0, intro)


def _picked_question(ctx: Context, found: Hearing, values: dict[str, str]) -> Question | None:
    question = _question(ctx, found, _int(values.get("q")))
    if question is None:
        ctx.reply(m.text(ctx.t("hear_err_bad_button")))
    return question


def on_ask(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    question = _picked_question(ctx, found, values)
    if question is not None:
        ask(ctx, found, question)


def on_answer(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    """A single choice (``o``) or a rating (``v``) tapped."""
    question = _picked_question(ctx, found, values)
    if question is None:
        return
    option, rating = _int(values.get("o")), _int(values.get("v"))
    if question.kind == "single" and option is not None:
        _save(ctx, found, question, choices=[option])
    elif question.kind == "rating" and rating is not None:
        _save(ctx, found, question, rating=rating)
    else:
        ask(ctx, found, question, ctx.t("hear_err_bad_button"))


def on_toggle(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    """Toggle one option of a multiple-choice question (kept in the state until confirmed)."""
    question = _picked_question(ctx, found, values)
    option = _int(values.get("o"))
    if question is None:
        return
    if question.kind != "multi" or option is None or option >= len(question.options):
        ask(ctx, found, question, ctx.t("hear_err_bad_button"))
        return
    entry = conversation.get(ctx, STATE) or {}
    picks = [int(p) for p in entry.get("picks", []) if isinstance(p, int)] \
        if entry.get("q") == question.id else []
    picks = [p for p in picks if p != option] if option in picks else sorted([*picks, option])
    ctx.reply(m.text(ctx.tn("hear_picked_count", len(picks))),
              _choice_bubble(ctx, found, question, picks))
    conversation.put(ctx, STATE, p=found.id, q=question.id, picks=picks)


def on_done(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    """Confirm the options picked for a multiple-choice question."""
    question = _picked_question(ctx, found, values)
    if question is None:
        return
    entry = conversation.get(ctx, STATE) or {}
    picks = entry.get("picks") if entry.get("q") == question.id else None
    if not picks:
        ask(ctx, found, question, ctx.t("hear_err_bad_choice"), picks=[])
        return
    _save(ctx, found, question, choices=[int(p) for p in picks])


def on_skip(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    question = _picked_question(ctx, found, values)
    if question is None:
        return
    following = _next_question(ctx, found, question.position)
    if following is None or following.id == question.id:
        _finished(ctx, found, ctx.t("hear_skipped"))
    else:
        ask(ctx, found, following, ctx.t("hear_skipped"))


def on_stop(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    conversation.pop(ctx, STATE)
    ctx.reply(m.text(ctx.t("hear_stopped", closes=be_datetime(found.closes_at)),
                     quick_reply=[_action(ctx.t("hear_resume_button"), _data("start", found))]))


def on_mine(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    """My answers, each with a quick reply to change it (≤12 questions listed)."""
    assert ctx.resident is not None
    questions = hearings.questions_of(ctx.conn, found.id)
    answers = hearing_answers.answers_of(ctx.conn, found.id, ctx.resident.id)
    lines = [ctx.t("hear_mine_head", title=_title(ctx, found))]
    quick = []
    for question in questions:
        answer = answers.get(question.id)
        shown = _answer_text(ctx, question, answer) if answer else ctx.t("hear_not_answered")
        lines.append(f"{question.position}. {m.clip(question.prompt, 80)}\n   → {shown}")
        if len(quick) < m.QUICK_REPLY_MAX - 1:
            quick.append(_action(ctx.t("hear_change_button", n=question.position),
                                 _data("q", found, q=question.id)))
    ctx.reply(m.text("\n".join(lines), quick_reply=quick))


def on_register(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    assert ctx.resident is not None and ctx.user_id
    session = hearing_answers.session_of(ctx.conn, found.id)
    if session is None:
        ctx.reply(m.text(ctx.t("hear_err_bad_button")))
        return
    when = be_datetime(session.starts_at)
    reminder = [m.text(ctx.t("hear_reminder", title=_title(ctx, found), place=session.place,
                             when=when))]
    outcome = hearing_answers.register(ctx.conn, session.id, ctx.resident.id, ctx.user_id,
                                       reminder)
    ctx.reply(m.text(ctx.t(f"hear_register_{outcome}", place=session.place, when=when,
                           capacity=session.capacity)))


def on_unregister(ctx: Context, found: Hearing, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    session = hearing_answers.session_of(ctx.conn, found.id)
    done = session is not None and hearing_answers.unregister(ctx.conn, session.id,
                                                              ctx.resident.id)
    ctx.reply(m.text(ctx.t("hear_unregistered" if done else "hear_not_registered")))


def my_data_line(ctx: Context) -> str:
    """The "my data" lines about hearings (PDPA right of access): each hearing the resident
    answered, how many answers, and the session they registered for; "" when none."""
    assert ctx.resident is not None
    lines = []
    for part in hearing_answers.of_resident(ctx.conn, ctx.resident.id):
        title = part.title_en if ctx.language == "en" and part.title_en else part.title
        line = ctx.tn("hear_my_data_item", part.answers, title=m.clip(title, 80))
        if part.session_place and part.session_starts_at:
            line += ctx.t("hear_my_data_session", place=part.session_place,
                          when=be_datetime(part.session_starts_at))
        lines.append(line)
    return "\n".join(lines)


COMMANDS = {
    "start": on_start,
    "q": on_ask,
    "ans": on_answer,
    "tog": on_toggle,
    "done": on_done,
    "skip": on_skip,
    "stop": on_stop,
    "mine": on_mine,
    "reg": on_register,
    "unreg": on_unregister,
}
