"""Measure clustering choices on Traffy Fondue rows against their categories.

This is how the defaults in :mod:`nlp.clustering` were chosen. It embeds the
``text`` of a labelled CSV (or reuses a cached ``.npz`` of vectors), then
reports, following ``../shared/data/traffy/README.md`` ("Evaluating a
clustering"): adjusted Rand index (ARI, read first), NMI (arithmetic), and
for methods with noise the coverage, with noise rows scored as singleton
clusters in the headline numbers and the scores without noise rows too.

Sections:

1. fixed K (= number of categories): k-means vs agglomerative linkages, raw
   vs centred vectors;
2. free K: HDBSCAN settings and agglomerative with a distance threshold;
3. online assignment (:func:`nlp.clustering.assign`) over a threshold sweep,
   in file (arrival) order: clusters made, homogeneity, completeness, ARI;
4. pair cosines (centred) for same-category vs different-category pairs.

Usage::

    HF_HUB_OFFLINE=1 python -m nlp.artefacts.evaluate \
        --csv ../shared/data/traffy/ideas_sample.csv --data-dir var \
        --cache /tmp/ideas_sample_e5.npz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from pathlib import Path

import numpy as np
from sklearn import metrics


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz" else path.open(encoding="utf-8", newline="")


def load_vectors(csv_path: Path, data_dir: Path, cache: Path | None, kind: str, rows: int | None):
    """Return (texts, categories, vectors (n, d) float32, embedder name)."""
    if cache and cache.exists():
        z = np.load(cache, allow_pickle=False)
        name = str(z["name"]) if "name" in z.files else "multilingual-e5-small"
        return list(z["text"]), np.asarray(z["category"]), z["vectors"], name
    with _open(csv_path) as fh:
        data = list(csv.DictReader(fh))
    if rows:
        data = data[:rows]
    from nlp.embedder import load_embedder
    from nlp.pipeline import embed_texts

    emb = load_embedder(kind, data_dir)
    texts = [r["text"] for r in data]
    cats = np.array([r["category"] for r in data])
    vecs = embed_texts(texts, emb)
    if cache:
        np.savez_compressed(cache, text=np.array(texts), category=cats, vectors=vecs, name=np.array(emb.name))
    return texts, cats, vecs, emb.name


def with_singletons(labels: np.ndarray) -> np.ndarray:
    out = labels.copy()
    noise = out < 0
    out[noise] = out.max(initial=-1) + 1 + np.arange(noise.sum())
    return out


def score(y: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    full = with_singletons(labels)
    kept = labels >= 0
    res = {
        "ARI": metrics.adjusted_rand_score(y, full),
        "NMI": metrics.normalized_mutual_info_score(y, full),
        "hom": metrics.homogeneity_score(y, full),
        "clusters": int(len(set(labels[kept].tolist()))),
        "coverage": float(kept.mean()),
    }
    if kept.any() and not kept.all():
        res["ARI_nonoise"] = metrics.adjusted_rand_score(y[kept], labels[kept])
        res["NMI_nonoise"] = metrics.normalized_mutual_info_score(y[kept], labels[kept])
    return res


def fmt(d: dict) -> str:
    return "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items())


def main(argv: list[str] | None = None) -> int:
    from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans

    from nlp.clustering import assign, centre, mean_for, recluster, update_centroid

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--csv", type=Path, default=Path("../shared/data/traffy/ideas_sample.csv"))
    ap.add_argument("--data-dir", type=Path, default=Path("var"))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--kind", default="e5")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--sections", default="1234")
    args = ap.parse_args(argv)

    texts, cats, raw, name = load_vectors(args.csv, args.data_dir, args.cache, args.kind, args.rows)
    y = np.unique(cats, return_inverse=True)[1]
    k = len(set(cats.tolist()))
    cen = centre(raw, mean_for(name))
    print(f"{len(texts)} rows, {k} categories, embedder {name}")

    if "1" in args.sections:
        print(f"\n== 1. fixed K = {k}")
        for label, x in (("raw", raw), ("centred", cen)):
            aris, nmis = [], []
            for seed in range(args.seeds):
                lab = KMeans(k, n_init=4, random_state=seed).fit_predict(x)
                aris.append(metrics.adjusted_rand_score(y, lab))
                nmis.append(metrics.normalized_mutual_info_score(y, lab))
            print(f"kmeans {label:8s} ARI {np.mean(aris):.3f} ±{np.std(aris):.3f}  NMI {np.mean(nmis):.3f}")
            for linkage in ("ward", "average", "complete"):
                kw = {"metric": "cosine"} if linkage != "ward" else {}
                lab = AgglomerativeClustering(n_clusters=k, linkage=linkage, **kw).fit_predict(x)
                print(f"agglo-{linkage:8s} {label:8s} {fmt(score(y, lab))}")
        lab = recluster(raw, n_clusters=k, mean=mean_for(name))
        print(f"recluster(n_clusters={k}) {fmt(score(y, lab))}")

    if "2" in args.sections:
        from sklearn.decomposition import PCA

        print("\n== 2. free K (clusters smaller than 3 -> noise for agglomerative)")
        for dims in (None, 10, 20):
            x = cen if dims is None else PCA(dims, random_state=0).fit_transform(cen)
            for mcs in (5, 10):
                for sel in ("eom", "leaf"):
                    t0 = time.perf_counter()
                    lab = HDBSCAN(min_cluster_size=mcs, cluster_selection_method=sel, copy=True).fit_predict(x)
                    print(f"hdbscan pca {str(dims):4s} mcs {mcs:2d} {sel:4s} {fmt(score(y, lab))}  ({time.perf_counter() - t0:.1f}s)")
        for thr in (0.8, 0.85, 0.9):
            t0 = time.perf_counter()
            lab = recluster(raw, mean=mean_for(name), distance_threshold=thr)
            print(f"recluster avg-cosine distance<{thr:.2f} {fmt(score(y, lab))}  ({time.perf_counter() - t0:.1f}s)")
        for thr in (2.0, 3.0):
            lab = AgglomerativeClustering(n_clusters=None, distance_threshold=thr, linkage="ward").fit_predict(cen)
            ids, counts = np.unique(lab, return_counts=True)
            lab = np.where(np.isin(lab, ids[counts < 3]), -1, lab)
            print(f"agglo-ward distance<{thr:.1f} {fmt(score(y, lab))}")

    if "3" in args.sections:
        print("\n== 3. online assignment, arrival order")
        for thr in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            cents: list[np.ndarray] = []
            counts: list[int] = []
            lab = np.empty(len(cen), dtype=np.int64)
            for i, v in enumerate(cen):
                j = assign(v, np.array(cents).reshape(-1, cen.shape[1]), thr)
                if j is None:
                    cents.append(v.copy())
                    counts.append(1)
                    j = len(cents) - 1
                else:
                    cents[j] = update_centroid(cents[j], counts[j], v)
                    counts[j] += 1
                lab[i] = j
            sizes = np.bincount(lab)
            singles = np.isin(lab, np.flatnonzero(sizes == 1))
            lab_ns = np.where(singles, -1, lab)
            s = score(y, lab_ns)
            s["hom_all"] = metrics.homogeneity_score(y, lab)
            s["compl_all"] = metrics.completeness_score(y, lab)
            s["clusters_all"] = int(len(sizes))
            print(f"threshold {thr:.2f} {fmt(s)}")

    if "4" in args.sections:
        print("\n== 4. centred pair cosines")
        rng = np.random.default_rng(0)
        n = len(cen)
        i = rng.integers(0, n, 200_000)
        j = rng.integers(0, n, 200_000)
        keep = i != j
        i, j = i[keep], j[keep]
        sims = (cen[i] * cen[j]).sum(1)
        raws = (raw[i] * raw[j]).sum(1)
        same = y[i] == y[j]
        for q in (50, 90, 99):
            print(f"p{q}: same-category {np.percentile(sims[same], q):.3f}  different {np.percentile(sims[~same], q):.3f}  (raw same {np.percentile(raws[same], q):.3f} diff {np.percentile(raws[~same], q):.3f})")
        for thr in (0.3, 0.4, 0.5, 0.6, 0.7):
            sel = sims >= thr
            print(f"pairs with cos >= {thr:.2f}: {sel.mean() * 100:.2f}% of pairs, same-category share {same[sel].mean():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
