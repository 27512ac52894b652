"""The staff dashboard at ``/admin/`` (issue 16): the day's first page for an officer.

Ideas this week (and a bar per day), residents taking part, open voting
rounds with turnout against the quorum, projects by state, progress reports
due, announcements waiting and sent, and flagged ideas waiting for a
decision, all within the staff member's districts (``pb.dashboard`` with
their scope). Charts are inline SVG drawn on the server, as the public
progress pages draw theirs: no script, readable without colour (every bar
carries its number).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from admin import messages
from admin.auth import current_scope, db, login_required
from pb import dashboard as figures
from pb import districts
from pb.projects import STATES as PROJECT_STATES

bp = Blueprint("dashboard", __name__)
CHART_WIDTH = 560            # SVG user units; the SVG scales to its box
DAY_BAR_HEIGHT = 120


@dataclass
class Bar:
    """One bar of a chart, in SVG user units."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def day_bars(by_day: list, width: int = CHART_WIDTH, height: int = DAY_BAR_HEIGHT) -> list[Bar]:
    """Vertical bars, one per (date, ideas) pair, scaled to the busiest day; labels dd/mm."""
    top = max((n for _d, n in by_day), default=0) or 1
    slot = width / max(len(by_day), 1)
    bars = []
    for i, (day, n) in enumerate(by_day):
        h = height * n / top
        bars.append(Bar(f"{day.day}/{day.month}", n, i * slot + 4, 20 + height - h,
                        slot - 8, h))
    return bars


def state_bars(counts: dict[str, int], width: int = CHART_WIDTH - 200) -> list[Bar]:
    """Horizontal bars, one per project state in lifecycle order (all states shown)."""
    top = max(counts.values(), default=0) or 1
    return [Bar(str(messages.PROJECT_STATES.get(state, state)), counts.get(state, 0), 0,
                i * 30, width * counts.get(state, 0) / top, 20)
            for i, state in enumerate(PROJECT_STATES)]


@bp.get("/")
@login_required
def index():
    """The dashboard of the signed-in staff member's districts."""
    scope = current_scope()
    with db() as conn:
        board = figures.load(conn, scope)
    shown = scope.visible_districts(districts.THAI_NAMES)
    return render_template(
        "admin/dashboard.html", board=board, day_bars=day_bars(board.ideas_by_day),
        state_bars=state_bars(board.projects_by_state), chart_width=CHART_WIDTH,
        day_bar_height=DAY_BAR_HEIGHT, districts_shown=shown,
        all_districts=scope.districts is None,
        report_interval=figures.REPORT_INTERVAL_DAYS)
