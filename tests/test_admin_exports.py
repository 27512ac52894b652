"""CSV downloads (issue 16, finding 8): ideas, clusters, projects and round results,
UTF-8 with a BOM (Excel shows Thai), within the staff member's districts, audited."""

from __future__ import annotations

import csv
import io

from pb import audit, results, rounds
from tests import voting_support as voting
from tests.admin_support import (HOME, OTHER, accounts, seed_ideas, signed_in,  # noqa: F401
                                 resident)


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))            # the BOM Excel looks for
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _world(db, runtime):
    seed_ideas(db, runtime, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"),
                             (HOME, "=HYPERLINK(\"http://evil.example\",\"คลิก\")"),
                             (OTHER, "ขยะล้นถังริมคลองทุกวัน")])
    a = voting.project(db, "ทางเท้าซอย 7 ทุ่งครุ", 400_000, HOME)
    b = voting.project(db, "ไฟถนนซอย 9 ทุ่งครุ", 300_000, HOME)
    voting.project(db, "ลานกีฬาบางรัก", 300_000, OTHER)
    round_id = voting.open_round(db, [a, b], district=HOME, k=1, budget=500_000)
    choices = {p.project_id: p.id for p in rounds.projects_of(db, round_id)}
    for n in range(3):
        person = resident(db, f"U{n:032x}", HOME)
        ballot = db.execute("INSERT INTO ballots (round_id, resident_id, source) "
                            "VALUES (%s, %s, 'chat') RETURNING id", (round_id, person)).fetchone()[0]
        db.execute("INSERT INTO ballot_choices (ballot_id, round_project_id) VALUES (%s, %s)",
                   (ballot, choices[a if n < 2 else b]))
    db.commit()
    voting.end_voting(db, round_id)
    with db.transaction():
        results.compute(db, round_id)
    db.commit()
    return round_id


def test_officer_downloads_their_districts_ideas_in_excel_readable_thai(db, clean, signed_in):
    _world(db, clean)
    rows = _csv(signed_in("officer").client.get("/admin/exports/ideas.csv"))
    assert [r["district"] for r in rows] == [HOME, HOME]
    assert rows[0]["text"] == "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"
    assert rows[1]["text"].startswith("'=HYPERLINK")         # no formula runs in Excel
    assert "+07:00" in rows[0]["created_at"]                  # Bangkok time
    assert "line_user_id" not in rows[0] and "resident_id" not in rows[0]
    entry = audit.entries(db, action="export.ideas")[0]
    assert entry.after == {"district": None, "rows": 2}
    everyone = _csv(signed_in("admin").client.get(f"/admin/exports/ideas.csv?district={OTHER}"))
    assert [r["text"] for r in everyone] == ["ขยะล้นถังริมคลองทุกวัน"]
    assert signed_in("officer").client.get(
        f"/admin/exports/ideas.csv?district={OTHER}").status_code == 404


def test_clusters_projects_and_results(db, clean, accounts, signed_in):
    round_id = _world(db, clean)
    officer = signed_in("officer").client
    clusters = _csv(officer.get("/admin/exports/clusters.csv"))
    assert clusters and {r["district"] for r in clusters} == {HOME}
    projects = _csv(officer.get("/admin/exports/projects.csv"))
    assert sorted(r["title"] for r in projects) == ["ทางเท้าซอย 7 ทุ่งครุ", "ไฟถนนซอย 9 ทุ่งครุ"]
    assert projects[0]["estimated_cost_baht"] == "400000"
    rows = _csv(officer.get(f"/admin/exports/results.csv?round={round_id}"))
    assert [(r["project_title"], r["votes"], r["selected"]) for r in rows] == [
        ("ทางเท้าซอย 7 ทุ่งครุ", "2", "true"), ("ไฟถนนซอย 9 ทุ่งครุ", "1", "false")]
    assert rows[0]["ballots"] == "3"
    other = _csv(signed_in("other_officer").client.get("/admin/exports/results.csv"))
    assert other == []
    mine = audit.entries(db, action="export.", staff_id=accounts["officer"])
    assert [e.action for e in mine] == ["export.results", "export.projects", "export.clusters"]
