"""The public progress page in a real browser (Debian's chromium through Playwright), on a
phone-sized screen: it fits without sideways scrolling, the bars are drawn to scale, the
strict CSP raises no violation, the timeline opens, the photo loads; and the staff's
announcement preview as a resident would see it.

Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.admin_support import HOME, accounts  # noqa: F401
from tests.browser.test_admin_browser import ARTIFACTS, browser, sign_in  # noqa: F401
from tests.progress_support import PNG, file, report, world  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, stack):
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("response", lambda r: page.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    yield page
    context.close()


def _reports(db, world):
    file(db, world, report(dt.date(2025, 11, 1), 20, 250_000,
                           narrative="รื้อผิวถนนเดิมและวางท่อระบายน้ำช่วงแรก"))
    file(db, world, report(dt.date(2026, 1, 15), 55, 400_000, on_plan=False,
                           narrative="ปูผิวถนนแล้ว 440 เมตร ฝนตกหนักสองสัปดาห์ งานล่าช้าเล็กน้อย"),
         photo=PNG)


def test_public_progress_page_on_a_phone(phone, db, world):
    _reports(db, world)
    phone.goto(f"/progress/district/{HOME}")
    assert phone.locator("h1").inner_text() == "เขตทุ่งครุ"
    card = phone.locator("article.project")
    assert card.count() == 1
    assert "55%" in card.locator(".percent").inner_text()
    assert "เบิกจ่ายแล้ว 650,000 จาก 1,200,000 บาท" in card.inner_text()
    # No sideways scrolling on a 390 px screen.
    assert phone.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    # The progress bar is drawn to scale: the fill is 55% of the track.
    track = card.locator("svg.bar-progress rect.track").bounding_box()
    fill = card.locator("svg.bar-progress rect.fill").bounding_box()
    assert abs(fill["width"] / track["width"] - 0.55) < 0.02
    money_track = card.locator("svg.bar-money rect.track").bounding_box()
    money = card.locator("svg.bar-money rect.fill").bounding_box()
    assert abs(money["width"] / money_track["width"] - 650_000 / 1_200_000) < 0.02
    assert abs(money_track["width"] - track["width"]) < 1          # the two bars line up
    # The timeline opens (newest first) without any script.
    card.locator("details.timeline summary").click()
    items = card.locator("ol.reports li.report")
    assert items.count() == 2
    assert items.first.locator(".report-head").inner_text().startswith("รายงานครั้งที่ 2")
    assert phone.locator("figure.chart svg").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "progress-district-phone.png"), full_page=True)
    card.locator("h3 a").click()
    phone.wait_for_url(f"**/progress/project/{world.project_id}")
    photo = phone.locator("img.photo")
    assert photo.count() == 1
    assert phone.evaluate("img => img.complete && img.naturalWidth > 0", photo.element_handle())
    assert "PB-2569-TK-001" in phone.locator("dl.facts").inner_text()
    phone.screenshot(path=str(ARTIFACTS / "progress-project-phone.png"), full_page=True)
    phone.goto("/progress?lang=en")
    assert "Thung Khru" in phone.locator("ul.links").inner_text()
    data = phone.request.get(f"/progress/district/{HOME}/data.json").json()
    assert data["projects"][0]["percent"] == 55
    assert phone.problems == []                   # no CSP violation, no script error


def test_announcement_preview_as_a_resident_sees_it(browser, stack, db, world, accounts):
    _reports(db, world)
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []     # CSP violations are console errors; the admin has no favicon
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    try:
        sign_in(page, "somchai")
        page.wait_for_url("**/admin/")
        page.goto(f"/admin/progress/{world.project_id}")
        page.click("text=ประกาศถึงผู้อยู่อาศัย >> nth=-1")
        page.wait_for_url("**/admin/announcements/new*")
        page.fill("textarea[name=text_th]", "โครงการซ่อมถนนซอยประชาอุทิศ 45 คืบหน้าแล้ว 55% ค่ะ")
        page.click("button >> text=บันทึกและดูตัวอย่าง")
        page.wait_for_url("**/admin/announcements/*")
        preview = page.locator(".chat-preview").first
        assert "คืบหน้าแล้ว 55% ค่ะ" in preview.locator(".bubble").first.inner_text()
        track = preview.locator(".bg-track").first.bounding_box()
        fill = preview.locator(".bg-primary.h-bar").first.bounding_box()
        assert abs(fill["width"] / track["width"] - 0.55) < 0.03
        assert "จะส่งถึงผู้อยู่อาศัย 5 คน" in page.locator(".send-box").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "announcement-preview.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
