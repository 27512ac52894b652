"""Which Bangkok district a map point is in, from a LINE location message.

Nearest neighbours over ``pb/data/district_grid.csv``: Traffy Fondue reports
snapped to a ~330 m grid, each cell with its majority district (built and
measured by ``pb/data/make_district_grid.py``; no report text or exact
location is kept). The :data:`K` nearest cell centres vote; a point farther
than :data:`MAX_KM` from every cell is outside Bangkok.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

GRID = Path(__file__).resolve().parent / "data" / "district_grid.csv"
K = 5
MAX_KM = 2.0
_EARTH_KM = 6371.0


@lru_cache(maxsize=1)
def _grid() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    with GRID.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return (np.array([float(r["lat"]) for r in rows]), np.array([float(r["lon"]) for r in rows]),
            tuple(r["district"] for r in rows))


def _km(lats: np.ndarray, lons: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """Equirectangular distances in km (error well under 1 % across Bangkok)."""
    x = np.radians(lons - lon) * math.cos(math.radians(lat))
    y = np.radians(lats - lat)
    return _EARTH_KM * np.hypot(x, y)


def vote(lats: np.ndarray, lons: np.ndarray, names, lat: float, lon: float, k: int = K
         ) -> tuple[str, float]:
    """(district of the majority of the k nearest cells, km to the nearest cell).

    Ties go to the district of the nearest cell among the tied ones.
    """
    distances = _km(lats, lons, lat, lon)
    nearest = np.argsort(distances, kind="stable")[:k]
    counts = Counter(names[i] for i in nearest)
    top = max(counts.values())
    winner = next(names[i] for i in nearest if counts[names[i]] == top)
    return winner, float(distances[nearest[0]])


def district_at(latitude: float, longitude: float) -> str | None:
    """The Thai name of the district at a WGS84 point, or None outside Bangkok.

    Raises:
        ValueError: the coordinates are not finite numbers in range.
    """
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude/longitude out of range")
    lats, lons, names = _grid()
    district, km = vote(lats, lons, names, latitude, longitude)
    return district if km <= MAX_KM else None
