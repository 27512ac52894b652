"""The staff dashboard at /admin/ (issue 16, finding 4): what an officer sees first,
within their districts only."""

from __future__ import annotations

import datetime as dt

from pb import abuse, dashboard
from pb.scope import Scope
from tests import voting_support as voting
from tests.admin_support import (HOME, OTHER, accounts, resident, seed_ideas,  # noqa: F401
                                 signed_in)


def _world(db, runtime):
    """Ideas, residents, an open round, projects and flagged ideas in HOME and OTHER."""
    seed_ideas(db, runtime, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"),
                             (HOME, "ไฟฟ้าส่องสว่างในซอยดับ มืดมาก"),
                             (HOME, "ทางเท้าแตกเดินลำบาก"),
                             (OTHER, "ขยะล้นถังริมคลองทุกวัน")])
    unclear = seed_ideas(db, runtime, [(HOME, "ๆๆๆ"), (OTHER, "??")])
    rude = seed_ideas(db, runtime, [(HOME, "ไอเดียที่มีคำไม่สุภาพ")])
    for idea_id in unclear.ideas:
        abuse.flag(db, idea_id, [], reason="unclear")
    abuse.flag(db, rude.ideas[0], ["คำ"])
    db.commit()
    people = [resident(db, f"U{n:032x}", HOME) for n in range(3)]
    resident(db, f"U{99:032x}", OTHER)
    ballot_project = voting.project(db, "ทางเท้าซอย 7 ทุ่งครุ", 400_000, HOME)
    other_project = voting.project(db, "ลานกีฬาบางรัก", 300_000, OTHER)
    round_id = voting.open_round(db, [ballot_project], district=HOME, quorum=5, k=1,
                                 title="โหวตทุ่งครุ 2569")
    voting.open_round(db, [other_project], district=OTHER, quorum=5, k=1, title="โหวตบางรัก 2569")
    for person in people[:2]:
        db.execute("INSERT INTO ballots (round_id, resident_id, source) VALUES (%s, %s, 'chat')",
                   (round_id, person))
    due = voting.project(db, "ซ่อมไฟถนนทุ่งครุ", 200_000, HOME, state="selected")
    voting.project(db, "ไฟถนนบางรักที่ต้องรายงาน", 200_000, OTHER, state="selected")
    db.commit()
    return {"round": round_id, "due": due}


def test_officer_dashboard_counts_their_district_only(db, clean, accounts):
    _world(db, clean)
    officer = Scope.for_staff(accounts["officer"], "สมชาย", "officer", [HOME])
    board = dashboard.load(db, officer)
    assert board.ideas_week == 5                 # 3 ideas, 1 unclear, 1 flagged rude
    assert len(board.ideas_by_day) == dashboard.DAYS_SHOWN
    assert board.residents == 3 and board.residents_new == 3
    assert [(r.title, r.ballots, r.quorum, r.percent_of_quorum) for r in board.open_rounds] == \
        [("โหวตทุ่งครุ 2569", 2, 5, 40)]
    assert board.projects_by_state == {"ready_for_vote": 1, "selected": 1}
    assert [(p.title, p.reports) for p in board.reports_due] == [("ซ่อมไฟถนนทุ่งครุ", 0)]
    assert board.flagged == {"abusive-word-list": 1, "unclear": 1}
    everyone = dashboard.load(db, Scope.system())
    assert everyone.ideas_week == 7 and everyone.residents == 4
    assert everyone.flagged == {"abusive-word-list": 1, "unclear": 2}
    assert len(everyone.open_rounds) == 2 and everyone.reports_due_total == 2


def test_dashboard_is_the_admin_home_page(db, clean, signed_in):
    world = _world(db, clean)
    officer = signed_in("officer")
    page = officer.get("/admin/")
    assert page.status_code == 200             # it was a redirect to the cluster list
    html = page.get_data(as_text=True)
    assert "แดชบอร์ด" in html
    assert "โหวตทุ่งครุ 2569" in html and "โหวตบางรัก 2569" not in html
    assert f"/admin/rounds/{world['round']}" in html
    assert f"/admin/progress/{world['due']}" in html
    assert "ซ่อมไฟถนนทุ่งครุ" in html and "ไฟถนนบางรักที่ต้องรายงาน" not in html
    assert html.count("<svg") >= 3             # ideas per day, turnout, projects by state
    assert 'role="img"' in html and "<title>" in html
    assert "/admin/flagged" in html               # flagged ideas are waiting


def test_sign_in_lands_on_the_dashboard(stack, accounts):
    from tests.admin_support import StaffClient

    staff = StaffClient(stack["app"], "")
    response = staff.login("somchai", "correct horse battery staple")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")


def test_dashboard_in_english(db, clean, signed_in):
    _world(db, clean)
    officer = signed_in("officer")
    officer.post("/admin/language", {"lang": "en", "next": "/admin/"})
    html = officer.get("/admin/").get_data(as_text=True)
    assert "Ideas this week" in html and "Progress reports due" in html
    assert "3 more ballots needed" in html
    assert "Thung Khru" in html                   # district names in English


def test_ideas_per_day_uses_bangkok_dates(db, clean):
    seeded = seed_ideas(db, clean, [(HOME, "ถนนพัง"), (HOME, "ไฟดับ")])
    # 23:30 Bangkok yesterday is 16:30 UTC yesterday; 00:30 Bangkok today is 17:30 UTC.
    today = dt.datetime.now(dashboard.BANGKOK).date()
    late = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 30),
                               tzinfo=dashboard.BANGKOK)
    early = dt.datetime.combine(today, dt.time(0, 30), tzinfo=dashboard.BANGKOK)
    for idea_id, at in zip(seeded.ideas, (late, early)):
        db.execute("UPDATE ideas SET created_at = %s WHERE id = %s", (at, idea_id))
    db.commit()
    by_day = dict(dashboard.ideas_by_day(db, Scope.system(), today))
    assert by_day[today] == 1 and by_day[today - dt.timedelta(days=1)] == 1
