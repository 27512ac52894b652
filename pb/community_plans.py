"""Community development plans (โครงการสนับสนุนการจัดทำและทบทวนแผนพัฒนาชุมชน, issue 18).

Each fiscal year a district calls its communities to draw up or review their
development plans: the call is one ``processes`` row of kind
``community_plan`` (:func:`call_for`). A community's plan for that year is
either new ("draw up": no plan last year) or a review of last year's (its
projects are carried over to be revised; in 2019, 1,182 communities had a
plan to review and 886 needed a first one). The community's committee (the
``community`` staff role, or a district officer) compiles projects with a
priority, an estimated cost in baht and a year (BE), each traced to the
community's ideas and clusters behind it, then submits the plan. District
staff return it with a note or adopt it, marking the projects that enter the
district's annual action plan (the BMA indicator, :func:`indicator`). On
adoption the community's residents are told in chat. The district's side
(return, adopt, the action plan, tracking, the notices) is
:mod:`pb.community_plan_review`.

Plan states: ``drafting`` → ``submitted`` → ``adopted``, or ``returned`` (back
to the committee, editable again). Every change bumps ``version``; a form
carries the version it was drawn from, so two people editing at once do not
overwrite each other (:class:`PlanConflict`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, districts
from pb.communities import visible
from pb.processes import Indicator, OpenItem, fiscal_year_be
from pb.scope import ReadOnlyError, Scope, ScopeError
from pb.thaidate import BANGKOK

STATES = ("drafting", "submitted", "returned", "adopted")
MODES = ("new", "review")
EDITABLE = ("drafting", "returned")
MAX_COST_BAHT = 10_000_000_000


class PlanError(ValueError):
    """A change the plan's state or the input does not allow; ``code`` names it."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class PlanConflict(Exception):
    """The plan changed since the form was drawn (its version moved on)."""


@dataclass
class Plan:
    id: int
    process_id: int
    community_id: int
    community_name: str
    district: str
    fiscal_year: int
    mode: str
    reviews_plan_id: int | None
    state: str
    summary: str
    staff_note: str
    version: int
    submitted_at: dt.datetime | None
    adopted_at: dt.datetime | None


@dataclass
class PlanProject:
    id: int
    plan_id: int
    title: str
    description: str
    priority: int
    estimated_cost_baht: int
    year_be: int
    carried_from: int | None
    action_plan_year: int | None
    idea_ids: list[int] = field(default_factory=list)
    cluster_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectFields:
    """A plan project as typed: cost in whole baht, year in BE."""

    title: str
    priority: int
    estimated_cost_baht: int
    year_be: int
    description: str = ""
    idea_ids: tuple[int, ...] = ()
    cluster_ids: tuple[int, ...] = ()


def call_for(conn: psycopg.Connection, district: str, fiscal_year: int) -> int:
    """The district's call for community plans of ``fiscal_year`` (BE): its process id,
    created open on first use (one per district and year)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (7_366_518, district))
    row = conn.execute(
        """SELECT id FROM processes WHERE kind = 'community_plan' AND district = %s
              AND fiscal_year = %s ORDER BY id LIMIT 1""", (district, fiscal_year)).fetchone()
    if row:
        return int(row[0])
    row = conn.execute(
        """INSERT INTO processes (kind, title, district, fiscal_year, stage)
           VALUES ('community_plan', %s, %s, %s, 'open') RETURNING id""",
        (f"แผนพัฒนาชุมชน เขต{district} ปีงบประมาณ {fiscal_year}", district, fiscal_year)
    ).fetchone()
    assert row is not None
    return int(row[0])


_PLAN = """SELECT p.id, p.process_id, p.community_id, c.name AS community_name, c.district,
                  p.fiscal_year, p.mode, p.reviews_plan_id, p.state, p.summary, p.staff_note,
                  p.version, p.submitted_at, p.adopted_at
             FROM community_plans p JOIN communities c ON c.id = p.community_id"""


def get(conn: psycopg.Connection, scope: Scope, plan_id: int) -> Plan:
    """A plan within ``scope`` (its community's role, or its district's staff).

    Raises:
        ScopeError: no such plan, or outside the scope (shown as 404).
    """
    with conn.cursor(row_factory=class_row(Plan)) as cur:
        cur.execute(f"{_PLAN} WHERE p.id = %s", (plan_id,))
        plan = cur.fetchone()
    if plan is None:
        raise ScopeError("no such plan")
    scope.check_community(plan.community_id, plan.district)
    return plan


def of_community(conn: psycopg.Connection, community_id: int) -> list[Plan]:
    """A community's plans, newest fiscal year first (the caller checked the scope)."""
    with conn.cursor(row_factory=class_row(Plan)) as cur:
        cur.execute(f"{_PLAN} WHERE p.community_id = %s ORDER BY p.fiscal_year DESC",
                    (community_id,))
        return cur.fetchall()


