"""Gaps in district hearings after the first pass (issue 18, H-G1): staff edit a draft
hearing (and only a draft, only in their scope), a hearing past its closing date shows as
closed, "my data" lists a resident's hearing answers and session registration, and the
BMA's six district groups hold every district exactly once."""

from __future__ import annotations

import datetime as dt

from pb import audit, districts, hearings
from pb.scope import Scope
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401
from tests.hearing_support import make_hearing, start_data
from tests.test_admin_scope import ROUTES
from tests.test_resident_privacy import privacy


def _version(db, hearing_id: int) -> int:
    version = hearings.load(db, hearing_id).version
    db.commit()
    return version


EDIT = {"title": "รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ ปี 2570", "area": HOME,
        "opens_on": "01/10/2569", "closes_on": "30/09/2600",
        "questions": "เปิด: ข้อเสนอของท่าน\nเลือกหนึ่ง: เรื่องเร่งด่วน | น้ำท่วม | ขยะ | ไฟฟ้า",
        "session_place": "ลานกีฬาชุมชน", "session_at": "01/01/2600 17:00",
        "session_capacity": "40"}


def test_edit_route_is_classified():
    assert ROUTES["admin.hearings.edit"] == "write"


def test_officer_edits_a_draft_hearing(stack, db, signed_in):
    hearing_id = make_hearing(db, HOME, open_it=False, capacity=10)
    officer = signed_in("officer")
    page = officer.get(f"/admin/hearings/{hearing_id}").get_data(as_text=True)
    assert f"/admin/hearings/{hearing_id}/edit" in page
    form = officer.get(f"/admin/hearings/{hearing_id}/edit").get_data(as_text=True)
    assert "เลือกหนึ่ง: ปัญหาใดกระทบท่านมากที่สุด | น้ำท่วม | ขยะ | ทางเท้า" in form
    assert "ห้องประชุมสำนักงานเขต ชั้น 2" in form and 'name="version" value="1"' in form
    bad = officer.post(f"/admin/hearings/{hearing_id}/edit",
                       {**EDIT, "version": "1", "questions": "อะไรนะ: ไม่รู้"})
    assert bad.status_code == 400
    response = officer.post(f"/admin/hearings/{hearing_id}/edit", {**EDIT, "version": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    found = hearings.load(db, hearing_id)
    questions = hearings.questions_of(db, hearing_id)
    session = db.execute("SELECT place, capacity FROM hearing_sessions WHERE process_id = %s",
                         (hearing_id,)).fetchall()
    db.commit()
    assert found.title == EDIT["title"] and found.version == 2 and found.fiscal_year == 2570
    assert [(q.kind, q.prompt, q.options) for q in questions] == [
        ("open", "ข้อเสนอของท่าน", []), ("single", "เรื่องเร่งด่วน", ["น้ำท่วม", "ขยะ", "ไฟฟ้า"])]
    assert session == [("ลานกีฬาชุมชน", 40)]
    entry = audit.entries(db, action="hearing.edit")[0]
    assert entry.target_id == hearing_id and entry.after["title"] == EDIT["title"]
    # A stale page (version 1) changes nothing.
    stale = officer.post(f"/admin/hearings/{hearing_id}/edit", {**EDIT, "version": "1",
                                                                  "title": "ชื่อเก่า"})
    assert stale.status_code == 400 and hearings.load(db, hearing_id).title == EDIT["title"]
    db.commit()
    # Moving it to a district the officer does not reach is refused.
    moved = officer.post(f"/admin/hearings/{hearing_id}/edit",
                         {**EDIT, "version": "2", "area": OTHER})
    assert moved.status_code == 404 and hearings.load(db, hearing_id).district == HOME
    db.commit()


def test_only_a_draft_can_be_edited_and_only_in_scope(stack, db, signed_in):
    opened = make_hearing(db, HOME)
    other = make_hearing(db, OTHER, open_it=False)
    officer = signed_in("officer")
    response = officer.post(f"/admin/hearings/{opened}/edit",
                            {**EDIT, "version": str(_version(db, opened))})
    assert response.status_code == 303
    assert hearings.load(db, opened).title != EDIT["title"]
    db.commit()
    assert officer.client.get(f"/admin/hearings/{other}/edit").status_code == 404
    assert officer.post(f"/admin/hearings/{other}/edit",
                        {**EDIT, "area": OTHER, "version": "1"}).status_code == 404
    viewer = signed_in("viewer")
    assert viewer.client.get(f"/admin/hearings/{other}/edit").status_code == 403
    assert hearings.load(db, other).version == 1
    db.commit()
    assert audit.entries(db, action="hearing.edit") == []


def test_a_hearing_past_its_closing_date_shows_as_closed(stack, db, signed_in):
    hearing_id = make_hearing(db, HOME)
    db.execute("UPDATE processes SET closes_at = now() - interval '1 hour' WHERE id = %s",
               (hearing_id,))
    db.commit()
    assert hearings.load(db, hearing_id).stage == "open"          # nobody closed it
    db.commit()
    officer = signed_in("officer")
    listing = officer.get("/admin/hearings").get_data(as_text=True)
    row = listing.split(f"/admin/hearings/{hearing_id}\"")[1].split("</tr>")[0]
    assert "ปิดรับความคิดเห็นแล้ว" in row and "เปิดรับความคิดเห็น<" not in row
    page = officer.get(f"/admin/hearings/{hearing_id}").get_data(as_text=True)
    badge = page.split('class="badge">')[1].split("<")[0]
    assert badge == "ปิดรับความคิดเห็นแล้ว"
    assert f"/admin/hearings/{hearing_id}/close" not in page       # nothing left to close
    assert f"/admin/hearings/{hearing_id}/publish" in page          # the summary can go out


def test_my_data_lists_hearing_answers_and_registration(db, chat):
    nok = chat.onboarded(HOME)
    hearing_id = make_hearing(db, HOME, capacity=20,
                              title="รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ")
    nok.tap_data(start_data(hearing_id))
    nok.say("อยากให้ขุดลอกท่อระบายน้ำก่อนหน้าฝน")
    nok.tap_button("ขยะ")
    nok.tap_data(f"a=hear&c=reg&p={hearing_id}")
    privacy(nok, "ข้อมูลของฉัน")
    said = nok.said_last
    assert "การรับฟังความคิดเห็น “รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ”: ตอบไว้ 2 ข้อ" in said
    assert "ลงทะเบียนเข้าร่วมเวทีที่ ห้องประชุมสำนักงานเขต ชั้น 2" in said
    quiet = chat.onboarded(HOME)
    privacy(quiet, "ข้อมูลของฉัน")
    assert "การรับฟังความคิดเห็น" not in quiet.said_last


def test_every_district_is_in_exactly_one_group():
    seen = [d for members in districts.DISTRICT_GROUPS.values() for d in members]
    assert sorted(seen) == sorted(districts.THAI_NAMES) and len(seen) == 50
    assert set(districts.GROUP_ENGLISH) == set(districts.DISTRICT_GROUPS)
    assert districts.group_of("ปทุมวัน") == "กรุงเทพใต้"
    assert districts.group_of("ประเวศ") == "กรุงเทพตะวันออก"
    assert districts.group_of("จอมทอง") == "กรุงธนเหนือ"
    assert [len(m) for m in districts.DISTRICT_GROUPS.values()] == [9, 10, 7, 9, 8, 7]


def test_shown_stage():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    found = hearings.Hearing(1, "t", HOME, None, 2570, "open", now - dt.timedelta(days=1),
                             now + dt.timedelta(days=1), None, "", "", "", None, 0, None, None, 1)
    assert found.shown_stage(now) == "open"
    assert found.shown_stage(now + dt.timedelta(days=2)) == "closed"
    assert found.shown_stage(now - dt.timedelta(days=2)) == "scheduled"


def test_hearing_seed_answers_from_plain_consenting_residents(db, clean):
    """The demo's residents may have sent no idea: the seed still answers from those who
    consented in the group's districts, and groups the open answers (H-G1, finding 4)."""
    from siang.seeds import hearing as hearing_seed
    from tests.voting_support import resident

    for n in range(8):
        resident(db, f"U{n:032x}", HOME)
    db.execute("INSERT INTO residents (line_user_id, district) VALUES (%s, %s)",
               ("U" + "f" * 32, HOME))                       # followed, never consented
    db.commit()
    with db.transaction():
        counts = hearing_seed.seed(db, [HOME, OTHER])
    db.commit()
    assert counts["respondents"] == 8 and counts["answers"] == 24
    assert counts["answer_groups"] >= 1, counts
    found = hearings.list_hearings(db, Scope.system())[0]
    assert found.group == districts.group_of(HOME)
    from pb.hearing_results import results

    open_result = results(db, found.id)[0]
    assert sum(g.size for g in open_result.groups) >= 2 and open_result.groups[0].keywords
    db.commit()
