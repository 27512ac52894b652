"""Community registry and plans in the admin (issue 18): CSV import errors shown per row,
a plan compiled by its committee, adopted by the district, residents told, the action
plan exported."""

from __future__ import annotations

import io

from pb import communities, staff as staff_rows
from pb.scope import Scope
from tests.admin_support import (HOME, PASSWORD, StaffClient, accounts, resident,  # noqa: F401
                                 seed_ideas, signed_in)


def test_registry_import_lists_each_bad_row_and_imports_nothing(signed_in, db):
    officer = signed_in("officer")
    officer.get("/admin/communities")
    bad = "ชื่อชุมชน,เขต,ประเภท\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด\n,ทุ่งครุ,ชุมชนแออัด\nชุมชนสวนพลู,บางรัก,ชุมชนเมือง\n"
    response = officer.post("/admin/communities/import",
                            {"file": (io.BytesIO(bad.encode()), "registry.csv")})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "มีปัญหา 2 แถว" in body and "ไม่มีชื่อชุมชน" in body and "เป็นเขตที่คุณไม่ได้รับผิดชอบ" in body
    assert db.execute("SELECT count(*) FROM communities").fetchone()[0] == 0
    good = "ชื่อชุมชน,เขต,ประเภท\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด\n"
    response = officer.post("/admin/communities/import",
                            {"file": (io.BytesIO(good.encode()), "registry.csv")})
    assert response.status_code == 303
    db.commit()
    assert db.execute("SELECT name FROM communities").fetchall() == [("ชุมชนวัดทุ่งครุ",)]


def test_committee_compiles_district_adopts_and_residents_are_told(stack, signed_in, db, clean):
    assert communities.import_csv(db, Scope.system(),
                                  "name,district,type\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด\n".encode()).ok
    community_id = db.execute("SELECT id FROM communities").fetchone()[0]
    staff_rows.create(db, username="committee", display_name="กรรมการ", password=PASSWORD,
                      role="community", community_id=community_id)
    rid = resident(db, "U" + "a" * 32, HOME)
    communities.join(db, rid, community_id, HOME)
    db.commit()
    idea = seed_ideas(db, clean, [(HOME, "ไฟส่องสว่างในซอยวัดดับ")], resident_id=rid).ideas[0]

    committee = StaffClient(stack["app"], "committee")
    committee.get(f"/admin/communities/{community_id}")
    started = committee.post("/admin/community-plans/start",
                             {"community": str(community_id), "fy": "2569"})
    plan_url = started.headers["Location"]
    assert committee.get(plan_url).status_code == 200
    refused = committee.post(plan_url + "/projects", {
        "version": "1", "title": "ไฟส่องสว่าง", "priority": "1", "estimated_cost_baht": "1.5 ล้าน",
        "year_be": "2569"})
    assert refused.status_code == 400 and "กรอกตัวเลขเท่านั้น" in refused.get_data(as_text=True)
    assert committee.post(plan_url + "/projects", {
        "version": "1", "title": "ติดตั้งไฟส่องสว่างในซอยวัด", "priority": "1",
        "estimated_cost_baht": "150,000", "year_be": "2569", "idea": str(idea)}).status_code == 303
    assert committee.post(plan_url + "/submit", {"version": "2"}).status_code == 303

    officer = signed_in("officer")
    tracking = officer.get("/admin/community-plans?fy=2569").get_data(as_text=True)
    assert "ส่งเขตแล้ว" in tracking and "(ร้อยละ 0)" in tracking
    project_id = db.execute("SELECT id FROM community_plan_projects").fetchone()[0]
    db.commit()
    officer.get(plan_url)
    assert officer.post(plan_url + "/adopt", {"version": "3",
                                              "entering": str(project_id)}).status_code == 303
    tracking = officer.get("/admin/community-plans?fy=2569").get_data(as_text=True)
    assert "(ร้อยละ 100)" in tracking
    told = db.execute("SELECT o.recipients, o.messages FROM community_plan_notices n "
                      "JOIN outbox o ON o.id = n.outbox_id").fetchall()
    assert len(told) == 1 and told[0][0] == ["U" + "a" * 32]
    assert "ติดตั้งไฟส่องสว่างในซอยวัด" in told[0][1][0]["text"]
    assert "ได้รับการรับรองแล้ว" in told[0][1][0]["text"]
    csv_text = officer.get("/admin/community-plans/action-plan.csv?fy=2569").get_data(as_text=True)
    assert csv_text.startswith("\ufeffdistrict,community,priority,project")
    assert "ติดตั้งไฟส่องสว่างในซอยวัด,,150000,2569,1,0" in csv_text
    printable = officer.get("/admin/community-plans/action-plan?fy=2569").get_data(as_text=True)
    assert "150,000" in printable
    db.commit()
    assert db.execute("SELECT count(*) FROM audit_log WHERE action LIKE 'community_plan.%'"
                      ).fetchone()[0] == 4
