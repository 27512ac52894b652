"""The district's side of community development plans (issue 18; see
:mod:`pb.community_plans`): return a submitted plan or adopt it, mark the
projects entering the district's annual action plan, track every community's
plan state, export the action plan, and tell the community's residents.

Only an admin or an officer of the plan's district reviews (never the
community's own committee role, nor a viewer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, multicast
from pb import community_plans as plans
from pb.communities import visible
from pb.scope import Scope, ScopeError


def return_plan(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
                note: str) -> None:
    """The district sends a submitted plan back to the committee with a note; audited.

    Raises:
        ScopeError, ReadOnlyError (a community role or a viewer), PlanConflict,
        PlanError (``state``, ``note`` when empty).
    """
    plan = plans.lock_for_change(conn, scope, plan_id, version, district_review=True)
    if plan.state != "submitted":
        raise plans.PlanError("state")
    if not note.strip():
        raise plans.PlanError("note")
    plans.bump(conn, plan_id, state="returned", staff_note=note.strip()[:2000])
    audit.record(conn, scope, "community_plan.return", "community_plan", plan_id,
                 district=plan.district, before={"state": "submitted"},
                 after={"state": "returned", "reason": note.strip()[:2000]})


def adopt(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
          entering: set[int]) -> None:
    """The district adopts a submitted plan and marks the projects ``entering`` its annual
    action plan (each in the action plan of its own year, BE); audited.

    Raises:
        ScopeError (also a project of another plan), ReadOnlyError, PlanConflict,
        PlanError (``state``).
    """
    plan = plans.lock_for_change(conn, scope, plan_id, version, district_review=True)
    if plan.state != "submitted":
        raise plans.PlanError("state")
    _mark(conn, plan_id, entering)
    plans.bump(conn, plan_id, state="adopted", adopted_at=dt.datetime.now(dt.timezone.utc))
    audit.record(conn, scope, "community_plan.adopt", "community_plan", plan_id,
                 district=plan.district, before={"state": "submitted"},
                 after={"state": "adopted", "projects": sorted(entering)})


def mark_action_plan(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
                     entering: set[int]) -> None:
    """Change which projects of an adopted plan are in the district's action plan; audited.

    Raises:
        ScopeError, ReadOnlyError, PlanConflict, PlanError (``state``: not adopted).
    """
    plan = plans.lock_for_change(conn, scope, plan_id, version, district_review=True)
    if plan.state != "adopted":
        raise plans.PlanError("state")
    before = sorted(p.id for p in plans.projects_of(conn, plan_id) if p.action_plan_year)
    _mark(conn, plan_id, entering)
    plans.bump(conn, plan_id)
    audit.record(conn, scope, "community_plan.action_plan", "community_plan", plan_id,
                 district=plan.district, before={"projects": before},
                 after={"projects": sorted(entering)})


def _mark(conn: psycopg.Connection, plan_id: int, entering: set[int]) -> None:
    known = {p.id for p in plans.projects_of(conn, plan_id)}
    if not entering <= known:
        raise ScopeError("a project of another plan")
    conn.execute(
        """UPDATE community_plan_projects
              SET action_plan_year = CASE WHEN id = ANY(%(in)s) THEN year_be END,
                  action_plan_marked_at = CASE WHEN id = ANY(%(in)s)
                                               THEN coalesce(action_plan_marked_at, now()) END
            WHERE plan_id = %(p)s""", {"in": sorted(entering), "p": plan_id})


@dataclass
class CommunityState:
    """One community's plan for a fiscal year, as the district tracks it."""

    community_id: int
    name: str
    district: str
    plan_id: int | None
    mode: str | None
    state: str | None          # None: no plan started
    projects: int
    entering: int


def tracking(conn: psycopg.Connection, scope: Scope, fiscal_year: int,
             district: str | None = None) -> list[CommunityState]:
    """Every community ``scope`` reaches (of ``district`` if given) with its plan for
    ``fiscal_year`` (BE), by district and name."""
    condition, params = visible(scope)
    with conn.cursor(row_factory=class_row(CommunityState)) as cur:
        cur.execute(
            f"""SELECT c.id AS community_id, c.name, c.district, p.id AS plan_id, p.mode, p.state,
                       (SELECT count(*) FROM community_plan_projects pp WHERE pp.plan_id = p.id)
                           AS projects,
                       (SELECT count(*) FROM community_plan_projects pp
                         WHERE pp.plan_id = p.id AND pp.action_plan_year IS NOT NULL) AS entering
                  FROM communities c
                  LEFT JOIN community_plans p ON p.community_id = c.id
                                             AND p.fiscal_year = %(fy)s
                 WHERE {condition} AND (%(d)s::text IS NULL OR c.district = %(d)s)
                 ORDER BY c.district, c.name""", {**params, "fy": fiscal_year, "d": district})
        return cur.fetchall()


