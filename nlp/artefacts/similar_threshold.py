"""Derive the similar-idea threshold from Traffy Fondue reports (issue 4).

When a resident types an idea, Siang shows up to three of the most similar
ideas already sent in their district and offers "support this idea" instead
of a duplicate (``bot/handlers/similar.py``). A suggestion is only shown when
its cosine (between *grouping* vectors, :mod:`nlp.represent`, issue 9) reaches
a threshold. This script sets that threshold from real data instead of
guessing it.

Method (replays a district's idea stream, as production would see it):

1. Take every dev row of four districts of different character and size
   (inner city บางรัก and สาทร, dense residential ดินแดง, outer ทุ่งครุ;
   ~4,700 rows, i.e. 700–1,500 ideas per district, the density of a city-wide
   round of ~60k ideas), in arrival order (``created_at``).
2. Embed them with the real model (``"query: "`` prefix), centre with the
   shipped corpus mean, and for each report find the three most similar
   *earlier* reports of the same district (what the similar-idea check would
   show at that moment).
3. For every threshold t on a grid, among the suggestions with cosine ≥ t:
   precision = share with the same reporter category (a yardstick: categories
   are coarse and noisy, so even near-duplicates disagree now and then);
   "same place" precision = same category and within 1 km; and the hit rate =
   share of new reports that would see at least one suggestion.
4. The threshold is the lowest t whose precision reaches ``--target``
   (default 0.90): nine suggestions in ten are on the resident's topic, and
   the rest are neighbouring topics (road / footpath / drain), so a resident
   is rarely shown something unrelated, while as many duplicates as possible
   are caught.

Since issue 9 the product compares grouping vectors (a projection learned
on labelled dev rows; for this replay it is fitted on the *other* 47
districts' rows, so the replayed reports were never seen by it). The same
replay on centred E5 (the space before issue 9) and on raw (uncentred)
cosines is printed for comparison: raw E5
cosines crowd into 0.85–0.93, so a raw threshold sits in a sliver of that
band and moves with text length; centring spreads it out (DESIGN.md).

Vectors are cached under ``var/cache/`` (gitignored); only the summary
(``similar_threshold.json``: the chosen value and the curve, no text) is
written to this folder. The product's constant lives in one place,
``bot/handlers/similar.py`` (``SIMILAR_THRESHOLDS``), and a test checks that
it equals the value recorded here.

Usage (a few minutes on 2 cores for E5; seconds for the fake embedder)::

    HF_HUB_OFFLINE=1 python -m nlp.artefacts.similar_threshold \
        --dev ../shared/data/traffy/dev.csv.gz --data-dir var/test-models
    python -m nlp.artefacts.similar_threshold --embedder fake
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DISTRICTS = ("บางรัก", "สาทร", "ดินแดง", "ทุ่งครุ")
TOP_K = 3                      # suggestions shown at most (issue 4)
GRID = np.round(np.arange(0.20, 0.96, 0.01), 2)
SAME_PLACE_KM = 1.0


def load_rows(dev_path: Path, districts: tuple[str, ...]) -> list[dict[str, str]]:
    """Dev rows of ``districts``, oldest first (ties by ticket id)."""
    with gzip.open(dev_path, "rt", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["district"] in districts]
    rows.sort(key=lambda r: (r["created_at"], r["id"]))
    return rows


def embed_cached(rows: list[dict[str, str]], kind: str, data_dir: Path, cache: Path
                 ) -> tuple[np.ndarray, str, float]:
    """Raw unit vectors (n, dim) float32 of the rows' texts, cached by ticket id.

    Returns:
        (vectors, embedder name, texts per second or NaN when cached).
    """
    from nlp.embedder import load_embedder

    ids = np.array([r["id"] for r in rows])
    if cache.is_file():
        saved = np.load(cache, allow_pickle=False)
        if saved["ids"].shape == ids.shape and (saved["ids"] == ids).all():
            return saved["vectors"], str(saved["name"]), float("nan")
    embedder = load_embedder(kind, data_dir)
    t0 = time.perf_counter()
    vectors = embedder.encode([r["text"] for r in rows], batch_size=64)
    rate = len(rows) / (time.perf_counter() - t0)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=ids, vectors=vectors, name=np.array(embedder.name))
    return vectors, embedder.name, rate


def grouping_vectors(rows: list[dict[str, str]], raw: np.ndarray, name: str) -> np.ndarray:
    """The rows' grouping vectors (what the product searches since issue 9).

    For E5 the projection (:class:`nlp.represent.TopicRepresentation`, the
    shipped parameters) is fitted on the dev rows of the *other* districts
    only, so the replayed rows were never seen by the fitting; vectors of
    those rows come from the ``nlp.corpus`` cache (embedded if missing).
    For the fake embedder the grouping vector is the raw vector.
    """
    from nlp.represent import TopicRepresentation, for_embedder

    texts = [r["text"] for r in rows]
    if name != "multilingual-e5-small":
        return for_embedder(name).transform(texts, raw)
    from nlp.corpus import dev_with_vectors

    corpus, dev_raw = dev_with_vectors()
    others = np.flatnonzero(~np.isin(corpus.districts, list(DISTRICTS)))
    shipped = for_embedder(name)
    rep = TopicRepresentation.fit([corpus.texts[i] for i in others], dev_raw[others],
                                  corpus.labels[others], beta=shipped.beta)
    print(f"projection fitted on {len(others):,} rows of the other districts", flush=True)
    return rep.transform(texts, raw)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in km (good to <0.1 % across Bangkok)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def replay(rows: list[dict[str, str]], vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Top-``TOP_K`` earlier same-district neighbours of every row.

    Args:
        rows: dev rows in arrival order.
        vectors: (n, d) float32 unit rows in the space being tested.

    Returns:
        Arrays over all (query, neighbour) pairs: ``query`` (row index),
        ``rank`` (0 = nearest), ``cos``, ``same`` (same category, bool),
        ``near`` (same category and ≤ 1 km, bool).
    """
    out: dict[str, list] = {"query": [], "rank": [], "cos": [], "same": [], "near": []}
    by_district: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_district.setdefault(r["district"], []).append(i)
    for members in by_district.values():
        idx = np.array(members)
        sims = vectors[idx] @ vectors[idx].T
        for a in range(1, len(idx)):
            earlier = sims[a, :a]
            top = np.argsort(-earlier, kind="stable")[:TOP_K]
            qi = int(idx[a])
            for rank, b in enumerate(top):
                ni = int(idx[b])
                same = rows[qi]["category"] == rows[ni]["category"]
                near = same and _km(float(rows[qi]["lat"]), float(rows[qi]["lon"]),
                                    float(rows[ni]["lat"]), float(rows[ni]["lon"])) <= SAME_PLACE_KM
                out["query"].append(qi)
                out["rank"].append(rank)
                out["cos"].append(float(earlier[b]))
                out["same"].append(same)
                out["near"].append(near)
    return {k: np.array(v) for k, v in out.items()}


