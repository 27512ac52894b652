"""A resident's side of a hearing: answers (changeable until the close) and the session.

One answer per resident and question (``hearing_answers``, unique): a later answer
replaces the earlier one and counts a change. Open-text answers keep their grouping
vector (:mod:`nlp.represent`, computed by the worker when the answer arrives) so the
results group them as ideas are grouped (:mod:`pb.hearing_results`).

Registering for the in-person session respects its capacity (the session row is locked
while counting) and writes the reminder as a push row in the outbox due at 09:00
Bangkok time the day before the session (:func:`reminder_time`); cancelling the
registration cancels the reminder. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import outbox
from pb.hearing_questions import HearingError, Question
from pb.thaidate import BANGKOK

TEXT_MAX = 2000
REMINDER_AT = dt.time(9, 0)          # Bangkok time, the day before the session


@dataclass
class Answer:
    question_id: int
    text_answer: str | None
    choices: list[int] | None
    rating: int | None
    changes: int
    updated_at: dt.datetime


@dataclass
class Session:
    id: int
    process_id: int
    place: str
    starts_at: dt.datetime
    capacity: int
    registered: int


def answers_of(conn: psycopg.Connection, hearing_id: int, resident_id: int
               ) -> dict[int, Answer]:
    """The resident's answers to a hearing, by question id."""
    with conn.cursor(row_factory=class_row(Answer)) as cur:
        cur.execute("""SELECT question_id, text_answer, choices, rating, changes, updated_at
                         FROM hearing_answers WHERE process_id = %s AND resident_id = %s""",
                    (hearing_id, resident_id))
        return {a.question_id: a for a in cur.fetchall()}


def check(question: Question, *, text: str | None = None, choices: list[int] | None = None,
          rating: int | None = None) -> None:
    """Raise unless the answer fits the question's kind.

    Raises:
        HearingError: ``empty_text``, ``text_too_long``, ``bad_choice``, ``bad_rating``.
    """
    if question.kind == "open":
        if not text or not text.strip():
            raise HearingError("empty_text")
        if len(text) > TEXT_MAX:
            raise HearingError("text_too_long", limit=TEXT_MAX)
    elif question.is_choice:
        picked = choices or []
        if not picked or len(set(picked)) != len(picked) \
                or any(not 0 <= c < len(question.options) for c in picked) \
                or (question.kind == "single" and len(picked) != 1):
            raise HearingError("bad_choice")
    elif rating is None or not 1 <= rating <= 5:
        raise HearingError("bad_rating")


def save(conn: psycopg.Connection, question: Question, resident_id: int, district: str | None,
         *, text: str | None = None, choices: list[int] | None = None,
         rating: int | None = None, grouping: list[float] | None = None,
         model_name: str | None = None) -> bool:
    """Store or replace the resident's answer to ``question``.

    Args:
        grouping: the open answer's grouping vector (d,) as floats, with the
            embedder's ``model_name``.

    Returns:
        True for a first answer, False when it replaced one.

    Raises:
        HearingError: as :func:`check`.
    """
    check(question, text=text, choices=choices, rating=rating)
    row = conn.execute(
        """INSERT INTO hearing_answers (process_id, question_id, resident_id, district,
                                        text_answer, choices, rating, grouping, model_name)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (question_id, resident_id) DO UPDATE
              SET text_answer = excluded.text_answer, choices = excluded.choices,
                  rating = excluded.rating, grouping = excluded.grouping,
                  model_name = excluded.model_name, district = excluded.district,
                  changes = hearing_answers.changes + 1, updated_at = now()
           RETURNING changes = 0""",
        (question.process_id, question.id, resident_id, district,
         text.strip() if text else None, sorted(choices) if choices else None, rating,
         grouping, model_name)).fetchone()
    assert row is not None
    return bool(row[0])


# --- the in-person session ---------------------------------------------------------------


_SESSION = """SELECT s.id, s.process_id, s.place, s.starts_at, s.capacity,
                     (SELECT count(*) FROM hearing_registrations r WHERE r.session_id = s.id)
                       AS registered
                FROM hearing_sessions s"""


def session_of(conn: psycopg.Connection, hearing_id: int) -> Session | None:
    """The hearing's in-person session (the first, if staff made several), or None."""
    with conn.cursor(row_factory=class_row(Session)) as cur:
        cur.execute(f"{_SESSION} WHERE s.process_id = %s ORDER BY s.starts_at, s.id LIMIT 1",
                    (hearing_id,))
        return cur.fetchone()


def is_registered(conn: psycopg.Connection, session_id: int, resident_id: int) -> bool:
    return conn.execute("SELECT 1 FROM hearing_registrations WHERE session_id = %s "
                        "AND resident_id = %s", (session_id, resident_id)).fetchone() is not None


def reminder_time(starts_at: dt.datetime) -> dt.datetime:
    """09:00 Bangkok time on the day before the session (outside quiet hours)."""
    day = starts_at.astimezone(BANGKOK).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, REMINDER_AT, tzinfo=BANGKOK)


