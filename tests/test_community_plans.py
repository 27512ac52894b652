"""Community development plans (issue 18, part 2): the registry CSV, membership, plans,
the district's review, the BMA indicator and the residents' notice."""

from __future__ import annotations

import pytest

from pb import communities, community_plan_review as review, community_plans as plans
from pb import erasure
from pb.scope import ReadOnlyError, Scope, ScopeError
from tests.admin_support import HOME, OTHER, resident, seed_ideas

REGISTRY = ("ชื่อชุมชน,เขต,ประเภท,ผู้ติดต่อ\n"
            "ชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,นายสมชาย 081-000-0000\n"
            "ชุมชนประชาอุทิศ 45,ทุ่งครุ,หมู่บ้านจัดสรร,นางสมศรี 082-000-0000\n"
            "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง,\n")


def _registry(db) -> dict[str, int]:
    report = communities.import_csv(db, Scope.system(), REGISTRY.encode())
    assert report.ok and report.created == 3, report
    db.commit()
    return {name: cid for cid, name in db.execute("SELECT id, name FROM communities").fetchall()}


def test_csv_import_reports_each_bad_row_and_writes_nothing(db, clean):
    officer = Scope.for_staff(None, "x", "officer", [HOME])
    bad = ("name,district,type,contact\n"
           "ชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,\n"
           ",ทุ่งครุ,ชุมชนแออัด,\n"
           "ชุมชนใหม่,เขตไม่มีจริง,ชุมชนแออัด,\n"
           "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง,\n"
           "ชุมชนริมคลอง,ทุ่งครุ,ชุมชนลอยฟ้า,\n"
           "ชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,\n")
    report = communities.import_csv(db, officer, bad.encode())
    assert not report.ok
    assert [(p.line, p.code) for p in report.problems] == [
        (3, "missing_name"), (4, "unknown_district"), (5, "outside_scope"),
        (6, "unknown_kind"), (7, "repeated")]
    assert db.execute("SELECT count(*) FROM communities").fetchone()[0] == 0
    assert communities.import_csv(db, officer, b"name,kind\nx,y\n").header_missing == ["district"]
    assert communities.import_csv(db, officer, b"\xff\xfe\x00garbage\x81\x8d").unreadable \
        or not communities.import_csv(db, officer, b"\xff\xfe\x00garbage").ok
    with pytest.raises(ReadOnlyError):
        communities.import_csv(db, Scope.for_staff(2, "v", "viewer", []), REGISTRY.encode())
    # Thai Windows encoding (cp874), as older district PCs save it; a re-import updates.
    report = communities.import_csv(db, officer, REGISTRY.replace(
        "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง,\n", "").encode("cp874"))
    assert report.ok and report.created == 2
    assert communities.import_csv(db, officer, REGISTRY.replace(
        "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง,\n", "").encode()).updated == 2


def test_ideas_carry_the_residents_community_and_erasure_forgets_it(db, clean):
    ids = _registry(db)
    rid = resident(db, "U" + "1" * 32, HOME)
    assert not communities.join(db, rid, ids["ชุมชนสวนพลู"], HOME)      # another district
    assert communities.join(db, rid, ids["ชุมชนวัดทุ่งครุ"], HOME)
    db.commit()
    seeded = seed_ideas(db, clean, [(HOME, "ทางเท้าหน้าวัดทุ่งครุแตก")], resident_id=rid)
    assert db.execute("SELECT community_id FROM ideas WHERE id = %s",
                      (seeded.ideas[0],)).fetchone()[0] == ids["ชุมชนวัดทุ่งครุ"]
    found, total = communities.in_district(db, HOME, "วัด")
    assert total == 1 and found[0].name == "ชุมชนวัดทุ่งครุ"
    erasure.erase(db, rid, "U" + "1" * 32, "anonymise")
    assert db.execute("SELECT count(*) FROM community_members").fetchone()[0] == 0


