"""Project progress as people see it: the admin list, the public page, LINE.

One row per project (:class:`ProjectProgress`): the form header's money,
the latest report and counts, read in one query (:func:`summaries`); and a
resident's own projects for LINE's "ความคืบหน้า" (:func:`projects_of_resident`).
Filing forms and reports is :mod:`pb.progress`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import projects as project_rows
from pb.progress import PUBLIC_STATES
from pb.scope import Scope, ScopeError

@dataclass
class ProjectProgress:
    """One project's progress as the public page, the admin list and LINE show it.

    Money is integer baht: ``allocated_baht`` is the budget received on the
    form, or the project's estimated cost until the form says otherwise.
    """

    id: int
    title: str
    district: str
    fiscal_year: int
    state: str
    responsible_unit: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    kpi_indicator: str
    kpi_target: str
    estimated_cost_baht: int | None
    project_code: str
    budget_received_baht: int | None
    disbursed_baht: int
    percent: int
    reports: int
    latest_date: dt.date | None
    latest_narrative: str | None
    latest_on_plan: bool | None
    latest_on_target: bool | None
    latest_report_id: int | None
    latest_has_photo: bool

    @property
    def allocated_baht(self) -> int | None:
        if self.budget_received_baht is not None:
            return self.budget_received_baht
        return self.estimated_cost_baht

    @property
    def disbursed_share(self) -> float:
        """Disbursed ÷ allocated, 0–1 (0 when nothing is allocated)."""
        allocated = self.allocated_baht or 0
        return min(self.disbursed_baht / allocated, 1.0) if allocated else 0.0


_SUMMARY = """
    SELECT p.id, p.title, p.district, p.fiscal_year, p.state, p.responsible_unit, p.starts_on,
           p.ends_on, p.kpi_indicator, p.kpi_target, p.estimated_cost_baht,
           coalesce(f.project_code, '') AS project_code, f.budget_received_baht,
           coalesce(agg.disbursed, 0)::bigint AS disbursed_baht,
           coalesce(last.percent, 0)::int AS percent, coalesce(agg.n, 0)::int AS reports,
           last.report_date AS latest_date, last.narrative AS latest_narrative,
           last.on_plan AS latest_on_plan, last.on_target AS latest_on_target,
           last.id AS latest_report_id,
           coalesce(EXISTS (SELECT 1 FROM progress_photos ph WHERE ph.report_id = last.id),
                    false) AS latest_has_photo
      FROM projects p
      LEFT JOIN progress_forms f ON f.project_id = p.id
      LEFT JOIN LATERAL (SELECT sum(r.disbursed_baht) AS disbursed, count(*) AS n
                           FROM progress_reports r WHERE r.project_id = p.id) agg ON true
      LEFT JOIN LATERAL (SELECT r.* FROM progress_reports r WHERE r.project_id = p.id
                          ORDER BY r.number DESC LIMIT 1) last ON true
"""


def summaries(conn: psycopg.Connection, *, scope: Scope | None = None,
              district: str | None = None, project_ids: list[int] | None = None,
              states: tuple[str, ...] = PUBLIC_STATES, limit: int = 500) -> list[ProjectProgress]:
    """Progress of projects in ``states`` (selected, in progress, done by default).

    Args:
        scope: a staff scope (None: the public, who see every district).
        district: only this district.
        project_ids: only these projects (e.g. a voting round's winners).

    Returns:
        Newest fiscal year first, then by district and title.
    """
    params: dict[str, Any] = {"states": list(states), "district": district,
                              "ids": project_ids, "limit": limit}
    where = ["p.state = ANY(%(states)s)",
             "(%(district)s::text IS NULL OR p.district = %(district)s)",
             "(%(ids)s::bigint[] IS NULL OR p.id = ANY(%(ids)s))"]
    if scope is not None:
        where.append(scope.where("p.district"))
        params.update(scope.params())
    with conn.cursor(row_factory=class_row(ProjectProgress)) as cur:
        cur.execute(f"{_SUMMARY} WHERE {' AND '.join(where)} "
                    "ORDER BY p.fiscal_year DESC, p.district, p.title, p.id LIMIT %(limit)s",
                    params)
        return cur.fetchall()


def summary(conn: psycopg.Connection, project_id: int, *, scope: Scope | None = None,
            states: tuple[str, ...] = PUBLIC_STATES) -> ProjectProgress:
    """One project's progress.

    Raises:
        ScopeError: no such project in ``states`` (and in the scope).
    """
    rows = summaries(conn, scope=scope, project_ids=[project_id], states=states, limit=1)
    if not rows:
        raise ScopeError(f"no project {project_id} with progress")
    return rows[0]


# --- a resident's projects (LINE "ความคืบหน้า") ----------------------------------------------

# The projects a resident voted for: ballots → ballot_choices → round_projects.
_VOTED_SQL = """SELECT rp.project_id FROM ballots b
                  JOIN ballot_choices bc ON bc.ballot_id = b.id
                  JOIN round_projects rp ON rp.id = bc.round_project_id
                 WHERE b.resident_id = %(r)s AND rp.project_id IS NOT NULL"""


def projects_of_resident(conn: psycopg.Connection, resident_id: int, limit: int = 10
                         ) -> list[tuple[ProjectProgress, bool, bool]]:
    """Projects a resident stands behind: (progress, from their ideas or supports, voted for).

    "From their ideas": the project carries an idea they sent or supported
    (directly or through its cluster), or a cluster they supported. Projects
    furthest along come first (done, in progress, selected, ...).
    """
    rows = conn.execute(
        f"""WITH mine AS (
                SELECT i.id AS idea_id FROM ideas i
                 WHERE i.resident_id = %(r)s AND i.status IN ('active', 'merged')
                UNION
                SELECT s.idea_id FROM supports s
                 WHERE s.resident_id = %(r)s AND s.idea_id IS NOT NULL
            ), from_ideas AS (
                SELECT pi.project_id FROM project_ideas pi JOIN mine USING (idea_id)
                UNION
                SELECT pc.project_id FROM cluster_members cm JOIN mine USING (idea_id)
                  JOIN project_clusters pc ON pc.cluster_id = cm.cluster_id
                UNION
                SELECT pc.project_id FROM supports s
                  JOIN project_clusters pc ON pc.cluster_id = s.cluster_id
                 WHERE s.resident_id = %(r)s
            ), voted AS ({_VOTED_SQL})
            SELECT p.id, p.id IN (SELECT project_id FROM from_ideas),
                   p.id IN (SELECT project_id FROM voted)
              FROM projects p
             WHERE p.id IN (SELECT project_id FROM from_ideas UNION SELECT project_id FROM voted)
             ORDER BY array_position(ARRAY['done', 'in_progress', 'selected', 'ready_for_vote',
                                           'not_selected', 'draft']::text[], p.state::text),
                      p.id DESC
             LIMIT %(limit)s""", {"r": resident_id, "limit": limit}).fetchall()
    if not rows:
        return []
    by_id = {p.id: p for p in summaries(conn, project_ids=[int(r[0]) for r in rows],
                                        states=project_rows.STATES, limit=limit)}
    return [(by_id[int(r[0])], bool(r[1]), bool(r[2])) for r in rows if int(r[0]) in by_id]
