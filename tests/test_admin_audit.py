"""The audit log read by people (issue 16, finding 2): actions in words, Thai as Thai,
before/after as a table of changes, filters in the staff member's language, and
officers reading their own districts' entries."""

from __future__ import annotations

import datetime as dt

from pb import audit
from pb.scope import Scope
from tests import voting_support as voting
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401


def _entries(db):
    """A Thai rename in HOME and in OTHER, and a voting round opened in HOME."""
    with db.transaction():
        audit.record(db, Scope.system(), "cluster.rename", "cluster", 11, district=HOME,
                     before={"label": "ถนนพัง"}, after={"label": "ถนนซอยประชาอุทิศพัง"})
        audit.record(db, Scope.system(), "cluster.rename", "cluster", 12, district=OTHER,
                     before={"label": "ขยะ"}, after={"label": "ขยะล้นริมคลองบางรัก"})
    db.commit()
    project = voting.project(db, "ทางเท้าซอย 7", 400_000, HOME)
    return voting.open_round(db, [project], district=HOME, k=1)


def test_thai_is_shown_as_thai_with_a_diff(db, signed_in):
    _entries(db)
    html = signed_in("admin").get("/admin/audit").get_data(as_text=True)
    assert "ถนนซอยประชาอุทิศพัง" in html and "\\u0e" not in html
    assert '<table class="diff">' in html
    assert "<del>ถนนพัง</del>" in html and "<ins>ถนนซอยประชาอุทิศพัง</ins>" in html
    assert ">round.open<" not in html and "round.open</small>" not in html
    assert "เปิดรอบการโหวต" in html                     # "opened a voting round"
    assert "สถานะ" in html                              # the field "State", in Thai


def test_actions_and_filters_in_english(db, signed_in):
    _entries(db)
    admin = signed_in("admin")
    admin.post("/admin/language", {"lang": "en", "next": "/admin/audit"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "opened a voting round" in html and "renamed a cluster" in html
    assert "Open" in html and "Draft" in html            # states in words
    assert "District" in html and "Thung Khru" in html   # the district filter, in English


def test_filters_by_district_action_and_date(db, signed_in):
    _entries(db)
    admin = signed_in("admin")
    html = admin.get(f"/admin/audit?district={OTHER}").get_data(as_text=True)
    assert "ขยะล้นริมคลองบางรัก" in html and "ถนนซอยประชาอุทิศพัง" not in html
    html = admin.get("/admin/audit?action=round.").get_data(as_text=True)
    assert "ถนนซอยประชาอุทิศพัง" not in html and "เปิดรอบการโหวต" in html
    today = dt.date.today()
    later = (today + dt.timedelta(days=2)).isoformat()
    assert "ถนนซอยประชาอุทิศพัง" not in admin.get(f"/admin/audit?since={later}").get_data(
        as_text=True)
    earlier = (today - dt.timedelta(days=2)).isoformat()
    assert "ถนนซอยประชาอุทิศพัง" in admin.get(
        f"/admin/audit?since={earlier}&until={later}").get_data(as_text=True)
    assert admin.get("/admin/audit?since=31/12/2568").status_code == 400


def test_officers_read_their_districts_entries(db, accounts, signed_in):
    _entries(db)
    officer = signed_in("officer")
    response = officer.get("/admin/audit")
    assert response.status_code == 200                   # it was 403
    html = response.get_data(as_text=True)
    assert "ถนนซอยประชาอุทิศพัง" in html and "ขยะล้นริมคลองบางรัก" not in html
    assert "เปิดรอบการโหวต" in html
    assert "สร้างบัญชีเจ้าหน้าที่" not in html             # other people's accounts: admins only
    viewer = signed_in("viewer")
    assert viewer.get("/admin/audit").status_code == 200
    scoped = audit.entries(db, scope=Scope.for_staff(accounts["officer"], "x", "officer", [HOME]))
    assert {e.district for e in scoped} == {HOME, None}
    assert all(e.staff_id == accounts["officer"] for e in scoped if e.district is None)


def test_every_logged_action_has_words():
    """Every action code Siang records reads as words, in both languages."""
    import re
    from pathlib import Path

    from admin.audit import ACTIONS

    root = Path(__file__).resolve().parents[1]
    codes = set()
    for path in list((root / "pb").glob("*.py")) + list((root / "admin").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\((.{0,300}?)\)", text, re.S):
            codes.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call.group(1)))
    dynamic = {"idea.hidden", "idea.spam", "idea.flag_publish", "idea.flag_hidden",
               "idea.flag_spam", "export.ideas", "export.clusters", "export.projects",
               "export.results"}
    missing = sorted((codes | dynamic) - set(ACTIONS))
    assert missing == [], f"give these audit actions words in admin/audit.py: {missing}"
