"""Issue 16: a district officer's day in a real browser (Debian's chromium through Playwright),
on a desktop (1280×800) and a phone (390×844), with axe-core on every page.

The walk: sign in → dashboard (or the cluster list) → a cluster → a project (its dates
corrected) → a voting round opened and closed (upkeep jobs; the page shows the step) →
results published → the public results → a progress report → an announcement draft →
the messages sent → the audit log (as the admin) → the public progress pages. axe-core
(vendored in ``assets/``, MPL-2.0) runs on each page with the WCAG 2 A and AA rules; the
test fails on any violation, and on a phone also when a page is wider than the screen.
The counts per page go to ``test-artifacts/axe-<viewport>.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pb import ballots, round_changes, rounds
from pb.scope import Scope
from tests.admin_support import PASSWORD, accounts, resident  # noqa: F401
from tests.progress_support import world  # noqa: F401
from tests.voting_support import fields as round_fields
from tests.voting_support import project as ready_project

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SIANG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        "--disable-dev-shm-usage"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
HOME = "ทุ่งครุ"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Walk:
    """A page plus the axe findings of every page it visited."""

    def __init__(self, page, viewport: str) -> None:
        self.page, self.viewport = page, viewport
        self.found: dict[str, list[dict]] = {}
        self.too_wide: dict[str, int] = {}
        self.urls: dict[str, str] = {}

    def check(self, name: str) -> None:
        """Run axe (WCAG 2 A/AA) on the current page; on a phone, measure its width."""
        self.page.wait_for_load_state("load")
        self.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', "
            "values: tags}}); return r.violations.map(v => ({id: v.id, impact: v.impact, "
            "nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }",
            WCAG)
        self.found[name] = result
        self.urls[name] = self.page.url
        if self.viewport == "phone":
            width = self.page.evaluate("document.documentElement.scrollWidth")
            if width > VIEWPORTS["phone"]["width"]:
                self.too_wide[name] = width

    def go(self, name: str, url: str) -> None:
        self.page.goto(url)
        self.check(name)


def sign_in(page, username: str) -> None:
    page.goto("/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("load")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_an_officers_day_passes_axe(browser, stack, db, world, accounts, work, viewport):
    rivals = [ready_project(db, "ลอกท่อระบายน้ำซอย 7", 400_000, HOME),
              ready_project(db, "ติดไฟส่องสว่างซอย 9", 300_000, HOME)]
    with db.transaction():
        round_id = round_changes.create(db, Scope.system(), round_fields(
            rivals, district=HOME, k=1, title="โหวตโครงการเขตทุ่งครุ 2569"))
    db.commit()
    context = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                  viewport=VIEWPORTS[viewport], bypass_csp=True)
    walk = Walk(context.new_page(), viewport)
    page = walk.page
    try:
        walk.go("login", "/admin/login")
        sign_in(page, "somchai")
        walk.check("home")                                   # the dashboard, where it exists
        walk.go("clusters", "/admin/clusters")
        page.screenshot(path=str(ARTIFACTS / f"officer-day-clusters-{viewport}.png"))
        page.locator("table.clusters tbody a").first.click()
        walk.check("cluster")
        walk.go("projects", "/admin/projects")
        walk.go("project", f"/admin/projects/{world.project_id}")
        page.click("details.dates-correction summary")
        page.fill("details.dates-correction input[name=reason]", "ปรับตามงบประมาณที่อนุมัติ")
        page.click("details.dates-correction button[type=submit]")
        walk.check("project-dates-saved")
        walk.go("rounds", "/admin/rounds")
        walk.go("round-draft", f"/admin/rounds/{round_id}")
        assert "ไม่นับ" not in page.locator("section.turnout").inner_text()
        page.click("form[action$='/open'] button")
        walk.check("round-opening")
        assert page.locator(".step-progress").count() == 1
        work()
        page.goto(f"/admin/rounds/{round_id}")
        assert rounds.load(db, round_id).state == "open"
        voter = resident(db, "U" + "f" * 32, HOME)
        code = rounds.projects_of(db, round_id)[0].id
        with db.transaction():
            ballots.cast(db, round_id, [code], resident_id=voter, district=HOME)
        db.commit()
        page.goto(f"/admin/rounds/{round_id}")
        page.click("form[action$='/close'] button")
        work()
        page.goto(f"/admin/rounds/{round_id}")
        walk.check("round-tallied")
        page.click("form[action$='/publish'] button")
        walk.check("round-published")
        walk.go("results", f"/results/{round_id}")
        walk.go("results-en", f"/results/{round_id}?lang=en")
        walk.go("progress", "/admin/progress")
        walk.go("progress-project", f"/admin/progress/{world.project_id}")
        page.fill("textarea[name=narrative]", "สำรวจพื้นที่และออกแบบแล้ว")
        page.fill("input[name=percent]", "10")
        page.check("input[name=on_plan][value=yes]")
        page.check("input[name=on_target][value=yes]")
        page.click("form.report-form button[type=submit]")
        walk.check("progress-filed")
        walk.go("announcement", f"/admin/announcements/new?project={world.project_id}")
        walk.go("announcements", "/admin/announcements")
        walk.go("sent", "/admin/sent")
        walk.go("flagged", "/admin/flagged")
        for extra in ("/admin/dashboard", "/admin/staff", "/admin/exports"):
            if page.goto(extra).status == 200:
                walk.check(extra.rsplit("/", 1)[1])
        walk.go("public-progress", "/progress")
        walk.go("public-district", f"/progress/district/{HOME}")
        walk.go("public-project", f"/progress/project/{world.project_id}")
        admin = browser.new_context(base_url=stack["bot_url"], locale="th-TH",
                                    viewport=VIEWPORTS[viewport], bypass_csp=True)
        walk.page = admin.new_page()
        sign_in(walk.page, "admin")
        walk.go("audit", "/admin/audit")
        ARTIFACTS.mkdir(exist_ok=True)
        walk.page.screenshot(path=str(ARTIFACTS / f"officer-day-audit-{viewport}.png"))
        admin.close()
        page.goto(f"/results/{round_id}")
        page.screenshot(path=str(ARTIFACTS / f"officer-day-results-{viewport}.png"),
                        full_page=True)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"axe-{viewport}.json").write_text(json.dumps(
            {"pages": {k: {"violations": len(v), "nodes": sum(x["nodes"] for x in v),
                           "rules": v} for k, v in walk.found.items()},
             "too_wide": walk.too_wide, "urls": walk.urls}, ensure_ascii=False, indent=1), encoding="utf-8")
        context.close()
    failing = {k: [(v["id"], v["nodes"], v["targets"]) for v in found]
               for k, found in walk.found.items() if found}
    assert failing == {}, f"axe WCAG 2 A/AA violations ({viewport})"
    assert walk.too_wide == {}, "pages wider than the phone's screen"
