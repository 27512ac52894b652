"""pb's centroid upkeep now calls nlp.clustering's pure functions (issue 13).

These pin the numbers: nlp's functions give what the formulas pb used to
inline gave (``pb/clusters.py`` online assignment and running mean,
``pb/ideas.py`` removal and centring), up to float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from nlp.clustering import centre, nearest, remove_from_centroid, update_centroid

RNG = np.random.default_rng(13)
D = 384


def _units(n: int) -> np.ndarray:
    x = RNG.standard_normal((n, D)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _old_assign(centroids: np.ndarray, centred: np.ndarray, threshold: float):
    """pb.clusters.assign before issue 13."""
    norms = np.maximum(np.linalg.norm(centroids, axis=1), 1e-9)
    similarities = centroids @ np.asarray(centred, dtype=np.float32) / norms
    best = int(np.argmax(similarities))
    return (best, float(similarities[best])) if similarities[best] >= threshold else None


@pytest.mark.parametrize("k", [1, 2, 7, 40])
def test_nearest_matches_the_old_online_assignment(k):
    for _ in range(20):
        members = _units(k * 3)
        centroids = np.stack([members[i::k].mean(axis=0) for i in range(k)])  # running means
        vector = _units(1)[0]
        for threshold in (-1.0, 0.0, 0.05, 0.99):
            old = _old_assign(centroids, vector, threshold)
            best = nearest(vector, centroids)
            assert best is not None
            new = best if best[1] >= threshold else None
            assert (old is None) == (new is None)
            if old is not None:
                assert old[0] == new[0]
                assert old[1] == pytest.approx(new[1], abs=1e-5)


def test_nearest_with_no_clusters_is_none():
    assert nearest(_units(1)[0], np.zeros((0, D), dtype=np.float32)) is None


def test_running_mean_matches_the_old_add_member_formula():
    vectors = _units(50)
    old = new = None
    for n, v in enumerate(vectors):
        old = v if old is None else old + (v - old) / (n + 1)
        new = update_centroid(v if new is None else new, 0 if new is None else n, v)
        np.testing.assert_allclose(new, old, atol=1e-6)
    np.testing.assert_allclose(new, vectors.mean(axis=0), atol=1e-6)


@pytest.mark.parametrize("mean_scale", [0.0, 0.3])
def test_removal_matches_the_old_detach_formula(mean_scale):
    mean = (_units(1)[0] * mean_scale).astype(np.float32)
    raw = _units(9)
    centred_rows = centre(raw, mean)
    centroid = centred_rows.mean(axis=0)
    size = len(raw)
    for x in raw[:-1]:
        v = x - mean
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        old = ((size * centroid - v) / (size - 1)).astype(np.float32)
        new = remove_from_centroid(centroid, size, centre(x, mean))
        np.testing.assert_allclose(new, old, atol=1e-6)
        centroid, size = new, size - 1
    np.testing.assert_allclose(centroid, centred_rows[-1], atol=1e-5)


def test_centre_matches_the_old_query_centring():
    mean = (_units(1)[0] * 0.2).astype(np.float32)
    for raw in _units(10):
        old = raw - mean
        old = old / max(float(np.linalg.norm(old)), 1e-12)
        np.testing.assert_allclose(centre(raw, mean), old, atol=1e-7)