def test_a_plan_from_drafting_to_adoption_and_the_indicator(db, clean):
    ids = _registry(db)
    home = ids["ชุมชนวัดทุ่งครุ"]
    committee = Scope.for_staff(None, "กรรมการ", "community", [], community_id=home)
    officer = Scope.for_staff(None, "เขต", "officer", [HOME])
    rid = resident(db, "U" + "2" * 32, HOME)
    communities.join(db, rid, home, HOME)
    db.commit()
    idea = seed_ideas(db, clean, [(HOME, "ไฟส่องสว่างในซอยวัดดับ")], resident_id=rid).ideas[0]
    other_idea = seed_ideas(db, clean, [(HOME, "ขยะล้นถัง")]).ideas[0]

    plan_id = plans.start(db, committee, home, 2568)
    plan = plans.get(db, committee, plan_id)
    assert (plan.mode, plan.state) == ("new", "drafting")
    with pytest.raises(ScopeError):          # never another community's
        plans.start(db, committee, ids["ชุมชนประชาอุทิศ 45"], 2568)
    with pytest.raises(plans.PlanError) as refused:
        plans.add_project(db, committee, plan_id, plan.version, plans.ProjectFields(
            "ไฟส่องสว่าง", 1, 50_000, 2568, idea_ids=(other_idea,)))
    assert refused.value.code == "idea"
    project = plans.add_project(db, committee, plan_id, plan.version, plans.ProjectFields(
        "ติดตั้งไฟส่องสว่างในซอยวัด", 1, 150_000, 2568, idea_ids=(idea,)))
    with pytest.raises(plans.PlanConflict):
        plans.submit(db, committee, plan_id, plan.version)
    plans.submit(db, committee, plan_id, plan.version + 1)
    with pytest.raises(ReadOnlyError):       # the committee does not adopt its own plan
        review.adopt(db, committee, plan_id, plan.version + 2, {project})
    review.adopt(db, officer, plan_id, plan.version + 2, {project})
    sent = review.notify_adopted(db, plan_id, lambda lang, titles: [
        {"type": "text", "text": "\n".join(titles)}])
    assert len(sent) == 1
    assert review.notify_adopted(db, plan_id, lambda lang, titles: [
        {"type": "text", "text": "again"}]) == []                     # once each
    assert [r.title for r in review.action_plan(db, officer, 2568, HOME)] == [
        "ติดตั้งไฟส่องสว่างในซอยวัด"]
    indicator = plans.indicator(db, 2568)
    assert indicator.key == "community_plan" and indicator.districts_met == {HOME}
    assert indicator.detail == {"communities_registered": 3, "communities_with_current_plan": 1}
    states = {s.name: s.state for s in review.tracking(db, officer, 2568)}
    assert states == {"ชุมชนวัดทุ่งครุ": "adopted", "ชุมชนประชาอุทิศ 45": None}
    assert plans.open_items(db, HOME) == []

    # Next year: a review of this plan, its projects carried over with their ideas.
    again = plans.get(db, committee, plans.start(db, committee, home, 2569))
    assert again.mode == "review" and again.reviews_plan_id == plan_id
    carried = plans.projects_of(db, again.id)
    assert [(p.title, p.idea_ids, p.carried_from) for p in carried] == [
        ("ติดตั้งไฟส่องสว่างในซอยวัด", [idea], project)]


def test_demo_seed_makes_a_registry_grouped_ideas_and_plans_at_every_stage(db, clean):
    from siang.seeds import community_plan

    counts = community_plan.seed(db, ["จตุจักร"])
    assert counts["communities"] == 4 and counts["ideas"] >= 10 and counts["clusters"] >= 2
    assert counts["projects_in_action_plan"] == 2
    states = dict(db.execute("SELECT mode || ':' || state, count(*) FROM community_plans "
                             "GROUP BY 1").fetchall())
    assert states == {"new:adopted": 1, "review:adopted": 1, "new:submitted": 1,
                      "new:drafting": 1}
    indicator = plans.indicator(db, plans.this_fiscal_year())
    assert indicator.districts_met == {"จตุจักร"}
    assert indicator.detail["communities_with_current_plan"] == 1
