"""District public hearings in the admin (issue 18): the role walk with real hearings,
creating one (and bad input), opening it (residents invited through the outbox, opt-out
respected), the results (counts, SVG chart, open answers grouped with keywords), the
printable summary, CSV, publishing (public page, answerers told), the BMA indicator
and "what's open"."""

from __future__ import annotations

import csv
import io

import pytest

from pb import audit, hearing_answers, hearings
from pb.processes import fiscal_year_be
from pb.scope import Scope
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, OTHER, StaffClient, accounts, signed_in  # noqa: F401
from tests.hearing_support import make_hearing, start_data
from tests.test_admin_scope import ROUTES

OPEN_ANSWERS = ["น้ำท่วมขังซอยประชาอุทิศทุกครั้งที่ฝนตก อยากให้ลอกท่อระบายน้ำ",
                "ท่อระบายน้ำอุดตัน น้ำท่วมขังถนนหน้าบ้านทุกปี",
                "ขยะล้นถังหน้าตลาด ส่งกลิ่นเหม็นมาก"]


def _step_url(hearing_id: int, step: str) -> str:
    return f"/admin/hearings/{hearing_id}/{step}"


def _stage(db, hearing_id: int) -> str:
    stage = db.execute("SELECT stage FROM processes WHERE id = %s", (hearing_id,)).fetchone()[0]
    db.commit()
    return stage


@pytest.fixture
def two(db):
    ids = {"home": make_hearing(db, HOME), "other": make_hearing(db, OTHER, open_it=False)}
    return ids


def test_every_hearing_route_is_classified():
    for name in ("index", "new", "show", "summary", "export", "open_", "close", "publish"):
        assert f"admin.hearings.{name}" in ROUTES


@pytest.mark.parametrize("role", ["officer", "viewer", "anonymous"])
def test_walk_hearing_routes_of_another_district(role, stack, two, db, signed_in):
    staff = StaffClient(stack["app"], "") if role == "anonymous" else signed_in(role)
    staff.get("/admin/login" if role == "anonymous" else "/admin/hearings")
    other = two["other"]
    version = hearings.load(db, other).version
    db.commit()
    for suffix in ("", "/summary", "/export.csv"):
        status = staff.client.get(f"/admin/hearings/{other}{suffix}").status_code
        expected = {"officer": 404, "viewer": 200, "anonymous": 302}[role]
        assert status == expected, (role, suffix, status)
    for step in ("open", "close", "publish"):
        status = staff.post(_step_url(other, step), {"version": str(version)}).status_code
        assert status == {"officer": 404, "viewer": 403, "anonymous": 401}[role], (role, step)
    assert _stage(db, other) == "draft"
    assert audit.entries(db, action="hearing.open") == [] or all(
        e.staff_id is None for e in audit.entries(db, action="hearing."))
    if role == "officer":
        listing = staff.get("/admin/hearings").get_data(as_text=True)
        assert f"/admin/hearings/{two['home']}" in listing
        assert f"/admin/hearings/{other}" not in listing


