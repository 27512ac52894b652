"""Staff actions on clusters: rename, lock, merge, move ideas, split.

Each action locks the clusters it touches (:func:`lock_clusters`), checks the
``review_version`` the staff member saw (:class:`~pb.review.VersionConflict`
otherwise), marks them reviewed and writes one audit entry, in the caller's
transaction (see :mod:`pb.review`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row

from pb import audit
from pb.review import MAX_LABEL_CHARS, Outcome, ReviewError, VersionConflict
from pb.scope import Scope, ScopeError


@dataclass
class LockedCluster:
    id: int
    process_id: int
    district: str
    label: str | None
    locked: bool
    size: int
    version: int
    reviewed_at: dt.datetime | None
    reviewed_by_name: str | None


def lock_clusters(conn: psycopg.Connection, scope: Scope, ids: list[int]
                  ) -> dict[int, LockedCluster]:
    """Row-lock clusters (in id order, so two actions cannot deadlock) and check scope.

    Raises:
        ScopeError: one is missing or outside the scope.
        ReadOnlyError: the scope cannot write.
    """
    conn.execute("SET LOCAL lock_timeout = '5s'")
    with conn.cursor(row_factory=class_row(LockedCluster)) as cur:
        cur.execute(
            """SELECT c.id, c.process_id, c.district, c.label, c.locked, c.size,
                      c.review_version AS version, c.reviewed_at,
                      (SELECT s.display_name FROM staff s WHERE s.id = c.reviewed_by)
                          AS reviewed_by_name
                 FROM clusters c WHERE c.id = ANY(%s) ORDER BY c.id FOR UPDATE OF c""",
            (sorted(set(ids)),))
        rows = {r.id: r for r in cur.fetchall()}
    for cluster_id in ids:
        row = rows.get(cluster_id)
        if row is None:
            raise ScopeError(f"no cluster {cluster_id}")
        scope.check(row.district, write=True)
    return rows


def check_version(row: LockedCluster, version: int) -> None:
    if row.version != version:
        raise VersionConflict(row.id, row.reviewed_by_name, row.reviewed_at)


def touch(conn: psycopg.Connection, scope: Scope, ids: list[int]) -> None:
    """Mark clusters reviewed, bump their version, recount active ideas, and mark their
    keywords, medoid and centroid stale (the sweeper's refresh_keywords redoes them)."""
    conn.execute(
        """UPDATE clusters c
              SET review_version = review_version + 1, reviewed_at = now(), reviewed_by = %s,
                  updated_at = now(), size = active.n, last_idea_at = active.newest
             FROM (SELECT x.id, count(i.id) AS n, max(i.created_at) AS newest
                     FROM clusters x
                     LEFT JOIN cluster_members m ON m.cluster_id = x.id
                     LEFT JOIN ideas i ON i.id = m.idea_id AND i.status = 'active'
                    WHERE x.id = ANY(%s) GROUP BY x.id) active
            WHERE c.id = active.id""",
        (scope.staff_id, ids))


def members_of(conn: psycopg.Connection, cluster_id: int, idea_ids: list[int]) -> list[int]:
    """The given ideas, checked to be members of the cluster.

    Raises:
        ReviewError: none given, or one is not in the cluster.
    """
    wanted = sorted(set(idea_ids))
    if not wanted:
        raise ReviewError("no_ideas")
    found = [int(r[0]) for r in conn.execute(
        "SELECT idea_id FROM cluster_members WHERE cluster_id = %s AND idea_id = ANY(%s) "
        "ORDER BY idea_id", (cluster_id, wanted)).fetchall()]
    if found != wanted:
        raise ReviewError("not_members")
    return wanted


def outcome(rows: list[LockedCluster], **kwargs) -> Outcome:
    """The :class:`~pb.review.Outcome` of an action on the locked ``rows``."""
    return Outcome([r.id for r in rows], {(r.process_id, r.district) for r in rows}, **kwargs)


def _lock_pair(conn: psycopg.Connection, scope: Scope, source_id: int, target_id: int,
               version: int, same_code: str) -> tuple[LockedCluster, LockedCluster]:
    """Lock a source and a target cluster of one process for a merge or a move; the
    source must still be at ``version``.

    Raises:
        ReviewError(same_code): source and target are one cluster.
        ReviewError("different_process"): they belong to different processes.
        ScopeError / ReadOnlyError / VersionConflict: see :func:`lock_clusters`.
    """
    if source_id == target_id:
        raise ReviewError(same_code)
    rows = lock_clusters(conn, scope, [source_id, target_id])
    source, target = rows[source_id], rows[target_id]
    check_version(source, version)
    if source.process_id != target.process_id:
        raise ReviewError("different_process")
    return source, target


def rename(conn: psycopg.Connection, scope: Scope, cluster_id: int, version: int,
           label: str) -> Outcome:
    """Set the cluster's label (empty clears it back to keywords)."""
    label = " ".join(label.split())
    if len(label) > MAX_LABEL_CHARS:
        raise ReviewError("label_too_long", limit=MAX_LABEL_CHARS)
    row = lock_clusters(conn, scope, [cluster_id])[cluster_id]
    check_version(row, version)
    conn.execute("UPDATE clusters SET label = %s WHERE id = %s", (label or None, cluster_id))
    touch(conn, scope, [cluster_id])
    audit.record(conn, scope, "cluster.rename", "cluster", cluster_id, district=row.district,
                 before={"label": row.label}, after={"label": label or None})
    return outcome([row])


def set_locked(conn: psycopg.Connection, scope: Scope, cluster_id: int, version: int,
               locked: bool) -> Outcome:
    """Lock (the model never changes it) or unlock a cluster."""
    row = lock_clusters(conn, scope, [cluster_id])[cluster_id]
    check_version(row, version)
    conn.execute("UPDATE clusters SET locked = %s WHERE id = %s", (locked, cluster_id))
    touch(conn, scope, [cluster_id])
    audit.record(conn, scope, "cluster.lock" if locked else "cluster.unlock", "cluster",
                 cluster_id, district=row.district, before={"locked": row.locked},
                 after={"locked": locked})
    return outcome([row])


def merge(conn: psycopg.Connection, scope: Scope, source_id: int, version: int,
          target_id: int) -> Outcome:
    """Move every idea of ``source`` into ``target``; the source is left empty and
    remembers where its ideas went (``merged_into_id``).

    Raises:
        ReviewError: same cluster, different processes, or a locked source.
        ScopeError / ReadOnlyError / VersionConflict: see :func:`lock_clusters`.
    """
    source, target = _lock_pair(conn, scope, source_id, target_id, version, "self_merge")
    if source.locked:
        raise ReviewError("locked")
    moved = [int(r[0]) for r in conn.execute(
        """UPDATE cluster_members SET cluster_id = %s, assigned_by = 'staff', assigned_at = now()
            WHERE cluster_id = %s RETURNING idea_id""", (target_id, source_id)).fetchall()]
    conn.execute("UPDATE clusters SET merged_into_id = %s WHERE id = %s", (target_id, source_id))
    touch(conn, scope, [source_id, target_id])
    audit.record(conn, scope, "cluster.merge", "cluster", source_id, district=source.district,
                 before={"source": {"id": source_id, "size": source.size, "label": source.label},
                         "target": {"id": target_id, "size": target.size}},
                 after={"target": target_id, "ideas": sorted(moved)})
    return outcome([source, target], moved=len(moved))


def move(conn: psycopg.Connection, scope: Scope, source_id: int, version: int,
         idea_ids: list[int], target_id: int) -> Outcome:
    """Move selected ideas from ``source`` to ``target`` (placed by staff).

    Raises:
        ReviewError: same cluster, different processes, or an idea not in the source.
    """
    source, target = _lock_pair(conn, scope, source_id, target_id, version, "same_cluster")
    ids = members_of(conn, source_id, idea_ids)
    conn.execute(
        """UPDATE cluster_members SET cluster_id = %s, assigned_by = 'staff', assigned_at = now()
            WHERE cluster_id = %s AND idea_id = ANY(%s)""", (target_id, source_id, ids))
    touch(conn, scope, [source_id, target_id])
    audit.record(conn, scope, "cluster.move", "cluster", source_id, district=source.district,
                 before={"cluster": source_id, "ideas": ids},
                 after={"cluster": target_id, "ideas": ids})
    return outcome([source, target], moved=len(ids))


def split(conn: psycopg.Connection, scope: Scope, source_id: int, version: int,
          idea_ids: list[int], label: str = "") -> Outcome:
    """Take selected ideas out of ``source`` into a new cluster (same district and
    process), optionally labelled. Its centroid is filled in by the next keyword
    refresh; until then new ideas do not join it.

    Raises:
        ReviewError: no ideas, all of them (that is a rename), or not members.
    """
    label = " ".join(label.split())
    if len(label) > MAX_LABEL_CHARS:
        raise ReviewError("label_too_long", limit=MAX_LABEL_CHARS)
    source = lock_clusters(conn, scope, [source_id])[source_id]
    check_version(source, version)
    ids = members_of(conn, source_id, idea_ids)
    total = conn.execute("SELECT count(*) FROM cluster_members WHERE cluster_id = %s",
                         (source_id,)).fetchone()
    if total and len(ids) >= int(total[0]):
        raise ReviewError("all_ideas")
    new_row = conn.execute(
        """INSERT INTO clusters (process_id, district, label) VALUES (%s, %s, %s) RETURNING id""",
        (source.process_id, source.district, label or None)).fetchone()
    assert new_row is not None
    new_id = int(new_row[0])
    conn.execute(
        """UPDATE cluster_members SET cluster_id = %s, assigned_by = 'staff', assigned_at = now()
            WHERE cluster_id = %s AND idea_id = ANY(%s)""", (new_id, source_id, ids))
    touch(conn, scope, [source_id, new_id])
    audit.record(conn, scope, "cluster.split", "cluster", source_id, district=source.district,
                 before={"cluster": source_id, "ideas": ids},
                 after={"cluster": new_id, "label": label or None, "ideas": ids})
    return outcome([source], new_cluster_id=new_id, moved=len(ids))


def unmerge(conn: psycopg.Connection, scope: Scope, source_id: int, version: int) -> Outcome:
    """Undo a merge: the ideas the last merge moved out of ``source`` and that are still
    in the cluster it was merged into go back; ``merged_into_id`` is cleared.

    The ideas come from the merge's audit entry (``cluster.merge``, its ``after.ideas``),
    so ideas that joined the target on their own, or that staff moved on since, stay.

    Raises:
        ReviewError("not_merged"): the cluster is not merged away.
        ScopeError / ReadOnlyError / VersionConflict: see :func:`lock_clusters`.
    """
    first = lock_clusters(conn, scope, [source_id])[source_id]
    check_version(first, version)
    row = conn.execute("SELECT merged_into_id FROM clusters WHERE id = %s",
                       (source_id,)).fetchone()
    target_id = row[0] if row else None
    if target_id is None:
        raise ReviewError("not_merged")
    rows = lock_clusters(conn, scope, [source_id, int(target_id)])
    entry = conn.execute(
        """SELECT after -> 'ideas' FROM audit_log
            WHERE action = 'cluster.merge' AND target_type = 'cluster' AND target_id = %s
              AND (after ->> 'target')::bigint = %s
            ORDER BY id DESC LIMIT 1""", (source_id, target_id)).fetchone()
    wanted = [int(i) for i in (entry[0] if entry and entry[0] else [])]
    back = [int(r[0]) for r in conn.execute(
        """UPDATE cluster_members SET cluster_id = %s, assigned_by = 'staff', assigned_at = now()
            WHERE cluster_id = %s AND idea_id = ANY(%s) RETURNING idea_id""",
        (source_id, target_id, wanted)).fetchall()]
    conn.execute("UPDATE clusters SET merged_into_id = NULL WHERE id = %s", (source_id,))
    touch(conn, scope, [source_id, int(target_id)])
    audit.record(conn, scope, "cluster.unmerge", "cluster", source_id, district=first.district,
                 before={"merged_into": int(target_id)},
                 after={"ideas": sorted(back), "left_in_target": len(wanted) - len(back)})
    return outcome(list(rows.values()), moved=len(back))


def merge_targets(conn: psycopg.Connection, scope: Scope, cluster_id: int, process_id: int,
                  limit: int = 500) -> list[tuple[int, str, int, str]]:
    """Clusters a cluster may be merged into or ideas moved to: (id, title, active ideas,
    district), same process, in scope, not merged away, largest first. The page offers
    those of the same district in the drop-down and all of them, with district names,
    in a searchable list (issue 16: 300 unnamed clusters were unusable)."""
    rows = conn.execute(
        f"""SELECT c.id, coalesce(c.label, array_to_string(c.keywords[1:3], ' · '), ''), c.size,
                   c.district
              FROM clusters c
             WHERE c.process_id = %(process)s AND c.id <> %(id)s AND c.size > 0
               AND c.merged_into_id IS NULL AND {scope.where('c.district')}
             ORDER BY c.size DESC, c.id LIMIT %(limit)s""",
        {**scope.params(), "id": cluster_id, "process": process_id, "limit": limit}).fetchall()
    return [(int(i), t or f"#{i}", int(s), d) for i, t, s, d in rows]
