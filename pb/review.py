"""Staff review of clusters (BMA PB stage 1): list, read, and act on clusters.

Every function takes a :class:`~pb.scope.Scope`: reads are filtered with
``scope.where``, writes checked with ``scope.check(..., write=True)``.

Actions (rename, lock, merge, move, split, hide / mark spam, restore) are
optimistic: the form carries the cluster's ``review_version`` as the staff
member saw it; the action locks the rows, and if another staff member
changed the cluster meanwhile it raises :class:`VersionConflict` and changes
nothing. The model's online assignment does not bump ``review_version``.

Every action marks the clusters it touches as reviewed (``reviewed_at``)
and ideas it places as ``assigned_by = 'staff'``; ``workers.clustering``
keeps such clusters whole, so a recluster never undoes a staff decision.
Each action writes one audit entry in the caller's transaction.

This module holds the types and the reads; the actions on clusters are
:mod:`pb.cluster_edits`, hiding, restoring and flagged ideas :mod:`pb.moderation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb.scope import Scope, ScopeError

MAX_LABEL_CHARS = 200
MAX_REASON_CHARS = 500
MODERATION = ("hidden", "spam")
STATUSES = ("new", "reviewed", "locked", "project")
SORTS = {   # both follow an index (clusters_size, clusters_newest)
    "size": "c.size DESC, c.id",
    "newest": "c.last_idea_at DESC NULLS LAST, c.id DESC",
}


class ReviewError(ValueError):
    """The action does not make sense (e.g. merge a cluster into itself); nothing changed.

    Attributes:
        code: a stable name the admin turns into a translated message
            (``admin.messages.ERRORS``), e.g. ``self_merge``.
        values: numbers to fill into that message.
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code, self.values = code, values


class VersionConflict(Exception):
    """Another staff member changed the cluster after this one loaded it; nothing changed.

    Attributes:
        cluster_id: the cluster that changed.
        changed_by: display name of whoever changed it last (None: unknown).
        changed_at: when.
    """

    def __init__(self, cluster_id: int, changed_by: str | None, changed_at: dt.datetime | None):
        super().__init__(f"cluster {cluster_id} changed")
        self.cluster_id, self.changed_by, self.changed_at = cluster_id, changed_by, changed_at


@dataclass
class ClusterRow:
    """One cluster as staff see it in the list and on its page."""

    id: int
    process_id: int
    district: str
    label: str | None
    keywords: list[str]
    size: int                       # active member ideas
    locked: bool
    version: int                    # review_version
    reviewed_at: dt.datetime | None
    reviewed_by_name: str | None
    merged_into_id: int | None
    medoid_idea_id: int | None
    medoid_text: str | None
    newest_at: dt.datetime | None   # when its newest idea arrived
    districts: list[str]            # districts of its active ideas
    supporters: int                 # residents who back one of its ideas (issue 4's supports)
    projects: int                   # projects it was promoted to

    @property
    def title(self) -> str:
        return self.label or " · ".join(self.keywords[:3]) or f"#{self.id}"


@dataclass
class Member:
    """An idea in a cluster: never the resident or their LINE id."""

    id: int
    text: str
    district: str
    status: str
    created_at: dt.datetime
    assigned_by: str
    moderation_reason: str | None
    latitude: float | None
    longitude: float | None


@dataclass
class Outcome:
    """What an action did, for the caller's message and its after-commit jobs."""

    cluster_ids: list[int]
    refresh: set[tuple[int, str]] = field(default_factory=set)   # (process id, district)
    new_cluster_id: int | None = None
    moved: int = 0


# ---------------------------------------------------------------- reading


_SELECT = """
    SELECT c.id, c.process_id, c.district, c.label, c.keywords, c.size, c.locked,
           c.review_version AS version, c.reviewed_at, rs.display_name AS reviewed_by_name,
           c.merged_into_id, c.medoid_idea_id, mi.text AS medoid_text,
           c.last_idea_at AS newest_at, ARRAY[c.district] AS districts, 0 AS supporters,
           (SELECT count(*) FROM project_clusters pc WHERE pc.cluster_id = c.id) AS projects
      FROM clusters c
      LEFT JOIN ideas mi ON mi.id = c.medoid_idea_id AND mi.status = 'active'
      LEFT JOIN staff rs ON rs.id = c.reviewed_by"""


