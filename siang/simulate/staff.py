"""Staff through the admin over HTTP: review clusters into costed projects, run the rounds,
import paper ballots, publish, report progress and announce; every step a form post with the
session's CSRF token, as a person at the admin does it."""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from dataclasses import dataclass, field

from pb.thaidate import BANGKOK
from siang.simulate.browser import Browser, forms_of


@dataclass
class DistrictRound:
    """What staff set up for one district: its projects and round."""

    district: str
    project_ids: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    round_id: int | None = None
    codes: dict[int, str] = field(default_factory=dict)      # project id -> round code
    budget: int = 0
    k: int = 3


def be_date(moment: dt.datetime) -> str:
    """``dd/mm/BBBB`` in Bangkok time (what staff type)."""
    local = moment.astimezone(BANGKOK)
    return f"{local.day:02d}/{local.month:02d}/{local.year + 543}"


def be_datetime(moment: dt.datetime) -> str:
    """``dd/mm/BBBB HH:MM`` in Bangkok time (the round form's opening and closing)."""
    local = moment.astimezone(BANGKOK)
    return f"{be_date(moment)} {local.hour:02d}:{local.minute:02d}"


def cluster_ids(browser: Browser, district: str, n: int) -> list[int]:
    """The ``n`` largest clusters of a district, as the clusters page lists them."""
    html = browser.get(f"/admin/clusters?district={district}&sort=size").text
    found = list(dict.fromkeys(int(c) for c in re.findall(r'href="/admin/clusters/(\d+)"', html)))
    return found[:n]


def promote(browser: Browser, district: str, clusters: list[int], costs: list[int],
            now: dt.datetime) -> DistrictRound:
    """Each cluster promoted to a project with its cost, then moved to "ready for vote"."""
    plan = DistrictRound(district)
    for cluster_id, cost in zip(clusters, costs):
        page = browser.get(f"/admin/projects/new?cluster={cluster_id}")
        shown = dict(next(f for f in forms_of(page.text) if not f["action"])["fields"])
        title = shown.get("title", "").strip() or f"แก้ปัญหาในเขต{district} (กลุ่ม #{cluster_id})"
        resp = browser.submit(page, "", {
            "title": title,
            "description": f"โครงการจากไอเดียของประชาชนเขต{district} (กลุ่ม #{cluster_id})",
            "location": f"เขต{district}", "estimated_cost_baht": str(cost),
            "starts_on": be_date(now),
            "ends_on": be_date(now + dt.timedelta(days=400)),
            "kpi_indicator": "จุดที่แก้ไขแล้ว", "kpi_target": "10",
            "responsible_unit": f"สำนักงานเขต{district}"})
        match = re.search(r"/admin/projects/(\d+)$", resp.url)
        if not match:
            raise RuntimeError(f"promoting cluster #{cluster_id} did not make a project")
        project_id = int(match.group(1))
        browser.submit(resp, f"/admin/projects/{project_id}/state", {"state": "ready_for_vote"})
        plan.project_ids.append(project_id)
        plan.costs.append(cost)
    return plan


def create_round(browser: Browser, plan: DistrictRound, now: dt.datetime, quorum: int) -> None:
    """A district round over the plan's projects (approval, k), saved then opened."""
    plan.budget = max(max(plan.costs), int(sum(plan.costs) * 0.4))
    page = browser.get("/admin/rounds/new")
    resp = browser.submit(page, "", {
        "title": f"โหวตโครงการเขต{plan.district}", "district": plan.district,
        "budget_baht": str(plan.budget), "ballot_type": "approval", "max_picks": str(plan.k),
        "quorum_kind": "ballots", "quorum_value": str(quorum),
        "opens_at": be_datetime(now - dt.timedelta(minutes=1)),
        "closes_at": be_datetime(now + dt.timedelta(days=14)), "rule": "greedy",
        "completion": "default", "project": [str(p) for p in plan.project_ids]})
    match = re.search(r"/admin/rounds/(\d+)$", resp.url)
    if not match:
        raise RuntimeError(f"the round of {plan.district} was not saved")
    plan.round_id = int(match.group(1))
    for row in re.finditer(r'<tr><td>([^<]+)</td><td class="text"><a href="/admin/projects/(\d+)"',
                           resp.text):
        plan.codes[int(row.group(2))] = row.group(1)
    browser.submit(resp, f"/admin/rounds/{plan.round_id}/open", {})


