"""Helpers for the progress and announcement tests: a selected project and the residents behind it.

``world`` builds, in ทุ่งครุ: a project promoted from one cluster and moved to
"selected", with

* ``author``: sent an idea the project carries;
* ``second``: sent another idea of the same cluster;
* ``backer``: supports the author's idea ("me too");
* ``cluster_backer``: supports the whole cluster;
* ``neighbour``: lives in ทุ่งครุ but has nothing to do with the project;
* ``stranger``: lives in บางรัก;
* ``english``: an English-language supporter.

Every resident follows Siang in the emulator (a LINE friend), so pushes to
them are recorded in their transcript.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from pb import progress, projects, supports
from pb.scope import Scope
from tests.admin_support import HOME, OTHER, cluster_of, resident, seed_ideas

START, END = dt.date(2025, 10, 1), dt.date(2026, 9, 30)
FIELDS = projects.ProjectFields(
    title="ซ่อมถนนซอยประชาอุทิศ 45", district=HOME, fiscal_year=2569,
    description="ปูผิวถนนใหม่ 800 เมตร พร้อมรางระบายน้ำ", location="ซอยประชาอุทิศ 45",
    estimated_cost_baht=1_250_000, starts_on=START, ends_on=END,
    kpi_indicator="ความยาวถนนที่ซ่อมแล้ว (เมตร)", kpi_target="800 เมตร",
    responsible_unit="สำนักงานเขตทุ่งครุ / ฝ่ายโยธา")
# A 1×1 PNG: a report's photo.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
ROADS = ["ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ", "ถนนซอยประชาอุทิศ 45 เป็นหลุมบ่อมาก"]


def line_id(n: int) -> str:
    return f"U{n:032x}"


@dataclass
class World:
    project_id: int
    cluster_id: int
    process_id: int
    residents: dict[str, int]
    line_ids: dict[str, str]

    @property
    def supporters(self) -> set[str]:
        return {self.line_ids[k] for k in ("author", "second", "backer", "cluster_backer",
                                           "english")}


def make_world(db, runtime, sim, *, budget: int | None = 1_200_000) -> World:
    names = ["author", "second", "backer", "cluster_backer", "neighbour", "stranger", "english"]
    ids, lines = {}, {}
    for n, name in enumerate(names, start=1):
        lines[name] = line_id(n)
        language = "en" if name == "english" else "th"
        sim.set_profile(lines[name], name, language, following=True)
        ids[name] = resident(db, lines[name], OTHER if name == "stranger" else HOME,
                             language=language)
    a = seed_ideas(db, runtime, [(HOME, ROADS[0])], resident_id=ids["author"])
    seed_ideas(db, runtime, [(HOME, ROADS[1])], resident_id=ids["second"])
    seed_ideas(db, runtime, [(OTHER, "ขยะล้นถังริมคลองทุกวัน")], resident_id=ids["stranger"])
    cluster = cluster_of(db, a.ideas[0])
    with db.transaction():
        supports.add(db, process_id=a.process_id, resident_id=ids["backer"], idea_id=a.ideas[0])
        supports.add(db, process_id=a.process_id, resident_id=ids["english"], idea_id=a.ideas[0])
        supports.add_cluster(db, process_id=a.process_id, resident_id=ids["cluster_backer"],
                             cluster_id=cluster)
        version = db.execute("SELECT review_version FROM clusters WHERE id = %s",
                             (cluster,)).fetchone()[0]
        scope = Scope.system()
        project_id, _outcome = projects.promote(db, scope, {cluster: version}, FIELDS)
        for state in ("ready_for_vote", "selected"):
            project = projects.get(db, scope, project_id)
            projects.transition(db, scope, project_id, project.version, state)
        if budget is not None:
            progress.save_form(db, scope, project_id, 0, progress.FormFields(
                project_code="PB-2569-TK-001", budget_received_baht=budget,
                rationale="ถนนชำรุด น้ำท่วมขัง", objectives="ให้สัญจรสะดวกปลอดภัย",
                goals="ถนน 800 เมตร", strategy="มหานครปลอดภัย"))
    db.commit()
    return World(project_id, cluster, a.process_id, ids, lines)


def report(day: dt.date, percent: int, disbursed: int = 0, *, reason: str = "",
           narrative: str = "ดำเนินการตามแผน", on_plan: bool = True,
           on_target: bool = True) -> progress.ReportFields:
    return progress.ReportFields(report_date=day, narrative=narrative, percent=percent,
                                 disbursed_baht=disbursed, on_plan=on_plan, on_target=on_target,
                                 decrease_reason=reason)


def file(db, world: World, fields: progress.ReportFields, photo: bytes | None = None) -> int:
    with db.transaction():
        n = len(progress.list_reports(db, world.project_id)) + 1
        report_id = progress.add_report(db, Scope.system(), world.project_id, n, fields, photo,
                                        today=dt.date(2026, 9, 30))
    db.commit()
    return report_id


@pytest.fixture
def world(db, clean, sim):
    sim.reset()            # transcripts, faults and limits of earlier tests (same user ids)
    return make_world(db, clean, sim)
