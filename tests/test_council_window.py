"""Gaps in the district city council after the first pass (issue 18, H-G1): staff close a
question window early (scoped, audited, versioned; the resident is then told it is
closed), and the demo seed meets in every month of the fiscal year so far, so the
``council_monthly`` indicator is met by the seeded district."""

from __future__ import annotations

import datetime as dt

from pb import audit, council
from pb.processes import fiscal_year_be
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401
from tests.council_support import open_meeting
from tests.test_admin_scope import ROUTES


def test_close_route_is_classified():
    assert ROUTES["admin.council.close_window"] == "write"


def test_officer_closes_the_question_window_early(stack, db, chat, signed_in):
    meeting = open_meeting(db, HOME)
    other = open_meeting(db, OTHER)
    alice = chat.onboarded(HOME)
    assert [i.id for i in council.open_items(db, HOME)] == [meeting.process_id]
    db.commit()
    officer = signed_in("officer")
    page = officer.get(f"/admin/council/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/admin/council/meetings/{meeting.id}/close" in page
    url = f"/admin/council/meetings/{meeting.id}/close"
    assert officer.post(url, {"version": str(meeting.version - 1)}).status_code == 303  # stale
    assert council.meeting_of_process(db, meeting.process_id).stage == "open"
    db.commit()
    assert officer.post(url, {"version": str(meeting.version)}).status_code == 303
    closed = council.meeting_of_process(db, meeting.process_id)
    now = db.execute("SELECT now()").fetchone()[0]
    db.commit()
    assert closed.stage == "closed" and closed.closes_at <= now
    assert closed.window(now) == "closed" and council.open_items(db, HOME) == []
    db.commit()
    entry = audit.entries(db, action="council.window_close")[0]
    assert entry.target_id == meeting.id and entry.after == {"stage": "closed"}
    page = officer.get(f"/admin/council/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/admin/council/meetings/{meeting.id}/close" not in page
    again = officer.post(url, {"version": str(closed.version)})
    assert again.status_code == 303
    assert len(audit.entries(db, action="council.window_close")) == 1
    said = alice.tap_data(f"a=council&c=ask&p={meeting.process_id}")
    assert any("ปิดรับคำถามสำหรับการประชุม" in text for text in said)
    # Another district's window: not found; a viewer may not close anything.
    other_url = f"/admin/council/meetings/{other.id}/close"
    assert officer.post(other_url, {"version": str(other.version)}).status_code == 404
    assert signed_in("viewer").post(other_url, {"version": str(other.version)}).status_code == 403
    assert council.meeting_of_process(db, other.process_id).stage == "open"
    db.commit()


def test_monthly_dates_cover_every_month_so_far():
    from siang.seeds.council import monthly_dates

    today = dt.datetime(2026, 12, 4, 0, 13, tzinfo=BANGKOK)
    skip = today - dt.timedelta(days=30)                      # 4 Nov: the meeting with questions
    dates = monthly_dates(today, skip)
    assert [(d.month, d.day) for d in dates] == [(10, 15), (12, 1)]
    assert all(d < today for d in dates)
    early = dt.datetime(2026, 10, 1, 0, 30, tzinfo=BANGKOK)  # the first half hour of the year
    (only,) = monthly_dates(early, early - dt.timedelta(days=30))
    assert only.date() == early.date() and only < early
    late = dt.datetime(2027, 9, 30, 20, 0, tzinfo=BANGKOK)
    assert len(monthly_dates(late, late - dt.timedelta(days=30))) == 11


def test_demo_seed_meets_every_month(db):
    from siang.seeds import council as council_seed

    with db.transaction():
        made = council_seed.seed(db, ["จตุจักร"])
    today = dt.datetime.now(BANGKOK).date()
    fy = fiscal_year_be(today)
    monthly = council.indicator_monthly(db, fy)
    assert monthly.districts_met == {"จตุจักร"}, monthly
    found = council.council_of_district(db, "จตุจักร")
    held = [g for g in council.meetings_of(db, found.id)
            if g.meets_at.astimezone(BANGKOK).date() <= today]
    months = {(g.meets_at.astimezone(BANGKOK).year, g.meets_at.astimezone(BANGKOK).month)
              for g in held}
    assert len(months) >= monthly.detail["months"] and made["meetings"] == found.meetings
    public = council.public_meetings(db, found.id)
    assert all(g.minutes for g in public if g.stage == "published")
