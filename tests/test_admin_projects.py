"""Projects (stage 2): promotion from clusters, fields, states, audit, and telling
the residents whose ideas went in, once."""

from __future__ import annotations

import datetime as dt

import pytest

from pb import audit, processes, project_notices, projects, review
from pb.scope import Scope, ScopeError
from tests.admin_support import (HOME, OTHER, accounts, cluster_of, resident,  # noqa: F401
                                 seed_ideas, signed_in, version_of)

FIELDS = projects.ProjectFields(
    title="ซ่อมถนนซอยประชาอุทิศ 45", district=HOME, fiscal_year=2569,
    description="ปูผิวถนนใหม่ 800 เมตร พร้อมรางระบายน้ำ", location="ซอยประชาอุทิศ 45",
    estimated_cost_baht=1_250_000, starts_on=dt.date(2025, 10, 1), ends_on=dt.date(2026, 3, 31),
    kpi_indicator="ความยาวถนนที่ซ่อมแล้ว (เมตร)", kpi_target="800",
    responsible_unit="สำนักงานเขตทุ่งครุ / ฝ่ายโยธา")


@pytest.fixture
def ideas_by_residents(db, clean, sim):
    for letter in "abc":                     # LINE friends (the emulator drops other pushes)
        sim.set_profile("U" + letter * 32, f"ผู้อยู่อาศัย {letter}", "th", following=True)
    alice = resident(db, "U" + "a" * 32)
    bob = resident(db, "U" + "b" * 32, language="en")
    gone = resident(db, "U" + "c" * 32)
    db.execute("UPDATE residents SET followed = false WHERE id = %s", (gone,))
    db.commit()
    a = seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"),
                               (HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมบ่อมาก")], resident_id=alice)
    b = seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 พังเป็นหลุมเป็นบ่อ")], resident_id=bob)
    c = seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 หลุมบ่อเยอะ")], resident_id=gone)
    ids = a.ideas + b.ideas + c.ideas
    assert len({cluster_of(db, i) for i in ids}) == 1
    return {"cluster": cluster_of(db, ids[0]), "ideas": ids, "alice": alice, "bob": bob}


def _compose(language):
    return [{"type": "text", "text": f"{language}: project"}]


def test_promote_links_clusters_and_ideas_locks_and_audits(db, ideas_by_residents):
    scope = Scope.system()
    cluster = ideas_by_residents["cluster"]
    project_id, outcome = projects.promote(db, scope, {cluster: 1}, FIELDS)
    db.commit()
    project = projects.get(db, scope, project_id)
    assert (project.state, project.estimated_cost_baht, project.clusters, project.ideas) == (
        "draft", 1_250_000, 1, 4)
    assert review.get_cluster(db, scope, cluster).locked
    assert outcome.refresh == {(project.process_id, HOME)}
    entry = audit.entries(db, action="project.create")[0]
    assert entry.after["estimated_cost_baht"] == 1_250_000 and entry.after["clusters"] == [cluster]
    with pytest.raises(review.VersionConflict):     # the same form submitted twice
        projects.promote(db, scope, {cluster: 1}, FIELDS)
    db.rollback()


def test_residents_are_told_once_in_their_language(db, ideas_by_residents):
    scope = Scope.system()
    cluster = ideas_by_residents["cluster"]
    project_id, _ = projects.promote(db, scope, {cluster: 1}, FIELDS)
    first = project_notices.notify_authors(db, project_id, _compose)
    again = project_notices.notify_authors(db, project_id, _compose)
    db.commit()
    assert first.residents == 2 and again.residents == 0 and again.outbox_ids == []
    # alice once (2 ideas), bob; not the unfollower: one multicast per language, not a push each
    rows = db.execute("SELECT kind, recipients, messages FROM outbox ORDER BY id").fetchall()
    db.commit()
    assert [r[0] for r in rows] == ["multicast", "multicast"] and len(first.outbox_ids) == 2
    by_text = {r[2][0]["text"]: r[1] for r in rows}
    assert by_text == {"en: project": ["U" + "b" * 32], "th: project": ["U" + "a" * 32]}
    noticed = db.execute("SELECT count(*) FROM project_notices WHERE project_id = %s "
                         "AND outbox_id = ANY(%s)", (project_id, first.outbox_ids)).fetchone()[0]
    tagged = db.execute("SELECT sum(recipients) FROM sent_messages WHERE topic = "
                        "'project_promoted' AND project_id = %s", (project_id,)).fetchone()[0]
    db.commit()
    assert noticed == 2 and tagged == 2


def test_validation_and_states(db, ideas_by_residents):
    scope = Scope.system()
    bad = [
        (dict(title="   "), "title_required"), (dict(district="Atlantis"), "bad_district"),
        (dict(estimated_cost_baht=-1), "bad_cost"),
        (dict(starts_on=dt.date(2026, 1, 2), ends_on=dt.date(2026, 1, 1)), "ends_before_start"),
        (dict(fiscal_year=2025), "bad_fiscal_year"),
    ]
    import dataclasses

    for change, code in bad:
        with pytest.raises(projects.ProjectError) as error:
            projects.validate(dataclasses.replace(FIELDS, **change), scope)
        assert error.value.code == code
    draft = projects.ProjectFields(title="ร่าง", district=HOME, fiscal_year=2569)
    project_id, _ = projects.promote(db, scope, {ideas_by_residents["cluster"]: 1}, draft)
    db.commit()
    with pytest.raises(projects.ProjectError) as error:
        projects.transition(db, scope, project_id, 1, "ready_for_vote")
    db.rollback()
    assert error.value.code == "incomplete"
    assert "estimated_cost_baht" in error.value.values["fields"]
    with pytest.raises(projects.ProjectError):
        projects.transition(db, scope, project_id, 1, "in_progress")
    db.rollback()
    projects.update(db, scope, project_id, 1, FIELDS)
    projects.transition(db, scope, project_id, 2, "ready_for_vote")
    db.commit()
    with pytest.raises(projects.ProjectError) as error:
        projects.update(db, scope, project_id, 3, FIELDS)
    db.rollback()
    assert error.value.code == "not_draft"
    with pytest.raises(projects.ProjectConflict):
        projects.transition(db, scope, project_id, 2, "selected")
    db.rollback()
    for version, state in enumerate(("selected", "in_progress", "done"), start=3):
        projects.transition(db, scope, project_id, version, state)
    db.commit()
    assert projects.get(db, scope, project_id).state == "done"
    moves = [(e.before["state"], e.after["state"])
             for e in reversed(audit.entries(db, action="project.transition"))]
    assert moves == [("draft", "ready_for_vote"), ("ready_for_vote", "selected"),
                     ("selected", "in_progress"), ("in_progress", "done")]
    update = audit.entries(db, action="project.update")[0]
    assert update.before["estimated_cost_baht"] is None
    assert update.after["estimated_cost_baht"] == 1_250_000


def test_officer_cannot_promote_into_another_district(db, ideas_by_residents, accounts):
    officer = Scope.for_staff(accounts["other_officer"], "สมศรี", "officer", [OTHER])
    import dataclasses

    with pytest.raises(ScopeError):
        projects.promote(db, officer, {ideas_by_residents["cluster"]: 1},
                         dataclasses.replace(FIELDS, district=OTHER))
    db.rollback()


def test_promotion_through_the_admin_tells_residents_through_line(
        signed_in, db, ideas_by_residents, sim, work):
    staff = signed_in("officer")
    cluster = ideas_by_residents["cluster"]
    form = staff.get(f"/admin/projects/new?cluster={cluster}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    fiscal_year = processes.fiscal_year_be(dt.date.today())
    assert "สำนักงานเขตทุ่งครุ" in html and f'value="{fiscal_year}"' in html   # pre-filled
    data = {"cluster": cluster, f"v{cluster}": version_of(db, cluster),
            "title": "ซ่อมถนนซอยประชาอุทิศ 45", "district": HOME, "fiscal_year": "2569",
            "estimated_cost_baht": "1,250,000 บาท", "starts_on": "01/10/2568",
            "ends_on": "31/03/2569", "kpi_indicator": "ความยาวถนน (เมตร)", "kpi_target": "800",
            "responsible_unit": "สำนักงานเขตทุ่งครุ / ฝ่ายโยธา", "location": "ซอย 45",
            "description": "ปูผิวถนนใหม่"}
    bad_date = staff.post(f"/admin/projects/new?cluster={cluster}",
                          {**data, "starts_on": "01/10/2025"})
    assert bad_date.status_code == 400 and "พ.ศ." in bad_date.get_data(as_text=True)
    response = staff.post(f"/admin/projects/new?cluster={cluster}", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    project_id = int(response.headers["Location"].rsplit("/", 1)[1])
    project = projects.get(db, Scope.system(), project_id)
    db.commit()
    assert (project.estimated_cost_baht, project.starts_on, project.ends_on) == (
        1_250_000, dt.date(2025, 10, 1), dt.date(2026, 3, 31))
    page = staff.get(f"/admin/projects/{project_id}").get_data(as_text=True)
    assert "01/10/2568" in page and "1,250,000" in page
    work()                                           # deliver the outbox pushes
    alice = [m["message"]["text"] for m in sim.messages("U" + "a" * 32)]
    bob = [m["message"]["text"] for m in sim.messages("U" + "b" * 32)]
    assert len(alice) == 1 and "ซ่อมถนนซอยประชาอุทิศ 45" in alice[0] and "ค่ะ" in alice[0]
    assert len(bob) == 1 and "Thung Khru" in bob[0]
    assert sim.messages("U" + "c" * 32) == []
    again = staff.post(f"/admin/projects/new?cluster={cluster}", data)    # double submit
    assert again.status_code == 400
    work()
    assert len(sim.messages("U" + "a" * 32)) == 1
    state = staff.post(f"/admin/projects/{project_id}/state", {"version": "1",
                                                                "state": "ready_for_vote"})
    assert state.status_code == 303
    assert projects.get(db, Scope.system(), project_id).state == "ready_for_vote"
    db.commit()
