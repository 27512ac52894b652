"""Calibrate the similar-idea rule on place and text (issue 15): both curves, the choice.

Replays real Traffy Fondue reports (``../shared/data/traffy/dev.csv.gz``,
every row has coordinates) in time order within each district; the
candidates of a report are the same district's reports of the previous
30 days. "Same problem" is the proxy the data allows: same reporter
category and within 300 m.

Districts are held out whole: the eight districts whose name hashes to
fold 0 of 5 (seed 0, as ``make_representation.py``) are encoded with the
real model (multilingual-E5-small, ONNX int8, 128 tokens; ~60 texts/s on
2 cores, cached under ``var/cache``). Four of them (:data:`CALIBRATE`)
choose the thresholds, the other four (:data:`HELD_OUT`) report the
figures. Grouping vectors come from a projection fitted on the dev rows of
the *other* 42 districts when their vectors are cached (no leak), else from
the shipped projection (fitted on all dev rows: the JSON says which).

For each rule the replay gives, over the reports of a set of districts:

* carousel: share of reports shown at least one suggestion;
* precision: share of shown carousels whose top suggestion is the same problem;
* caught: of the reports that have an earlier same-problem report in the
  window, the share whose carousel shows one of them.

The "near you" path (report with a location) sweeps the radius and the
cosine within it; the text-only path sweeps the cosine. Choice, on the
calibration districts: near = the rule with the most caught among those
with precision ≥ :data:`NEAR_PRECISION` (no cap on the carousel: in these
districts 44-49 % of reports have an earlier same-problem report within
300 m and 30 days, twice the city-wide 24 %, so a carousel shown to the
reports that have one is a right carousel; capping it at 25 % would cap
"caught" near 50 %); text-only =
the lowest cosine whose precision reaches :data:`TOPIC_PRECISION` with a
carousel ≤ 10 % (none if no cosine does: then no carousel without a place).
The product constants (``nlp.similar_rule.RULES``) must equal the JSON's.

Usage (minutes; vectors cached)::

    python -m nlp.artefacts.similar_place [--citywide]

``--citywide`` also replays the chosen rule over the other 42 districts
(five folds of districts, each projected by a fit on the other folds), where
24 % of reports have an earlier same-problem report, as in the issue.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from nlp.similar_rule import SimilarRule, distances_m, replay

HERE = Path(__file__).resolve().parent
OUT = HERE / "similar_place.json"
CALIBRATE = ("จอมทอง", "ดุสิต", "ทวีวัฒนา", "บางกะปิ")
HELD_OUT = ("พระโขนง", "คลองสาน", "บางขุนเทียน", "ประเวศ")
SAME_PLACE_M = 300.0
WINDOW_DAYS = 30.0
NEAR_PRECISION = 0.88
TOPIC_PRECISION = 0.50
RADII = (100.0, 200.0, 300.0, 500.0)
NEAR_GRID = np.round(np.arange(0.20, 0.91, 0.05), 2)
TOPIC_GRID = np.round(np.arange(0.60, 0.99, 0.02), 2)


def load(districts: tuple[str, ...]):
    """Dev rows of ``districts`` with raw E5 vectors from the cache, and grouping vectors.

    Returns:
        dict with ids, texts, labels, districts, created_s, lats, lons,
        grouping (n, 384) float32, and ``projection`` (how it was fitted).
    """
    import csv
    import datetime as dt
    import gzip

    from nlp.corpus import DEV_CSV, cache_folder, load_dev, read_cache
    from nlp.represent import TopicRepresentation, for_embedder

    corpus = load_dev()
    cache = read_cache(cache_folder("multilingual-e5-small", 128))
    place = {}
    with gzip.open(DEV_CSV, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            place[r["id"]] = (float(r["lat"] or "nan"), float(r["lon"] or "nan"))
    idx = np.flatnonzero(np.isin(corpus.districts, list(districts)))
    missing = [corpus.ids[i] for i in idx if corpus.ids[i] not in cache]
    if missing:
        raise SystemExit(f"{len(missing)} rows of {districts} are not cached; run the encode first")
    sub = corpus.take(idx)
    raw = np.stack([cache[x] for x in sub.ids]).astype(np.float32)
    others = np.flatnonzero(~np.isin(corpus.districts, list(CALIBRATE + HELD_OUT)))
    shipped = for_embedder("multilingual-e5-small")
    if all(corpus.ids[i] in cache for i in others):
        rep = TopicRepresentation.fit([corpus.texts[i] for i in others],
                                      np.stack([cache[corpus.ids[i]] for i in others]),
                                      corpus.labels[others], beta=shipped.beta)
        projection = f"fitted on the {len(others):,} dev rows of the other districts (no leak)"
    else:
        rep = shipped
        projection = "the shipped projection (fitted on all dev rows, these included: optimistic)"
    created = np.array([dt.datetime.fromisoformat(c.replace("Z", "+00:00")).timestamp()
                        for c in sub.created])
    lat = np.array([place[x][0] for x in sub.ids])
    lon = np.array([place[x][1] for x in sub.ids])
    return {"ids": sub.ids, "labels": sub.labels, "districts": sub.districts, "created_s": created,
            "lats": lat, "lons": lon, "grouping": rep.transform(sub.texts, raw),
            "projection": projection}


def pairs(data) -> list[dict[str, np.ndarray]]:
    """For each row, its earlier same-district candidates within the window:
    cosine, metres and same-problem flags."""
    out: list[dict[str, np.ndarray]] = [None] * len(data["ids"])  # type: ignore[list-item]
    g, created = data["grouping"], data["created_s"]
    for district in np.unique(data["districts"]):
        rows = np.flatnonzero(data["districts"] == district)
        rows = rows[np.lexsort((rows, created[rows]))]
        start = 0
        for k, i in enumerate(rows):
            while start < k and created[rows[start]] < created[i] - WINDOW_DAYS * 86400:
                start += 1
            e = rows[start:k]
            dist = distances_m(data["lats"][i], data["lons"][i], data["lats"][e], data["lons"][e])
            same = (data["labels"][e] == data["labels"][i]) & (dist <= SAME_PLACE_M)
            out[i] = {"sim": g[e] @ g[i], "dist": dist, "same": same}
    return out


def top3(cands, radius: float | None, k: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the ``k`` best cosines among candidates within ``radius`` (None: all),
    whether each is the same problem, and whether the row has a same-problem case.

    Returns:
        (sims (n, k) with -inf padding, same (n, k) bool, has_case (n,) bool).
    """
    n = len(cands)
    sims = np.full((n, k), -np.inf)
    same = np.zeros((n, k), dtype=bool)
    has_case = np.zeros(n, dtype=bool)
    for i, c in enumerate(cands):
        has_case[i] = bool(c["same"].any())
        ok = np.flatnonzero(c["dist"] <= radius) if radius is not None else np.arange(len(c["sim"]))
        if ok.size:
            order = ok[np.argsort(-c["sim"][ok], kind="stable")][:k]
            sims[i, : order.size] = c["sim"][order]
            same[i, : order.size] = c["same"][order]
    return sims, same, has_case


