"""Build ``district_grid.csv``: which Bangkok district a map point is in (issue 4).

A resident can share a LINE location instead of typing a district. No
district polygons ship with any package installable here, so the district
comes from the nearest georeferenced Traffy Fondue reports, whose
``district`` field is the BMA's own. To keep no report in the repository,
reports are snapped to a grid of :data:`CELL_DEG` degrees (about 330 m) and
each cell keeps only its centre and its majority district: no text, no
exact location, no count.

Lookup (``pb.geo.district_at``) takes the :data:`K` nearest cells and votes.
This script also measures the lookup on a held-out tenth of the reports
(grid built from the other nine tenths) and prints the accuracy.

Usage::

    python -m pb.data.make_district_grid ../shared/data/traffy/dev.csv.gz
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "district_grid.csv"
CELL_DEG = 0.003
# Bangkok's bounding box, with a margin; reports outside it are dropped.
LAT_RANGE = (13.45, 14.05)
LON_RANGE = (100.25, 100.98)


def read_points(path: Path) -> list[tuple[float, float, str]]:
    """(lat, lon, district) of every report inside Bangkok's box."""
    points = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except (KeyError, ValueError):
                continue
            if LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]:
                points.append((lat, lon, row["district"]))
    return points


def build_grid(points: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Cell centres with their majority district, sorted by (lat, lon)."""
    cells: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for lat, lon, district in points:
        cells[(int(np.floor(lat / CELL_DEG)), int(np.floor(lon / CELL_DEG)))][district] += 1
    grid = []
    for (i, j), counts in sorted(cells.items()):
        district = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        grid.append((round((i + 0.5) * CELL_DEG, 4), round((j + 0.5) * CELL_DEG, 4), district))
    return grid


def main(argv: list[str]) -> int:
    from pb import geo

    source = Path(argv[0]) if argv else HERE.parents[2] / "shared/data/traffy/dev.csv.gz"
    points = read_points(source)
    rng = np.random.default_rng(0)
    held = rng.random(len(points)) < 0.1
    train = [p for p, h in zip(points, held) if not h]
    test = [p for p, h in zip(points, held) if h]
    grid = build_grid(train)
    lats = np.array([g[0] for g in grid])
    lons = np.array([g[1] for g in grid])
    names = [g[2] for g in grid]
    for k in (1, 3, 5):
        right = sum(geo.vote(lats, lons, names, lat, lon, k)[0] == district
                    for lat, lon, district in test)
        print(f"k={k}: {right}/{len(test)} held-out reports in the right district "
              f"({right / len(test):.3f}), grid of {len(grid)} cells from {len(train)} reports")
    final = build_grid(points)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["lat", "lon", "district"])
        writer.writerows(final)
    print(f"{len(final)} cells -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
