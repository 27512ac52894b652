"""Helpers for the district city council tests (issue 18): a council with a meeting whose
question window is open now."""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import council, council_meetings
from pb.scope import Scope


def open_meeting(db: psycopg.Connection, district: str, *, opened: bool = True,
                 meets_in: dt.timedelta = dt.timedelta(days=2)) -> council.Meeting:
    """A council of ``district`` (one member) and a meeting whose window runs from an hour
    ago to tomorrow (opened unless ``opened`` is False). Commits."""
    system = Scope.system()
    now = dt.datetime.now(dt.timezone.utc)
    with db.transaction():
        found = council.council_of_district(db, district)
        council_id = found.id if found else council.create_council(
            db, system, district, f"สภาคนเมืองเขต{district}", dt.date(2025, 10, 1))
        if found is None:
            council.add_member(db, system, council_id, "นางสมใจ รักชุมชน", "ชุมชนริมคลอง",
                               dt.date(2025, 10, 1), dt.date(2027, 9, 30))
        meeting_id = council_meetings.create_meeting(
            db, system, council_id, meets_at=now + meets_in, place="ห้องประชุมสำนักงานเขต ชั้น 3",
            opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1))
        meeting = council.get_meeting(db, system, meeting_id)
        if opened:
            meeting = council_meetings.open_window(db, system, meeting_id, meeting.version)
    db.commit()
    return meeting


def hold(db: psycopg.Connection, meeting: council.Meeting) -> None:
    """Move the meeting (and its window) into the past: it took place. Commits."""
    db.execute("UPDATE council_meetings SET meets_at = now() - interval '1 hour' WHERE id = %s",
               (meeting.id,))
    db.execute("""UPDATE processes SET opens_at = now() - interval '3 days',
                         closes_at = now() - interval '2 hours' WHERE id = %s""",
               (meeting.process_id,))
    db.commit()