def curve(pairs: dict[str, np.ndarray], n_queries: int) -> list[dict[str, float]]:
    """Precision, same-place precision, hit rate and suggestions per query at each grid t."""
    table = []
    for t in GRID:
        shown = pairs["cos"] >= t
        n = int(shown.sum())
        hits = len(set(pairs["query"][shown].tolist()))
        table.append({
            "t": float(t),
            "suggestions": n,
            "precision": round(float(pairs["same"][shown].mean()), 4) if n else None,
            "same_place_precision": round(float(pairs["near"][shown].mean()), 4) if n else None,
            "hit_rate": round(hits / n_queries, 4),
        })
    return table


def pick(table: list[dict[str, float]], target: float, min_suggestions: int = 30) -> float | None:
    """The lowest t from which precision stays at or above ``target`` all the way up.

    Grid points with fewer than ``min_suggestions`` suggestions are too thin
    to judge and are skipped.
    """
    best = None
    for row in reversed(table):
        if row["suggestions"] < min_suggestions:
            continue
        if row["precision"] < target:
            break
        best = row["t"]
    return best


def main(argv: list[str] | None = None) -> int:
    from nlp.clustering import centre, mean_for

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=REPO.parent / "shared/data/traffy/dev.csv.gz")
    ap.add_argument("--data-dir", type=Path, default=REPO / "var" / "test-models",
                    help="holds models/e5-small")
    ap.add_argument("--embedder", choices=("e5", "fake"), default="e5")
    ap.add_argument("--target", type=float, default=0.90, help="precision the threshold must reach")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "similar_threshold.json")
    args = ap.parse_args(argv)

    rows = load_rows(args.dev, DISTRICTS)
    cache = args.cache or REPO / "var" / "cache" / f"similar_threshold_{args.embedder}.npz"
    raw, name, rate = embed_cached(rows, args.embedder, args.data_dir, cache)
    centred = centre(raw, mean_for(name))
    grouping = grouping_vectors(rows, raw, name)
    n_queries = len(rows) - len(DISTRICTS)
    result = {}
    for space, vectors in (("grouping", grouping), ("centred", centred), ("raw", raw)):
        table = curve(replay(rows, vectors), n_queries)
        result[space] = {"threshold": pick(table, args.target), "table": table}
        print(f"\n{name}, {space} cosine: lowest t with precision >= {args.target}: "
              f"{result[space]['threshold']}")
        print(f"{'t':>5} {'shown':>6} {'prec':>6} {'place':>6} {'hit':>6}")
        for row in table:
            if row["suggestions"]:
                print(f"{row['t']:5.2f} {row['suggestions']:6d} {row['precision'] or 0:6.3f} "
                      f"{row['same_place_precision'] or 0:6.3f} {row['hit_rate']:6.3f}")
    summary = {
        "embedder": name,
        "space": "grouping vectors (nlp.represent; for E5 fitted on the other districts' rows)",
        "districts": list(DISTRICTS),
        "rows": len(rows),
        "top_k": TOP_K,
        "target_precision": args.target,
        "threshold": result["grouping"]["threshold"],
        "centred_threshold_for_comparison": result["centred"]["threshold"],
        "raw_threshold_for_comparison": result["raw"]["threshold"],
        "embed_rate_per_s": None if math.isnan(rate) else round(rate, 1),
        "curve_grouping": result["grouping"]["table"],
        "curve_centred": result["centred"]["table"],
        "curve_raw": result["raw"]["table"],
    }
    out = args.out
    previous = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    if not isinstance(previous, dict) or "embedder" in previous:
        previous = {}
    previous[name] = summary
    out.write_text(json.dumps(previous, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nthreshold {summary['threshold']} for {name} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