def test_officer_creates_opens_reads_and_publishes(stack, db, chat, signed_in):
    officer = signed_in("officer")
    page = officer.get("/admin/hearings/new").get_data(as_text=True)
    choices = page.split('name="area"')[1].split("</select>")[0]
    assert f'value="{HOME}"' in choices and OTHER not in choices and "city" not in choices
    form = {"title": "รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ", "area": HOME,
            "opens_on": "01/10/2568", "closes_on": "30/09/2600",
            "questions": "เปิด: ข้อเสนอของท่าน\nอะไรนะ: ไม่รู้"}
    response = officer.post("/admin/hearings/new", form)
    assert response.status_code == 400
    assert "บรรทัดคำถามที่ 2" in response.get_data(as_text=True) or \
        "Question line 2" in response.get_data(as_text=True)
    assert officer.post("/admin/hearings/new", {**form, "area": OTHER,
                                                "questions": "open: x"}).status_code == 404
    response = officer.post("/admin/hearings/new", {
        **form, "questions": "เปิด: ข้อเสนอของท่าน\nเลือกหนึ่ง: เรื่องเร่งด่วน | น้ำท่วม | ขยะ",
        "session_place": "ห้องประชุมเขต", "session_at": "01/01/2600 18:00",
        "session_capacity": "50"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    hearing_id = int(response.headers["Location"].rsplit("/", 1)[1])

    residents = [chat.onboarded(HOME) for _ in OPEN_ANSWERS]
    quiet = chat.onboarded(HOME)
    quiet.say("ไม่รับข่าวโครงการ")                    # opted out of news: not invited
    chat.onboarded(OTHER)
    officer.get(f"/admin/hearings/{hearing_id}")
    response = officer.post(_step_url(hearing_id, "open"), {"version": "1"})
    assert response.status_code == 303
    invited = db.execute("SELECT recipients FROM outbox WHERE kind = 'multicast'").fetchall()
    db.commit()
    assert sorted(u for row in invited for u in row[0]) == sorted(r.user_id for r in residents)
    assert officer.post(_step_url(hearing_id, "open"), {"version": "1"}).status_code == 303
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'multicast'").fetchone()[0] \
        == len(invited)                                    # a second click invites nobody again
    db.commit()

    for resident, text in zip(residents, OPEN_ANSWERS):
        resident.tap_data(start_data(hearing_id))
        resident.say(text)
        resident.tap_button("น้ำท่วม" if "น้ำ" in text else "ขยะ")
    html = officer.get(f"/admin/hearings/{hearing_id}").get_data(as_text=True)
    assert "<svg" in html and "น้ำท่วม" in html
    assert "ท่อระบายน้ำอุดตัน" in html
    summary = officer.get(f"/admin/hearings/{hearing_id}/summary").get_data(as_text=True)
    assert "ประมวลสรุปข้อคิดเห็น" in summary
    exported = officer.get(f"/admin/hearings/{hearing_id}/export.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["question_no", "question", "kind"] and len(rows) == 1 + 6
    assert not any(r.user_id in exported.get_data(as_text=True) for r in residents)
    db.commit()
    assert db.execute("SELECT target_type, target_id, after->>'rows' FROM audit_log "
                      "WHERE action = 'export.hearing_answers'").fetchall() == [
        ("hearing", hearing_id, "6")]                     # residents' words leave only on record

    assert stack["app"].test_client().get(f"/hearings/{hearing_id}").status_code == 404
    version = hearings.load(db, hearing_id).version
    db.commit()
    response = officer.post(_step_url(hearing_id, "publish"),
                            {"version": str(version), "summary": "ประชาชนเสนอให้แก้น้ำท่วมก่อน"})
    assert response.status_code == 303
    public = stack["app"].test_client().get(f"/hearings/{hearing_id}")
    assert public.status_code == 200
    body = public.get_data(as_text=True)
    assert "ประชาชนเสนอให้แก้น้ำท่วมก่อน" in body and "<svg" in body
    told = db.execute("SELECT recipients, messages FROM outbox WHERE kind = 'multicast' "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    db.commit()
    assert sorted(told[0]) == sorted(r.user_id for r in residents)
    assert f"/hearings/{hearing_id}" in told[1][0]["text"]
    assert [e.action for e in audit.entries(db, action="hearing.")][::-1][:3] == \
        ["hearing.create", "hearing.open", "hearing.publish"]
    # Closed now: a late answer is refused with a clear message.
    said = residents[0].tap_data(start_data(hearing_id))
    assert any("ปิดแล้ว และเผยแพร่สรุปผลแล้ว" in text for text in said)


def test_grouping_open_answers(db):
    hearing_id = make_hearing(db, HOME, questions="เปิด: ข้อเสนอ")
    question = hearings.questions_of(db, hearing_id)[0]
    rows = [(1.0, 0.0, 0.0), (0.99, 0.1, 0.0), (0.98, 0.0, 0.1), (0.0, 1.0, 0.0),
            (0.0, 0.99, 0.1), (0.0, 0.0, 1.0)]
    texts = ["น้ำท่วมซอย", "น้ำท่วมถนน", "น้ำท่วมขัง", "ขยะล้นถัง", "ขยะเหม็น", "ทางเท้าพัง"]
    for n, (vector, text) in enumerate(zip(rows, texts), start=1):
        resident = db.execute("INSERT INTO residents (line_user_id, district) VALUES (%s, %s) "
                              "RETURNING id", (f"U{n:032x}", HOME)).fetchone()[0]
        hearing_answers.save(db, question, resident, HOME, text=text, grouping=list(vector),
                             model_name="fake-trigram-3")
    db.commit()
    from pb.hearing_results import results

    found = results(db, hearing_id)[0]
    assert [g.size for g in found.groups] == [3, 2]
    assert found.groups[0].representatives[0] in texts[:3] and found.other == ["ทางเท้าพัง"]
    assert found.groups[0].keywords


def test_indicator_and_open_items(db, chat):
    alice = chat.onboarded(HOME)
    group_id = make_hearing(db, "group:กรุงธนใต้", questions="คะแนน: ความพึงพอใจ")
    draft_id = make_hearing(db, OTHER, open_it=False)
    items = hearings.open_items(db, HOME)
    assert [(i.kind, i.id, i.postback) for i in items] == [("hearing", group_id,
                                                             start_data(group_id))]
    assert hearings.open_items(db, OTHER) == [] and hearings.open_items(db, None) == []
    import datetime as dt

    fy = fiscal_year_be(dt.datetime.now(BANGKOK).date() - dt.timedelta(days=1))
    assert hearings.indicator(db, fy).districts_met == frozenset()
    alice.tap_data(start_data(group_id))
    alice.tap("4")
    found = hearings.indicator(db, fy)
    assert found.key == "hearing" and len(found.districts_met) == 7 and HOME in found.districts_met
    assert found.districts_total == 50 and round(found.percent) == 14     # กรุงธนใต้: 7 districts
    assert found.detail["respondents"] == 1 and found.detail["hearings"] == 1
    assert draft_id not in [i.id for i in hearings.open_items(db, OTHER)]


def test_demo_seed_makes_a_grouped_hearing(db, clean):
    from siang.seeds import hearing as hearing_seed
    from tests.admin_support import resident, seed_ideas

    rows = [r for r in csv.DictReader(open(hearing_seed.SAMPLE_CSV, encoding="utf-8"))
            if r["district"] == "จตุจักร"][:12]
    for n, row in enumerate(rows):
        rid = resident(db, f"Useed{n:027x}", "จตุจักร")
        seed_ideas(db, clean, [("จตุจักร", row["text"])], resident_id=rid)
    db.execute("UPDATE idea_embeddings SET grouping = embedding")
    db.commit()
    with db.transaction():
        counts = hearing_seed.seed(db, ["จตุจักร", "ทุ่งครุ"])
    db.commit()
    assert counts["respondents"] == 12 and counts["answers"] == 36 and counts["registered"] == 5
    assert counts["answer_groups"] >= 1 and counts["invited"] == 12
    found = hearings.list_hearings(db, Scope.system())[0]
    assert found.group == "กรุงเทพเหนือ" and found.stage == "open"
    db.commit()