def _with_figures(conn: psycopg.Connection, rows: list[ClusterRow]) -> list[ClusterRow]:
    """Fill in each row's districts (of its active ideas) and supporters, in two
    grouped queries over the given clusters only (hash joins, not a loop per cluster)."""
    ids = [r.id for r in rows]
    if not ids:
        return rows
    # The model only groups ideas of one district, so only clusters staff acted on
    # (a merge or move across districts) can hold other districts' ideas.
    touched = [r.id for r in rows if r.reviewed_at is not None]
    districts = dict(conn.execute(
        """SELECT m.cluster_id, array_agg(DISTINCT i.district ORDER BY i.district)
             FROM cluster_members m JOIN ideas i ON i.id = m.idea_id
            WHERE m.cluster_id = ANY(%s) AND i.status = 'active'
            GROUP BY m.cluster_id""", (touched,)).fetchall()) if touched else {}
    # Residents backing the cluster (issue 16): those who sent one of its active ideas,
    # supported one ("me too"), or supported the cluster itself.
    supporters: dict[int, int] = dict(conn.execute(
        """SELECT x.cluster_id, count(DISTINCT x.resident_id)
             FROM (SELECT m.cluster_id, i.resident_id FROM cluster_members m
                     JOIN ideas i ON i.id = m.idea_id
                    WHERE m.cluster_id = ANY(%(ids)s) AND i.status = 'active'
                      AND i.resident_id IS NOT NULL
                   UNION ALL
                   SELECT m.cluster_id, s.resident_id FROM supports s
                     JOIN cluster_members m ON m.idea_id = s.idea_id
                    WHERE m.cluster_id = ANY(%(ids)s)
                   UNION ALL
                   SELECT s.cluster_id, s.resident_id FROM supports s
                    WHERE s.cluster_id = ANY(%(ids)s)) x
            GROUP BY x.cluster_id""", {"ids": ids}).fetchall())
    for row in rows:
        row.districts = districts.get(row.id) or [row.district]
        row.supporters = int(supporters.get(row.id, 0))
    return rows


def list_clusters(conn: psycopg.Connection, scope: Scope, *, district: str | None = None,
                  status: str | None = None, min_size: int | None = None,
                  max_size: int | None = None, q: str | None = None, sort: str = "size",
                  limit: int = 50, offset: int = 0) -> tuple[list[ClusterRow], int]:
    """Clusters with at least one active idea, filtered and sorted, within ``scope``.

    Args:
        district: one Thai district name (outside the scope gives nothing).
        status: "new" (untouched by staff), "reviewed", "locked" or "project"
            (promoted to a project).
        min_size, max_size: bounds on active ideas.
        q: Thai (or any) keyword: a member idea's text, the label or a keyword
            contains it (case-insensitive ILIKE; a trigram index helps where
            pg_trgm exists).
        sort: "size" (largest first) or "newest" (newest idea first).

    Returns:
        (one page of rows, number of matching clusters).

    Raises:
        ReviewError: unknown status or sort.
    """
    if sort not in SORTS:
        raise ReviewError("bad_sort")
    if status is not None and status not in STATUSES:
        raise ReviewError("bad_status")
    where = ["c.size > 0", scope.where("c.district")]
    params: dict[str, Any] = scope.params()
    if district:
        where.append("c.district = %(district)s")
        params["district"] = district
    if status == "new":
        where.append("c.reviewed_at IS NULL AND NOT c.locked AND c.label IS NULL")
    elif status == "reviewed":
        where.append("c.reviewed_at IS NOT NULL")
    elif status == "locked":
        where.append("c.locked")
    elif status == "project":
        where.append("EXISTS (SELECT 1 FROM project_clusters pc WHERE pc.cluster_id = c.id)")
    if min_size is not None:
        where.append("c.size >= %(min_size)s")
        params["min_size"] = min_size
    if max_size is not None:
        where.append("c.size <= %(max_size)s")
        params["max_size"] = max_size
    if q:
        # A substring of a member idea (normalised: lower case), of the label, or a
        # keyword; strpos needs no LIKE escaping and was the fastest scan measured.
        where.append("""(c.id IN (SELECT qm.cluster_id FROM ideas qi
                                    JOIN cluster_members qm ON qm.idea_id = qi.id
                                   WHERE qi.status = 'active'
                                     AND strpos(qi.normalised_text, %(q)s) > 0)
                         OR strpos(lower(c.label), %(q)s) > 0 OR %(q_raw)s = ANY(c.keywords))""")
        params["q"], params["q_raw"] = q.lower(), q
    params.update(limit=limit, offset=offset)
    # One pass over the filter gives the page and the total (window count);
    # the per-cluster figures are then computed for that page only.
    page = conn.execute(
        f"""SELECT c.id, count(*) OVER () FROM clusters c WHERE {' AND '.join(where)}
             ORDER BY {SORTS[sort]} LIMIT %(limit)s OFFSET %(offset)s""", params).fetchall()
    if not page:
        total = 0
        if offset:
            row = conn.execute(f"SELECT count(*) FROM clusters c WHERE {' AND '.join(where)}",
                               params).fetchone()
            total = int(row[0]) if row else 0
        return [], total
    ids = [int(r[0]) for r in page]
    with conn.cursor(row_factory=class_row(ClusterRow)) as cur:
        cur.execute(f"{_SELECT} WHERE c.id = ANY(%(ids)s)", {"ids": ids})
        by_id = {row.id: row for row in cur.fetchall()}
    return _with_figures(conn, [by_id[i] for i in ids]), int(page[0][1])