@dataclass
class ActionRow:
    """A community project in the district's annual action plan."""

    project_id: int
    district: str
    community: str
    title: str
    description: str
    priority: int
    estimated_cost_baht: int
    year_be: int
    ideas: int
    clusters: int


def action_plan(conn: psycopg.Connection, scope: Scope, fiscal_year: int,
                district: str | None = None) -> list[ActionRow]:
    """The community projects in the annual action plans of ``fiscal_year`` (BE) of the
    districts ``scope`` reaches (of ``district`` if given), by district, community, priority.
    A community role sees its own community's."""
    condition, params = visible(scope)
    with conn.cursor(row_factory=class_row(ActionRow)) as cur:
        cur.execute(
            f"""SELECT pp.id AS project_id, c.district, c.name AS community, pp.title,
                       pp.description, pp.priority, pp.estimated_cost_baht, pp.year_be,
                       (SELECT count(*) FROM community_plan_project_ideas x
                         WHERE x.project_id = pp.id) AS ideas,
                       (SELECT count(*) FROM community_plan_project_clusters x
                         WHERE x.project_id = pp.id) AS clusters
                  FROM community_plan_projects pp
                  JOIN community_plans p ON p.id = pp.plan_id
                  JOIN communities c ON c.id = p.community_id
                 WHERE pp.action_plan_year = %(fy)s AND {condition}
                   AND (%(d)s::text IS NULL OR c.district = %(d)s)
                 ORDER BY c.district, c.name, pp.priority, pp.id""",
            {**params, "fy": fiscal_year, "d": district})
        return cur.fetchall()


def notify_adopted(conn: psycopg.Connection, plan_id: int,
                   compose: Callable[[str, list[str]], list[dict[str, Any]]]) -> list[int]:
    """Queue the news of an adopted plan to its community's residents, once each.

    Residents who said they live in the community and are following, consenting,
    not erased and not opted out of news (as for announcements) are claimed
    once through ``community_plan_notices``; the multicasts (:func:`pb.multicast.write`:
    ≤500 each, by language, tagged ``community_plan_adopted`` for "Messages sent")
    wait until 08:00 in quiet hours.

    Args:
        compose: (language, titles of the projects entering the action plan)
            → the LINE messages (1–5).

    Returns:
        outbox ids to deliver after commit.
    """
    rows = conn.execute(
        """WITH told AS (
               INSERT INTO community_plan_notices (plan_id, resident_id)
               SELECT p.id, r.id FROM community_plans p
                 JOIN community_members cm ON cm.community_id = p.community_id
                 JOIN residents r ON r.id = cm.resident_id
                WHERE p.id = %s AND p.state = 'adopted' AND r.followed AND r.erased_at IS NULL
                  AND r.consent_at IS NOT NULL AND r.line_user_id IS NOT NULL
                  AND NOT r.announcements_opt_out
                ORDER BY r.id ON CONFLICT DO NOTHING RETURNING resident_id)
           SELECT r.id, r.line_user_id, r.language
             FROM told JOIN residents r ON r.id = told.resident_id
            ORDER BY r.id""", (plan_id,)).fetchall()
    if not rows:
        return []
    titles = [p.title for p in plans.projects_of(conn, plan_id) if p.action_plan_year]
    plan = plans.get(conn, Scope.system(), plan_id)
    ids = []
    for batch in multicast.write(
            conn, rows, lambda language: compose(language, titles),
            address=lambda row: (row[1], row[2]),
            not_before=multicast.quiet_start(dt.datetime.now(dt.timezone.utc)),
            topic="community_plan_adopted", district=plan.district,
            process_id=plan.process_id, community_id=plan.community_id):
        conn.execute("UPDATE community_plan_notices SET outbox_id = %s "
                     "WHERE plan_id = %s AND resident_id = ANY(%s)",
                     (batch.outbox_id, plan_id, [int(row[0]) for row in batch.members]))
        ids.append(batch.outbox_id)
    return ids