def register(conn: psycopg.Connection, session_id: int, resident_id: int, line_user_id: str,
             reminder: list[dict[str, Any]]) -> str:
    """Register a resident for a session, within its capacity.

    Args:
        reminder: the LINE messages of the reminder push (1–5), in the resident's
            language; written only when :func:`reminder_time` is still ahead.

    Returns:
        ``registered``, ``already`` (nothing changed), ``full`` or ``past`` (the
        session has started).
    """
    row = conn.execute("SELECT starts_at, capacity, now() FROM hearing_sessions WHERE id = %s "
                       "FOR UPDATE", (session_id,)).fetchone()
    assert row is not None
    starts_at, capacity, current = row
    if starts_at <= current:
        return "past"
    if is_registered(conn, session_id, resident_id):
        return "already"
    taken = conn.execute("SELECT count(*) FROM hearing_registrations WHERE session_id = %s",
                         (session_id,)).fetchone()
    if taken is not None and int(taken[0]) >= capacity:
        return "full"
    due = reminder_time(starts_at)
    reminder_id = (outbox.add(conn, kind="push", messages=reminder, resident_id=resident_id,
                              recipients=[line_user_id], not_before=due)
                   if due > current else None)
    conn.execute("INSERT INTO hearing_registrations (session_id, resident_id, reminder_outbox_id) "
                 "VALUES (%s, %s, %s)", (session_id, resident_id, reminder_id))
    return "registered"


def _cancel_reminders(conn: psycopg.Connection, where: str, value: int) -> None:
    """Cancel the unsent reminders of registrations matching ``where`` (a constant)."""
    conn.execute(
        f"""UPDATE outbox SET state = 'failed', error = 'registration cancelled'
             WHERE state = 'pending' AND id IN (
                   SELECT reminder_outbox_id FROM hearing_registrations WHERE {where} = %s)""",
        (value,))


def unregister(conn: psycopg.Connection, session_id: int, resident_id: int) -> bool:
    """Cancel a registration and its reminder; False if there was none."""
    row = conn.execute("SELECT id FROM hearing_registrations WHERE session_id = %s "
                       "AND resident_id = %s", (session_id, resident_id)).fetchone()
    if row is None:
        return False
    _cancel_reminders(conn, "id", int(row[0]))
    conn.execute("DELETE FROM hearing_registrations WHERE id = %s", (row[0],))
    return True


@dataclass
class Participation:
    """A resident's part in one hearing (what "my data" lists)."""

    hearing_id: int
    title: str
    title_en: str
    answers: int                      # questions answered
    session_place: str | None         # the session registered for, if any
    session_starts_at: dt.datetime | None


def of_resident(conn: psycopg.Connection, resident_id: int) -> list[Participation]:
    """The hearings a resident answered or registered for, newest first (PDPA right of
    access: the "my data" summary)."""
    with conn.cursor(row_factory=class_row(Participation)) as cur:
        cur.execute(
            """SELECT p.id AS hearing_id, p.title,
                      coalesce((SELECT h.title_en FROM hearing_info h
                                 WHERE h.process_id = p.id), '') AS title_en,
                      (SELECT count(*) FROM hearing_answers a
                        WHERE a.process_id = p.id AND a.resident_id = %(r)s)::int AS answers,
                      s.place AS session_place, s.starts_at AS session_starts_at
                 FROM processes p
                 LEFT JOIN hearing_sessions s ON s.process_id = p.id AND EXISTS (
                      SELECT 1 FROM hearing_registrations g
                       WHERE g.session_id = s.id AND g.resident_id = %(r)s)
                WHERE p.kind = 'hearing' AND (s.id IS NOT NULL OR EXISTS (
                      SELECT 1 FROM hearing_answers a
                       WHERE a.process_id = p.id AND a.resident_id = %(r)s))
                ORDER BY p.id DESC""", {"r": resident_id})
        return cur.fetchall()


def erase_resident(conn: psycopg.Connection, resident_id: int, mode: str) -> tuple[int, int]:
    """Erase-my-data (PDPA) for hearings: registrations (and unsent reminders) go; answers
    go with ``mode`` "delete", or stay unlinked from the resident with "anonymise".

    Returns:
        (answers deleted or unlinked, registrations deleted).
    """
    _cancel_reminders(conn, "resident_id", resident_id)
    registrations = conn.execute("DELETE FROM hearing_registrations WHERE resident_id = %s",
                                 (resident_id,)).rowcount
    if mode == "delete":
        answers = conn.execute("DELETE FROM hearing_answers WHERE resident_id = %s",
                               (resident_id,)).rowcount
    else:
        answers = conn.execute("UPDATE hearing_answers SET resident_id = NULL "
                               "WHERE resident_id = %s", (resident_id,)).rowcount
    return max(answers, 0), max(registrations, 0)
