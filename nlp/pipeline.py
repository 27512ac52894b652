"""Batch clustering: embed, project into the grouping space, recluster, write labels.

:func:`group` is the production grouping of a batch of ideas (the worker's
recluster does the same per district from stored vectors);
:func:`cluster_csv` wraps it for ``siang nlp cluster-csv``, and
``siang bench clustering`` calls :func:`group` with a representation fitted
on other rows.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.clustering import recluster, recluster_distance
from nlp.embedder import Embedder
from nlp.represent import Representation, for_embedder

__all__ = ["cluster_csv", "embed_texts", "group"]


def embed_texts(
    texts: list[str], embedder: Embedder, *, batch_size: int = 64, progress: bool = True
) -> np.ndarray:
    """Embed many texts in chunks, with a tqdm progress bar.

    Texts are sent to the embedder 1,024 at a time (it sorts each call by
    length, so batches hold texts of similar length).

    Args:
        texts: n texts.
        embedder: any :class:`nlp.embedder.Embedder`.
        batch_size: texts per forward pass.
        progress: show the bar (on stderr).

    Returns:
        float32 array (n, embedder.dim), unit rows.
    """
    from tqdm.auto import tqdm

    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    step = max(batch_size, 1024)
    with tqdm(total=len(texts), disable=not progress, unit="text", desc=f"embed ({embedder.name})") as bar:
        for start in range(0, len(texts), step):
            chunk = texts[start : start + step]
            out[start : start + len(chunk)] = embedder.encode(chunk, batch_size=batch_size)
            bar.update(len(chunk))
    return out


def group(
    texts: Sequence[str],
    raw: np.ndarray,
    representation: Representation,
    *,
    n_clusters: int | None = None,
    districts: Sequence[str] | None = None,
    min_cluster_size: int = 3,
    distance_threshold: float | None = None,
) -> np.ndarray:
    """Group ideas: grouping vectors, then :func:`nlp.clustering.recluster`.

    Args:
        texts: n idea texts.
        raw: (n, d) raw unit embeddings of the texts.
        representation: e.g. :func:`nlp.represent.for_embedder`.
        n_clusters: exactly K clusters over all rows, no noise (districts
            are then ignored).
        districts: n district names; without ``n_clusters`` each district
            is clustered on its own, as the product does (staff see
            clusters per district), and cluster numbers are made unique.
        min_cluster_size: smallest cluster without ``n_clusters``.
        distance_threshold: the recluster cut; default
            :func:`nlp.clustering.recluster_distance` of the representation.

    Returns:
        (n,) int64 labels, -1 = noise (only without ``n_clusters``).
    """
    vectors = representation.transform(list(texts), raw)
    if n_clusters is not None:
        return recluster(vectors, n_clusters=n_clusters)
    cut = recluster_distance(representation.name) if distance_threshold is None else distance_threshold
    if districts is None:
        return recluster(vectors, min_cluster_size=min_cluster_size, distance_threshold=cut)
    districts = np.asarray(districts)
    labels = np.full(len(vectors), -1, dtype=np.int64)
    next_id = 0
    for district in sorted(set(districts.tolist())):
        rows = np.flatnonzero(districts == district)
        lab = recluster(vectors[rows], min_cluster_size=min_cluster_size, distance_threshold=cut)
        keep = lab >= 0
        labels[rows[keep]] = lab[keep] + next_id
        next_id += int(lab.max()) + 1 if keep.any() else 0
    return labels


def cluster_csv(
    in_path: Path,
    out_path: Path,
    embedder: Embedder,
    n_clusters: int | None = None,
    progress: bool = True,
    *,
    min_cluster_size: int = 3,
    representation: Representation | None = None,
) -> dict:
    """Cluster the texts of a CSV file and write one label per row.

    Reads a UTF-8 CSV with a header containing at least ``id`` and ``text``
    (other columns are ignored, except ``district``: when present and
    ``n_clusters`` is not given, each district is clustered on its own, as
    in the product), embeds the texts, projects them with the embedder's
    representation (:func:`nlp.represent.for_embedder`) and groups them
    (:func:`group`).

    Args:
        in_path: input CSV.
        out_path: output CSV with columns ``id,cluster`` in input order;
            ``cluster`` is -1 for noise. Parent folders are created.
        embedder: any :class:`nlp.embedder.Embedder`.
        n_clusters: exact number of clusters (no noise), or None for the
            product's granularity.
        progress: show a tqdm progress bar while embedding.
        min_cluster_size: passed to :func:`nlp.clustering.recluster`.
        representation: override the embedder's representation.

    Returns:
        Summary dict: ``rows`` (int), ``clusters`` (int, noise excluded),
        ``noise_share`` (float in [0, 1]), ``seconds`` (float, wall time of
        the whole call), ``representation`` (its name).

    Raises:
        ValueError: if the CSV lacks the ``id`` or ``text`` column, or
            ``n_clusters`` exceeds the number of rows.
        FileNotFoundError: if ``in_path`` does not exist.
    """
    t0 = time.perf_counter()
    in_path, out_path = Path(in_path), Path(out_path)
    with in_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{in_path}: missing column(s) {sorted(missing)}")
        has_district = "district" in (reader.fieldnames or ())
        rows = [(r["id"], r["text"] or "", (r.get("district") or "") if has_district else "")
                for r in reader]
    ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    rep = representation or for_embedder(embedder.name)
    if n_clusters is not None and not 1 <= n_clusters <= len(rows):
        raise ValueError(f"n_clusters must be in 1..{len(rows)}, got {n_clusters}")
    if rows:
        vectors = embed_texts(texts, embedder, progress=progress)
        labels = group(texts, vectors, rep, n_clusters=n_clusters, min_cluster_size=min_cluster_size,
                       districts=[r[2] for r in rows] if has_district else None)
    else:
        labels = np.zeros(0, dtype=np.int64)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "cluster"])
        writer.writerows(zip(ids, labels.tolist()))
    n = len(rows)
    return {
        "rows": n,
        "clusters": int(len(set(labels[labels >= 0].tolist()))),
        "noise_share": float((labels < 0).mean()) if n else 0.0,
        "seconds": time.perf_counter() - t0,
        "representation": rep.name,
    }
