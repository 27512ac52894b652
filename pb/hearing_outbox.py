"""The outbox rows of a hearing: invitations to residents of its area, and the notice to
everyone who answered when the summary is published (:mod:`pb.hearings`).

Both are multicast rows (at most 500 user ids, the Messaging API limit; one language per
row), written in the staff member's transaction with ``not_before`` out of quiet hours;
the sweeper delivers them (``workers.delivery``), each with its own ``X-Line-Retry-Key``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import psycopg

from pb import announcements, outbox, rounds

Compose = Callable[[str], list[dict[str, Any]]]


def multicast(conn: psycopg.Connection, recipients: list[tuple[str, str]], compose: Compose,
              not_before: dt.datetime) -> list[int]:
    """Outbox multicast rows for (LINE user id, language) pairs: Thai or English, at most
    :data:`pb.announcements.BATCH_SIZE` (500, the Messaging API limit) user ids per row.

    Returns:
        the outbox ids written (enqueue their delivery after the commit; the sweeper
        delivers any missed once ``not_before`` has come).
    """
    by_language: dict[str, list[str]] = {}
    for user_id, language in recipients:
        by_language.setdefault("en" if language == "en" else "th", []).append(user_id)
    written: list[int] = []
    for language, users in sorted(by_language.items()):
        messages = compose(language)
        for start in range(0, len(users), announcements.BATCH_SIZE):
            written.append(outbox.add(conn, kind="multicast", messages=messages,
                                      not_before=not_before,
                                      recipients=users[start:start + announcements.BATCH_SIZE]))
    return written


def invitees(conn: psycopg.Connection, area: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """(LINE user id, language) of residents to invite to a hearing of ``area`` (its
    districts; None: the whole city): consenting, following, not opted out of news,
    living in the area (:func:`pb.rounds.residents_in_scope`)."""
    if area is None:
        return rounds.residents_in_scope(conn, None)
    return [pair for district in area for pair in rounds.residents_in_scope(conn, district)]


def answerers(conn: psycopg.Connection, hearing_id: int) -> list[tuple[str, str]]:
    """(LINE user id, language) of everyone who answered and can still be reached."""
    rows = conn.execute(
        f"""SELECT r.line_user_id, r.language FROM residents r
             WHERE r.id IN (SELECT resident_id FROM hearing_answers WHERE process_id = %s)
               AND {announcements.REACHABLE_SQL} ORDER BY r.id""", (hearing_id,)).fetchall()
    return [(r[0], r[1]) for r in rows]
