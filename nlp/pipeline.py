"""Batch clustering of a CSV of ideas: embed, recluster, write labels."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from nlp.clustering import mean_for, recluster
from nlp.embedder import Embedder

__all__ = ["cluster_csv", "embed_texts"]


def embed_texts(
    texts: list[str], embedder: Embedder, *, batch_size: int = 64, progress: bool = True
) -> np.ndarray:
    """Embed many texts in chunks, with a tqdm progress bar.

    Args:
        texts: n texts.
        embedder: any :class:`nlp.embedder.Embedder`.
        batch_size: texts per ``encode`` call (and per bar step).
        progress: show the bar (on stderr).

    Returns:
        float32 array (n, embedder.dim), unit rows.
    """
    from tqdm.auto import tqdm

    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    with tqdm(total=len(texts), disable=not progress, unit="text", desc=f"embed ({embedder.name})") as bar:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            out[start : start + len(chunk)] = embedder.encode(chunk, batch_size=batch_size)
            bar.update(len(chunk))
    return out


def cluster_csv(
    in_path: Path,
    out_path: Path,
    embedder: Embedder,
    n_clusters: int | None = None,
    progress: bool = True,
    *,
    min_cluster_size: int = 3,
) -> dict:
    """Cluster the texts of a CSV file and write one label per row.

    Reads a UTF-8 CSV with a header containing at least ``id`` and ``text``
    (other columns are ignored), embeds the texts, centres them with
    :func:`nlp.clustering.mean_for` the embedder and runs
    :func:`nlp.clustering.recluster`.

    Args:
        in_path: input CSV.
        out_path: output CSV with columns ``id,cluster`` in input order;
            ``cluster`` is -1 for noise. Parent folders are created.
        embedder: any :class:`nlp.embedder.Embedder`.
        n_clusters: exact number of clusters, or None to let HDBSCAN decide.
        progress: show a tqdm progress bar while embedding.
        min_cluster_size: passed to :func:`nlp.clustering.recluster`.

    Returns:
        Summary dict: ``rows`` (int), ``clusters`` (int, noise excluded),
        ``noise_share`` (float in [0, 1]), ``seconds`` (float, wall time of
        the whole call).

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
        rows = [(r["id"], r["text"] or "") for r in reader]
    ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    if rows:
        vectors = embed_texts(texts, embedder, progress=progress)
        labels = recluster(
            vectors, min_cluster_size=min_cluster_size, n_clusters=n_clusters, mean=mean_for(embedder.name)
        )
    else:
        if n_clusters:
            raise ValueError(f"n_clusters must be in 1..0, got {n_clusters}")
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
    }
