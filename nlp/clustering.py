"""Grouping similar ideas: centring, online assignment, full reclustering.

The vectors compared are *grouping vectors* (:mod:`nlp.represent`, issue
9): for E5 a supervised projection of the raw vector and the text, already
centred and unit length; for the fake embedder the raw vector itself.
:func:`centre` (subtract a corpus mean, re-normalise) remains for raw E5
vectors, whose cosines otherwise crowd into a narrow band (unrelated Thai
texts ~0.85, paraphrases ~0.93; DESIGN.md); with a zero mean it only
re-normalises.

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

from nlp.centroids import (_unit, assign, centre, nearest, remove_from_centroid,
                           update_centroid)

__all__ = [
    "E5_NAME",
    "DEFAULT_THRESHOLDS",
    "default_threshold",
    "mean_for",
    "centre",
    "assign",
    "nearest",
    "update_centroid",
    "recluster",
    "remove_from_centroid",
    "RECLUSTER_DISTANCE",
    "E5_RECLUSTER_DISTANCE",
    "RECLUSTER_DISTANCES",
    "recluster_distance",
    "EXACT_MAX",
    "medoid",
]

E5_NAME = "multilingual-e5-small"
_ARTEFACTS = Path(__file__).resolve().parent / "artefacts"

#: Cosine (between grouping vectors, :mod:`nlp.represent`) above which a
#: new idea joins the nearest cluster, per embedder name. How they were
#: chosen: see :func:`default_threshold`.
DEFAULT_THRESHOLDS: dict[str, float] = {
    E5_NAME: 0.55,
    "fake-trigram-384": 0.30,
}


def default_threshold(embedder_name: str) -> float:
    """Default join threshold of :func:`assign` for an embedder's grouping vectors.

    For multilingual-E5-small (grouping vectors of the shipped projection,
    ``nlp/artefacts/representation_e5.npz``) 0.55 comes from
    ``nlp/artefacts/make_representation.py`` (record in
    ``representation_e5.json``; a test checks they agree): the dev rows of 8
    districts held out whole (10,350 ideas, ~1,300 per district; projection
    fitted on the other districts' rows) replayed per district in arrival
    order through :func:`assign`:

    ========= ======== =========== ==========================
    threshold clusters homogeneity ideas in a shared cluster
    ========= ======== =========== ==========================
    0.40      246      0.82        100 %
    0.50      485      0.85        98 %
    0.55      746      0.87        97 %
    0.60      1,131    0.89        94 %
    0.70      2,448    0.94        82 %
    ========= ======== =========== ==========================

    The rule: reach the homogeneity of the recluster cut (0.85, see
    :data:`E5_RECLUSTER_DISTANCE`) with a number of clusters as close as
    possible to the recluster's (315 on the same rows), so that ideas
    arriving between two reclusters are grouped about as cleanly, if
    somewhat more finely, as a recluster groups them. (Grouping-vector
    cosines are high within a topic: the topic part alone gives same-topic
    ideas ~0.8.)
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


#: The product's cut of :func:`recluster` without ``n_clusters`` for E5
#: grouping vectors: groups merge while their average cosine distance is
#: below this, i.e. while the average cosine between their ideas is above
#: 0.45 (:func:`recluster_distance` returns it for "e5-topic-*").
#: Chosen for the E5 grouping space by
#: ``nlp/artefacts/make_representation.py`` on 8 districts held out whole
#: (~1,300 ideas each, the density of a city-wide round): the coarsest cut
#: whose per-district clusters keep a homogeneity >= 0.85 against the
#: reporters' categories: 315 clusters, ~32 ideas each (median smaller),
#: 4 % unclustered. 0.50 gives 25 ideas per cluster and 6 % unclustered;
#: 0.80 merges neighbouring topics (road with footpath) into ~70-idea
#: clusters, too many for staff to read as one idea.
E5_RECLUSTER_DISTANCE = 0.55

#: The cut used when the caller names no representation (the fake
#: embedder's trigram vectors in tests, and centred E5 before issue 9).
RECLUSTER_DISTANCE = 0.85

#: The recluster cut per grouping space (:attr:`Representation.name` prefix).
RECLUSTER_DISTANCES: dict[str, float] = {
    "e5-topic": E5_RECLUSTER_DISTANCE,
    "multilingual-e5-small": 0.85,   # centred E5 without the projection (before issue 9)
    "fake-trigram-": RECLUSTER_DISTANCE,
}


def recluster_distance(representation_name: str) -> float:
    """Default cut of :func:`recluster` for vectors of a representation.

    Args:
        representation_name: :attr:`nlp.represent.Representation.name`
            ("e5-topic-<digest>", "fake-trigram-384", ...).

    Raises:
        KeyError: for a representation without a chosen cut.
    """
    for prefix, value in RECLUSTER_DISTANCES.items():
        if representation_name.startswith(prefix):
            return value
    raise KeyError(f"no recluster cut for representation {representation_name!r}")

#: Up to this many ideas :func:`recluster` is exact average linkage
#: (O(n^2) memory: 8,000 ideas ~0.26 GB); above it, it clusters a random
#: sample of this size and assigns the rest (see :func:`recluster`).
EXACT_MAX = 8000


def recluster(
    vectors: np.ndarray,
    *,
    min_cluster_size: int = 3,
    n_clusters: int | None = None,
    mean: np.ndarray | None = None,
    distance_threshold: float = RECLUSTER_DISTANCE,
    exact_max: int = EXACT_MAX,
    seed: int = 0,
) -> np.ndarray:
    """Cluster all ideas from scratch.

    Method: average linkage with cosine distance (scikit-learn
    ``AgglomerativeClustering``) on grouping vectors
    (:meth:`nlp.represent.Representation.transform`), in both modes:

    * ``n_clusters=K``: cut the tree at exactly K clusters; no noise.
    * ``n_clusters=None``: cut where the average cosine distance between
      two groups reaches ``distance_threshold``; groups smaller than
      ``min_cluster_size`` are reported as noise (-1, "unclustered").

    With more than ``exact_max`` ideas, a random sample of ``exact_max``
    ideas is clustered exactly and every other idea joins the cluster whose
    members it is closest to on average: for unit rows the average cosine
    to a cluster's members is the dot product with their mean, so this is
    the average-linkage criterion for one idea. With ``n_clusters`` every
    idea joins its best cluster; without it, only if that average cosine
    reaches ``1 - distance_threshold`` (else noise). Then sizes are
    checked against ``min_cluster_size`` again. The product reclusters per
    district (at most ~3,400 ideas in 62,400 Traffy reports), so it always
    takes the exact path; the sample path serves whole-city CSV files.

    Why average linkage (``siang bench clustering``, held-out Traffy rows):
    at K = 21 it beat k-means by ~0.08 ARI in the grouping space, and
    HDBSCAN (BERTopic's default) labels a third or more of the rows noise.
    The table and the threshold choice are in ``nlp/README.md``.

    Args:
        vectors: (n, d) float array of grouping vectors (unit rows; rows
            are re-normalised anyway).
        min_cluster_size: smallest group reported without ``n_clusters``
            (>= 2); smaller groups become noise.
        n_clusters: exact number of clusters wanted, 1 <= K <= n.
        mean: (d,) centring vector to subtract first; ``None`` (the usual
            case for grouping vectors) only re-normalises.
        distance_threshold: cosine-distance cut in (0, 2) for the mode
            without ``n_clusters``.
        exact_max: largest n clustered exactly (>= 2).
        seed: random seed of the sample (only used above ``exact_max``).

    Returns:
        (n,) int64 labels: 0..K-1 for clusters, numbered by decreasing size
        (ties by first row), and -1 for noise (only when ``n_clusters`` is
        None).

    Raises:
        ValueError: for a non-2-D input, ``min_cluster_size`` < 2, an
            impossible ``n_clusters`` or a threshold outside (0, 2).
    """
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
    else:
        if min_cluster_size < 2:
            raise ValueError(f"min_cluster_size must be >= 2, got {min_cluster_size}")
        if not 0 < distance_threshold < 2:
            raise ValueError(f"distance_threshold must be in (0, 2), got {distance_threshold}")
        if n < min_cluster_size:
            return np.full(n, -1, dtype=np.int64)
    if exact_max < 2:
        raise ValueError(f"exact_max must be >= 2, got {exact_max}")
    if n <= exact_max or (n_clusters is not None and n_clusters > exact_max):
        labels = _average_linkage(x, n_clusters, distance_threshold)
    else:
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=exact_max, replace=False))
        sample_labels = _average_linkage(x[sample], n_clusters, distance_threshold)
        ids = np.unique(sample_labels)
        sums = np.zeros((len(ids), x.shape[1]), dtype=np.float64)
        np.add.at(sums, np.searchsorted(ids, sample_labels), x[sample])
        centroids = (sums / np.bincount(np.searchsorted(ids, sample_labels))[:, None]).astype(np.float32)
        labels = np.empty(n, dtype=np.int64)
        labels[sample] = sample_labels
        rest = np.setdiff1d(np.arange(n), sample)
        for start in range(0, len(rest), 4096):  # (4096, k) similarities at a time
            rows = rest[start : start + 4096]
            sims = x[rows] @ centroids.T
            best = np.argmax(sims, axis=1)
            lab = ids[best]
            if n_clusters is None:
                lab = np.where(sims[np.arange(len(rows)), best] >= 1.0 - distance_threshold, lab, -1)
            labels[rows] = lab
    if n_clusters is None:
        found, counts = np.unique(labels[labels >= 0], return_counts=True)
        labels[np.isin(labels, found[counts < min_cluster_size])] = -1
    return _renumber(labels)


def _average_linkage(x: np.ndarray, n_clusters: int | None, distance_threshold: float) -> np.ndarray:
    """Exact average-linkage (cosine) labels of unit rows; every row gets a cluster."""
    from sklearn.cluster import AgglomerativeClustering

    n = x.shape[0]
    if n_clusters is not None:
        if n_clusters >= n:
            return np.arange(n, dtype=np.int64)
        if n_clusters == 1:
            return np.zeros(n, dtype=np.int64)
        model = AgglomerativeClustering(n_clusters=n_clusters, linkage="average", metric="cosine")
    else:
        if n < 2:
            return np.zeros(n, dtype=np.int64)
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=distance_threshold, linkage="average", metric="cosine")
    return model.fit_predict(x).astype(np.int64)


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
