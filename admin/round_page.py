"""What a voting round's page shows, to staff and to the public.

Labels for states, ballot types and rules; the state staff read; one result
row per project under the round's rule and the other one; the bars of the
inline SVG chart (no script); and :func:`round_page`, every value the staff
page (``admin/round.html``) and the public results page
(``admin/round_public.html``) render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from flask_babel import lazy_gettext as _l

from pb import ballots, results, rounds
from pb.rounds import Round, RoundProject

STATES = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "tallied": _l("Tallied"),
    "published": _l("Published"),
}
BALLOT_TYPES = {"approval": _l("Approval (at most k picks)"),
                "knapsack": _l("Knapsack (picks must fit the envelope)"),
                "cumulative": _l("Cumulative points (imported)")}
RULES = {"greedy": _l("Greedy by votes within the budget"),
         "mes": _l("Method of Equal Shares")}
RULES_SHORT = {"greedy": _l("Greedy"), "mes": _l("MES")}
COMPLETIONS = {"default": _l("Budget increase in steps of one percent (pabutools voter_budget_increment)"),
               "add1": _l("Add1: budget increase one baht at a time (exact, slow)")}


def display_state(voting_round: Round) -> str:
    """The state staff read: an open round before its opening time is "scheduled"."""
    if voting_round.state == "open" and voting_round.opens_at > dt.datetime.now(dt.timezone.utc):
        return "scheduled"
    return voting_round.state


@dataclass
class ResultRow:
    """One project's line in the results table."""

    code: str
    title: str
    cost: int
    votes: int
    share: float              # percent of ballots
    chosen_win: bool          # funded under the round's rule
    other_win: bool           # funded under the other rule
    points: int | None


@dataclass
class ChartBar:
    """One bar of the results chart, in viewBox units (:data:`CHART_WIDTH` wide)."""

    y: float
    width: float
    label: str
    count: str
    winner: bool


def result_rows(voting_round: Round, on_ballot: list[RoundProject],
                stored: dict[str, results.RoundResult]) -> list[ResultRow]:
    """One row per project, most votes first (ties: ballot order)."""
    chosen = stored.get(voting_round.rule)
    other = stored.get(voting_round.other_rule())
    if chosen is None:
        return []
    win = set(chosen.winners)
    other_win = set(other.winners) if other else set()
    rows = [ResultRow(p.code, p.title, p.cost_baht, int(chosen.votes.get(p.code, 0)),
                      100.0 * int(chosen.votes.get(p.code, 0)) / chosen.ballots if chosen.ballots else 0.0,
                      p.code in win, p.code in other_win,
                      int(chosen.points[p.code]) if chosen.points and p.code in chosen.points else None)
            for p in on_ballot]
    rows.sort(key=lambda r: -(r.points if r.points is not None else r.votes))
    return rows


CHART_WIDTH = 400          # viewBox units: 15-unit text stays readable scaled to a phone
CHART_ROW = 48


def chart(rows: list[ResultRow], limit: int = 60) -> tuple[list[ChartBar], int]:
    """Bars of votes per project for the inline SVG: (bars, height in px)."""
    shown = rows[:limit]
    top = max((r.points if r.points is not None else r.votes for r in shown), default=0) or 1
    bars = []
    for n, r in enumerate(shown):
        value = r.points if r.points is not None else r.votes
        title = r.title if len(r.title) <= 44 else r.title[:43] + "…"
        bars.append(ChartBar(y=n * CHART_ROW, width=max(2.0, (CHART_WIDTH - 70) * value / top),
                             label=title, count=f"{value:,}", winner=r.chosen_win))
    return bars, max(CHART_ROW, len(bars) * CHART_ROW)


def phase(state: str) -> str:
    """Where the vote is for the quorum label: "before" (draft or scheduled: no badge says
    "not valid" before anyone could vote, issue 16), "during" (open) or "after"."""
    if state in ("draft", "scheduled"):
        return "before"
    return "during" if state == "open" else "after"


def round_page(voting_round: Round, conn: psycopg.Connection) -> dict:
    """The template values of a round's page: projects, stored results under both rules,
    turnout against the quorum, result rows and chart bars, labels."""
    on_ballot = rounds.projects_of(conn, voting_round.id)
    stored = results.of_round(conn, voting_round.id)
    turnout = ballots.turnout(conn, voting_round.id)
    electorate = (rounds.electorate(conn, voting_round.district)
                  if voting_round.origin == "siang" else None)
    chosen = stored.get(voting_round.rule)
    required = chosen.quorum_required if chosen else rounds.quorum_required(voting_round, electorate)
    rows = result_rows(voting_round, on_ballot, stored)
    bars, height = chart(rows)
    return {
        "round": voting_round, "projects": on_ballot, "stored": stored, "chosen": chosen,
        "other": stored.get(voting_round.other_rule()), "turnout": turnout,
        "electorate": electorate,
        "required": required, "quorum_met": turnout["all"] >= required,
        "stale": chosen is not None and chosen.ballots != turnout["all"],
        "rows": rows, "bars": bars, "chart_height": height, "chart_width": CHART_WIDTH,
        "state": display_state(voting_round), "phase": phase(display_state(voting_round)),
        "states": STATES, "ballot_types": BALLOT_TYPES,
        "rules": RULES, "rules_short": RULES_SHORT, "completions": COMPLETIONS,
        "total_cost": sum(p.cost_baht for p in on_ballot),
        "too_costly": [p for p in on_ballot if p.cost_baht > voting_round.budget_baht],
    }
