"""Make the E5 grouping projection and calibrate its thresholds, from ../shared/data (issue 9).

Writes, into this folder (no data rows, no texts):

* ``representation_e5.npz`` (~1.5 MB): :class:`nlp.represent.TopicRepresentation`
  fitted on *all* 62,400 labelled dev rows: centring vector, LDA weights of
  centred E5 (384 x 20) and of the char 2-4-gram TF-IDF (30,000 n-grams x
  20, the SVD folded in; float16), the n-grams and their idf, the E5
  principal directions (384 x 364, float16), beta;
* ``representation_e5.json``: parameters, the weights' digest, and the
  calibration below with the chosen thresholds.

Calibration (on rows the projection never saw, at the density of a real
round): about a fifth of the districts (those whose name hashes to fold 0
of 5, seed 0: 13 districts, ~18,000 rows, ~1,400 per district) are held
out whole; a projection fitted on the other districts' rows turns the
held-out rows into grouping vectors, and then, per district as in the
product:

1. the recluster cut (average linkage, cosine distance) is swept: clusters,
   ideas per cluster, noise share (groups under 3 ideas), homogeneity, ARI
   and NMI against the reporters' categories;
2. the online assignment threshold is swept by replaying each district's
   reports in arrival order through :func:`nlp.clustering.assign`.

The cut chosen is the coarsest whose clusters keep a homogeneity of at
least ``--homogeneity`` (default 0.85; coarser cuts merge neighbouring
topics such as road and footpath, and at full density leave 40-80 ideas per
cluster, too many for staff to read as one idea); the assignment threshold
is, among those whose
online clusters reach the same homogeneity, the one whose number of
clusters is closest to the recluster's at that cut, so that ideas arriving
between two reclusters form groups about as fine and as clean as a
recluster's. The product's
constants (``nlp.clustering``) must equal the JSON's; a test checks it.

Usage (vectors come from ``var/cache``, see ``python -m nlp.corpus``)::

    python -m nlp.artefacts.make_representation            # ~5 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CUTS = [round(x, 2) for x in np.arange(0.30, 1.001, 0.05)]
ASSIGN = [round(x, 2) for x in np.arange(0.10, 0.951, 0.05)]


def _singletons(labels: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    noise = labels < 0
    labels[noise] = labels.max(initial=0) + 1 + np.arange(int(noise.sum()))
    return labels


def sweep_cuts(vectors: np.ndarray, y: np.ndarray, districts: np.ndarray) -> list[dict]:
    """Per-district recluster at each cut in :data:`CUTS`."""
    from sklearn import metrics

    from nlp.clustering import recluster

    out = []
    for cut in CUTS:
        labels = np.full(len(y), -1, dtype=np.int64)
        nxt = 0
        for d in sorted(set(districts.tolist())):
            rows = np.flatnonzero(districts == d)
            lab = recluster(vectors[rows], distance_threshold=min(cut, 1.999))
            keep = lab >= 0
            labels[rows[keep]] = lab[keep] + nxt
            nxt += int(lab.max()) + 1 if keep.any() else 0
        s = _singletons(labels)
        sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(0)
        out.append({"cut": cut, "clusters": int(len(sizes)),
                    "ideas_per_cluster": float((labels >= 0).sum() / max(len(sizes), 1)),
                    "median_size": float(np.median(sizes)) if len(sizes) else 0.0,
                    "noise": float((labels < 0).mean()),
                    "homogeneity": float(metrics.homogeneity_score(y, s)),
                    "ari": float(metrics.adjusted_rand_score(y, s)),
                    "nmi": float(metrics.normalized_mutual_info_score(y, s))})
    return out


def sweep_assign(vectors: np.ndarray, y: np.ndarray, districts: np.ndarray, order: np.ndarray
                 ) -> list[dict]:
    """Online assignment replayed per district in arrival order, for each threshold."""
    from sklearn import metrics

    out = []
    for thr in ASSIGN:
        labels = np.full(len(y), -1, dtype=np.int64)
        nxt = 0
        for d in sorted(set(districts.tolist())):
            rows = order[districts[order] == d]
            sums = np.zeros((0, vectors.shape[1]), dtype=np.float64)
            for r in rows:
                v = vectors[r]
                if len(sums):
                    sims = (sums @ v) / np.linalg.norm(sums, axis=1)
                    best = int(np.argmax(sims))
                    if sims[best] >= thr:
                        sums[best] += v
                        labels[r] = nxt + best
                        continue
                sums = np.vstack([sums, v[None, :]])
                labels[r] = nxt + len(sums) - 1
            nxt += len(sums)
        sizes = np.bincount(labels)
        out.append({"threshold": thr, "clusters": int((sizes > 0).sum()),
                    "in_shared_cluster": float((sizes[labels] >= 2).mean()),
                    "homogeneity": float(metrics.homogeneity_score(y, labels)),
                    "ari": float(metrics.adjusted_rand_score(y, labels))})
    return out


def precision_at_3(vectors: np.ndarray, y: np.ndarray) -> float:
    """Share of the 3 nearest other rows (exact cosine) with the same category."""
    hits = 0
    for start in range(0, len(vectors), 2048):
        sims = vectors[start : start + 2048] @ vectors.T
        sims[np.arange(sims.shape[0]), np.arange(start, start + sims.shape[0])] = -np.inf
        top = np.argpartition(-sims, 3, axis=1)[:, :3]
        hits += int((y[top] == y[start : start + 2048, None]).sum())
    return hits / (3 * len(vectors))


def main(argv: list[str] | None = None) -> int:
    from sklearn import metrics

    from nlp.clustering import recluster
    from nlp.corpus import dev_with_vectors, fold_of
    from nlp.represent import ARTEFACT, TopicRepresentation

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--beta", type=float, default=0.8)
    ap.add_argument("--homogeneity", type=float, default=0.85)
    ap.add_argument("--rows", type=int, default=None, help="use only N dev rows (trial runs)")
    ap.add_argument("--out", type=Path, default=ARTEFACT)
    args = ap.parse_args(argv)

    corpus, raw = dev_with_vectors(args.rows)
    names = sorted(set(corpus.districts.tolist()))
    held_out = [d for d, f in zip(names, fold_of(names, 5, seed=0)) if f == 0]
    mask = np.isin(corpus.districts, held_out)
    fit, rep = np.flatnonzero(~mask), np.flatnonzero(mask)
    t0 = time.perf_counter()
    held = TopicRepresentation.fit([corpus.texts[i] for i in fit], raw[fit], corpus.labels[fit],
                                   beta=args.beta)
    print(f"calibration projection: {len(fit):,} fit rows, {time.perf_counter() - t0:.0f} s", flush=True)
    g = held.transform([corpus.texts[i] for i in rep], raw[rep])
    y, districts = corpus.labels[rep], corpus.districts[rep]
    k21 = recluster(g, n_clusters=21)
    summary = {"ari": metrics.adjusted_rand_score(y, k21),
               "nmi": metrics.normalized_mutual_info_score(y, k21),
               "precision_at_3": precision_at_3(g, y)}
    print(f"held-out districts {len(held_out)}, rows {len(rep):,}: K=21 ARI {summary['ari']:.3f} NMI {summary['nmi']:.3f}; "
          f"precision@3 {summary['precision_at_3']:.3f}", flush=True)
    cuts = sweep_cuts(g, y, districts)
    print("cut   clusters  ideas/cl  noise  homog.  ARI    NMI")
    for c in cuts:
        print(f"{c['cut']:.2f}  {c['clusters']:8d}  {c['ideas_per_cluster']:8.1f}  {c['noise']:.2f}   "
              f"{c['homogeneity']:.3f}   {c['ari']:.3f}  {c['nmi']:.3f}", flush=True)
    order = np.argsort(corpus.created[rep], kind="stable")
    assign = sweep_assign(g, y, districts, order)
    print("thr   clusters  shared  homog.  ARI")
    for a in assign:
        print(f"{a['threshold']:.2f}  {a['clusters']:8d}  {a['in_shared_cluster']:.2f}    "
              f"{a['homogeneity']:.3f}   {a['ari']:.3f}", flush=True)
    ok_cuts = [c for c in cuts if c["homogeneity"] >= args.homogeneity]
    cut = max(ok_cuts, key=lambda c: c["cut"])["cut"] if ok_cuts else min(CUTS)
    target = next(c["clusters"] for c in cuts if c["cut"] == cut)
    ok_thr = [a for a in assign if a["homogeneity"] >= args.homogeneity]
    thr = (min(ok_thr, key=lambda a: (abs(a["clusters"] - target), a["threshold"]))["threshold"]
           if ok_thr else max(ASSIGN))
    print(f"chosen: recluster cut {cut}, assignment threshold {thr}", flush=True)

    t0 = time.perf_counter()
    final = TopicRepresentation.fit(corpus.texts, raw, corpus.labels, beta=args.beta)
    final.save(args.out)
    print(f"final projection: {len(corpus):,} rows, {time.perf_counter() - t0:.0f} s -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.1f} MB), name {final.name}", flush=True)
    record = {"name": final.name, "meta": final.meta, "beta": args.beta,
              "recluster_distance": cut, "assign_threshold": thr,
              "homogeneity_target": args.homogeneity,
              "calibration": {"fit_rows": int(len(fit)), "report_rows": int(len(rep)),
                              "split": "districts held out whole: sha1('0:' + district) mod 5 == 0",
                              "held_out_districts": held_out,
                              "k21": summary, "cuts": cuts, "assign": assign}}
    args.out.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