def wait_state(browser: Browser, round_id: int, states: tuple[str, ...], conn_state,
               timeout_s: float = 300) -> str:
    """Reload the round page until the round reaches one of ``states`` (read by ``conn_state``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = conn_state(round_id)
        if state in states:
            return state
        time.sleep(0.5)
    raise RuntimeError(f"round #{round_id} stayed {conn_state(round_id)!r}, not {states}")


def import_paper(browser: Browser, plan: DistrictRound, rows: list[tuple[str, list[int]]]) -> None:
    """Upload the paper ballots of the round as CSV (voter reference, project codes)."""
    if not rows:
        return
    lines = ["voter_ref,projects"] + [
        f"{ref},{' '.join(plan.codes[plan.project_ids[i]] for i in picks)}" for ref, picks in rows]
    page = browser.get(f"/admin/rounds/{plan.round_id}")
    browser.submit(page, f"/admin/rounds/{plan.round_id}/paper", {},
                   files={"file": ("paper.csv", ("\n".join(lines) + "\n").encode(), "text/csv")})


def close(browser: Browser, plan: DistrictRound) -> None:
    """Close the round now (the round page's button); the tally follows in the background."""
    page = browser.get(f"/admin/rounds/{plan.round_id}")
    browser.submit(page, f"/admin/rounds/{plan.round_id}/close", {})


def publish(browser: Browser, plan: DistrictRound) -> None:
    """Publish the tallied round (the round page's button); voters are told in LINE."""
    page = browser.get(f"/admin/rounds/{plan.round_id}")
    browser.submit(page, f"/admin/rounds/{plan.round_id}/publish", {})


def export_pb(browser: Browser, plan: DistrictRound) -> str:
    """The round's pabulib file as the admin exports it."""
    return browser.get(f"/admin/rounds/{plan.round_id}/export.pb").text


def progress_report(browser: Browser, project_id: int, now: dt.datetime, rng: random.Random) -> None:
    """Report 1 on a selected project (percent done, money disbursed, on plan)."""
    page = browser.get(f"/admin/progress/{project_id}")
    cost = re.search(r"([\d,]+)\s*(?:บาท|baht)", page.text)
    page = browser.submit(page, f"/admin/progress/{project_id}/form", {
        "budget_received_baht": cost.group(1).replace(",", "") if cost else "1000000",
        "rationale": "ประชาชนเสนอผ่านไลน์", "objectives": "แก้ปัญหาที่ประชาชนแจ้ง"})
    browser.submit(page, f"/admin/progress/{project_id}/reports", {
        "report_date": be_date(now), "narrative": "สำรวจพื้นที่และเริ่มดำเนินการแล้วค่ะ",
        "percent": str(rng.randint(5, 40)), "disbursed_baht": "0", "on_plan": "yes",
        "on_target": "yes"})


def announce(browser: Browser, district: str, text: str) -> int:
    """An urgent announcement to a district's residents, sent; returns its id."""
    page = browser.get("/admin/announcements/new")
    resp = browser.submit(page, "", {"audience": "district", "district": district,
                                     "text_th": text, "urgent": "y"})
    match = re.search(r"/admin/announcements/(\d+)$", resp.url)
    if not match:
        raise RuntimeError(f"the announcement to {district} was not saved")
    announcement_id = int(match.group(1))
    browser.submit(resp, f"/admin/announcements/{announcement_id}/send", {})
    return announcement_id
