"""Issue 16 (a district officer's day): project dates after the draft, a report before the
planned start, the cluster list (supporters, English search, merged clusters, paging), the
outcome for residents whose project was not selected, the "messages sent" view, and
English pages with English district names."""

from __future__ import annotations

import datetime as dt

import pytest

from admin.clusters import page_numbers
from pb import (audit, ballots, outbox, processes, progress, projects, results, round_changes,
                rounds)
from pb.scope import Scope
from pb.thaidate import BANGKOK
from tests.admin_support import (HOME, accounts, cluster_of, resident, seed_ideas,  # noqa: F401
                                 signed_in, version_of)
from tests.progress_support import FIELDS, START, report, world  # noqa: F401
from tests.voting_support import fields as round_fields
from tests.voting_support import project as ready_project
from workers.clustering import refresh_keywords

SYSTEM = Scope.system()


def _english(client) -> None:
    client.get("/admin/clusters")
    client.post("/admin/language", {"lang": "en", "next": "/admin/clusters"})


# --- finding 1: dates and early reports ---------------------------------------------------

def test_dates_are_corrected_after_the_draft_stage_and_audited(db, world, signed_in):
    officer = signed_in("officer")
    _english(officer)
    project = projects.get(db, SYSTEM, world.project_id)
    db.commit()
    assert project.state == "selected"
    page = officer.get(f"/admin/projects/{world.project_id}").get_data(as_text=True)
    assert "Correct the dates" in page and "District Thung Khru" in page
    saved = officer.post(f"/admin/projects/{world.project_id}/dates",
                         {"version": project.version, "starts_on": "01/01/2569",
                          "ends_on": "30/09/2569", "reason": "งบประมาณอนุมัติล่าช้า"})
    assert saved.status_code == 303
    after = projects.get(db, SYSTEM, world.project_id)
    entry = db.execute("SELECT before, after FROM audit_log WHERE action = 'project.dates'"
                       ).fetchone()
    db.commit()
    assert (after.starts_on, after.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 9, 30))
    assert entry[0] == {"starts_on": "2025-10-01"}
    assert entry[1] == {"starts_on": "2026-01-01", "reason": "งบประมาณอนุมัติล่าช้า"}
    stale = officer.post(f"/admin/projects/{world.project_id}/dates",
                         {"version": project.version, "starts_on": "01/02/2569"})
    assert "Someone changed this project" in officer.get(
        stale.headers["Location"]).get_data(as_text=True)
    with pytest.raises(projects.ProjectError, match="ends_before_start"), db.transaction():
        projects.correct_dates(db, SYSTEM, world.project_id, after.version,
                               dt.date(2026, 9, 30), dt.date(2026, 1, 1))


def test_a_report_dated_today_before_the_planned_start_is_filed_and_marked(db, world,
                                                                             signed_in):
    today = progress.today_bangkok()
    with db.transaction():
        db.execute("UPDATE projects SET starts_on = %s, ends_on = %s WHERE id = %s",
                   (today + dt.timedelta(days=60), today + dt.timedelta(days=400),
                    world.project_id))
    db.commit()
    officer = signed_in("officer")
    _english(officer)
    page = officer.get(f"/admin/progress/{world.project_id}").get_data(as_text=True)
    assert "The project is planned to start on" in page
    filed = officer.post(f"/admin/progress/{world.project_id}/reports", {
        "number": "1", "report_date": today.strftime("%d/%m/") + str(today.year + 543),
        "narrative": "สำรวจพื้นที่และออกแบบแล้ว", "percent": "5", "disbursed_baht": "0",
        "on_plan": "yes", "on_target": "yes"})
    assert filed.status_code == 303
    shown = officer.get(filed.headers["Location"]).get_data(as_text=True)
    assert "before the planned start" in shown and "Report no. 1 was filed" in shown
    public = officer.client.application.test_client().get(
        f"/progress/project/{world.project_id}?lang=en")
    assert "before the planned start" in public.get_data(as_text=True)
    assert projects.get(db, SYSTEM, world.project_id).state == "in_progress"
    db.commit()


