"""Rows for the staff CSV downloads (issue 16): ideas, clusters, projects, round results.

Each export is a fixed list of columns and one query limited to a staff
member's scope (and optionally one district). Rows come out as tuples in
column order, streamed from a server-side cursor, so 100,000 ideas never sit
in memory at once. Never a resident's LINE id or resident id: ideas are
exported as staff see them in the admin (text, district, status, cluster).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from pb.scope import Scope

BATCH_ROWS = 2_000


@dataclass(frozen=True)
class Export:
    """One downloadable table: its columns and its query (``{scope}`` is replaced by
    the scope condition on ``district_column``)."""

    name: str
    columns: tuple[str, ...]
    sql: str
    district_column: str


IDEAS = Export(
    "ideas",
    ("idea_id", "created_at", "district", "status", "cluster_id", "supporters", "text",
     "latitude", "longitude", "source"),
    """SELECT i.id, i.created_at, i.district, i.status, m.cluster_id,
              coalesce(s.n, 0), i.text, i.latitude, i.longitude, i.source
         FROM ideas i LEFT JOIN cluster_members m ON m.idea_id = i.id
         LEFT JOIN (SELECT idea_id, count(*) AS n FROM supports WHERE idea_id IS NOT NULL
                     GROUP BY idea_id) s ON s.idea_id = i.id
        WHERE i.status <> 'withdrawn' AND {scope} ORDER BY i.id""",
    "i.district")

CLUSTERS = Export(
    "clusters",
    ("cluster_id", "district", "label", "keywords", "ideas", "locked", "reviewed",
     "merged_into", "projects", "newest_idea_at", "created_at"),
    """SELECT c.id, c.district, c.label, array_to_string(c.keywords, ' '), c.size, c.locked,
              c.reviewed_at IS NOT NULL, c.merged_into_id,
              (SELECT string_agg(pc.project_id::text, ' ' ORDER BY pc.project_id)
                 FROM project_clusters pc WHERE pc.cluster_id = c.id),
              c.last_idea_at, c.created_at
         FROM clusters c
        WHERE (c.size > 0 OR c.merged_into_id IS NOT NULL) AND {scope} ORDER BY c.id""",
    "c.district")

PROJECTS = Export(
    "projects",
    ("project_id", "title", "district", "state", "estimated_cost_baht", "fiscal_year_be",
     "starts_on", "ends_on", "responsible_unit", "location", "kpi_indicator", "kpi_target",
     "clusters", "ideas", "progress_reports", "latest_percent", "disbursed_baht",
     "created_at"),
    """SELECT p.id, p.title, p.district, p.state, p.estimated_cost_baht, p.fiscal_year,
              p.starts_on, p.ends_on, p.responsible_unit, p.location, p.kpi_indicator,
              p.kpi_target,
              (SELECT string_agg(pc.cluster_id::text, ' ' ORDER BY pc.cluster_id)
                 FROM project_clusters pc WHERE pc.project_id = p.id),
              (SELECT count(*) FROM project_ideas pi WHERE pi.project_id = p.id),
              (SELECT count(*) FROM progress_reports r WHERE r.project_id = p.id),
              (SELECT r.percent FROM progress_reports r WHERE r.project_id = p.id
                ORDER BY r.number DESC LIMIT 1),
              (SELECT coalesce(sum(r.disbursed_baht), 0) FROM progress_reports r
                WHERE r.project_id = p.id),
              p.created_at
         FROM projects p WHERE {scope} ORDER BY p.id""",
    "p.district")

RESULTS = Export(
    "results",
    ("round_id", "round_title", "district", "round_state", "rule", "budget_baht",
     "ballots", "quorum_met", "published_at", "code", "project_id", "project_title",
     "cost_baht", "votes", "selected"),
    """SELECT v.id, v.title, v.district, v.state, v.rule, v.budget_baht, res.ballots,
              res.quorum_met, v.published_at, rp.code, rp.project_id, rp.title, rp.cost_baht,
              coalesce((res.votes ->> rp.code)::bigint, 0),
              CASE WHEN res.round_id IS NULL THEN NULL ELSE rp.code = ANY(res.winners) END
         FROM voting_rounds v JOIN round_projects rp ON rp.round_id = v.id
         LEFT JOIN round_results res ON res.round_id = v.id AND res.chosen
        WHERE v.origin = 'siang' AND (%(round)s::bigint IS NULL OR v.id = %(round)s) AND {scope}
        ORDER BY v.id, coalesce((res.votes ->> rp.code)::bigint, 0) DESC, rp.position""",
    "v.district")

EXPORTS = {e.name: e for e in (IDEAS, CLUSTERS, PROJECTS, RESULTS)}


def _query(export: Export, scope: Scope, district: str | None) -> tuple[str, dict]:
    column = export.district_column
    condition = (f"{scope.where(column)} AND (%(district)s::text IS NULL "
                 f"OR {column} = %(district)s)")
    return export.sql.replace("{scope}", condition), {**scope.params(), "district": district}


def count(conn: psycopg.Connection, export: Export, scope: Scope, *,
          district: str | None = None, round_id: int | None = None) -> int:
    """How many rows :func:`rows` would give (for the audit log)."""
    sql, params = _query(export, scope, district)
    row = conn.execute(f"SELECT count(*) FROM ({sql}) AS q", {**params, "round": round_id}
                       ).fetchone()
    return int(row[0]) if row else 0


def rows(conn: psycopg.Connection, export: Export, scope: Scope, *,
         district: str | None = None, round_id: int | None = None) -> Iterator[tuple]:
    """The export's rows in column order, within ``scope`` (and ``district``; and for
    results, one round when ``round_id`` is given). A server-side cursor: the caller
    keeps ``conn`` in a transaction until the iterator is exhausted."""
    sql, params = _query(export, scope, district)
    with conn.cursor(name=f"export_{export.name}") as cur:
        cur.itersize = BATCH_ROWS
        cur.execute(sql, {**params, "round": round_id})
        yield from cur
