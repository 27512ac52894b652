"""The district city council's staff pages (issue 18): the role walk with real councils,
setting one up, scheduling a meeting, inviting the district, the agenda, bad input,
and the BMA indicators."""

from __future__ import annotations

import datetime as dt

import pytest

from pb import announcements as ann
from pb import audit, council, council_questions
from pb.processes import fiscal_year_be
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, OTHER, StaffClient, accounts, signed_in  # noqa: F401
from tests.council_support import hold, open_meeting
from tests.test_admin_scope import ROUTES
from tests.test_announce_audience import DAYTIME


@pytest.fixture
def councils(db, chat):
    """A council, an open meeting and one resident's question in each of HOME and OTHER."""
    made = {}
    for name, district in (("home", HOME), ("other", OTHER)):
        meeting = open_meeting(db, district)
        resident = chat.onboarded(district)
        resident.say("ถามสภา")
        resident.say(f"ขอให้ซ่อมทางเท้าหน้าตลาดเขต{district} เดินลำบากมาก")
        member = db.execute("SELECT id FROM council_members WHERE council_id = %s",
                            (meeting.council_id,)).fetchone()[0]
        made[name] = {"council_id": meeting.council_id, "meeting_id": meeting.id,
                      "member_id": member, "process_id": meeting.process_id}
    db.commit()
    return made


