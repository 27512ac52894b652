"""Issue 18: the indicator panel in a real browser (Debian's chromium through Playwright),
on a desktop and a phone, with axe-core (WCAG 2 A/AA) on ``/admin/indicators`` and the
public ``/indicators`` (Thai and English). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json

import pytest

from pb import indicators
from pb.processes import Indicator
from tests.admin_support import HOME, OTHER, accounts  # noqa: F401
from tests.browser.test_officer_day_browser import (ARTIFACTS, VIEWPORTS, Walk, browser,  # noqa: F401
                                                    sign_in)

pytestmark = pytest.mark.browser


@pytest.fixture
def doubled(monkeypatch):
    met = {"hearing": {HOME, OTHER}, "council": {HOME}, "council_monthly": {HOME},
           "community_plan": {OTHER}}

    def source(key):
        return lambda conn, fy: Indicator(key, frozenset(met.get(key, ())), 50,
                                          {"communities_registered": 12} if key ==
                                          "community_plan" else {})
    sources = {k: source(k) for k in indicators.KEYS if k != "pb"} | {"pb": indicators.pb_indicator}
    monkeypatch.setattr(indicators, "default_sources", lambda: sources)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_indicator_pages_pass_axe(browser, stack, db, clean, accounts, doubled, viewport):
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    walk = Walk(page, viewport)
    try:
        sign_in(page, "somchai")
        walk.go("admin-indicators", "/admin/indicators")
        assert page.locator("h1").inner_text() == "ตัวชี้วัดการมีส่วนร่วม"
        assert page.locator("svg[role=img]").count() == 1
        fy = page.locator("select#fy").input_value()
        page.select_option("select#fy", fy)
        page.click("form.year-picker button[type=submit]")
        page.wait_for_url(f"**/admin/indicators?fy={fy}")
        walk.check("admin-indicators-year")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"admin-indicators-{viewport}.png"), full_page=True)
        walk.go("public-indicators", "/indicators")
        assert page.locator("table.indicators-districts tbody tr").count() == 50
        walk.go("public-indicators-en", "/indicators?lang=en")
        assert "District city council" in page.content()
        page.screenshot(path=str(ARTIFACTS / f"public-indicators-{viewport}.png"), full_page=True)
    finally:
        context.close()
    failing = {name: found for name, found in walk.found.items() if found}
    (ARTIFACTS / f"axe-indicators-{viewport}.json").write_text(json.dumps(
        {"violations": failing, "too_wide": walk.too_wide, "urls": walk.urls},
        ensure_ascii=False, indent=1), encoding="utf-8")
    assert failing == {}, f"axe WCAG 2 A/AA violations ({viewport})"
    assert walk.too_wide == {}, f"pages wider than the phone: {walk.too_wide}"
