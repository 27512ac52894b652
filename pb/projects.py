"""Projects (BMA PB stage 2, พัฒนาโครงการ): promoted from clusters, costed, voted on.

A project carries what the BMA's project and progress-report forms ask for:
title, description, district and location, estimated cost (integer baht),
duration (start and end date), KPI (indicator and target), responsible unit
(e.g. สำนักงานเขตทุ่งครุ / ฝ่ายโยธา) and fiscal year (Buddhist Era). It keeps
the clusters and ideas it came from, so their authors can be told.

States (issue 5): draft → ready_for_vote → selected / not_selected;
selected → in_progress → done. A draft sent for the vote can come back to
draft for edits until the vote decides. Only drafts can be edited. Every
change is audited; edits and transitions carry the project's ``version``
(optimistic concurrency, as for clusters). After the draft stage only the
start and end dates can still be corrected (:func:`correct_dates`, issue 16:
BMA schedules move), each correction audited with its reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, cluster_edits, districts, review
from pb.scope import Scope, ScopeError

STATES = ("draft", "ready_for_vote", "selected", "not_selected", "in_progress", "done")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("ready_for_vote",),
    "ready_for_vote": ("draft", "selected", "not_selected"),
    "selected": ("in_progress",),
    "not_selected": (),
    "in_progress": ("done",),
    "done": (),
}
MAX_COST_BAHT = 100_000_000_000   # 100 billion baht: far above any district budget


class ProjectError(ValueError):
    """Bad project data or a transition not allowed; nothing changed.

    Attributes:
        code: stable name the admin translates (``admin.messages.ERRORS``).
        values: values for that message (e.g. the missing fields).
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code, self.values = code, values


class ProjectConflict(Exception):
    """Another staff member changed the project after this one loaded it."""

    def __init__(self, project_id: int, changed_at: dt.datetime | None) -> None:
        super().__init__(f"project {project_id} changed")
        self.project_id, self.changed_at = project_id, changed_at