def score(tops, rows: np.ndarray, t: float) -> dict[str, float]:
    """Carousel rate, top-suggestion precision and recall of threshold ``t`` over ``rows``."""
    sims, same, has_case = (x[rows] for x in tops)
    shown_mask = sims[:, 0] >= t
    shown = int(shown_mask.sum())
    top_same = int((shown_mask & same[:, 0]).sum())
    caught = int((has_case & (same & (sims >= t)).any(axis=1)).sum())
    cases = int(has_case.sum())
    n = len(rows)
    return {"carousel": round(shown / n, 4), "precision": round(top_same / shown, 4) if shown else None,
            "caught": round(caught / cases, 4) if cases else None, "shown": shown, "cases": cases,
            "rows": n}


def curves(cands, rows) -> dict[str, list[dict]]:
    """Both curves over ``rows``: the near path per radius, and the text-only path."""
    sub = [cands[i] for i in rows]
    all_rows = np.arange(len(rows))
    near = []
    for r in RADII:
        tops = top3(sub, r)
        near += [{"radius_m": r, "t": float(t), **score(tops, all_rows, float(t))} for t in NEAR_GRID]
    tops = top3(sub, None)
    topic = [{"t": float(t), **score(tops, all_rows, float(t))} for t in TOPIC_GRID]
    return {"near": near, "topic": topic}


