"""Issue 18: the district hearing staff pages in a real browser (Debian's chromium through
Playwright), on a desktop and a phone, with axe-core (WCAG 2 A/AA) on each page: the
hearings list → a new hearing (a bad question line first) → the draft → open it →
residents answer in LINE → results (chart, grouped answers) → the printable summary →
publish → the public page. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json

import pytest

from tests.admin_support import HOME, accounts  # noqa: F401
from tests.browser.test_officer_day_browser import (ARTIFACTS, VIEWPORTS, Walk, browser,  # noqa: F401
                                                    sign_in)

pytestmark = pytest.mark.browser

ANSWERS = ["น้ำท่วมขังซอยประชาอุทิศ 90 ทุกครั้งที่ฝนตก อยากให้ลอกท่อระบายน้ำ",
           "ท่อระบายน้ำอุดตัน น้ำท่วมขังถนนประชาอุทิศทุกปี"]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_hearing_pages_pass_axe(browser, stack, db, clean, accounts, chat, viewport):
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    walk = Walk(page, viewport)
    residents = [chat.onboarded(HOME) for _ in ANSWERS]
    try:
        sign_in(page, "somchai")
        walk.go("hearings-index", "/admin/hearings")
        assert page.locator("h1").inner_text() == "รับฟังความคิดเห็นของเขต"
        walk.go("hearing-new", "/admin/hearings/new")
        page.fill("input[name=title]", "รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ ปี 2569")
        page.fill("input[name=closes_on]", "30/09/2600")
        page.fill("textarea[name=questions]", "เปิด: ข้อเสนอของท่าน\nไม่รู้: อะไร")
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        walk.check("hearing-new-error")
        assert "บรรทัดคำถามที่ 2" in page.locator(".flash.error").inner_text()
        page.fill("textarea[name=questions]",
                  "เปิด: ข้อเสนอของท่าน\nเลือกหนึ่ง: เรื่องเร่งด่วน | น้ำท่วม | ขยะ\n"
                  "คะแนน: ความพึงพอใจต่อสำนักงานเขต")
        page.fill("input[name=session_place]", "ห้องประชุมสำนักงานเขตทุ่งครุ")
        page.fill("input[name=session_at]", "01/01/2600 13:00")
        page.fill("input[name=session_capacity]", "60")
        page.click("main form button[type=submit]")
        page.wait_for_url("**/admin/hearings/*")
        walk.check("hearing-draft")
        page.click("main form button[type=submit] >> text=เปิดและเชิญประชาชน")
        page.wait_for_load_state("load")
        assert "เชิญประชาชน 2 คน" in page.locator(".flash.success").inner_text()
        hearing_url = page.url
        hearing_id = int(hearing_url.rstrip("/").rsplit("/", 1)[1])
        for resident, text in zip(residents, ANSWERS):
            resident.tap_data(f"a=hear&c=start&p={hearing_id}")
            resident.say(text)
            resident.tap_button("น้ำท่วม")
            resident.tap("4")
        page.goto(hearing_url)
        walk.check("hearing-results")
        main = page.locator("main").inner_text()
        assert "ประชาชนร่วมตอบ 2 คน" in main and "ท่อระบายน้ำอุดตัน" in main
        assert page.locator("main svg").count() == 2
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"admin-hearing-{viewport}.png"), full_page=True)
        walk.go("hearing-summary", f"/admin/hearings/{hearing_id}/summary")
        assert "ประมวลสรุปข้อคิดเห็น" in page.locator("h1").inner_text()
        page.goto(hearing_url)
        page.fill("textarea[name=summary]", "ประชาชนเสนอให้แก้ปัญหาน้ำท่วมขังเป็นอันดับแรก")
        page.click("main form button[type=submit] >> text=เผยแพร่สรุปผล")
        page.wait_for_load_state("load")
        assert "จะแจ้งผู้ที่ร่วมตอบ 2 คน" in page.locator(".flash.success").inner_text()
        walk.go("hearing-public", f"/hearings/{hearing_id}")
        assert "ประชาชนเสนอให้แก้ปัญหาน้ำท่วมขังเป็นอันดับแรก" in page.content()
        walk.go("hearing-public-en", f"/hearings/{hearing_id}?lang=en")
        page.screenshot(path=str(ARTIFACTS / f"public-hearing-{viewport}.png"), full_page=True)
    finally:
        context.close()
    failing = {name: found for name, found in walk.found.items() if found}
    (ARTIFACTS / f"axe-hearings-{viewport}.json").write_text(json.dumps(
        {"violations": failing, "too_wide": walk.too_wide, "urls": walk.urls},
        ensure_ascii=False, indent=1), encoding="utf-8")
    assert failing == {}, f"axe WCAG 2 A/AA violations ({viewport}): {failing}"
    assert walk.too_wide == {}, f"pages wider than the phone: {walk.too_wide}"
