"""Online grouping of one new idea: centring, nearest centroid, running-mean centroids.

Pure numpy on unit vectors, shapes (d,) for one vector and (k, d) float32 for
k cluster centroids. :mod:`pb.clusters` and :mod:`pb.ideas` call these when an
idea arrives, moves or leaves; :mod:`nlp.clustering` re-exports them beside
the offline :func:`nlp.clustering.recluster`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["centre", "assign", "nearest", "update_centroid", "remove_from_centroid"]


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def centre(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Subtract a centring vector and re-normalise.

    Args:
        vectors: (n, d) or (d,) float array.
        mean: (d,) float array, usually :func:`mean_for` the embedder.

    Returns:
        float32 array of the same shape as ``vectors``: unit rows of
        ``vectors - mean`` (a row equal to the mean becomes all zeros).

    Raises:
        ValueError: if the last dimensions differ.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    mean = np.asarray(mean, dtype=np.float32)
    if vectors.shape[-1] != mean.shape[-1]:
        raise ValueError(f"dimension mismatch: vectors {vectors.shape}, mean {mean.shape}")
    return _unit(vectors - mean)


def assign(vector: np.ndarray, centroids: np.ndarray, threshold: float) -> int | None:
    """Pick the cluster a new idea joins, or None to start a new cluster.

    Both arguments must already be centred (:func:`centre`); centroids may
    be unnormalised running means (:func:`update_centroid`), as only the
    direction counts.

    Args:
        vector: (d,) float array, the new idea's centred vector.
        centroids: (k, d) float array, one row per existing cluster; k may
            be 0.
        threshold: minimum cosine to join, e.g. :func:`default_threshold`.

    Returns:
        Row index in ``centroids`` of the most similar cluster if its cosine
        is >= ``threshold``, else None. Ties go to the lowest index.

    Raises:
        ValueError: on shape mismatch.
    """
    best = nearest(vector, centroids)
    return best[0] if best is not None and best[1] >= threshold else None


def nearest(vector: np.ndarray, centroids: np.ndarray) -> tuple[int, float] | None:
    """The most similar cluster and its cosine, whatever the threshold.

    Args:
        vector: (d,) float array, a centred vector (:func:`centre`).
        centroids: (k, d) float array (unnormalised running means allowed); k may be 0.

    Returns:
        (row index in ``centroids``, cosine as a Python float), ties to the
        lowest index; None when k is 0.

    Raises:
        ValueError: on shape mismatch.
    """
    vector = np.asarray(vector, dtype=np.float32)
    centroids = np.asarray(centroids, dtype=np.float32)
    if vector.ndim != 1:
        raise ValueError(f"vector must be 1-D, got shape {vector.shape}")
    if centroids.size == 0:
        return None
    if centroids.ndim != 2 or centroids.shape[1] != vector.shape[0]:
        raise ValueError(f"centroids must be (k, {vector.shape[0]}), got {centroids.shape}")
    sims = _unit(centroids) @ _unit(vector)
    best = int(np.argmax(sims))
    return best, float(sims[best])


def update_centroid(centroid: np.ndarray, count: int, vector: np.ndarray) -> np.ndarray:
    """Running mean after one more member joins a cluster.

    Args:
        centroid: (d,) float array, the mean of the ``count`` current
            members' centred vectors (ignored when ``count`` is 0).
        count: number of members before the new one; >= 0.
        vector: (d,) float array, the new member's centred vector.

    Returns:
        (d,) float32 mean of the ``count + 1`` members (not normalised, so it
        stays an exact running mean).

    Raises:
        ValueError: if ``count`` < 0 or the shapes differ.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    vector = np.asarray(vector, dtype=np.float32)
    if count == 0:
        return vector.copy()
    centroid = np.asarray(centroid, dtype=np.float32)
    if centroid.shape != vector.shape:
        raise ValueError(f"shape mismatch: centroid {centroid.shape}, vector {vector.shape}")
    return (centroid * count + vector) / np.float32(count + 1)


def remove_from_centroid(centroid: np.ndarray, count: int, vector: np.ndarray) -> np.ndarray:
    """Running mean after one member leaves (staff moved or deleted an idea).

    Args:
        centroid: (d,) float array, mean of the ``count`` current members.
        count: members before removal; >= 1.
        vector: (d,) the leaving member's centred vector.

    Returns:
        (d,) float32 mean of the remaining ``count - 1`` members; zeros when
        none remain.

    Raises:
        ValueError: if ``count`` < 1.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    centroid = np.asarray(centroid, dtype=np.float32)
    if count == 1:
        return np.zeros_like(centroid)
    return (centroid * count - np.asarray(vector, dtype=np.float32)) / np.float32(count - 1)