def choose(cal: dict[str, list[dict]]) -> tuple[dict, dict | None]:
    """The near rule and the text-only rule chosen on the calibration curves (module doc)."""
    ok = [p for p in cal["near"] if p["precision"] and p["precision"] >= NEAR_PRECISION]
    near = max(ok, key=lambda p: (p["caught"], -p["radius_m"]))
    topic_ok = [p for p in cal["topic"] if p["precision"] and p["precision"] >= TOPIC_PRECISION
                and p["carousel"] <= 0.10 and p["shown"] >= 20]
    topic = min(topic_ok, key=lambda p: p["t"]) if topic_ok else None
    return near, topic


def production_figures(data, rows: np.ndarray, rule: SimilarRule, cands) -> dict[str, dict]:
    """The chosen rule through :func:`nlp.similar_rule.replay` (what similar-csv runs), both paths."""
    sub = {k: (v[rows] if isinstance(v, np.ndarray) and v.shape[:1] == (len(data["ids"]),) else v)
           for k, v in data.items()}
    out = {}
    for path, lats in (("with_location", sub["lats"]), ("without_location", np.full(len(rows), np.nan))):
        got = replay(sub["districts"], sub["created_s"], sub["grouping"], lats, sub["lons"], rule)
        shown = top_same = cases = caught = 0
        for j, s in enumerate(got):
            c = cands[rows[j]]
            same_ids = {int(x) for x in np.flatnonzero(c["same"])}
            # map the candidate positions of ``pairs`` to replay positions: same order of earlier rows
            earlier = _earlier_positions(sub, j)
            same_pos = {earlier[x] for x in same_ids}
            cases += bool(same_pos)
            if s.shown:
                shown += 1
                top_same += s.shown[0] in same_pos
                caught += bool(same_pos & set(s.shown))
        out[path] = {"carousel": round(shown / len(rows), 4),
                     "precision": round(top_same / shown, 4) if shown else None,
                     "caught": round(caught / cases, 4) if cases else None,
                     "rows": int(len(rows)), "shown": shown, "cases": cases}
    return out


def _earlier_positions(sub, j: int) -> list[int]:
    created, districts = sub["created_s"], sub["districts"]
    rows = np.flatnonzero(districts == districts[j])
    rows = rows[np.lexsort((rows, created[rows]))]
    k = int(np.flatnonzero(rows == j)[0])
    e = rows[:k]
    return [int(x) for x in e[created[e] >= created[j] - WINDOW_DAYS * 86400]]