# --- finding 5: the cluster list ------------------------------------------------------------

def test_supporters_count_authors_and_english_topics_find_thai_clusters(db, clean, signed_in):
    for n in range(3):
        rid = resident(db, f"U{n:032x}")
        seed_ideas(db, clean, [(HOME, "น้ำท่วมขังหน้าบ้านทุกครั้งที่ฝนตก ซอย 5")], resident_id=rid)
    refresh_keywords(db, processes.current_id(db), HOME)
    db.commit()
    officer = signed_in("officer")
    _english(officer)
    listing = officer.get("/admin/clusters").get_data(as_text=True)
    row = listing.split("น้ำท่วมขัง", 1)[1].split("</tr>")[0]   # the title names it too
    assert row.count('<td class="num">3</td>') == 2              # 3 ideas, 3 supporters
    found = officer.get("/admin/clusters?q=flood").get_data(as_text=True)
    assert "น้ำท่วมขังหน้าบ้าน" in found and "Searched the ideas for “น้ำท่วม” (flood)" in found
    exact = officer.get("/admin/clusters?q=flood&exact=1").get_data(as_text=True)
    assert "No cluster matches." in exact
    by_district = officer.get("/admin/clusters?q=thung+khru").get_data(as_text=True)
    assert "Showing district Thung Khru" in by_district and "น้ำท่วมขังหน้าบ้าน" in by_district


def test_a_merged_cluster_shows_as_merged_and_the_merge_can_be_undone(db, clean, signed_in):
    roads = seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ รถติดมาก")])
    lights = seed_ideas(db, clean, [(HOME, "ไฟฟ้าส่องสว่างในซอยดับ มืดมาก อันตราย"),
                                    (HOME, "ไฟฟ้าส่องสว่างในซอยดับหลายดวง มืดมาก")])
    road, light = cluster_of(db, roads.ideas[0]), cluster_of(db, lights.ideas[0])
    db.commit()
    officer = signed_in("officer")
    _english(officer)
    page = officer.get(f"/admin/clusters/{light}").get_data(as_text=True)
    assert f"#{road}" in page and "District Thung Khru" in page       # the merge choices
    officer.post(f"/admin/clusters/{light}/merge",
                 {"version": version_of(db, light), "target": str(road)})
    merged = officer.get(f"/admin/clusters/{light}").get_data(as_text=True)
    assert "Undo the merge" in merged and "Rename" not in merged and "Lock" not in merged
    assert f"#{light} <small" not in merged                         # no doubled title
    undone = officer.post(f"/admin/clusters/{light}/unmerge", {"version": version_of(db, light)})
    assert undone.status_code == 303
    assert {cluster_of(db, i) for i in lights.ideas} == {light}
    assert cluster_of(db, roads.ideas[0]) == road
    actions = [e.action for e in audit.entries(db, scope=SYSTEM, limit=10)]
    db.commit()
    assert "cluster.unmerge" in actions


def test_page_numbers():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert page_numbers(2, 4) == [1, 2, 3, 4]


# --- finding 6: outcome for authors of projects not selected; messages sent ----------------

