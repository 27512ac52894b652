"""The figures of the staff dashboard (issue 16), within a staff member's scope.

One call, :func:`load`, answers what a district officer looks at first: ideas
this week and per day, residents taking part, open voting rounds with turnout
against the quorum, projects by state, progress reports due, announcements
waiting and sent, and flagged ideas (abusive words, unclear text) waiting for
a decision. Each figure is one small query on an index (``ideas_created``,
``ideas_district_created`` from migration 0013): the page stays fast at
60,000 ideas (tests/test_admin_perf.py prints the figure).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass, field

import psycopg

from pb.scope import Scope
from pb.thaidate import BANGKOK

DAYS_SHOWN = 14               # the ideas-per-day chart
REPORT_INTERVAL_DAYS = 30     # a selected project reports at least monthly (BMA form, stage 4)
REPORTS_DUE_SHOWN = 20


@dataclass
class RoundTurnout:
    """An open voting round: ballots so far against the ballots its quorum needs."""

    id: int
    title: str
    district: str | None
    closes_at: dt.datetime
    ballots: int
    quorum: int

    @property
    def percent_of_quorum(self) -> int:
        """Turnout as a percentage of the quorum, 0–100 (100 when there is no quorum)."""
        return 100 if self.quorum <= 0 else min(100, round(100 * self.ballots / self.quorum))


@dataclass
class ReportDue:
    """A selected or running project whose next progress report is due."""

    project_id: int
    title: str
    district: str
    state: str
    reports: int
    last_report: dt.date | None


@dataclass
class Dashboard:
    """Every figure of the dashboard; counts are within the scope."""

    today: dt.date
    ideas_by_day: list[tuple[dt.date, int]]          # oldest first, DAYS_SHOWN days
    residents: int                                   # consenting, following, in scope
    residents_new: int                               # of them, consented in the last 7 days
    open_rounds: list[RoundTurnout]
    projects_by_state: dict[str, int]
    reports_due: list[ReportDue]
    reports_due_total: int
    announcements: dict[str, int]                    # draft, waiting, sent, reached
    flagged: dict[str, int] = field(default_factory=dict)   # reason -> ideas waiting

    @property
    def ideas_week(self) -> int:
        """Ideas received today and the 6 days before (Bangkok dates)."""
        return sum(n for _d, n in self.ideas_by_day[-7:])

    @property
    def ideas_previous_week(self) -> int:
        return sum(n for _d, n in self.ideas_by_day[-14:-7])

    @property
    def flagged_total(self) -> int:
        return sum(self.flagged.values())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=BANGKOK)


def ideas_by_day(conn: psycopg.Connection, scope: Scope, today: dt.date,
                 days: int = DAYS_SHOWN) -> list[tuple[dt.date, int]]:
    """Ideas received per Bangkok day, ``days`` days up to ``today``, oldest first
    (days without ideas are 0); every status but withdrawn."""
    first = today - dt.timedelta(days=days - 1)
    counts = dict(conn.execute(
        f"""SELECT (created_at AT TIME ZONE 'Asia/Bangkok')::date, count(*) FROM ideas
             WHERE created_at >= %(since)s AND status <> 'withdrawn' AND {scope.where('district')}
             GROUP BY 1""", {**scope.params(), "since": _midnight(first)}).fetchall())
    return [(first + dt.timedelta(days=n), int(counts.get(first + dt.timedelta(days=n), 0)))
            for n in range(days)]


def _residents(conn: psycopg.Connection, scope: Scope, since: dt.datetime) -> tuple[int, int]:
    row = conn.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE consent_at >= %(since)s) FROM residents
             WHERE consent_at IS NOT NULL AND erased_at IS NULL AND followed
               AND district IS NOT NULL AND {scope.where('district')}""",
        {**scope.params(), "since": since}).fetchone()
    return int(row[0]), int(row[1])


def open_rounds(conn: psycopg.Connection, scope: Scope) -> list[RoundTurnout]:
    """Open voting rounds in scope, closing soonest first, with turnout (ballots of every
    source) and the quorum in ballots (a percent quorum of today's consenting residents
    in the round's area, as ``pb.rounds.quorum_required`` counts it)."""
    out = []
    for (round_id, title, district, closes_at, kind, q_ballots, q_percent, ballots,
         electorate) in conn.execute(
            f"""SELECT v.id, v.title, v.district, v.closes_at, v.quorum_kind, v.quorum_ballots,
                       v.quorum_percent,
                       (SELECT count(*) FROM ballots b WHERE b.round_id = v.id),
                       CASE WHEN v.quorum_kind = 'percent' THEN
                         (SELECT count(*) FROM residents r
                           WHERE r.consent_at IS NOT NULL AND r.erased_at IS NULL AND r.followed
                             AND r.district IS NOT NULL
                             AND (v.district IS NULL OR r.district = v.district)) END
                  FROM voting_rounds v
                 WHERE v.state = 'open' AND v.origin = 'siang' AND {scope.where('v.district')}
                 ORDER BY v.closes_at, v.id""", scope.params()).fetchall():
        if kind == "ballots":
            quorum = int(q_ballots or 0)
        else:
            quorum = math.ceil(decimal.Decimal(q_percent or 0) * int(electorate or 0) / 100)
        out.append(RoundTurnout(int(round_id), title, district, closes_at, int(ballots), quorum))
    return out


