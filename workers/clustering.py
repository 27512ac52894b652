"""Cluster upkeep jobs: keywords and medoids, and the full recluster.

Staff decisions outrank the model (DESIGN.md): a recluster keeps clusters
that staff locked or renamed and every idea staff placed by hand.
"""

from __future__ import annotations

import logging

import numpy as np
import psycopg

from nlp import clustering as nc
from nlp.keywords import cluster_keywords
from pb import clusters, ideas

log = logging.getLogger(__name__)


def dirty_districts(conn: psycopg.Connection) -> list[tuple[int, str]]:
    """(process id, district) pairs with clusters changed since their keywords were made."""
    rows = conn.execute(
        """SELECT DISTINCT process_id, district FROM clusters
            WHERE size > 0 AND (keywords_at IS NULL OR keywords_at < updated_at)
            ORDER BY 1, 2""").fetchall()
    return [(int(p), d) for p, d in rows]


def refresh_keywords(conn: psycopg.Connection, process_id: int, district: str) -> int:
    """c-TF-IDF keywords (pythainlp newmm tokens), the medoid idea and the centroid
    of each cluster with active ideas; returns how many clusters were written.

    Reads a snapshot, computes with no transaction open (tokenising a busy
    district takes a while), then writes each cluster only if it did not
    change since the snapshot (its ``updated_at`` is the one read). So a
    resident's new idea never waits for this job's locks (``siang bench
    e2e`` saw a reply wait 1.3 s behind one), and a cluster that changed
    meanwhile stays stale for the sweeper's next round.
    """
    with conn.transaction():
        versions = dict(conn.execute(
            "SELECT id, updated_at FROM clusters WHERE process_id = %s AND district = %s "
            "ORDER BY id", (process_id, district)).fetchall())
        members = clusters.member_texts(conn, process_id, district)
        idea_ids, vectors = ideas.embeddings_for(conn, process_id, district=district)
    row_of = {int(i): k for k, i in enumerate(idea_ids)}
    keywords = cluster_keywords({cid: [t for _, t in rows] for cid, rows in members.items()})
    updates = {}
    for cluster_id, rows in members.items():
        rows_in = [row_of[i] for i, _ in rows if i in row_of]
        medoid = centroid = None
        if rows_in:
            grouping = vectors[rows_in]     # grouping vectors: centred unit rows
            medoid = int(idea_ids[rows_in[nc.medoid(grouping)]])
            # Staff moves, splits and hides change members without touching the
            # centroid: rebuild it from the active members (mean of grouping vectors).
            centroid = grouping.mean(axis=0)
        updates[cluster_id] = (keywords.get(cluster_id, []), medoid, centroid)
    written = 0
    # In id order, the order in which a new idea's assignment locks the district's
    # clusters (pb.clusters.centroids_for_update): any other order can deadlock with it.
    with conn.transaction():
        for cluster_id, seen_at in sorted(versions.items()):
            words, medoid, centroid = updates.get(cluster_id, ([], None, None))
            written += clusters.set_keywords(conn, cluster_id, words, medoid, centroid,
                                             unchanged_since=seen_at)
    return written


def recluster(conn: psycopg.Connection, threshold: float, process_id: int, *,
              min_cluster_size: int | None = None, distance_threshold: float | None = None) -> dict:
    """Regroup every district's ideas from their stored embeddings.

    Kept as they are: clusters that are locked, renamed by staff, reviewed
    by staff (merged, split, moved from or into, moderated: ``reviewed_at``,
    set by ``pb.review``), or hold an idea staff placed by hand. Every other
    cluster is rebuilt from ``nlp.clustering.recluster`` on grouping vectors;
    ideas the algorithm calls noise join the nearest cluster above the
    assignment threshold or stand alone.

    Args:
        threshold: online-assignment cosine for ideas called noise.
        distance_threshold: the recluster cut
            (``nlp.clustering.recluster_distance`` of the representation;
            default ``nlp.clustering.RECLUSTER_DISTANCE``).

    Returns:
        {"districts": n, "ideas": n, "clusters": n, "kept": n}.
    """
    summary = {"districts": 0, "ideas": 0, "clusters": 0, "kept": 0}
    with conn.transaction():
        districts = [r[0] for r in conn.execute(
            "SELECT DISTINCT district FROM ideas WHERE process_id = %s ORDER BY 1",
            (process_id,)).fetchall()]
    for district in districts:
        with conn.transaction():
            kept = _recluster_district(conn, threshold, process_id, district,
                                      min_cluster_size, distance_threshold)
        summary["districts"] += 1
        summary["kept"] += kept
        refresh_keywords(conn, process_id, district)
    with conn.transaction():
        row = conn.execute(
            """SELECT count(*), (SELECT count(*) FROM cluster_members m JOIN clusters c
                                  ON c.id = m.cluster_id WHERE c.process_id = %s)
                 FROM clusters WHERE process_id = %s AND size > 0""",
            (process_id, process_id)).fetchone()
    summary["clusters"], summary["ideas"] = int(row[0]), int(row[1])
    return summary


def _recluster_district(conn, threshold: float, process_id: int, district: str,
                        min_cluster_size: int | None, distance_threshold: float | None = None) -> int:
    conn.execute("SELECT id FROM clusters WHERE process_id = %s AND district = %s "
                 "ORDER BY id FOR UPDATE", (process_id, district))   # the assignment's order
    kept_ids = [int(r[0]) for r in conn.execute(
        """SELECT c.id FROM clusters c
            WHERE c.process_id = %s AND c.district = %s
              AND (c.locked OR c.label IS NOT NULL OR c.reviewed_at IS NOT NULL
                   OR EXISTS (SELECT 1 FROM cluster_members m
                               WHERE m.cluster_id = c.id AND m.assigned_by = 'staff'))""",
        (process_id, district)).fetchall()]
    conn.execute(
        """DELETE FROM clusters WHERE process_id = %s AND district = %s AND NOT (id = ANY(%s))""",
        (process_id, district, kept_ids))
    idea_ids, vectors = ideas.embeddings_for(conn, process_id, district=district)
    placed = {int(r[0]) for r in conn.execute(
        "SELECT idea_id FROM cluster_members WHERE cluster_id = ANY(%s)", (kept_ids,)).fetchall()}
    free = np.array([k for k, i in enumerate(idea_ids) if int(i) not in placed], dtype=np.int64)
    if len(free) == 0:
        return len(kept_ids)
    grouping = vectors[free]            # grouping vectors: centred unit rows
    kwargs = {} if min_cluster_size is None else {"min_cluster_size": min_cluster_size}
    if distance_threshold is not None:
        kwargs["distance_threshold"] = distance_threshold
    labels = nc.recluster(grouping, **kwargs) if len(free) > 1 else np.array([-1])
    for label in sorted(set(labels.tolist()) - {-1}):
        rows = np.flatnonzero(labels == label)
        cluster_id = clusters.create(conn, process_id, district, grouping[rows].mean(axis=0))
        for r in rows:
            clusters.add_member(conn, cluster_id, int(idea_ids[free[r]]), grouping[r], None)
    for r in np.flatnonzero(labels == -1):
        clusters.assign(conn, int(idea_ids[free[r]]), process_id, district, grouping[r],
                        threshold)
    return len(kept_ids)
