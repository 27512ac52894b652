"""The notices of a hearing (:mod:`pb.hearings`): who they go to (the residents of its
area it invites, everyone who answered when the summary is published) and writing them
(:func:`notify`: multicast rows by :func:`pb.multicast.write`, ≤500 user ids a row, one
language a row, out of quiet hours, tagged for "Messages sent").
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import announcements, multicast, rounds
from pb.multicast import Compose


def notify(conn: psycopg.Connection, hearing_id: int, district: str | None,
           people: list[tuple[str, str]], compose: Compose, at: dt.datetime, topic: str
           ) -> list[int]:
    """Write a notice of hearing ``hearing_id`` to ``people`` ((LINE user id, language)
    pairs), sent not before ``at`` moved out of quiet hours, tagged ``topic``
    (``hearing_invite``, ``hearing_summary``) for the hearing's district (None: a
    district group or the city).

    Returns:
        the outbox ids written (enqueue their delivery after the commit; the sweeper
        delivers any missed once they are due).
    """
    return multicast.ids(multicast.write(
        conn, people, compose, not_before=multicast.quiet_start(at), topic=topic,
        district=district, process_id=hearing_id))


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