def _urls(app, ids):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.council."):
            continue
        url = rule.build({k: ids[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def _snapshot(db):
    rows = (db.execute("SELECT id, name FROM council_members ORDER BY id").fetchall(),
            db.execute("SELECT id, agenda, minutes, version FROM council_meetings ORDER BY id")
            .fetchall(),
            db.execute("SELECT id, stage FROM processes ORDER BY id").fetchall(),
            db.execute("SELECT id, on_agenda, response FROM council_question_groups ORDER BY id")
            .fetchall())
    db.commit()
    return rows


FORMS = {
    "admin.council.new": {"district": OTHER, "name": "forged", "established_on": "01/10/2568"},
    "admin.council.add_member": {"name": "x", "group_represented": "y",
                                 "term_starts_on": "01/10/2568", "term_ends_on": "30/09/2570"},
    "admin.council.new_meeting": {"meets_at": "01/03/2600 09:00", "place": "x",
                                  "opens_at": "01/01/2600 09:00", "closes_at": "28/02/2600 09:00"},
    "admin.council.open_window": {"version": "1"},
    "admin.council.close_window": {"version": "2"},         # H-G1: the opened meeting's version
    "admin.council.agenda": {"version": "1", "agenda": "forged", "group": "1"},
    "admin.council.publish": {"version": "1", "minutes": "forged", "response1": "forged"},
}


@pytest.mark.parametrize("role", ["officer", "viewer", "anonymous"])
def test_walk_council_routes_outside_the_scope(role, stack, councils, db, signed_in):
    staff = StaffClient(stack["app"], "") if role == "anonymous" else signed_in(role)
    staff.get("/admin/login" if role == "anonymous" else "/admin/council")
    before = _snapshot(db)
    for endpoint, method, url in _urls(stack["app"], councils["other"]):
        kind = ROUTES[endpoint]
        if method == "GET":
            response = staff.client.get(url)
            if endpoint == "admin.council.index" and role == "officer":
                assert response.status_code == 200
                assert f"/admin/council/{councils['other']['council_id']}" not in \
                    response.get_data(as_text=True)
                continue
            status = response.status_code
        else:
            status = staff.post(url, FORMS.get(endpoint, {})).status_code
        if role == "anonymous":
            expected = {302} if method == "GET" else {401}
        elif role == "viewer":
            expected = {200} if (method == "GET" and kind == "read") else {403}
        else:
            expected = {404}
        assert status in expected, (role, endpoint, method, url, status)
    assert _snapshot(db) == before
    assert [e for e in audit.entries(db, action="council.") if e.staff_id is not None] == []


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_walk_council_read_routes_inside_the_scope(role, stack, councils, signed_in):
    staff = signed_in(role)
    for endpoint, method, url in _urls(stack["app"], councils["home"]):
        if method == "GET":
            body = staff.client.get(url)
            assert body.status_code == 200, (role, endpoint)
    page = staff.client.get(f"/admin/council/meetings/{councils['home']['meeting_id']}")
    assert "ทางเท้า" in page.get_data(as_text=True)


def test_officer_sets_up_a_council_and_invites_the_district(stack, db, chat, work, sim,
                                                             signed_in, monkeypatch):
    monkeypatch.setattr(ann, "clock", lambda: DAYTIME)
    resident = chat.onboarded(HOME)
    opted_out = chat.onboarded(HOME)
    opted_out.say("ไม่รับข่าวโครงการ")
    elsewhere = chat.onboarded(OTHER)
    staff = signed_in("officer")
    staff.get("/admin/council")
    answer = staff.post("/admin/council/new", {"district": HOME, "name": "สภาคนเมืองเขตทุ่งครุ",
                                               "established_on": "01/10/2568"})
    assert answer.status_code == 303
    council_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    again = staff.post("/admin/council/new", {"district": HOME, "name": "ซ้ำ",
                                              "established_on": "01/10/2568"})
    assert again.status_code == 303
    assert 'class="flash error"' in staff.get("/admin/council").get_data(as_text=True)

    bad = staff.post(f"/admin/council/{council_id}/members", {
        "name": "นายสมหมาย", "group_represented": "ผู้ค้า", "term_starts_on": "2025-10-01",
        "term_ends_on": "30/09/2570"})
    assert bad.status_code == 303                       # a clear message, never a 500
    page = staff.get(f"/admin/council/{council_id}").get_data(as_text=True)
    assert "2568" in page and 'class="flash error"' in page
    staff.post(f"/admin/council/{council_id}/members", {
        "name": "นายสมหมาย", "group_represented": "ผู้ค้า", "term_starts_on": "01/10/2568",
        "term_ends_on": "30/09/2570"})
    assert [m.name for m in council.members(db, council_id)] == ["นายสมหมาย"]

    now = dt.datetime.now(BANGKOK)
    fmt = "%d/%m/{} %H:%M"

    def be(moment):
        return moment.strftime(fmt.format(moment.year + 543))
    wrong = staff.post(f"/admin/council/{council_id}/meetings", {
        "meets_at": be(now + dt.timedelta(days=1)), "place": "ห้องประชุม",
        "opens_at": be(now - dt.timedelta(hours=1)), "closes_at": be(now + dt.timedelta(days=2))})
    assert wrong.status_code == 303 and "/meetings/" not in wrong.headers["Location"]
    made = staff.post(f"/admin/council/{council_id}/meetings", {
        "meets_at": be(now + dt.timedelta(days=3)), "place": "ห้องประชุมสำนักงานเขตทุ่งครุ",
        "opens_at": be(now - dt.timedelta(hours=1)), "closes_at": be(now + dt.timedelta(days=2))})
    meeting_id = int(made.headers["Location"].split("/")[-1])
    db.commit()
    opened = staff.post(f"/admin/council/meetings/{meeting_id}/open", {"version": "1"})
    assert opened.status_code == 303
    work()
    invited = [m["message"] for m in sim.messages(resident.user_id) if m["via"] == "multicast"]
    assert len(invited) == 1 and "สภาคนเมืองเขตทุ่งครุ จะประชุม" in invited[0]["text"]
    assert not [m for m in sim.messages(opted_out.user_id) if m["via"] == "multicast"]
    assert not [m for m in sim.messages(elsewhere.user_id) if m["via"] == "multicast"]
    # The invitation's quick reply starts the question.
    resident.last = invited
    resident.tap("ส่งคำถาม")
    assert "พิมพ์คำถาม" in resident.said_last
    resident.say("ขอให้เพิ่มรถเก็บขยะในซอยประชาอุทิศ ขยะล้นทุกสัปดาห์")
    assert "คำถามเลขที่" in resident.said_last

    meeting = council.get_meeting(db, _system(), meeting_id)
    [group] = council_questions.groups(db, meeting.process_id)
    db.commit()
    saved = staff.post(f"/admin/council/meetings/{meeting_id}/agenda", {
        "version": str(meeting.version), "agenda": "1. รับรองรายงานการประชุมครั้งก่อน",
        "group": str(group.id), f"order{group.id}": "1"})
    assert saved.status_code == 303
    [group] = council_questions.groups(db, meeting.process_id)
    assert group.on_agenda and group.agenda_order == 1
    early = staff.post(f"/admin/council/meetings/{meeting_id}/publish", {
        "version": str(meeting.version + 1), "minutes": "x", f"response{group.id}": "y"})
    assert early.status_code == 303
    db.commit()
    assert council.get_meeting(db, _system(), meeting_id).stage == "open"   # not held yet
    public = staff.client.get("/council/ทุ่งครุ").get_data(as_text=True)
    assert "รับรองรายงานการประชุมครั้งก่อน" in public and "ขยะ" in public
    actions = {e.action for e in audit.entries(db, action="council.")}
    assert {"council.create", "council.member_add", "council.meeting_create",
            "council.window_open", "council.agenda"} <= actions


def _system():
    from pb.scope import Scope
    return Scope.system()


def test_indicators(db):
    today = dt.datetime.now(BANGKOK).date()
    fy = fiscal_year_be(today)
    assert council.indicator(db, fy).districts_met == frozenset()
    hold(db, open_meeting(db, HOME))
    established = council.indicator(db, fy)
    assert established.key == "council" and established.districts_met == {HOME}
    assert established.districts_total == 50 and established.percent == 2.0
    monthly = council.indicator_monthly(db, fy, today=today)
    assert monthly.key == "council_monthly"
    first_month = today.month == 10
    assert (HOME in monthly.districts_met) == first_month     # only this month's meeting
    assert council.indicator(db, fy + 5).districts_met == frozenset()


def test_demo_seed_makes_a_council_with_grouped_answered_questions(db):
    from siang.seeds import council as council_seed

    with db.transaction():
        made = council_seed.seed(db, ["ไม่มีเขตนี้", "จตุจักร"])
    assert made["councils"] == 1 and made["question_groups"] == 4 and made["questions"] >= 12
    found = council.council_of_district(db, "จตุจักร")
    meetings = council.meetings_of(db, found.id)
    assert found is not None and found.members == 5 and found.meetings == made["meetings"]
    held = next(g for g in meetings if council_questions.count(db, g.process_id)[0])
    upcoming = max(meetings, key=lambda g: g.meets_at)
    assert held.stage == "published" and upcoming.stage == "open"
    assert all(g.stage == "published" for g in meetings if g is not upcoming)
    groups = council_questions.groups(db, held.process_id)
    assert len(groups) == 4 and all(g.keywords and g.response and g.on_agenda for g in groups)
    assert [i.id for i in council.open_items(db, "จตุจักร")] == [upcoming.process_id]
    assert council.indicator(db, fiscal_year_be(dt.date.today())).districts_met == {"จตุจักร"}
    fy = fiscal_year_be(dt.datetime.now(BANGKOK).date())                # H-G1: met every month
    assert council.indicator_monthly(db, fy).districts_met == {"จตุจักร"}
