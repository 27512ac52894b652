"""Score ``siang nlp similar-csv`` output against the "same problem" proxy (issue 15).

Reads one or more ``IN.csv OUT.csv`` pairs (the input of ``siang nlp
similar-csv``: ``id,text,district,created_at[,lat,lon]``, and what it wrote:
``id,suggested_ids,scores,near``) plus the categories and coordinates of
``../shared/data/traffy/dev.csv.gz``. No embedder, no database.

"Same problem" (as ``nlp/artefacts/similar_place.py``): an earlier report of
the same district within the window (replay order: time, then input
position) with the same reporter category and within 300 m, distances from
the *dev* coordinates, so rows replayed without a location are still scored.
Rows are split by path: a row whose IN lat/lon is set took the "near you"
path, one without it the text-only path. Per path:

* carousel: share of rows shown at least one suggestion;
* top same: share of shown carousels whose first suggestion is the same problem;
* caught: of the rows with an earlier same-problem report, the share whose
  carousel shows one of them.

``bad`` counts suggestions the rule must never make (not an earlier row of
the district within the window, or, on the near path, farther than
``--radius-m``): a check of the replay itself; it should be 0.

Usage::

    python -m nlp.artefacts.score_similar_csv IN.csv OUT.csv [IN2.csv OUT2.csv ...]

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np

from nlp.similar_rule import csv_degrees, csv_seconds, distances_m

DEV_CSV = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "traffy"
           / "dev.csv.gz").resolve()


def read_dev(path: Path) -> dict[str, tuple[str, float, float]]:
    """id -> (category, lat, lon) from the dev CSV (gzip or plain)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return {r["id"]: ((r.get("category") or "").strip(), csv_degrees(r.get("lat")),
                          csv_degrees(r.get("lon"))) for r in csv.DictReader(fh)}


def score_pair(in_csv: Path, out_csv: Path, dev: dict, *, window_days: float = 30.0,
               same_m: float = 300.0, radius_m: float = 300.0) -> dict[str, dict]:
    """Counts per path for one IN/OUT pair.

    Returns:
        {"near": counts, "text": counts}; counts = rows, shown, top_same,
        cases, caught, bad, unknown (rows missing from the dev CSV).

    Raises:
        ValueError: OUT does not list the same ids as IN.
    """
    with open(in_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(out_csv, encoding="utf-8", newline="") as fh:
        out = {r["id"]: r for r in csv.DictReader(fh)}
    if set(out) != {r["id"] for r in rows}:
        raise ValueError(f"{out_csv}: ids differ from {in_csv}")
    ids = [r["id"] for r in rows]
    pos = {x: i for i, x in enumerate(ids)}
    created = np.array([csv_seconds(r["created_at"]) for r in rows])
    districts = np.array([r["district"] for r in rows])
    placed = np.array([not (math.isnan(csv_degrees(r.get("lat")))
                            or math.isnan(csv_degrees(r.get("lon"))))
                       for r in rows])
    cat = np.array([dev.get(x, ("", math.nan, math.nan))[0] for x in ids])
    lat = np.array([dev.get(x, ("", math.nan, math.nan))[1] for x in ids])
    lon = np.array([dev.get(x, ("", math.nan, math.nan))[2] for x in ids])
    keys = ("rows", "shown", "top_same", "cases", "caught", "bad", "unknown")
    counts = {"near": dict.fromkeys(keys, 0), "text": dict.fromkeys(keys, 0)}
    window = window_days * 86400.0
    for district in np.unique(districts):
        order = np.flatnonzero(districts == district)
        order = order[np.lexsort((order, created[order]))]
        for k, i in enumerate(order):
            c = counts["near" if placed[i] else "text"]
            c["rows"] += 1
            c["unknown"] += ids[i] not in dev
            earlier = order[:k]
            earlier = earlier[created[earlier] >= created[i] - window]
            dist = distances_m(lat[i], lon[i], lat[earlier], lon[earlier])
            same = set(earlier[(cat[earlier] == cat[i]) & (dist <= same_m)].tolist())
            allowed = set(earlier.tolist())
            shown = [pos.get(x, -1) for x in out[ids[i]]["suggested_ids"].split(";") if x]
            c["cases"] += bool(same)
            if shown:
                c["shown"] += 1
                c["top_same"] += shown[0] in same
                c["caught"] += bool(same & set(shown))
            for j in shown:
                far = placed[i] and (j < 0 or not distances_m(
                    csv_degrees(rows[i]["lat"]), csv_degrees(rows[i]["lon"]),
                    np.array([csv_degrees(rows[j]["lat"])]), np.array([csv_degrees(rows[j]["lon"])]))[0]
                    <= radius_m + 1e-6)
                c["bad"] += (j not in allowed) or bool(far)
    return counts


def figures(c: dict) -> dict:
    """Rates (0..1, 4 decimals; None without a denominator) from the counts."""
    return {"rows": c["rows"],
            "carousel": round(c["shown"] / c["rows"], 4) if c["rows"] else None,
            "top_same": round(c["top_same"] / c["shown"], 4) if c["shown"] else None,
            "caught": round(c["caught"] / c["cases"], 4) if c["cases"] else None,
            "shown": c["shown"], "cases": c["cases"], "bad": c["bad"], "unknown": c["unknown"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", nargs="+", type=Path, help="IN.csv OUT.csv [IN.csv OUT.csv ...]")
    ap.add_argument("--dev", type=Path, default=DEV_CSV)
    ap.add_argument("--window-days", type=float, default=30.0)
    ap.add_argument("--same-m", type=float, default=300.0, help="'same problem' distance")
    ap.add_argument("--radius-m", type=float, default=300.0, help="the rule's radius (check)")
    args = ap.parse_args(argv)
    if len(args.pairs) % 2:
        ap.error("give IN.csv OUT.csv pairs")
    dev = read_dev(args.dev)
    total = {"near": {}, "text": {}}
    for in_csv, out_csv in zip(args.pairs[::2], args.pairs[1::2]):
        got = score_pair(in_csv, out_csv, dev, window_days=args.window_days,
                         same_m=args.same_m, radius_m=args.radius_m)
        for path, c in got.items():
            for k, v in c.items():
                total[path][k] = total[path].get(k, 0) + v
    result = {path: figures(c) for path, c in total.items() if c.get("rows")}

    def pct(x):
        return "-" if x is None else f"{100 * x:.1f} %"

    print(f"{'path':<22}{'rows':>7}{'carousel shown':>16}{'top is same problem':>21}"
          f"{'cases caught':>14}{'bad':>5}")
    for path, f in result.items():
        name = "near you (location)" if path == "near" else "text only (none)"
        print(f"{name:<22}{f['rows']:>7}{pct(f['carousel']):>16}{pct(f['top_same']):>21}"
              f"{pct(f['caught']):>14}{f['bad']:>5}")
    print(json.dumps({"score_similar_csv": result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
