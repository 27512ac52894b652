"""Grouping vectors in the database (migration 0006, issue 9): stored next to the raw
vector, searched by the similar-idea check, recomputed by ``siang nlp regroup``'s helpers."""

from __future__ import annotations

import numpy as np

from nlp.represent import CentredRepresentation
from pb import ideas, processes


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _store(db, pid: int, k: int, raw: np.ndarray, grouping: np.ndarray | None) -> int:
    idea_id, _ = ideas.insert(db, process_id=pid, resident_id=None, district="บางรัก",
                              text=f"ไอเดีย {k}", normalised_text=f"ไอเดีย {k}", webhook_event_id=f"g{k}")
    ideas.store_embedding(db, idea_id, "m", raw, grouping)
    return idea_id


def test_search_and_clustering_read_the_grouping_vector_not_the_raw_one(db):
    rng = np.random.default_rng(0)
    pid = processes.current_id(db)
    raws = _unit(rng.normal(size=(4, 384)))
    groupings = _unit(rng.normal(size=(4, 384)))
    ids = [_store(db, pid, k, raws[k], groupings[k]) for k in range(4)]
    found = ideas.similar_in_district(db, process_id=pid, district="บางรัก", model="m",
                                      grouping=groupings[0], limit=4)
    assert found[0].id == ids[0] and abs(found[0].similarity - 1.0) < 1e-4
    expected = groupings @ groupings[0]
    np.testing.assert_allclose([f.similarity for f in found], np.sort(expected)[::-1], atol=1e-4)
    got_ids, vectors = ideas.embeddings_for(db, pid)
    assert got_ids.tolist() == ids
    np.testing.assert_allclose(vectors, groupings, atol=1e-6)


def test_without_a_grouping_vector_the_raw_one_is_stored_and_regroup_replaces_it(db):
    rng = np.random.default_rng(1)
    pid = processes.current_id(db)
    raws = _unit(rng.normal(size=(3, 384)))
    ids = [_store(db, pid, k, raws[k], None) for k in range(3)]
    np.testing.assert_allclose(ideas.embeddings_for(db, pid)[1], raws, atol=1e-6)

    mean = raws.mean(axis=0)
    rep = CentredRepresentation(mean, "test-centred")
    rows = ideas.embeddings_to_regroup(db, "m", after_id=0, limit=2)
    assert [r[0] for r in rows] == ids[:2] and rows[0][1] == "ไอเดีย 0"
    rows += ideas.embeddings_to_regroup(db, "m", after_id=rows[-1][0])
    assert [r[0] for r in rows] == ids and ideas.embeddings_to_regroup(db, "other") == []
    vectors = rep.transform([r[1] for r in rows], np.stack([r[2] for r in rows]))
    ideas.set_groupings(db, [r[0] for r in rows], vectors)
    np.testing.assert_allclose(ideas.embeddings_for(db, pid)[1], _unit(raws - mean), atol=1e-5)
    # the raw vectors are untouched
    np.testing.assert_allclose(np.stack([r[2] for r in ideas.embeddings_to_regroup(db, "m")]), raws,
                               atol=1e-6)
