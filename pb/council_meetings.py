"""Changing a district city council meeting: schedule it, open its question window, set
its agenda, publish its minutes and responses (issue 18; the reads are :mod:`pb.council`).

A meeting's call for questions is a ``processes`` row of kind ``council``
whose stage goes ``draft`` → ``open`` (:func:`open_window`) → ``closed`` (early, by
:func:`close_window`) → ``published`` (:func:`publish`). Every change takes a :class:`pb.scope.Scope`, checks the
meeting's version (a page left open never overwrites a newer change) and is
audited (:mod:`pb.audit`); the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import audit
from pb.council import (AGENDA_MAX, MINUTES_MAX, PLACE_MAX, CouncilConflict, CouncilError,
                        Meeting, get_council, get_meeting, meeting_title, required_text)
from pb.processes import fiscal_year_be
from pb.scope import Scope
from pb.thaidate import BANGKOK


def create_meeting(conn: psycopg.Connection, scope: Scope, council_id: int, *,
                   meets_at: dt.datetime, place: str, opens_at: dt.datetime,
                   closes_at: dt.datetime) -> int:
    """Schedule a meeting and its call for questions (a draft ``council`` process).

    Args:
        meets_at, opens_at, closes_at: timezone-aware; the question window must
            end no later than the meeting starts.

    Returns:
        the meeting id (audited as ``council.meeting_create``).

    Raises:
        CouncilError: ``place_required``, ``too_long``, ``bad_window``.
        ScopeError / ReadOnlyError.
    """
    council = get_council(conn, scope, council_id)
    scope.check(council.district, write=True)
    place = required_text(place, PLACE_MAX, "place_required")
    if not opens_at < closes_at <= meets_at:
        raise CouncilError("bad_window")
    process = conn.execute(
        """INSERT INTO processes (kind, title, district, fiscal_year, stage, opens_at, closes_at,
                                  created_by)
           VALUES ('council', %s, %s, %s, 'draft', %s, %s, %s) RETURNING id""",
        (meeting_title(council.district, meets_at), council.district,
         fiscal_year_be(meets_at.astimezone(BANGKOK).date()), opens_at, closes_at,
         scope.staff_id)).fetchone()
    assert process is not None
    row = conn.execute(
        """INSERT INTO council_meetings (council_id, process_id, meets_at, place)
           VALUES (%s, %s, %s, %s) RETURNING id""",
        (council_id, process[0], meets_at, place)).fetchone()
    assert row is not None
    audit.record(conn, scope, "council.meeting_create", "council_meeting", int(row[0]),
                 district=council.district,
                 after={"meets_at": meets_at.isoformat(), "place": place,
                        "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    return int(row[0])


def lock_meeting(conn: psycopg.Connection, scope: Scope, meeting_id: int, version: int
                 ) -> Meeting:
    """Lock a meeting for a change, checking the scope (write) and the version.

    Raises:
        ScopeError, ReadOnlyError, CouncilConflict.
    """
    conn.execute("SET LOCAL lock_timeout = '5s'")
    conn.execute("SELECT 1 FROM council_meetings WHERE id = %s FOR UPDATE", (meeting_id,))
    found = get_meeting(conn, scope, meeting_id)
    scope.check(found.district, write=True)
    if found.version != version:
        raise CouncilConflict(meeting_id)
    return found


def _bump(conn: psycopg.Connection, meeting_id: int) -> None:
    conn.execute("UPDATE council_meetings SET version = version + 1 WHERE id = %s", (meeting_id,))


def open_window(conn: psycopg.Connection, scope: Scope, meeting_id: int, version: int) -> Meeting:
    """Open a draft meeting's question window (audited as ``council.window_open``).

    The window runs from its ``opens_at`` (now if that has passed) to
    ``closes_at``. Inviting the district's residents is the caller's next
    step (an announcement, :mod:`pb.announcement_queue`).

    Raises:
        CouncilError: ``not_draft``, ``window_over`` (closes_at has passed).
        ScopeError, ReadOnlyError, CouncilConflict.
    """
    found = lock_meeting(conn, scope, meeting_id, version)
    if found.stage != "draft":
        raise CouncilError("not_draft")
    if found.closes_at <= dt.datetime.now(dt.timezone.utc):
        raise CouncilError("window_over")
    conn.execute("UPDATE processes SET stage = 'open' WHERE id = %s", (found.process_id,))
    _bump(conn, meeting_id)
    audit.record(conn, scope, "council.window_open", "council_meeting", meeting_id,
                 district=found.district, after={"stage": "open"})
    return get_meeting(conn, scope, meeting_id)


def close_window(conn: psycopg.Connection, scope: Scope, meeting_id: int, version: int
                 ) -> Meeting:
    """Close an open question window now, before its ``closes_at`` (audited as
    ``council.window_close``): no more questions or supports are taken; the agenda and
    the minutes are set as before. A window not started yet ends before it opens.

    Raises:
        CouncilError: ``not_open`` (a draft, closed or published meeting).
        ScopeError, ReadOnlyError, CouncilConflict.
    """
    found = lock_meeting(conn, scope, meeting_id, version)
    if found.stage != "open":
        raise CouncilError("not_open")
    conn.execute("""UPDATE processes SET stage = 'closed', closes_at = least(closes_at, now()),
                                         opens_at = least(opens_at, now())
                     WHERE id = %s""", (found.process_id,))
    _bump(conn, meeting_id)
    audit.record(conn, scope, "council.window_close", "council_meeting", meeting_id,
                 district=found.district, before={"closes_at": found.closes_at.isoformat()},
                 after={"stage": "closed"})
    return get_meeting(conn, scope, meeting_id)


def set_invitation(conn: psycopg.Connection, meeting_id: int, announcement_id: int) -> None:
    """Remember the announcement that invited the district's residents."""
    conn.execute("UPDATE council_meetings SET announcement_id = %s WHERE id = %s",
                 (announcement_id, meeting_id))