def citywide(rule: SimilarRule) -> dict:
    """The chosen rule on every district but the calibration ones, at the city's density.

    Districts are held out whole in five folds (:func:`nlp.corpus.fold_of`
    of the district name, seed 0): each fold's grouping vectors come from a
    projection fitted on the other folds' rows. Needs the whole dev split
    cached (``python -m nlp.corpus``).

    Returns:
        {"with_location": figures, "without_location": figures, "curves": ...}.
    """
    import datetime as dt

    from nlp.corpus import cache_folder, fold_of, load_dev, read_cache
    from nlp.represent import TopicRepresentation, for_embedder

    corpus = load_dev()
    cache = read_cache(cache_folder("multilingual-e5-small", 128))
    raw = np.stack([cache[x] for x in corpus.ids]).astype(np.float32)
    names = sorted(set(corpus.districts.tolist()))
    fold = dict(zip(names, fold_of(names, 5, seed=0)))
    row_fold = np.array([fold[d] for d in corpus.districts])
    grouping = np.zeros((len(corpus), raw.shape[1]), dtype=np.float32)
    beta = for_embedder("multilingual-e5-small").beta
    for k in range(5):
        fit, out = np.flatnonzero(row_fold != k), np.flatnonzero(row_fold == k)
        rep = TopicRepresentation.fit([corpus.texts[i] for i in fit], raw[fit], corpus.labels[fit],
                                      beta=beta)
        grouping[out] = rep.transform([corpus.texts[i] for i in out], raw[out])
        print(f"fold {k}: {len(out):,} rows", flush=True)
    import csv
    import gzip

    from nlp.corpus import DEV_CSV

    place = {}
    with gzip.open(DEV_CSV, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            place[r["id"]] = (float(r["lat"] or "nan"), float(r["lon"] or "nan"))
    data = {"ids": corpus.ids, "labels": corpus.labels, "districts": corpus.districts,
            "created_s": np.array([dt.datetime.fromisoformat(c.replace("Z", "+00:00")).timestamp()
                                   for c in corpus.created]),
            "lats": np.array([place[x][0] for x in corpus.ids]),
            "lons": np.array([place[x][1] for x in corpus.ids]), "grouping": grouping}
    cands = pairs(data)
    rows = np.flatnonzero(~np.isin(corpus.districts, CALIBRATE))
    out_figures = {}
    sub = [cands[i] for i in rows]
    everything = np.arange(len(rows))
    for path, radius, t in (("with_location", rule.radius_m, rule.near_min),
                            ("without_location", None, rule.topic_min)):
        out_figures[path] = (score(top3(sub, radius), everything, t) if t is not None
                             else {"carousel": 0.0})
    out_figures["curves"] = curves(cands, rows)
    out_figures["districts"] = len(set(corpus.districts[rows].tolist()))
    return out_figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--citywide", action="store_true",
                    help="also every other district, five folds held out whole (needs the full cache)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = load(CALIBRATE + HELD_OUT)
    print(f"{len(data['ids']):,} rows; grouping: {data['projection']} "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    cands = pairs(data)
    cal_rows = np.flatnonzero(np.isin(data["districts"], CALIBRATE))
    held_rows = np.flatnonzero(np.isin(data["districts"], HELD_OUT))
    cal, held = curves(cands, cal_rows), curves(cands, held_rows)
    near, topic = choose(cal)
    rule = SimilarRule(radius_m=near["radius_m"], near_min=near["t"],
                       topic_min=None if topic is None else topic["t"], window_days=WINDOW_DAYS)
    figures = production_figures(data, held_rows, rule, cands)
    today = SimilarRule(radius_m=0.0, near_min=2.0, topic_min=0.68)
    result = {
        "embedder": "multilingual-e5-small", "grouping": data["projection"],
        "same_problem": f"same category and within {SAME_PLACE_M:.0f} m", "window_days": WINDOW_DAYS,
        "calibrate": list(CALIBRATE), "held_out": list(HELD_OUT),
        "rows": {"calibrate": int(len(cal_rows)), "held_out": int(len(held_rows))},
        "chosen": {"radius_m": rule.radius_m, "near_min": rule.near_min, "topic_min": rule.topic_min},
        "targets": {"near_precision": NEAR_PRECISION, "topic_precision": TOPIC_PRECISION},
        "held_out_figures": figures,
        "today_on_held_out": production_figures(data, held_rows, today, cands)["without_location"],
        "curves": {"calibrate": cal, "held_out": held},
    }
    if args.citywide:
        result["citywide_figures"] = citywide(rule)
        print(json.dumps({k: v for k, v in result["citywide_figures"].items() if k != "curves"},
                         ensure_ascii=False))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("chosen", "held_out_figures", "today_on_held_out")},
                     ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