def projects_by_state(conn: psycopg.Connection, scope: Scope) -> dict[str, int]:
    """Projects in scope per state (states with none are left out)."""
    return {state: int(n) for state, n in conn.execute(
        f"SELECT state, count(*) FROM projects WHERE {scope.where('district')} GROUP BY state",
        scope.params()).fetchall()}


def reports_due(conn: psycopg.Connection, scope: Scope, today: dt.date,
                limit: int = REPORTS_DUE_SHOWN) -> tuple[list[ReportDue], int]:
    """Selected or running projects with no progress report in the last
    :data:`REPORT_INTERVAL_DAYS` days (or none yet), longest waiting first; and how
    many there are in all."""
    cutoff = today - dt.timedelta(days=REPORT_INTERVAL_DAYS)
    rows = conn.execute(
        f"""SELECT p.id, p.title, p.district, p.state, count(r.id), max(r.report_date),
                   count(*) OVER ()
              FROM projects p LEFT JOIN progress_reports r ON r.project_id = p.id
             WHERE p.state IN ('selected', 'in_progress') AND {scope.where('p.district')}
             GROUP BY p.id
            HAVING max(r.report_date) IS NULL OR max(r.report_date) <= %(cutoff)s
             ORDER BY max(r.report_date) NULLS FIRST, p.id LIMIT %(limit)s""",
        {**scope.params(), "cutoff": cutoff, "limit": limit}).fetchall()
    total = int(rows[0][6]) if rows else 0
    return [ReportDue(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5]) for r in rows], total


def announcements(conn: psycopg.Connection, scope: Scope) -> dict[str, int]:
    """Announcements in scope (as ``pb.announcements`` scopes them): ``draft``,
    ``waiting`` (queued, a batch not sent yet), ``sent`` (queued, every batch done)
    and ``reached`` (recipients of the sent ones)."""
    row = conn.execute(
        f"""SELECT count(*) FILTER (WHERE a.state = 'draft'),
                   count(*) FILTER (WHERE a.state = 'queued' AND w.waiting),
                   count(*) FILTER (WHERE a.state = 'queued' AND NOT w.waiting),
                   coalesce(sum(a.recipients) FILTER (WHERE a.state = 'queued'
                                                      AND NOT w.waiting), 0)
              FROM announcements a LEFT JOIN projects p ON p.id = a.project_id
             CROSS JOIN LATERAL (SELECT EXISTS (
                     SELECT 1 FROM outbox o WHERE o.announcement_id = a.id
                        AND o.state IN ('pending', 'sending')) AS waiting) w
             WHERE (%(scope_all)s
                    OR (a.audience = 'district' AND {scope.where('a.district')})
                    OR (a.audience = 'voters' AND a.round_id IN (
                          SELECT v.id FROM voting_rounds v WHERE {scope.where('v.district')}))
                    OR (a.audience NOT IN ('district', 'voters') AND a.project_id IS NOT NULL
                        AND {scope.where('p.district')}))""", scope.params()).fetchone()
    return dict(zip(("draft", "waiting", "sent", "reached"), (int(v) for v in row)))


def flagged_waiting(conn: psycopg.Connection, scope: Scope) -> dict[str, int]:
    """Flagged ideas not decided yet, per flag reason (``unclear``: no readable words,
    ``bot.intake.store_unclear``; ``abusive-word-list``: ``pb.abuse``)."""
    return {reason: int(n) for reason, n in conn.execute(
        f"""SELECT f.reason, count(*) FROM idea_flags f JOIN ideas i ON i.id = f.idea_id
             WHERE i.status = 'flagged' AND f.reviewed_at IS NULL AND {scope.where('i.district')}
             GROUP BY f.reason ORDER BY f.reason""", scope.params()).fetchall()}


def load(conn: psycopg.Connection, scope: Scope, today: dt.date | None = None) -> Dashboard:
    """Every dashboard figure for ``scope`` on ``today`` (a Bangkok date; default now)."""
    today = today or dt.datetime.now(BANGKOK).date()
    residents, residents_new = _residents(conn, scope, _midnight(today - dt.timedelta(days=6)))
    due, due_total = reports_due(conn, scope, today)
    return Dashboard(
        today=today, ideas_by_day=ideas_by_day(conn, scope, today), residents=residents,
        residents_new=residents_new, open_rounds=open_rounds(conn, scope),
        projects_by_state=projects_by_state(conn, scope), reports_due=due,
        reports_due_total=due_total, announcements=announcements(conn, scope),
        flagged=flagged_waiting(conn, scope))