@dataclass
class ProjectFields:
    """What staff fill in. Money is integer baht; fiscal year is Buddhist Era."""

    title: str
    district: str
    fiscal_year: int
    description: str = ""
    location: str = ""
    estimated_cost_baht: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    kpi_indicator: str = ""
    kpi_target: str = ""
    responsible_unit: str = ""

    def as_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key in ("starts_on", "ends_on"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass
class Project(ProjectFields):
    id: int = 0
    process_id: int = 0
    state: str = "draft"
    version: int = 1
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    clusters: int = 0
    ideas: int = 0

    def fields(self) -> ProjectFields:
        return ProjectFields(**{f.name: getattr(self, f.name)
                                for f in dataclasses.fields(ProjectFields)})

    @property
    def next_states(self) -> tuple[str, ...]:
        return TRANSITIONS[self.state]


_FIELDS = [f.name for f in dataclasses.fields(ProjectFields)]
_SELECT = f"""SELECT {', '.join('p.' + f for f in _FIELDS)}, p.id, p.process_id, p.state,
                     p.version, p.created_at, p.updated_at,
                     (SELECT count(*) FROM project_clusters pc WHERE pc.project_id = p.id)
                         AS clusters,
                     (SELECT count(*) FROM project_ideas pi WHERE pi.project_id = p.id) AS ideas
                FROM projects p"""


def validate(fields: ProjectFields, scope: Scope) -> ProjectFields:
    """Clean and check what staff typed (also for drafts).

    Raises:
        ProjectError: empty or long title, unknown district, negative or huge
            cost, end before start, implausible fiscal year.
        ScopeError / ReadOnlyError: the district is outside the scope.
    """
    title = " ".join(fields.title.split())
    if not title:
        raise ProjectError("title_required")
    if len(title) > 200:
        raise ProjectError("title_too_long", limit=200)
    if not districts.is_district(fields.district):
        raise ProjectError("bad_district")
    scope.check(fields.district, write=True)
    cost = fields.estimated_cost_baht
    if cost is not None and not 0 <= cost <= MAX_COST_BAHT:
        raise ProjectError("bad_cost")
    if fields.starts_on and fields.ends_on and fields.ends_on < fields.starts_on:
        raise ProjectError("ends_before_start")
    if not 2500 < fields.fiscal_year < 2700:
        raise ProjectError("bad_fiscal_year")
    limits = {"description": 5000, "location": 300, "kpi_indicator": 300, "kpi_target": 300,
              "responsible_unit": 200}
    for name, limit in limits.items():
        if len(getattr(fields, name)) > limit:
            raise ProjectError("field_too_long", field=name, limit=limit)
    return dataclasses.replace(fields, title=title, description=fields.description.strip(),
                               location=fields.location.strip(),
                               kpi_indicator=fields.kpi_indicator.strip(),
                               kpi_target=fields.kpi_target.strip(),
                               responsible_unit=fields.responsible_unit.strip())


def missing_for_vote(fields: ProjectFields) -> list[str]:
    """Fields a project needs before residents can vote on it (empty when complete)."""
    missing = [name for name in ("description", "location", "kpi_indicator", "kpi_target",
                                 "responsible_unit") if not getattr(fields, name)]
    if not fields.estimated_cost_baht:
        missing.append("estimated_cost_baht")
    if fields.starts_on is None:
        missing.append("starts_on")
    if fields.ends_on is None:
        missing.append("ends_on")
    return missing


def get(conn: psycopg.Connection, scope: Scope, project_id: int) -> Project:
    """Raises ScopeError when missing or outside the scope (both look the same)."""
    with conn.cursor(row_factory=class_row(Project)) as cur:
        cur.execute(f"{_SELECT} WHERE p.id = %(id)s AND {scope.where('p.district')}",
                    {**scope.params(), "id": project_id})
        row = cur.fetchone()
    if row is None:
        raise ScopeError(f"no project {project_id} in scope")
    return row


def list_projects(conn: psycopg.Connection, scope: Scope, *, state: str | None = None,
                  district: str | None = None, limit: int = 100, offset: int = 0
                  ) -> list[Project]:
    """Newest first, within the scope."""
    with conn.cursor(row_factory=class_row(Project)) as cur:
        cur.execute(
            f"""{_SELECT} WHERE {scope.where('p.district')}
                  AND (%(state)s::text IS NULL OR p.state = %(state)s)
                  AND (%(district)s::text IS NULL OR p.district = %(district)s)
                ORDER BY p.id DESC LIMIT %(limit)s OFFSET %(offset)s""",
            {**scope.params(), "state": state, "district": district, "limit": limit,
             "offset": offset})
        return cur.fetchall()


def linked_clusters(conn: psycopg.Connection, scope: Scope, project_id: int
                    ) -> list[tuple[int, str, int]]:
    """(cluster id, title, active ideas) of the clusters a project came from."""
    get(conn, scope, project_id)
    rows = conn.execute(
        """SELECT c.id, coalesce(c.label, array_to_string(c.keywords[1:3], ' · '), ''), c.size
             FROM project_clusters pc JOIN clusters c ON c.id = pc.cluster_id
            WHERE pc.project_id = %s ORDER BY c.id""", (project_id,)).fetchall()
    return [(int(i), t or f"#{i}", int(s)) for i, t, s in rows]


def linked_ideas(conn: psycopg.Connection, scope: Scope, project_id: int, limit: int = 500
                 ) -> list[review.Member]:
    """The ideas a project carries (text, district, date; never the resident)."""
    get(conn, scope, project_id)
    with conn.cursor(row_factory=class_row(review.Member)) as cur:
        cur.execute(
            """SELECT i.id, i.text, i.district, i.status, i.created_at,
                      coalesce(m.assigned_by, 'staff') AS assigned_by, i.moderation_reason,
                      i.latitude, i.longitude
                 FROM project_ideas pi JOIN ideas i ON i.id = pi.idea_id
                 LEFT JOIN cluster_members m ON m.idea_id = i.id
                WHERE pi.project_id = %s ORDER BY i.created_at DESC, i.id DESC LIMIT %s""",
            (project_id, limit))
        return cur.fetchall()


def _link(conn: psycopg.Connection, project_id: int, cluster_ids: list[int]) -> int:
    """Link clusters and their active ideas; returns ideas newly linked."""
    for cluster_id in cluster_ids:
        conn.execute("INSERT INTO project_clusters (project_id, cluster_id) VALUES (%s, %s) "
                     "ON CONFLICT DO NOTHING", (project_id, cluster_id))
    rows = conn.execute(
        """INSERT INTO project_ideas (project_id, idea_id)
           SELECT %s, m.idea_id FROM cluster_members m JOIN ideas i ON i.id = m.idea_id
            WHERE m.cluster_id = ANY(%s) AND i.status = 'active'
           ON CONFLICT DO NOTHING RETURNING idea_id""", (project_id, cluster_ids)).fetchall()
    return len(rows)


def _lock_for_promotion(conn: psycopg.Connection, scope: Scope,
                        cluster_versions: dict[int, int]) -> list[cluster_edits.LockedCluster]:
    if not cluster_versions:
        raise ProjectError("no_clusters")
    rows = cluster_edits.lock_clusters(conn, scope, list(cluster_versions))
    for cluster_id, version in cluster_versions.items():
        cluster_edits.check_version(rows[cluster_id], version)
    if len({r.process_id for r in rows.values()}) > 1:
        raise ProjectError("different_process")
    if not any(r.size for r in rows.values()):
        raise ProjectError("empty_clusters")
    return list(rows.values())


def promote(conn: psycopg.Connection, scope: Scope, cluster_versions: dict[int, int],
            fields: ProjectFields) -> tuple[int, review.Outcome]:
    """Create a project draft from clusters: {cluster id: review_version seen}.

    The clusters are locked (the model never regroups them) and their
    versions bumped, so a repeated submission of the same form is a
    :class:`~pb.review.VersionConflict`, not a second project.

    Returns:
        (project id, outcome with the districts whose keywords to refresh).

    Raises:
        ProjectError, ScopeError, ReadOnlyError, review.VersionConflict.
    """
    fields = validate(fields, scope)
    rows = _lock_for_promotion(conn, scope, cluster_versions)
    process_id = rows[0].process_id
    values = fields.as_json()
    row = conn.execute(
        f"""INSERT INTO projects (process_id, created_by, {', '.join(_FIELDS)})
            VALUES (%(process_id)s, %(created_by)s, {', '.join('%(' + f + ')s' for f in _FIELDS)})
            RETURNING id""",
        {**dataclasses.asdict(fields), "process_id": process_id,
         "created_by": scope.staff_id}).fetchone()
    assert row is not None
    project_id = int(row[0])
    ids = sorted(cluster_versions)
    n_ideas = _link(conn, project_id, ids)
    conn.execute("UPDATE clusters SET locked = true WHERE id = ANY(%s)", (ids,))
    cluster_edits.touch(conn, scope, ids)
    audit.record(conn, scope, "project.create", "project", project_id, district=fields.district,
                 after={**values, "clusters": ids, "ideas": n_ideas, "state": "draft"})
    return project_id, review.Outcome(ids, {(r.process_id, r.district) for r in rows})


def add_clusters(conn: psycopg.Connection, scope: Scope, project_id: int, version: int,
                 cluster_versions: dict[int, int]) -> review.Outcome:
    """Link more clusters (and their ideas) to a draft project; they get locked too.

    Raises:
        ProjectError("not_draft"), ProjectConflict, review.VersionConflict, ScopeError.
    """
    project = _lock_project(conn, scope, project_id, version)
    if project.state != "draft":
        raise ProjectError("not_draft")
    rows = _lock_for_promotion(conn, scope, cluster_versions)
    if rows[0].process_id != project.process_id:
        raise ProjectError("different_process")
    ids = sorted(cluster_versions)
    n_ideas = _link(conn, project_id, ids)
    conn.execute("UPDATE clusters SET locked = true WHERE id = ANY(%s)", (ids,))
    cluster_edits.touch(conn, scope, ids)
    conn.execute("UPDATE projects SET version = version + 1, updated_at = now() WHERE id = %s",
                 (project_id,))
    audit.record(conn, scope, "project.add_clusters", "project", project_id,
                 district=project.district, after={"clusters": ids, "ideas": n_ideas})
    return review.Outcome(ids, {(r.process_id, r.district) for r in rows})


def _lock_project(conn: psycopg.Connection, scope: Scope, project_id: int, version: int
                  ) -> Project:
    conn.execute("SET LOCAL lock_timeout = '5s'")
    conn.execute("SELECT 1 FROM projects WHERE id = %s FOR UPDATE", (project_id,))
    project = get(conn, scope, project_id)
    scope.check(project.district, write=True)
    if project.version != version:
        raise ProjectConflict(project_id, project.updated_at)
    return project


def update(conn: psycopg.Connection, scope: Scope, project_id: int, version: int,
           fields: ProjectFields) -> None:
    """Edit a draft's fields (audited with before and after).

    Raises:
        ProjectError("not_draft") or a validation error, ProjectConflict, ScopeError.
    """
    project = _lock_project(conn, scope, project_id, version)
    if project.state != "draft":
        raise ProjectError("not_draft")
    fields = validate(fields, scope)
    before, after = project.fields().as_json(), fields.as_json()
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return
    conn.execute(
        f"""UPDATE projects SET {', '.join(f + ' = %(' + f + ')s' for f in _FIELDS)},
                   version = version + 1, updated_at = now() WHERE id = %(id)s""",
        {**dataclasses.asdict(fields), "id": project_id})
    audit.record(conn, scope, "project.update", "project", project_id, district=fields.district,
                 before={k: before[k] for k in sorted(changed)},
                 after={k: after[k] for k in sorted(changed)})


def correct_dates(conn: psycopg.Connection, scope: Scope, project_id: int, version: int,
                  starts_on: dt.date | None, ends_on: dt.date | None, reason: str = "") -> bool:
    """Correct a project's planned start and end after it left the draft stage.

    Schedules move after the vote (issue 16: "dates change"); the rest of the
    project is what residents voted on and stays frozen. Audited as
    ``project.dates`` with before, after and the reason.

    Args:
        starts_on, ends_on: the corrected dates (either may be empty until known).
        reason: why (at most 500 characters; optional).

    Returns:
        True when something changed, False when the dates were already these.

    Raises:
        ProjectError("ends_before_start" | "dates_in_draft" | "field_too_long"),
        ProjectConflict, ScopeError, ReadOnlyError.
    """
    project = _lock_project(conn, scope, project_id, version)
    if project.state == "draft":
        raise ProjectError("dates_in_draft")
    if starts_on and ends_on and ends_on < starts_on:
        raise ProjectError("ends_before_start")
    reason = " ".join(reason.split())
    if len(reason) > 500:
        raise ProjectError("field_too_long", field="reason", limit=500)
    before = {"starts_on": project.starts_on, "ends_on": project.ends_on}
    after = {"starts_on": starts_on, "ends_on": ends_on}
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return False
    conn.execute("UPDATE projects SET starts_on = %s, ends_on = %s, version = version + 1, "
                 "updated_at = now() WHERE id = %s", (starts_on, ends_on, project_id))

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None
    audit.record(conn, scope, "project.dates", "project", project_id, district=project.district,
                 before={k: iso(before[k]) for k in changed},
                 after={**{k: iso(after[k]) for k in changed}, "reason": reason or None})
    return True


def transition(conn: psycopg.Connection, scope: Scope, project_id: int, version: int,
               new_state: str) -> None:
    """Move a project to its next state (see :data:`TRANSITIONS`); audited.

    Going to ``ready_for_vote`` needs every field residents vote on
    (:func:`missing_for_vote`).

    Raises:
        ProjectError("bad_transition" | "incomplete"), ProjectConflict, ScopeError.
    """
    project = _lock_project(conn, scope, project_id, version)
    if new_state not in TRANSITIONS.get(project.state, ()):
        raise ProjectError("bad_transition", old=project.state, new=new_state)
    if new_state == "ready_for_vote":
        missing = missing_for_vote(project.fields())
        if missing:
            raise ProjectError("incomplete", fields=missing)
    conn.execute("UPDATE projects SET state = %s, version = version + 1, updated_at = now() "
                 "WHERE id = %s", (new_state, project_id))
    audit.record(conn, scope, "project.transition", "project", project_id,
                 district=project.district, before={"state": project.state},
                 after={"state": new_state})