def get_cluster(conn: psycopg.Connection, scope: Scope, cluster_id: int) -> ClusterRow:
    """One cluster (even an emptied one) within the scope.

    Raises:
        ScopeError: no such cluster, or outside the scope (both look the same).
    """
    params = {**scope.params(), "id": cluster_id}
    with conn.cursor(row_factory=class_row(ClusterRow)) as cur:
        cur.execute(f"{_SELECT} WHERE c.id = %(id)s AND {scope.where('c.district')}", params)
        row = cur.fetchone()
    if row is None:
        raise ScopeError(f"no cluster {cluster_id} in scope")
    return _with_figures(conn, [row])[0]


def members(conn: psycopg.Connection, scope: Scope, cluster_id: int, *, limit: int = 200,
            offset: int = 0) -> tuple[list[Member], int]:
    """A cluster's ideas (active first, then hidden and spam; newest first), and their count."""
    params = {**scope.params(), "id": cluster_id, "limit": limit, "offset": offset}
    guard = f"EXISTS (SELECT 1 FROM clusters c WHERE c.id = %(id)s AND {scope.where('c.district')})"
    total = conn.execute(f"SELECT count(*) FROM cluster_members WHERE cluster_id = %(id)s "
                         f"AND {guard}", params).fetchone()
    with conn.cursor(row_factory=class_row(Member)) as cur:
        cur.execute(
            f"""SELECT i.id, i.text, i.district, i.status, i.created_at, m.assigned_by,
                       i.moderation_reason, i.latitude, i.longitude
                  FROM cluster_members m JOIN ideas i ON i.id = m.idea_id
                 WHERE m.cluster_id = %(id)s AND {guard}
                 ORDER BY (i.status = 'active') DESC, i.created_at DESC, i.id DESC
                 LIMIT %(limit)s OFFSET %(offset)s""", params)
        return cur.fetchall(), int(total[0]) if total else 0


def located(conn: psycopg.Connection, scope: Scope, cluster_id: int, limit: int = 2000
            ) -> list[tuple[int, float, float, dt.datetime]]:
    """(idea id, latitude, longitude, created at) of the cluster's located active ideas."""
    params = {**scope.params(), "id": cluster_id, "limit": limit}
    rows = conn.execute(
        f"""SELECT i.id, i.latitude, i.longitude, i.created_at
              FROM cluster_members m JOIN ideas i ON i.id = m.idea_id
              JOIN clusters c ON c.id = m.cluster_id
             WHERE m.cluster_id = %(id)s AND {scope.where('c.district')}
               AND i.status = 'active' AND i.latitude IS NOT NULL AND i.longitude IS NOT NULL
             ORDER BY i.id LIMIT %(limit)s""", params).fetchall()
    return [(int(a), float(b), float(c), d) for a, b, c, d in rows]


def targets(conn: psycopg.Connection, scope: Scope, cluster: ClusterRow, limit: int = 300
            ) -> list[tuple[int, str, int]]:
    """Clusters the staff member may merge or move into: (id, title, size), same
    process, in scope, same district first, largest first."""
    params = {**scope.params(), "id": cluster.id, "process": cluster.process_id,
              "district": cluster.district, "limit": limit}
    rows = conn.execute(
        f"""SELECT c.id, coalesce(c.label, array_to_string(c.keywords[1:3], ' · '), ''), c.size
              FROM clusters c
             WHERE c.process_id = %(process)s AND c.id <> %(id)s AND c.size > 0
               AND {scope.where('c.district')}
             ORDER BY (c.district = %(district)s) DESC, c.size DESC, c.id
             LIMIT %(limit)s""", params).fetchall()
    return [(int(i), t or f"#{i}", int(s)) for i, t, s in rows]


def projects_of(conn: psycopg.Connection, cluster_id: int) -> list[tuple[int, str, str]]:
    """(project id, title, state) of projects promoted from this cluster."""
    rows = conn.execute(
        """SELECT p.id, p.title, p.state FROM project_clusters pc JOIN projects p
                ON p.id = pc.project_id WHERE pc.cluster_id = %s ORDER BY p.id""",
        (cluster_id,)).fetchall()
    return [(int(i), t, s) for i, t, s in rows]


def district_counts(conn: psycopg.Connection, scope: Scope) -> list[tuple[str, int, int]]:
    """(district, clusters, active ideas) for each district in scope that has clusters."""
    rows = conn.execute(
        f"""SELECT c.district, count(*), sum(c.size) FROM clusters c
             WHERE c.size > 0 AND {scope.where('c.district')}
             GROUP BY c.district ORDER BY sum(c.size) DESC""", scope.params()).fetchall()
    return [(d, int(n), int(s)) for d, n, s in rows]
