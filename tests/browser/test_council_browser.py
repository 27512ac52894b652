"""Issue 18: the district city council's staff pages in a real browser (Debian's chromium
through Playwright), on a desktop and a phone, with axe-core (WCAG 2 A/AA) on each page:
the councils list → set up a council → add a member → schedule a meeting → the meeting
page (open the window, residents' question groups, agenda) → the public page.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pb import council_questions
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, accounts  # noqa: F401
from tests.browser.test_officer_day_browser import (ARTIFACTS, VIEWPORTS, Walk, browser,  # noqa: F401
                                                    sign_in)

pytestmark = pytest.mark.browser


def _be(moment: dt.datetime) -> str:
    return moment.strftime(f"%d/%m/{moment.year + 543} %H:%M")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_council_pages_pass_axe(browser, stack, db, clean, accounts, chat, viewport):
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    walk = Walk(page, viewport)
    now = dt.datetime.now(BANGKOK)
    try:
        sign_in(page, "somchai")
        walk.go("council-index", "/admin/council")
        assert page.locator("h1").inner_text() == "สภาคนเมืองประจำเขต"
        page.fill("input[name=name]", "สภาคนเมืองเขตทุ่งครุ")
        page.fill("input[name=established_on]", "01/10/2568")
        page.click("main form button[type=submit]")
        page.wait_for_url("**/admin/council/*")
        walk.check("council-show")
        page.click("summary >> text=เพิ่มสมาชิก")
        form = page.locator("form[action$='/members']")
        form.locator("input[name=name]").fill("นางสมใจ รักชุมชน")
        form.locator("input[name=group_represented]").fill("ชุมชนริมคลอง")
        form.locator("input[name=term_starts_on]").fill("01/10/2568")
        form.locator("input[name=term_ends_on]").fill("30/09/2570")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "นางสมใจ รักชุมชน" in page.locator("main").inner_text()
        page.click("summary >> text=นัดประชุม")
        form = page.locator("form[action$='/meetings']")
        form.locator("input[name=meets_at]").fill(_be(now + dt.timedelta(days=3)))
        form.locator("input[name=place]").fill("ห้องประชุมสำนักงานเขตทุ่งครุ ชั้น 3")
        form.locator("input[name=opens_at]").fill(_be(now - dt.timedelta(hours=1)))
        form.locator("input[name=closes_at]").fill(_be(now + dt.timedelta(days=2)))
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/admin/council/meetings/*")
        walk.check("council-meeting-draft")
        page.click("main form button[type=submit] >> text=เปิดรับคำถามและเชิญประชาชน")
        page.wait_for_load_state("load")
        meeting_url = page.url
        # Two residents ask about the same thing: the second supports the first's question.
        for _ in range(2):
            resident = chat.onboarded(HOME)
            resident.say("ถามสภา")
            resident.say("ขอให้ขุดลอกคลองหน้าชุมชนก่อนหน้าฝน น้ำท่วมซอยทุกปี")
        resident.tap_button("สนับสนุนคำถามนี้")
        page.goto(meeting_url)
        walk.check("council-meeting-open")
        assert "กำลังรับคำถาม" in page.locator("main").inner_text()
        group = page.locator("input[name=group]")
        assert group.count() == 1
        group.check()
        page.fill("textarea[name=agenda]", "1. รับรองรายงานการประชุมครั้งก่อน")
        page.click("main form button[type=submit] >> text=บันทึกระเบียบวาระ")
        page.wait_for_load_state("load")
        assert "บันทึกระเบียบวาระแล้ว" in page.locator(".flash.success").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"admin-council-meeting-{viewport}.png"),
                        full_page=True)
        walk.go("council-public", "/council/ทุ่งครุ")
        assert "รับรองรายงานการประชุมครั้งก่อน" in page.content()
        walk.go("council-public-en", "/council/ทุ่งครุ?lang=en")
        page.screenshot(path=str(ARTIFACTS / f"public-council-{viewport}.png"), full_page=True)
    finally:
        context.close()
    process = db.execute("SELECT process_id FROM council_meetings").fetchone()[0]
    assert [(g.questions, g.supporters) for g in council_questions.groups(db, process)] == [(1, 1)]
    failing = {name: found for name, found in walk.found.items() if found}
    (ARTIFACTS / f"axe-council-{viewport}.json").write_text(json.dumps(
        {"violations": failing, "too_wide": walk.too_wide, "urls": walk.urls},
        ensure_ascii=False, indent=1), encoding="utf-8")
    assert failing == {}, f"axe WCAG 2 A/AA violations ({viewport})"
    assert walk.too_wide == {}, f"pages wider than the phone: {walk.too_wide}"
