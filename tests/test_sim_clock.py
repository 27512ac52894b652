"""The simulated clock (issue 17): a voting round opens and closes, and an announcement
waits out quiet hours, because the clock is moved forward, not slept through.

Real processes (gunicorn, a ``siang worker`` with its sweeper, the emulator) run with
``SIANG_CLOCK=database`` on a database where ``siang.simulate.clock.SimClock`` is installed.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from pb import announcement_queue, announcements as ann, ballots, clock as pb_clock, rounds
from pb.round_changes import create, open_round
from pb.scope import Scope
from pb.thaidate import BANGKOK
from tests.stack_support import HOME, Stack, stack_dir
from tests.voting_support import fields, project, resident

pytestmark = pytest.mark.slow
SYSTEM = Scope.system()


@pytest.fixture(scope="module")
def stack():
    stack = Stack(stack_dir("simclock"), workers=1, clock=True)
    yield stack
    stack.close()


def bangkok(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` Bangkok time ``days`` from today (real calendar)."""
    day = dt.datetime.now(BANGKOK).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


def follower(stack: Stack, conn: psycopg.Connection) -> str:
    user_id = stack.user()
    stack.sim.set_profile(user_id, "ผู้ทดสอบ", "th", following=True)
    resident(conn, user_id)
    return user_id


def test_sql_python_and_column_defaults_follow_the_simulated_clock(stack):
    stack.clock.set(bangkok(30, 10))
    with stack.connect() as conn:
        sim_now, real_now = conn.execute("SELECT now(), pg_catalog.now()").fetchone()
        assert abs((sim_now - bangkok(30, 10)).total_seconds()) < 5
        assert abs((real_now - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 5
        # A column default bound at CREATE TABLE time (pg_catalog.now()) was rebound.
        conn.execute("INSERT INTO residents (line_user_id) VALUES ('U' || repeat('0', 32))")
        created = conn.execute("SELECT created_at FROM residents WHERE line_user_id = "
                               "'U' || repeat('0', 32)").fetchone()[0]
        assert abs((created - sim_now).total_seconds()) < 5
        conn.execute("DELETE FROM residents")
    pb_clock.use_database(stack.database_url)
    try:
        assert abs((pb_clock.now() - bangkok(30, 10)).total_seconds()) < 5
        stack.clock.advance(3600)
        assert abs((pb_clock.now() - bangkok(30, 11)).total_seconds()) < 5
    finally:
        pb_clock.use_system()
    assert abs((pb_clock.now() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 1


def test_a_round_opens_and_closes_as_the_clock_moves(stack):
    stack.clock.set(bangkok(40, 10))
    with psycopg.connect(stack.database_url) as conn:
        voter = follower(stack, conn)
        ids = [project(conn, f"โครงการ {k}", 100_000 * (k + 1)) for k in range(3)]
        start = stack.clock.now()
        window = fields(ids, k=2)
        window.opens_at, window.closes_at = (start + dt.timedelta(days=1),
                                             start + dt.timedelta(days=8))
        with conn.transaction():
            round_id = create(conn, SYSTEM, window)
            open_round(conn, SYSTEM, round_id, 1)
        assert rounds.open_for(conn, HOME) == []                 # not yet: opens tomorrow
        conn.commit()

        stack.clock.advance(dt.timedelta(days=1, minutes=1).total_seconds())
        assert [r.id for r in rounds.open_for(conn, HOME)] == [round_id]
        conn.commit()
        notice = stack.wait(lambda: stack.answers(voter), 30, "the open notice")
        assert "โหวต" in str(notice[0]["message"])
        round_project = conn.execute("SELECT id FROM round_projects WHERE round_id = %s "
                                     "ORDER BY id LIMIT 1", (round_id,)).fetchone()[0]
        voter_id = conn.execute("SELECT id FROM residents WHERE line_user_id = %s",
                                (voter,)).fetchone()[0]
        with conn.transaction():
            ballots.cast(conn, round_id, [round_project], resident_id=voter_id, district=HOME)
        conn.commit()

        stack.clock.advance(dt.timedelta(days=7).total_seconds())
        state = stack.wait(lambda: rounds.load(conn, round_id).state == "tallied"
                           and conn.commit() is None, 30, "the close and the tally")
        assert state
        closed_at = conn.execute("SELECT closed_at FROM voting_rounds WHERE id = %s",
                                 (round_id,)).fetchone()[0]
        assert closed_at >= window.closes_at                     # simulated time, not real


def test_an_announcement_waits_out_quiet_hours(stack):
    night = bangkok(50, 22)
    stack.clock.set(night)
    with psycopg.connect(stack.database_url) as conn:
        user_id = follower(stack, conn)
        draft = ann.AnnouncementDraft(audience="district", district=HOME,
                                      text_th="ถนนซอย 5 ซ่อมเสร็จแล้วค่ะ")
        with conn.transaction():
            announcement_id = ann.create(conn, SYSTEM, draft)
            due = announcement_queue.queue(
                conn, SYSTEM, announcement_id, 1,
                lambda language: [{"type": "text", "text": draft.text_th}],
                now=stack.clock.now())
        conn.commit()
        assert due == []
        not_before = conn.execute("SELECT not_before FROM outbox WHERE announcement_id = %s",
                                  (announcement_id,)).fetchone()[0]
        assert not_before == bangkok(51, 8)
        conn.commit()

    stack.clock.set(bangkok(51, 7, 59))          # the sweeper's passes find nothing due yet
    with pytest.raises(AssertionError):
        stack.wait(lambda: stack.answers(user_id), 6, "nothing before 08:00")
    stack.clock.set(bangkok(51, 8, 1))
    sent = stack.wait(lambda: stack.answers(user_id), 30, "the announcement at 08:00")
    assert [m["message"]["text"] for m in sent] == ["ถนนซอย 5 ซ่อมเสร็จแล้วค่ะ"]
    assert sent[0]["via"] == "multicast"