def projects_of(conn: psycopg.Connection, plan_id: int) -> list[PlanProject]:
    """A plan's projects by priority, each with the ideas and clusters behind it."""
    with conn.cursor(row_factory=class_row(PlanProject)) as cur:
        cur.execute(
            """SELECT pp.id, pp.plan_id, pp.title, pp.description, pp.priority,
                      pp.estimated_cost_baht, pp.year_be, pp.carried_from, pp.action_plan_year,
                      array(SELECT idea_id FROM community_plan_project_ideas x
                             WHERE x.project_id = pp.id ORDER BY 1) AS idea_ids,
                      array(SELECT cluster_id FROM community_plan_project_clusters x
                             WHERE x.project_id = pp.id ORDER BY 1) AS cluster_ids
                 FROM community_plan_projects pp WHERE pp.plan_id = %s
                ORDER BY pp.priority, pp.id""", (plan_id,))
        return cur.fetchall()


def start(conn: psycopg.Connection, scope: Scope, community_id: int, fiscal_year: int) -> int:
    """Start a community's plan for ``fiscal_year`` (BE), answering its district's call.

    A review when the community had a plan the year before (its projects are
    copied, with their ideas and clusters, to be revised); otherwise new.
    Audited. Returns the plan id (the existing one if already started).

    Raises:
        ScopeError, ReadOnlyError: the scope may not compile this community's plan.
    """
    if not (scope.can_write or scope.role == "community"):
        raise ReadOnlyError("viewers cannot change anything")
    row = conn.execute("SELECT district FROM communities WHERE id = %s",
                       (community_id,)).fetchone()
    if row is None:
        raise ScopeError("no such community")
    district = row[0]
    scope.check_community(community_id, district, write=True)
    existing = conn.execute("SELECT id FROM community_plans WHERE community_id = %s "
                            "AND fiscal_year = %s", (community_id, fiscal_year)).fetchone()
    if existing:
        return int(existing[0])
    last = conn.execute("SELECT id FROM community_plans WHERE community_id = %s "
                        "AND fiscal_year = %s", (community_id, fiscal_year - 1)).fetchone()
    process_id = call_for(conn, district, fiscal_year)
    plan_id = int(conn.execute(
        """INSERT INTO community_plans (process_id, community_id, fiscal_year, mode,
                                        reviews_plan_id)
           VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (process_id, community_id, fiscal_year, "review" if last else "new",
         last[0] if last else None)).fetchone()[0])
    if last:
        for old in projects_of(conn, int(last[0])):
            new_id = conn.execute(
                """INSERT INTO community_plan_projects (plan_id, title, description, priority,
                                                        estimated_cost_baht, year_be, carried_from)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (plan_id, old.title, old.description, old.priority, old.estimated_cost_baht,
                 max(old.year_be, fiscal_year), old.id)).fetchone()[0]
            _link(conn, new_id, old.idea_ids, old.cluster_ids)
    audit.record(conn, scope, "community_plan.start", "community_plan", plan_id,
                 district=district, after={"community": community_id, "fiscal_year": fiscal_year,
                                           "mode": "review" if last else "new"})
    return plan_id


def _link(conn: psycopg.Connection, project_id: int, idea_ids, cluster_ids) -> None:
    for idea_id in sorted(set(idea_ids)):
        conn.execute("INSERT INTO community_plan_project_ideas VALUES (%s, %s) "
                     "ON CONFLICT DO NOTHING", (project_id, idea_id))
    for cluster_id in sorted(set(cluster_ids)):
        conn.execute("INSERT INTO community_plan_project_clusters VALUES (%s, %s) "
                     "ON CONFLICT DO NOTHING", (project_id, cluster_id))


def lock_for_change(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int, *,
          district_review: bool = False) -> Plan:
    """The plan, row-locked, after the scope and version checks.

    ``district_review``: the change is the district's (return, adopt, action
    plan): an admin or an officer of the plan's district, never a community role.
    """
    plan = get(conn, scope, plan_id)
    if district_review:
        if scope.role == "community":
            raise ReadOnlyError("a community committee does not review its own plan")
        scope.check(plan.district, write=True)
    else:
        scope.check_community(plan.community_id, plan.district, write=True)
    row = conn.execute("SELECT version FROM community_plans WHERE id = %s FOR UPDATE",
                       (plan_id,)).fetchone()
    if row is None or int(row[0]) != version:
        raise PlanConflict("the plan changed meanwhile")
    plan.version = int(row[0])
    return plan


def bump(conn: psycopg.Connection, plan_id: int, **sets: Any) -> None:
    assignments = "".join(f", {column} = %({column})s" for column in sets)
    conn.execute(f"UPDATE community_plans SET version = version + 1{assignments} "
                 "WHERE id = %(id)s", {**sets, "id": plan_id})


def validate(conn: psycopg.Connection, plan: Plan, fields: ProjectFields) -> None:
    """Check a project's fields against the plan.

    Raises:
        PlanError: ``title`` (empty or over 300 characters), ``priority`` (1–99),
            ``cost`` (0 to 10,000 million baht), ``year`` (the plan's year to 5 after),
            ``idea`` or ``cluster`` (not of this community).
    """
    if not fields.title.strip() or len(fields.title) > 300:
        raise PlanError("title")
    if not 1 <= fields.priority <= 99:
        raise PlanError("priority")
    if not 0 <= fields.estimated_cost_baht <= MAX_COST_BAHT:
        raise PlanError("cost")
    if not plan.fiscal_year <= fields.year_be <= plan.fiscal_year + 5:
        raise PlanError("year")
    if fields.idea_ids:
        mine = conn.execute("SELECT count(*) FROM ideas WHERE id = ANY(%s) AND community_id = %s",
                            (list(set(fields.idea_ids)), plan.community_id)).fetchone()[0]
        if mine != len(set(fields.idea_ids)):
            raise PlanError("idea")
    if fields.cluster_ids:
        mine = conn.execute(
            """SELECT count(DISTINCT cm.cluster_id) FROM cluster_members cm
                 JOIN ideas i ON i.id = cm.idea_id
                WHERE cm.cluster_id = ANY(%s) AND i.community_id = %s""",
            (list(set(fields.cluster_ids)), plan.community_id)).fetchone()[0]
        if mine != len(set(fields.cluster_ids)):
            raise PlanError("cluster")


def add_project(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
                fields: ProjectFields) -> int:
    """Add a project to a plan being drafted (or returned); audited; returns its id.

    Raises:
        ScopeError, ReadOnlyError, PlanConflict; PlanError (``state`` when the
        plan is submitted or adopted, or a field, see :func:`validate`).
    """
    plan = lock_for_change(conn, scope, plan_id, version)
    if plan.state not in EDITABLE:
        raise PlanError("state")
    validate(conn, plan, fields)
    project_id = int(conn.execute(
        """INSERT INTO community_plan_projects (plan_id, title, description, priority,
                                                estimated_cost_baht, year_be)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
        (plan_id, fields.title.strip(), fields.description.strip()[:2000], fields.priority,
         fields.estimated_cost_baht, fields.year_be)).fetchone()[0])
    _link(conn, project_id, fields.idea_ids, fields.cluster_ids)
    bump(conn, plan_id)
    audit.record(conn, scope, "community_plan.project", "community_plan", plan_id,
                 district=plan.district, after={"title": fields.title.strip(),
                                                "priority": fields.priority,
                                                "estimated_cost_baht": fields.estimated_cost_baht,
                                                "year": fields.year_be,
                                                "ideas": sorted(set(fields.idea_ids)),
                                                "clusters": sorted(set(fields.cluster_ids))})
    return project_id


def remove_project(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
                   project_id: int) -> None:
    """Remove a project from a plan being drafted; audited.

    Raises:
        ScopeError (also a project of another plan), ReadOnlyError, PlanConflict,
        PlanError (``state``).
    """
    plan = lock_for_change(conn, scope, plan_id, version)
    if plan.state not in EDITABLE:
        raise PlanError("state")
    row = conn.execute("DELETE FROM community_plan_projects WHERE id = %s AND plan_id = %s "
                       "RETURNING title", (project_id, plan_id)).fetchone()
    if row is None:
        raise ScopeError("no such project in this plan")
    bump(conn, plan_id)
    audit.record(conn, scope, "community_plan.project_removed", "community_plan", plan_id,
                 district=plan.district, before={"title": row[0]})


def submit(conn: psycopg.Connection, scope: Scope, plan_id: int, version: int,
           summary: str = "") -> None:
    """The committee sends its plan to the district (needs at least one project); audited.

    Raises:
        ScopeError, ReadOnlyError, PlanConflict, PlanError (``state``, ``empty``).
    """
    plan = lock_for_change(conn, scope, plan_id, version)
    if plan.state not in EDITABLE:
        raise PlanError("state")
    if not projects_of(conn, plan_id):
        raise PlanError("empty")
    bump(conn, plan_id, state="submitted", summary=summary.strip()[:4000] or plan.summary,
          submitted_at=dt.datetime.now(dt.timezone.utc))
    audit.record(conn, scope, "community_plan.submit", "community_plan", plan_id,
                 district=plan.district, before={"state": plan.state}, after={"state": "submitted"})


def open_items(conn: psycopg.Connection, district: str | None) -> list[OpenItem]:
    """What a resident of ``district`` can take part in now: nothing time-boxed.

    Community plans are compiled by each community's committee from the ideas
    its residents send, and joining a community is always possible (typed
    "ชุมชน"), so no call is opened to residents as such (issue 18 contract).
    """
    return []


def indicator(conn: psycopg.Connection, fiscal_year: int) -> Indicator:
    """The BMA indicator for ``fiscal_year`` (BE): district offices that put at least one
    project from a community plan into their annual action plan of that year
    (reported: 44 of 50, 88 %, FY2563–2564).

    ``detail``: ``communities_registered`` (the registry, city-wide) and
    ``communities_with_current_plan`` (communities whose plan for that year was adopted).
    """
    met = {r[0] for r in conn.execute(
        """SELECT DISTINCT c.district FROM community_plan_projects pp
             JOIN community_plans p ON p.id = pp.plan_id
             JOIN communities c ON c.id = p.community_id
            WHERE pp.action_plan_year = %s""", (fiscal_year,)).fetchall()}
    registered = conn.execute("SELECT count(*) FROM communities").fetchone()[0]
    current = conn.execute("SELECT count(*) FROM community_plans WHERE fiscal_year = %s "
                           "AND state = 'adopted'", (fiscal_year,)).fetchone()[0]
    return Indicator(key="community_plan", districts_met=frozenset(met & set(districts.THAI_NAMES)),
                     districts_total=len(districts.THAI_NAMES),
                     detail={"communities_registered": int(registered),
                             "communities_with_current_plan": int(current)})


def this_fiscal_year(today: dt.date | None = None) -> int:
    """The fiscal year (BE) of ``today`` (Bangkok date), for pages without a chosen year."""
    return fiscal_year_be(today or dt.datetime.now(BANGKOK).date())
