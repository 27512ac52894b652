"""Issue 18: the community registry and plan pages in a real browser (Debian's chromium
through Playwright), on a desktop and a phone, with axe-core (WCAG 2 A/AA) on each page:
the registry (a CSV import with a bad row) → a community → its plan as the committee
(add a project) → the district's tracking page → adopt → the printable action plan.
"""

from __future__ import annotations

import json

import pytest

from pb import communities, community_plans
from pb import staff as staff_rows
from pb.scope import Scope
from tests.admin_support import HOME, PASSWORD, accounts  # noqa: F401
from tests.browser.test_officer_day_browser import (ARTIFACTS, VIEWPORTS, Walk, browser,  # noqa: F401
                                                    sign_in)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_community_plan_pages_pass_axe(browser, stack, db, clean, accounts, viewport, tmp_path):
    assert communities.import_csv(db, Scope.system(), (
        "name,district,type,contact\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,นายสมชาย 081-000-0000\n"
        "ชุมชนประชาอุทิศ 45,ทุ่งครุ,ชุมชนหมู่บ้านจัดสรร,\n").encode()).ok
    community_id = db.execute("SELECT id FROM communities WHERE name = 'ชุมชนวัดทุ่งครุ'"
                              ).fetchone()[0]
    staff_rows.create(db, username="committee", display_name="กรรมการชุมชน", password=PASSWORD,
                      role="community", community_id=community_id)
    plan_id = community_plans.start(db, Scope.system(), community_id,
                                    community_plans.this_fiscal_year())
    db.commit()
    bad = tmp_path / "registry.csv"
    bad.write_text("ชื่อชุมชน,เขต,ประเภท\n,ทุ่งครุ,ชุมชนแออัด\n", encoding="utf-8")
    walks = []
    for username in ("committee", "somchai"):
        context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                      viewport=VIEWPORTS[viewport], bypass_csp=True)
        page = context.new_page()
        walk = Walk(page, viewport)
        walks.append(walk)
        try:
            sign_in(page, username)
            if username == "committee":
                walk.go("community-plan-draft", f"/admin/community-plans/{plan_id}")
                page.fill("input[name=title]", "ติดตั้งไฟส่องสว่างในซอยวัด")
                page.fill("input[name=estimated_cost_baht]", "150000")
                page.click("form[action$='/projects'] button[type=submit]")
                page.wait_for_load_state("load")
                assert "เพิ่มโครงการในแผนแล้ว" in page.locator(".flash.success").inner_text()
                page.click("form[action$='/submit'] button[type=submit]")
                page.wait_for_load_state("load")
                walk.check("community-plan-sent")
                continue
            walk.go("communities", "/admin/communities")
            page.set_input_files("input[name=file]", str(bad))
            page.click("form[action$='/import'] button[type=submit]")
            page.wait_for_load_state("load")
            assert "ไม่มีชื่อชุมชน" in page.locator("main").inner_text()
            walk.check("communities-import-refused")
            walk.go("community", f"/admin/communities/{community_id}")
            walk.go("community-plans", "/admin/community-plans")
            walk.go("community-plan-review", f"/admin/community-plans/{plan_id}")
            page.check("input[name=entering]")
            page.click("#review-form button[type=submit]")
            page.wait_for_load_state("load")
            walk.check("community-plan-adopted")
            walk.go("community-action-plan", "/admin/community-plans/action-plan")
            assert "ติดตั้งไฟส่องสว่างในซอยวัด" in page.locator("main").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"admin-community-action-plan-{viewport}.png"),
                            full_page=True)
        finally:
            context.close()
    db.commit()
    assert db.execute("SELECT state FROM community_plans").fetchone()[0] == "adopted"
    failing = {name: found for w in walks for name, found in w.found.items() if found}
    too_wide = {name: width for w in walks for name, width in w.too_wide.items()}
    (ARTIFACTS / f"axe-community-plans-{viewport}.json").write_text(json.dumps(
        {"violations": failing, "too_wide": too_wide}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    assert failing == {}, f"axe WCAG 2 A/AA violations ({viewport}): {failing}"
    assert too_wide == {}, f"pages wider than the phone: {too_wide}"
