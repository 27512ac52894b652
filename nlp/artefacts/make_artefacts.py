"""Build the small numeric artefacts that ``nlp/`` ships.

Currently one: ``e5_mean.npy``, the mean multilingual-E5-small vector
(``"query: "`` prefix, unit rows) of a random sample of Traffy Fondue texts
from ``../shared/data/traffy/dev.csv.gz``. E5 cosines crowd into a narrow
band (unrelated Thai texts ~0.85); subtracting this corpus mean spreads them
out before thresholding and clustering (see :func:`nlp.clustering.centre`).

No data rows are written to the repository, only the (384,) float32 mean.
Optionally ``--save-vectors`` keeps the sampled ids and vectors elsewhere for
evaluation (never inside the repository).

Usage::

    HF_HUB_OFFLINE=1 python -m nlp.artefacts.make_artefacts \
        --dev ../shared/data/traffy/dev.csv.gz --data-dir var --rows 3000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def sample_rows(dev_path: Path, rows: int, seed: int) -> list[dict[str, str]]:
    """Uniform random sample (without replacement) of rows from a gzip CSV.

    Args:
        dev_path: gzip CSV with at least the columns ``id`` and ``text``.
        rows: sample size; all rows if the file has fewer.
        seed: NumPy random seed (the sample is reproducible).

    Returns:
        The sampled rows, in file order.
    """
    with gzip.open(dev_path, "rt", encoding="utf-8", newline="") as fh:
        all_rows = list(csv.DictReader(fh))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(all_rows), size=min(rows, len(all_rows)), replace=False))
    return [all_rows[i] for i in idx]


def main(argv: list[str] | None = None) -> int:
    from nlp.embedder import load_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=Path("../shared/data/traffy/dev.csv.gz"))
    ap.add_argument("--data-dir", type=Path, default=Path("var"), help="holds models/e5-small")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "e5_mean.npy")
    ap.add_argument("--save-vectors", type=Path, default=None, help="optional .npz with ids, categories, vectors")
    args = ap.parse_args(argv)

    rows = sample_rows(args.dev, args.rows, args.seed)
    embedder = load_embedder("e5", args.data_dir)
    t0 = time.perf_counter()
    vecs = embedder.encode([r["text"] for r in rows], batch_size=64)
    secs = time.perf_counter() - t0
    mean = vecs.mean(axis=0).astype(np.float32)
    np.save(args.out, mean)
    print(f"{len(rows)} rows in {secs:.0f} s ({len(rows) / secs:.1f}/s); |mean| = {np.linalg.norm(mean):.4f} -> {args.out}")
    if args.save_vectors:
        np.savez_compressed(
            args.save_vectors,
            ids=np.array([r["id"] for r in rows]),
            category=np.array([r.get("category", "") for r in rows]),
            text=np.array([r["text"] for r in rows]),
            vectors=vecs,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
