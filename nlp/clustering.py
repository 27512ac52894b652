"""Grouping similar ideas: centring, online assignment, full reclustering.

All vectors are float32 rows from an :class:`nlp.embedder.Embedder`.
Similarities are cosines between *centred* vectors: the embedder's corpus
mean is subtracted and the rows re-normalised (:func:`centre`). E5 cosines
otherwise crowd into a narrow band (unrelated Thai texts ~0.85, paraphrases
~0.93), which makes any fixed threshold brittle (DESIGN.md).

Two paths use this module:

* online, when an idea arrives: :func:`assign` it to the nearest cluster
  centroid if close enough, else start a new cluster; :func:`update_centroid`
  keeps the centroid a running mean;
* offline, when staff ask for it: :func:`recluster` all ideas of a round.

Staff decisions (locked clusters, merges, splits) are applied by the caller;
this module only proposes labels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "E5_NAME",
    "DEFAULT_THRESHOLDS",
    "default_threshold",
    "mean_for",
    "centre",
    "assign",
    "update_centroid",
    "recluster",
    "remove_from_centroid",
    "RECLUSTER_DISTANCE",
    "medoid",
]

E5_NAME = "multilingual-e5-small"
_ARTEFACTS = Path(__file__).resolve().parent / "artefacts"

#: Cosine (between centred vectors) above which a new idea joins the nearest
#: cluster, per embedder name. How they were chosen: see
#: :func:`default_threshold`.
DEFAULT_THRESHOLDS: dict[str, float] = {
    E5_NAME: 0.40,
    "fake-trigram-384": 0.30,
}


def default_threshold(embedder_name: str) -> float:
    """Default join threshold of :func:`assign` for an embedder.

    For multilingual-E5-small (centred with ``e5_mean.npy``) 0.40 was picked
    on 3,000 Traffy Fondue dev rows (``nlp/artefacts/evaluate.py``, sections
    3 and 4). Streaming the ideas through :func:`assign` in arrival order:

    ======== =========== ======================= ===================
    cosine   homogeneity ideas in a cluster >= 2  same-category pairs
    ======== =========== ======================= ===================
    0.30     0.72        95 %                    71 %
    0.35     0.80        86 %                    --
    0.40     0.87        73 %                    81 %
    0.50     0.97        42 %                    86 %
    ======== =========== ======================= ===================

    ("same-category pairs": share of random pairs at or above the cosine
    whose reporters chose the same category; the labels are noisy, so 81 %
    is close to "same topic" when read by hand: pairs near 0.40 are e.g.
    two pothole reports on different roads, or two flooding reports.)
    0.40 is where clusters stay mostly single-topic while most ideas still
    find company; lower values chain topics together, higher ones leave
    most ideas alone until the next :func:`recluster`.
    For the fake trigram embedder the value only has to separate the small
    test sets (same-topic Thai texts share many trigrams, others share few).

    Args:
        embedder_name: ``Embedder.name``.

    Returns:
        A cosine in (-1, 1).

    Raises:
        KeyError: for an embedder without a calibrated threshold.
    """
    if embedder_name in DEFAULT_THRESHOLDS:
        return DEFAULT_THRESHOLDS[embedder_name]
    if embedder_name.startswith("fake-trigram-"):
        return DEFAULT_THRESHOLDS["fake-trigram-384"]
    raise KeyError(f"no calibrated threshold for embedder {embedder_name!r}")


@lru_cache(maxsize=4)
def _load_mean(path: str) -> np.ndarray:
    mean = np.load(path).astype(np.float32)
    mean.setflags(write=False)
    return mean


def mean_for(embedder_name: str) -> np.ndarray:
    """The centring vector for an embedder's vectors.

    Args:
        embedder_name: ``Embedder.name``: "multilingual-e5-small" or
            "fake-trigram-<dim>".

    Returns:
        Read-only float32 array of shape (dim,): for E5 the mean vector of
        3,000 Traffy dev texts (``nlp/artefacts/e5_mean.npy``, built by
        ``nlp/artefacts/make_artefacts.py``); for the fake embedder zeros
        (its vectors are already spread out).

    Raises:
        KeyError: for an unknown embedder name.
        FileNotFoundError: if the E5 artefact is missing.
    """
    if embedder_name == E5_NAME:
        return _load_mean(str(_ARTEFACTS / "e5_mean.npy"))
    if embedder_name.startswith("fake-trigram-"):
        dim = int(embedder_name.rsplit("-", 1)[1])
        return np.zeros(dim, dtype=np.float32)
    raise KeyError(f"no centring vector for embedder {embedder_name!r}")


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
    return best if float(sims[best]) >= threshold else None


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


#: Default cut of :func:`recluster` without ``n_clusters``: groups merge
#: while their average cosine distance (centred vectors) is below this, i.e.
#: while the average cosine between their ideas is above 0.15.
RECLUSTER_DISTANCE = 0.85


def recluster(
    vectors: np.ndarray,
    *,
    min_cluster_size: int = 3,
    n_clusters: int | None = None,
    mean: np.ndarray | None = None,
    distance_threshold: float = RECLUSTER_DISTANCE,
) -> np.ndarray:
    """Cluster all ideas from scratch.

    Method: scikit-learn ``AgglomerativeClustering`` with average linkage
    and cosine distance on centred vectors, in both modes:

    * ``n_clusters=K``: cut the tree at exactly K clusters; no noise.
    * ``n_clusters=None``: cut where the average cosine distance between
      two groups reaches ``distance_threshold``; groups smaller than
      ``min_cluster_size`` are reported as noise (-1, "unclustered").

    Why (measured with ``nlp/artefacts/evaluate.py`` and subsamples of 200
    to 3,000 Traffy Fondue dev rows, E5 vectors, against the reporters'
    categories; noise scored as singletons):

    * at K = number of categories, average-cosine beat Ward by 0.03-0.06
      ARI at every size (3,000 dev rows: ARI 0.311 vs 0.244, NMI 0.457 vs
      0.467; 2,000 ``ideas_sample`` rows: ARI 0.298 vs 0.275, NMI 0.483 vs
      0.473) and k-means (0.297 / 0.265). Without centring average linkage
      collapses (ARI 0.001 / 0.066), so centring is required.
    * HDBSCAN was rejected: on the 384-d vectors it either put 70-80 % of
      rows into 2-6 mixed clusters (ARI ~0) or labelled 80-90 % as noise
      ("leaf" selection), also after PCA to 5-20 dimensions (best headline
      ARI 0.05), and it was slower (1.3 s vs 0.2 s for 2,000 rows).
    * the 0.85 cut gave ARI 0.27-0.33, NMI 0.51-0.64 with 87-99 % of rows
      in clusters and about one cluster per 20-30 ideas: finer than the 21
      categories, which suits idea grouping (0.90 gives fewer, larger
      clusters and ARI 0.30-0.34; 0.80 leaves 10-25 % as noise).

    Cost: O(n^2) time and memory (condensed distance matrix, 8 bytes per
    pair: 10,000 ideas ~0.4 GB); 2,000 ideas take 0.2 s, 3,000 under 1 s.

    Args:
        vectors: (n, d) float32 array of embeddings.
        min_cluster_size: smallest group reported without ``n_clusters``
            (>= 2); smaller groups become noise.
        n_clusters: exact number of clusters wanted, 1 <= K <= n.
        mean: (d,) centring vector (:func:`mean_for`); ``None`` means the
            rows are already centred and are only re-normalised.
        distance_threshold: cosine-distance cut in (0, 2) for the mode
            without ``n_clusters``.

    Returns:
        (n,) int64 labels: 0..K-1 for clusters, numbered by decreasing size
        (ties by first row), and -1 for noise (only when ``n_clusters`` is
        None).

    Raises:
        ValueError: for a non-2-D input, ``min_cluster_size`` < 2, an
            impossible ``n_clusters`` or a threshold outside (0, 2).
    """
    from sklearn.cluster import AgglomerativeClustering

    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"vectors must be (n, d), got shape {x.shape}")
    n = x.shape[0]
    x = centre(x, mean) if mean is not None else _unit(x)
    if n_clusters is not None:
        if not 1 <= n_clusters <= n:
            raise ValueError(f"n_clusters must be in 1..{n}, got {n_clusters}")
        if n_clusters == 1:
            return np.zeros(n, dtype=np.int64)
        if n_clusters == n:
            return np.arange(n, dtype=np.int64)
        model = AgglomerativeClustering(n_clusters=n_clusters, linkage="average", metric="cosine")
        return _renumber(model.fit_predict(x))
    if min_cluster_size < 2:
        raise ValueError(f"min_cluster_size must be >= 2, got {min_cluster_size}")
    if not 0 < distance_threshold < 2:
        raise ValueError(f"distance_threshold must be in (0, 2), got {distance_threshold}")
    if n < min_cluster_size:
        return np.full(n, -1, dtype=np.int64)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance_threshold, linkage="average", metric="cosine"
    )
    labels = model.fit_predict(x)
    ids, counts = np.unique(labels, return_counts=True)
    labels[np.isin(labels, ids[counts < min_cluster_size])] = -1
    return _renumber(labels)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0.. by decreasing size (ties: first occurrence); keep -1."""
    labels = np.asarray(labels, dtype=np.int64)
    ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(ids[i]): new for new, i in enumerate(order)}
    out = np.full_like(labels, -1)
    for old, new in mapping.items():
        out[labels == old] = new
    return out


def medoid(vectors: np.ndarray) -> int:
    """Index of the most central row: the one with the highest mean cosine to the others.

    Used to pick a cluster's representative idea. Pass centred vectors for
    E5 (raw E5 cosines differ little between rows).

    Args:
        vectors: (n, d) float array, n >= 1.

    Returns:
        Row index in 0..n-1 (lowest index on ties).

    Raises:
        ValueError: for an empty or non-2-D input.
    """
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"vectors must be (n, d) with n >= 1, got shape {x.shape}")
    u = _unit(x)
    # sum of cosines to all rows = u_i . (sum of all u): O(n d) memory, not O(n^2).
    return int(np.argmax(u @ u.sum(axis=0)))
