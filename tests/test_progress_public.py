"""The public progress page: per district and per voting round, no login, its JSON and CSV
carrying the same data, a strict CSP, and nothing about residents."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from pb import projects
from pb.scope import Scope
from tests.admin_support import HOME, OTHER
from tests.progress_support import PNG, file, report, world  # noqa: F401


def _seed(db, world):
    file(db, world, report(dt.date(2025, 11, 1), 20, 250_000, narrative="รื้อผิวถนนเดิม"))
    return file(db, world, report(dt.date(2026, 1, 15), 55, 400_000, on_plan=False,
                                  narrative="ปูผิวถนนแล้ว 440 เมตร <b>ไม่ใช่แท็ก</b>"), photo=PNG)


def test_district_page_without_login(db, world, client):
    report_id = _seed(db, world)
    response = client.get(f"/progress/district/{HOME}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style=" not in html                              # CSP: no inline style anywhere
    for expected in ("ซ่อมถนนซอยประชาอุทิศ 45", "55%", "650,000", "1,200,000", "15/01/2569",
                     "01/11/2568", "ล่าช้ากว่าแผน", "&lt;b&gt;ไม่ใช่แท็ก&lt;/b&gt;",
                     f'/progress/photo/{report_id}', 'width="55"'):
        assert expected in html, expected
    for private in world.line_ids.values():
        assert private not in html
    assert client.get(f"/progress/photo/{report_id}").data == PNG
    english = client.get(f"/progress/district/{HOME}?lang=en").get_data(as_text=True)
    assert "Thung Khru" in english and "Behind plan" in english
    assert client.get("/progress/district/ไม่มีเขตนี้").status_code == 404


def test_json_and_csv_carry_the_same_data(db, world, client):
    _seed(db, world)
    data = client.get(f"/progress/district/{HOME}/data.json").get_json()
    assert data["scope"] == {"kind": "district", "district": HOME, "district_en": "Thung Khru"}
    assert data["totals"] == {"projects": 1, "allocated_baht": 1_200_000,
                              "disbursed_baht": 650_000, "mean_percent": 55}
    project = data["projects"][0]
    assert (project["percent"], project["project_code"], project["starts_on"],
            project["starts_on_be"]) == (55, "PB-2569-TK-001", "2025-10-01", "01/10/2568")
    assert [(r["number"], r["date_be"], r["percent"], r["disbursed_baht"], r["on_plan"])
            for r in project["reports"]] == [(1, "01/11/2568", 20, 250_000, True),
                                             (2, "15/01/2569", 55, 400_000, False)]
    assert "/progress/photo/" in project["reports"][1]["photo_url"]
    assert project["reports"][0]["photo_url"] is None
    text = client.get(f"/progress/district/{HOME}/data.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["report_number"], r["report_date_be"], r["report_percent"],
             r["report_disbursed_baht"], r["on_plan"]) for r in rows] == [
        ("1", "01/11/2568", "20", "250000", "yes"), ("2", "15/01/2569", "55", "400000", "no")]
    assert {r["title"] for r in rows} == {project["title"]}
    everything = client.get("/progress/data.json").get_json()
    assert [p["id"] for p in everything["projects"]] == [world.project_id]
    single = client.get(f"/progress/project/{world.project_id}/data.json").get_json()
    assert single["projects"] == data["projects"]
    assert client.get(f"/progress/district/{HOME}/data.xml").status_code == 404


def test_index_project_page_and_what_stays_hidden(db, world, client):
    _seed(db, world)
    index = client.get("/progress").get_data(as_text=True)
    assert "/progress/district/" in index and "<svg" in index and "ความคืบหน้ารายเขต" in index
    page = client.get(f"/progress/project/{world.project_id}").get_data(as_text=True)
    assert "PB-2569-TK-001" in page and "ลำดับเหตุการณ์" in page and "ความยาวถนนที่ซ่อมแล้ว" in page
    # A draft project is not public: no page, no data, no photo.
    with db.transaction():
        draft = projects.ProjectFields(title="ร่างโครงการ", district=OTHER, fiscal_year=2569)
        cluster = db.execute("SELECT id FROM clusters WHERE district = %s", (OTHER,)).fetchone()[0]
        draft_id, _ = projects.promote(db, Scope.system(), {cluster: 1}, draft)
    db.commit()
    assert client.get(f"/progress/project/{draft_id}").status_code == 404
    assert "ร่างโครงการ" not in client.get("/progress/data.json").get_data(as_text=True)


def test_round_page_shows_the_rounds_winners(db, world, client):
    _seed(db, world)
    with db.transaction():
        round_id = db.execute(
            """INSERT INTO voting_rounds (process_id, title, district, budget_baht, ballot_type,
                                          max_picks, quorum_ballots, opens_at, closes_at, state)
               VALUES (%s, 'โหวตโครงการเขตทุ่งครุ 2569', %s, 2000000, 'approval', 3, 1,
                       now() - interval '2 days', now() - interval '1 day', 'published')
               RETURNING id""", (world.process_id, HOME)).fetchone()[0]
        db.execute("""INSERT INTO round_projects (round_id, project_id, code, title, cost_baht,
                                                  position) VALUES (%s, %s, %s, 'x', 1250000, 1)""",
                   (round_id, world.project_id, str(world.project_id)))
        db.execute("""INSERT INTO round_results (round_id, rule, chosen, params, winners, votes,
                                                 budget_used, ballots, quorum_required, quorum_met,
                                                 seconds)
                      VALUES (%s, 'greedy', true, '{}', %s, '{}', 1250000, 10, 1, true, 0.1)""",
                   (round_id, [str(world.project_id)]))
    db.commit()
    html = client.get(f"/progress/round/{round_id}").get_data(as_text=True)
    assert "โหวตโครงการเขตทุ่งครุ 2569" in html and "ซ่อมถนนซอยประชาอุทิศ 45" in html
    assert "โหวตโครงการเขตทุ่งครุ 2569" in client.get("/progress").get_data(as_text=True)
    data = json.loads(client.get(f"/progress/round/{round_id}/data.json").data)
    assert data["scope"]["round_id"] == round_id and data["projects"][0]["percent"] == 55
    assert client.get(f"/progress/round/{round_id + 1}").status_code == 404