def _publish_without(db, world, monkeypatch, hour: int) -> int:
    """A round with the world's project and a rival; only the rival gets votes."""
    with db.transaction():
        db.execute("UPDATE projects SET state = 'ready_for_vote' WHERE id = %s",
                   (world.project_id,))
    db.commit()
    rival = ready_project(db, "ลอกคลองหลังตลาด", 500_000, HOME)
    with db.transaction():
        round_id = round_changes.create(db, SYSTEM, round_fields([world.project_id, rival],
                                                                 district=HOME, k=1))
        round_changes.open_round(db, SYSTEM, round_id, 1)
    db.commit()
    rival_code = [p for p in rounds.projects_of(db, round_id) if p.project_id == rival][0].id
    voter = resident(db, "U" + "e" * 32)
    with db.transaction():
        ballots.cast(db, round_id, [rival_code], resident_id=voter, district=HOME)
        db.execute("UPDATE voting_rounds SET closes_at = now() WHERE id = %s", (round_id,))
        rounds.close_due(db, round_id)
        results.compute(db, round_id)
        results.publish(db, SYSTEM, round_id, rounds.load(db, round_id).version)
    db.commit()
    from pb import announcements
    at = dt.datetime.combine(dt.date.today(), dt.time(hour, 0), tzinfo=BANGKOK)
    monkeypatch.setattr(announcements, "clock", lambda: at)
    return round_id


def test_authors_of_a_project_not_selected_hear_it_once(db, world, runtime, monkeypatch,
                                                        signed_in):
    from workers import voting

    round_id = _publish_without(db, world, monkeypatch, hour=12)
    assert projects.get(db, SYSTEM, world.project_id).state == "not_selected"
    db.commit()
    assert voting.notify_round_result(round_id) >= 2         # voters' result + outcome rows
    assert voting.notify_round_result(round_id) == 0         # once
    rows = db.execute(
        """SELECT o.recipients, o.messages -> 0 ->> 'text' FROM sent_messages s
             JOIN outbox o ON o.id = s.outbox_id WHERE s.topic = 'project_outcome'""").fetchall()
    db.commit()
    told = {u for recipients, _text in rows for u in recipients}
    # The authors of the two ideas the project carries; supporters who sent no idea are not.
    assert told == {world.line_ids["author"], world.line_ids["second"]}
    assert all(FIELDS.title in text and "ยังไม่ได้รับเลือก" in text for _r, text in rows), rows
    officer = signed_in("officer")
    _english(officer)
    page = officer.get("/admin/sent").get_data(as_text=True)
    assert "Project not selected" in page and "Voting results" in page
    assert "Idea became part of a project" in page
    assert "Authors of ideas behind projects not selected" in page


def test_outcome_notices_wait_for_the_end_of_quiet_hours_and_skip_opted_out(db, world, runtime,
                                                                             monkeypatch):
    from workers import voting

    with db.transaction():
        db.execute("UPDATE residents SET announcements_opt_out = true WHERE id = %s",
                   (world.residents["second"],))
    db.commit()
    round_id = _publish_without(db, world, monkeypatch, hour=22)
    voting.notify_round_result(round_id)
    row = db.execute(
        """SELECT o.recipients, o.not_before FROM sent_messages s JOIN outbox o
                ON o.id = s.outbox_id WHERE s.topic = 'project_outcome'""").fetchone()
    db.commit()
    assert row[0] == [world.line_ids["author"]]
    assert row[1].astimezone(BANGKOK).time() == dt.time(8, 0)
    assert outbox.due(db) == [] or all(i != row for i, _a in outbox.due(db))
    db.commit()


# --- finding 11: English pages ------------------------------------------------------------

def test_english_results_page_translates_the_district_and_counts_right(db, world, runtime,
                                                                        monkeypatch, stack):
    round_id = _publish_without(db, world, monkeypatch, hour=12)
    html = stack["app"].test_client().get(f"/results/{round_id}?lang=en").get_data(as_text=True)
    assert "District Thung Khru" in html and "District ทุ่งครุ" not in html
    assert "would fund 1 projects" not in html


def test_pages_with_pb_terms_explain_them(db, clean, signed_in):
    officer = signed_in("officer")
    thai = officer.get("/admin/rounds").get_data(as_text=True)
    assert "คำในหน้านี้หมายถึงอะไร" in thai and "วิธีแบ่งส่วนเท่ากัน" in thai
    _english(officer)
    english = officer.get("/admin/rounds").get_data(as_text=True)
    assert "What do these words mean?" in english and "Method of Equal Shares" in english
    assert "The minimum turnout" in english
