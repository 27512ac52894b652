"""Bugs ``siang simulate`` found (issue 17), each pinned by a test that failed before its fix."""

from __future__ import annotations

import numpy as np

from nlp.represent import GROUPING_DIM
from pb import clusters, processes

DISTRICT = "จตุจักร"


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(GROUPING_DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def test_keyword_refresh_writes_clusters_in_id_order_as_assignment_locks_them(db, monkeypatch):
    """A new idea's assignment locks its district's clusters in id order
    (``pb.clusters.centroids_for_update``); the keyword refresh wrote them in
    the table's physical order, so with a worker and the upkeep worker busy in
    the same district each held a cluster the other wanted: PostgreSQL
    "deadlock detected", the resident's event failed and waited for the sweeper
    (seen 4 times in the first 100 s of ``siang simulate --preset small``)."""
    from workers import clustering

    process_id = processes.current_id(db)
    ids = [clusters.create(db, process_id, DISTRICT, _unit(k)) for k in range(4)]
    db.execute("UPDATE clusters SET size = 1 WHERE id = ANY(%s)", (ids,))
    # An update moves the row to the end of the heap: physical order is no longer id order.
    db.execute("UPDATE clusters SET updated_at = now() WHERE id = %s", (ids[0],))
    db.commit()
    written: list[int] = []
    real = clusters.set_keywords

    def spy(conn, cluster_id, *args, **kwargs):
        written.append(cluster_id)
        return real(conn, cluster_id, *args, **kwargs)

    monkeypatch.setattr(clusters, "set_keywords", spy)
    clustering.refresh_keywords(db, process_id, DISTRICT)
    assert written == sorted(written) and set(written) == set(ids)