def save_agenda(conn: psycopg.Connection, scope: Scope, meeting_id: int, version: int,
                agenda: str, group_ids: list[int]) -> None:
    """Set the agenda: free text and the question groups on it, in the given order.

    Audited as ``council.agenda``.

    Raises:
        CouncilError: ``too_long``, ``published``. ScopeError, ReadOnlyError, CouncilConflict.
    """
    found = lock_meeting(conn, scope, meeting_id, version)
    if found.stage == "published":
        raise CouncilError("published")
    agenda = (agenda or "").strip()
    if len(agenda) > AGENDA_MAX:
        raise CouncilError("too_long", limit=AGENDA_MAX)
    conn.execute("UPDATE council_meetings SET agenda = %s WHERE id = %s", (agenda, meeting_id))
    conn.execute("""UPDATE council_question_groups SET on_agenda = false, agenda_order = NULL
                     WHERE process_id = %s""", (found.process_id,))
    for order, group_id in enumerate(group_ids, start=1):
        conn.execute("""UPDATE council_question_groups SET on_agenda = true, agenda_order = %s
                         WHERE id = %s AND process_id = %s""", (order, group_id, found.process_id))
    _bump(conn, meeting_id)
    audit.record(conn, scope, "council.agenda", "council_meeting", meeting_id,
                 district=found.district, before={"agenda": found.agenda},
                 after={"agenda": agenda, "groups": group_ids})


def publish(conn: psycopg.Connection, scope: Scope, meeting_id: int, version: int,
            minutes: str, responses: dict[int, tuple[str, str]]) -> Meeting:
    """Publish the minutes and a response per question group (audited as ``council.publish``).

    Telling the residents who asked or supported is the caller's next step
    (:func:`pb.council_questions.claim_response_notices`, in the same transaction).

    Args:
        responses: group id → (Thai response, English response or "").
            Every group of the meeting needs a Thai response.

    Raises:
        CouncilError: ``published``, ``not_held`` (the meeting is still ahead),
            ``minutes_required``, ``too_long``, ``response_required`` (with ``n``
            groups unanswered). ScopeError, ReadOnlyError, CouncilConflict.
    """
    found = lock_meeting(conn, scope, meeting_id, version)
    if found.stage == "published":
        raise CouncilError("published")
    if found.meets_at > dt.datetime.now(dt.timezone.utc):
        raise CouncilError("not_held")
    minutes = required_text(minutes, MINUTES_MAX, "minutes_required")
    group_ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM council_question_groups WHERE process_id = %s AND size > 0",
        (found.process_id,)).fetchall()]
    missing = [g for g in group_ids if not (responses.get(g, ("", ""))[0] or "").strip()]
    if missing:
        raise CouncilError("response_required", n=len(missing))
    for group_id in group_ids:
        th, en = responses[group_id]
        if len(th.strip()) > 4000 or len((en or "").strip()) > 4000:
            raise CouncilError("too_long", limit=4000)
        conn.execute("UPDATE council_question_groups SET response = %s, response_en = %s "
                     "WHERE id = %s", (th.strip(), (en or "").strip(), group_id))
    conn.execute("UPDATE council_meetings SET minutes = %s, published_at = now() WHERE id = %s",
                 (minutes, meeting_id))
    conn.execute("UPDATE processes SET stage = 'published' WHERE id = %s", (found.process_id,))
    _bump(conn, meeting_id)
    audit.record(conn, scope, "council.publish", "council_meeting", meeting_id,
                 district=found.district, after={"stage": "published", "groups": len(group_ids)})
    return get_meeting(conn, scope, meeting_id)
