"""The admin in a real browser (Debian's chromium through Playwright): sign in, a
failed sign-in, a merge, a promotion to a project, a forged form refused (CSRF),
an officer kept out of another district, and resident text shown escaped.

A screenshot of the cluster page is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pb import projects, review
from pb.scope import Scope
from tests.admin_support import (HOME, OTHER, PASSWORD, accounts, cluster_of,  # noqa: F401
                                 resident, seed_ideas)
from workers.clustering import refresh_keywords

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SIANG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]

ROADS = ["ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ รถติดมาก",
         "ถนนซอยประชาอุทิศ 45 เป็นหลุมบ่อ ซ่อมด่วน",
         "ถนนซอยประชาอุทิศ 45 พังเป็นหลุมเป็นบ่อ"]
LIGHTS = ["ไฟฟ้าส่องสว่างในซอยดับ มืดมาก อันตราย",
          "ไฟฟ้าส่องสว่างในซอยดับหลายดวง มืดมาก"]
XSS = "<script>alert(1)</script> ไฟฟ้าส่องสว่างในซอยดับ มืดมาก"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


@pytest.fixture
def world(db, clean, accounts, sim):
    sim.set_profile("U" + "d" * 32, "ผู้อยู่อาศัย", "th", following=True)
    rid = resident(db, "U" + "d" * 32)
    roads = seed_ideas(db, clean, [(HOME, t) for t in ROADS], resident_id=rid,
                       lat_lon=(13.6405, 100.5060))
    lights = seed_ideas(db, clean, [(HOME, t) for t in LIGHTS + [XSS]],
                        lat_lon=(13.6450, 100.4990))
    other = seed_ideas(db, clean, [(OTHER, "ขยะล้นถังริมคลองทุกวัน")])
    for district in (HOME, OTHER):
        refresh_keywords(db, roads.process_id, district)
    return {"road": cluster_of(db, roads.ideas[0]), "light": cluster_of(db, lights.ideas[0]),
            "other": cluster_of(db, other.ideas[0]), "road_ideas": roads.ideas,
            "light_ideas": lights.ideas}


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit] >> text=เข้าสู่ระบบ")


def test_sign_in_and_a_failed_sign_in(page, world):
    sign_in(page, "somchai", "this is not the password")
    assert page.locator("[role=alert]").inner_text() == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")                # the dashboard is the home page (issue 16)
    assert page.locator("h1").inner_text() == "แดชบอร์ด"
    assert "สมชาย ใจดี" in page.locator("header.topbar").inner_text()


def test_cluster_page_screenshot_and_escaped_resident_text(page, world):
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/clusters/{world['light']}")
    cell = page.locator("td.text", has_text="<script>alert(1)</script>")
    assert cell.count() == 1                      # shown as text, not run
    assert page.dialogs == []
    assert page.locator("svg circle.map-point").count() == 3
    assert "U" + "d" * 32 not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"/admin/clusters/{world['road']}")
    page.screenshot(path=str(ARTIFACTS / "admin-cluster-page.png"), full_page=True)
    page.goto("/admin/clusters")
    page.screenshot(path=str(ARTIFACTS / "admin-cluster-list.png"), full_page=True)
    assert page.dialogs == []


def test_merge_in_the_browser(page, world, db):
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/clusters/{world['light']}")
    page.click("summary >> text=รวมเข้ากับกลุ่มอื่น")
    page.select_option("form[action$='/merge'] select[name=target]", str(world["road"]))
    page.click("form[action$='/merge'] button[type=submit]")
    page.wait_for_url(f"**/admin/clusters/{world['light']}")
    assert "รวมกลุ่มแล้ว" in page.locator(".flash.success").inner_text()
    assert all(cluster_of(db, i) == world["road"] for i in world["light_ideas"])
    page.goto(f"/admin/clusters/{world['road']}")
    assert page.locator("table.ideas tbody tr").count() == 6


def test_promotion_to_a_costed_project(page, world, db, work, sim):
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/clusters/{world['road']}")
    page.click("summary >> text=โครงการ")
    page.click("text=พัฒนาเป็นร่างโครงการใหม่")
    page.fill("input[name=title]", "ซ่อมถนนซอยประชาอุทิศ 45")
    page.fill("textarea[name=description]", "ปูผิวถนนใหม่ 800 เมตร")
    page.fill("input[name=location]", "ซอยประชาอุทิศ 45")
    page.fill("input[name=estimated_cost_baht]", "1,250,000")
    page.fill("input[name=starts_on]", "01/10/2568")
    page.fill("input[name=ends_on]", "31/03/2569")
    page.fill("input[name=kpi_indicator]", "ความยาวถนนที่ซ่อมแล้ว (เมตร)")
    page.fill("input[name=kpi_target]", "800")
    page.fill("input[name=responsible_unit]", "สำนักงานเขตทุ่งครุ / ฝ่ายโยธา")
    page.click("button >> text=สร้างร่างโครงการ")
    page.wait_for_url("**/admin/projects/*")
    assert "สร้างร่างโครงการแล้ว" in page.locator(".flash.success").inner_text()
    body = page.locator("main").inner_text()
    assert "1,250,000" in body and "01/10/2568" in body and "31/03/2569" in body
    page.click("button >> text=เปลี่ยนสถานะเป็น: พร้อมให้โหวต")
    assert "พร้อมให้โหวต" in page.locator("hgroup").inner_text()
    project = projects.list_projects(db, Scope.system())[0]
    db.commit()
    assert (project.state, project.estimated_cost_baht) == ("ready_for_vote", 1_250_000)
    work()
    told = sim.texts("U" + "d" * 32)
    assert len(told) == 1 and "ซ่อมถนนซอยประชาอุทิศ 45" in told[0]
    sign_in_admin = page.context.browser.new_context(base_url=page.url.split("/admin")[0])
    admin = sign_in_admin.new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/audit")
    audit_text = admin.locator("table.audit").inner_text()
    assert "สร้างโครงการ" in audit_text and "เปลี่ยนสถานะโครงการ" in audit_text
    sign_in_admin.close()


def test_forged_cross_site_form_is_refused(page, world, db, stack):
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")
    target = f"{stack['bot_url']}/admin/clusters/{world['road']}/rename"
    # Another site's page posting to the admin, without our CSRF token.
    page.goto(f"{stack['sim_url']}/chat")
    page.set_content(f"""<form method="post" action="{target}" id="f">
        <input name="version" value="1"><input name="label" value="ถูกแฮก"></form>""")
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    assert "แบบฟอร์มหมดอายุ" in page.content()
    # And from the admin's own origin, a form missing the token.
    page.goto(f"/admin/clusters/{world['road']}")
    with page.expect_navigation():
        page.evaluate(f"""() => {{ const f = document.createElement('form'); f.method = 'post';
            f.action = '{target}'; f.innerHTML = '<input name=version value=1>' +
            '<input name=label value=hacked>'; document.body.appendChild(f); f.submit(); }}""")
    assert "CSRF" in page.locator("main").inner_text()
    assert review.get_cluster(db, Scope.system(), world["road"]).label is None
    db.commit()


def test_officer_is_kept_out_of_another_district(page, world):
    sign_in(page, "somchai")
    page.wait_for_url("**/admin/")
    response = page.goto(f"/admin/clusters/{world['other']}")
    assert response.status == 404
    assert "อยู่นอกเขตที่คุณดูแล" in page.locator("main").inner_text()
    page.goto(f"/admin/clusters?district={OTHER}")
    assert "ไม่พบกลุ่มที่ตรงกับเงื่อนไข" in page.locator("table").inner_text()
