"""Clusters of similar ideas within a district, and their members."""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg

from nlp.centroids import nearest, update_centroid
from nlp.represent import GROUPING_DIM
from pb.vectors import as_array, register as register_vectors


def centroids_for_update(conn: psycopg.Connection, process_id: int, district: str
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centroids of one district, locked so concurrent assignments queue up.

    Returns:
        (cluster ids (k,) int64, centroids (k, GROUPING_DIM) float32 in centred space).
    """
    register_vectors(conn)
    rows = conn.execute(
        """SELECT id, centroid FROM clusters
            WHERE process_id = %s AND district = %s AND centroid IS NOT NULL AND size > 0
            ORDER BY id FOR UPDATE""",
        (process_id, district),
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, GROUPING_DIM), dtype=np.float32)
    return (np.array([r[0] for r in rows], dtype=np.int64),
            np.stack([as_array(r[1]) for r in rows]))


def create(conn: psycopg.Connection, process_id: int, district: str, centroid: np.ndarray) -> int:
    register_vectors(conn)
    row = conn.execute(
        "INSERT INTO clusters (process_id, district, centroid) VALUES (%s, %s, %s) RETURNING id",
        (process_id, district, np.asarray(centroid, dtype=np.float32)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_member(conn: psycopg.Connection, cluster_id: int, idea_id: int, vector: np.ndarray,
               similarity: float | None, assigned_by: str = "model") -> bool:
    """Put an idea in a cluster and move the centroid to the running mean.

    ``vector`` is the idea's centred unit vector (384 float32). Returns False
    when the idea already had a cluster (a repeated job changes nothing).
    """
    register_vectors(conn)
    inserted = conn.execute(
        """INSERT INTO cluster_members (idea_id, cluster_id, assigned_by, similarity)
           VALUES (%s, %s, %s, %s) ON CONFLICT (idea_id) DO NOTHING RETURNING idea_id""",
        (idea_id, cluster_id, assigned_by, similarity),
    ).fetchone()
    if inserted is None:
        return False
    row = conn.execute("SELECT centroid, size FROM clusters WHERE id = %s FOR UPDATE",
                       (cluster_id,)).fetchone()
    assert row is not None, f"cluster {cluster_id} does not exist"
    old, size = row
    vector = np.asarray(vector, dtype=np.float32)
    # Running mean (pgvector 0.6 has no vector × scalar, so it is done here).
    centroid = update_centroid(vector if old is None else as_array(old),
                               0 if old is None else size, vector)
    conn.execute(
        """UPDATE clusters SET centroid = %s, size = size + 1, updated_at = now(),
                  version = version + 1,
                  last_idea_at = greatest(last_idea_at,
                                          (SELECT created_at FROM ideas WHERE id = %s))
            WHERE id = %s""",
        (centroid.astype(np.float32), idea_id, cluster_id),
    )
    return True


def cluster_of(conn: psycopg.Connection, idea_id: int) -> tuple[int, int] | None:
    """(cluster id, cluster size) of an idea, or None if it has none yet."""
    row = conn.execute(
        """SELECT c.id, c.size FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
            WHERE m.idea_id = %s""", (idea_id,)).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def set_keywords(conn: psycopg.Connection, cluster_id: int, keywords: list[str],
                 medoid_idea_id: int | None, centroid: np.ndarray | None, *,
                 unchanged_since: dt.datetime) -> bool:
    """Store a cluster's keywords and medoid (and centroid, if given) and mark them fresh.

    Args:
        centroid: 384 float32, or None to keep the stored one.
        unchanged_since: write only if the cluster's ``updated_at`` is still
            this value (they were computed from a snapshot that may have aged).

    Returns:
        False when the cluster changed since ``unchanged_since`` (nothing written).
    """
    register_vectors(conn)
    row = conn.execute(
        """UPDATE clusters SET keywords = %(k)s, medoid_idea_id = %(m)s,
                  centroid = coalesce(%(c)s, centroid), keywords_at = updated_at
            WHERE id = %(id)s AND updated_at = %(seen)s
        RETURNING id""",
        {"k": keywords, "m": medoid_idea_id, "id": cluster_id, "seen": unchanged_since,
         "c": None if centroid is None else np.asarray(centroid, dtype=np.float32)}).fetchone()
    return row is not None


def member_texts(conn: psycopg.Connection, process_id: int, district: str | None = None
                 ) -> dict[int, list[tuple[int, str]]]:
    """Active member ideas per cluster: {cluster id: [(idea id, text), ...]}."""
    rows = conn.execute(
        """SELECT m.cluster_id, i.id, i.text FROM cluster_members m
             JOIN ideas i ON i.id = m.idea_id
             JOIN clusters c ON c.id = m.cluster_id
            WHERE c.process_id = %s AND (%s::text IS NULL OR c.district = %s)
              AND i.status = 'active'
            ORDER BY m.cluster_id, i.id""",
        (process_id, district, district),
    ).fetchall()
    out: dict[int, list[tuple[int, str]]] = {}
    for cluster_id, idea_id, text in rows:
        out.setdefault(int(cluster_id), []).append((int(idea_id), text))
    return out


def assign(conn: psycopg.Connection, idea_id: int, process_id: int, district: str,
           centred: np.ndarray, threshold: float) -> tuple[int, float | None]:
    """Online assignment: the nearest cluster of the district, or a new one.

    Cosine between the idea's centred unit vector (384 float32) and each
    cluster centroid (a running mean of centred unit vectors); the idea joins
    the best cluster when the cosine is at least ``threshold``, else starts
    its own. The district's clusters are locked for the transaction, so two
    ideas arriving at once cannot both found the same new cluster.

    Returns:
        (cluster id, cosine to it or None for a new cluster).
    """
    ids, centroids = centroids_for_update(conn, process_id, district)
    best = nearest(np.asarray(centred, dtype=np.float32), centroids)
    if best is not None and best[1] >= threshold:
        cluster_id = int(ids[best[0]])
        add_member(conn, cluster_id, idea_id, centred, best[1])
        return cluster_id, best[1]
    cluster_id = create(conn, process_id, district, centred)
    add_member(conn, cluster_id, idea_id, centred, None)
    return cluster_id, None
