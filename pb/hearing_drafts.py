"""Changing a draft hearing (issue 18): title, area, dates, questions and session.

Only a ``draft`` can change: once a hearing is open, residents have been invited to
it and may have answered its questions, so its questions and area stay as they were.
The change checks the scope of the area before and after (an officer cannot move a
hearing into or out of districts they do not reach), carries the ``version`` the page
showed and is audited as ``hearing.edit``. The caller owns the transaction.

:func:`fields_of_hearing` gives back what staff typed (the form's starting values);
:func:`pb.hearing_questions.questions_text` writes the questions in the form's syntax.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import audit
from pb.hearing_answers import session_of
from pb.hearing_questions import HearingError, QuestionDraft, SessionDraft
from pb.hearings import (Hearing, HearingFields, checked, insert_questions, lock_for_change,
                         questions_of)
from pb.processes import fiscal_year_be
from pb.scope import Scope
from pb.thaidate import BANGKOK


def area_of(found: Hearing) -> str:
    """The form's area value of a hearing: a district, ``group:<name>`` or ``city``."""
    if found.group:
        return f"group:{found.group}"
    if found.district:
        return found.district
    return "city"


def fields_of_hearing(conn: psycopg.Connection, found: Hearing) -> HearingFields:
    """What staff typed for ``found`` (its questions, session and Bangkok dates).

    The closing date is the last day answers are taken (``closes_at`` is midnight
    after it, :func:`pb.hearings.checked`).
    """
    session = session_of(conn, found.id)
    return HearingFields(
        title=found.title, title_en=found.title_en, intro=found.intro, area=area_of(found),
        opens_on=found.opens_at.astimezone(BANGKOK).date(),
        closes_on=(found.closes_at.astimezone(BANGKOK) - dt.timedelta(microseconds=1)).date(),
        questions=[QuestionDraft(q.kind, q.prompt, list(q.options))
                   for q in questions_of(conn, found.id)],
        session=(SessionDraft(session.place, session.starts_at, session.capacity)
                 if session is not None else None))


def update(conn: psycopg.Connection, scope: Scope, hearing_id: int, version: int,
           fields: HearingFields) -> None:
    """Replace a draft hearing's title, area, dates, questions and session.

    Audited as ``hearing.edit`` (before and after: title, area, dates, questions,
    session). The caller owns the transaction.

    Raises:
        HearingError: ``not_draft_edit`` (opened already), and the input checks of
            :func:`pb.hearings.checked` and :mod:`pb.hearing_questions`.
        HearingConflict: the hearing changed since ``version``.
        ScopeError, ReadOnlyError: the hearing's area, or the new one, is outside the
            staff member's scope.
    """
    found = lock_for_change(conn, scope, hearing_id, version)
    if found.stage != "draft":
        raise HearingError("not_draft_edit")
    title, district, scope_districts, opens_at, closes_at = checked(scope, fields)
    answered = conn.execute("SELECT 1 FROM hearing_answers WHERE process_id = %s LIMIT 1",
                            (hearing_id,)).fetchone()
    if answered is not None:             # a draft is never answered; guard the questions
        raise HearingError("not_draft_edit")
    before = _summary(fields_of_hearing(conn, found))
    conn.execute(
        """UPDATE processes SET title = %s, district = %s, scope_districts = %s,
                                fiscal_year = %s, opens_at = %s, closes_at = %s
            WHERE id = %s""",
        (title, district, scope_districts, fiscal_year_be(fields.opens_on), opens_at, closes_at,
         hearing_id))
    conn.execute("UPDATE hearing_info SET title_en = %s, intro = %s, version = version + 1 "
                 "WHERE process_id = %s",
                 (fields.title_en.strip(), fields.intro.strip(), hearing_id))
    conn.execute("DELETE FROM hearing_sessions WHERE process_id = %s", (hearing_id,))
    conn.execute("DELETE FROM hearing_questions WHERE process_id = %s", (hearing_id,))
    insert_questions(conn, hearing_id, fields)
    audit.record(conn, scope, "hearing.edit", "hearing", hearing_id, district=district,
                 before=before, after=_summary(fields, title))


def _summary(fields: HearingFields, title: str | None = None) -> dict:
    """What the audit log keeps of a hearing's fields (no resident data)."""
    return {"title": title if title is not None else fields.title, "area": fields.area,
            "opens_on": fields.opens_on.isoformat(), "closes_on": fields.closes_on.isoformat(),
            "questions": [q.prompt for q in fields.questions],
            "session": (f"{fields.session.place} {fields.session.starts_at.isoformat()} "
                        f"({fields.session.capacity})" if fields.session else None)}
