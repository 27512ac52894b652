"""The similar-idea rule (issue 15): which earlier ideas a new idea is shown, pure.

Two paths, chosen by whether the new idea has a place:

* **near you** (the resident shared a location): earlier ideas within
  :attr:`SimilarRule.radius_m` metres of it whose grouping-vector cosine
  reaches :attr:`SimilarRule.near_min`, best cosine first. Nothing near is
  nothing shown: a far idea on the same topic is not the same problem.
* **same topic in your district** (no location): ideas of the district whose
  cosine reaches the much stricter :attr:`SimilarRule.topic_min`; ``None``
  shows no carousel at all.

Why place first: replaying Traffy Fondue reports (``nlp/artefacts/similar_place.py``;
"same problem" = same reporter category and within 300 m), text alone puts
the same *topic* elsewhere in the district at the top of the carousel; place
tells the same problem apart. The values per embedder live in
:data:`RULES` and the calibration that chose them in
``nlp/artefacts/similar_place.json`` (a test checks they agree).

Everything here is numpy on arrays the caller loaded: no database, no
embedder. :func:`replay` is what ``siang nlp similar-csv`` and the
calibration run, so the published figures come from the production rule.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

EARTH_RADIUS_M = 6_371_000.0
T = TypeVar("T")


@dataclass(frozen=True)
class SimilarRule:
    """Thresholds of the similar-idea check.

    Attributes:
        radius_m: how far (metres) an idea may be from the new idea's
            location to count as "near you".
        near_min: grouping-vector cosine an idea within the radius must reach.
        topic_min: cosine for the text-only path (no location); None = no
            carousel without a location.
        max_shown: bubbles in the carousel at most.
        window_days: how far back ideas are compared in :func:`replay` (the
            product compares the ideas of the current process).
    """

    radius_m: float = 300.0
    near_min: float = 0.55
    topic_min: float | None = 0.92
    max_shown: int = 3
    window_days: float = 30.0

    def with_values(self, **values) -> "SimilarRule":
        """A copy with some fields replaced (staff settings per process)."""
        return replace(self, **values)


#: The production rule per embedder, from ``nlp/artefacts/similar_place.json``
#: (E5: chosen on four calibration districts, reported on four held-out ones).
RULES: dict[str, SimilarRule] = {
    "multilingual-e5-small": SimilarRule(radius_m=300.0, near_min=0.55, topic_min=0.92),
    # The fake trigram embedder (tests): near-duplicate wording only.
    "fake-trigram-384": SimilarRule(radius_m=300.0, near_min=0.30, topic_min=0.57),
}


def rule_for(model_name: str) -> SimilarRule:
    """The production rule of an embedder (fake embedders of any size share one).

    Raises:
        KeyError: an embedder without a calibrated rule.
    """
    if model_name in RULES:
        return RULES[model_name]
    if model_name.startswith("fake-trigram-"):
        return RULES["fake-trigram-384"]
    raise KeyError(f"no similar-idea rule for embedder {model_name!r}")


def csv_seconds(value: str) -> float:
    """A CSV ``created_at`` (ISO 8601; "Z" or no zone means UTC) → seconds since the epoch."""
    when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def csv_degrees(value: str | None) -> float:
    """A CSV latitude or longitude → degrees, or NaN when empty or not a finite number."""
    try:
        x = float(value) if value not in (None, "") else math.nan
    except ValueError:
        return math.nan
    return x if math.isfinite(x) else math.nan


def distances_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances in metres from one point to many (equirectangular; < 0.1 % off in Bangkok).

    Args:
        lat, lon: WGS84 degrees.
        lats, lons: (n,) float arrays of degrees; NaN where unknown.

    Returns:
        (n,) float64 metres; NaN where the other point is unknown.
    """
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    x = np.radians(lons - lon) * np.cos(np.radians((lats + lat) / 2))
    y = np.radians(lats - lat)
    return EARTH_RADIUS_M * np.hypot(x, y)


def degrees_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths (Δlat, Δlon) in degrees of a box holding a circle of ``radius_m``."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    return dlat, dlat / max(math.cos(math.radians(lat)), 1e-6)


def pick(similarity: np.ndarray, distance_m: np.ndarray | None, rule: SimilarRule
         ) -> tuple[np.ndarray, bool]:
    """Which candidates to show, best first.

    Args:
        similarity: (n,) grouping-vector cosines of the candidates.
        distance_m: (n,) metres from the new idea (NaN: candidate has no
            place), or None when the new idea has no location.
        rule: the thresholds.

    Returns:
        (positions into the candidates, at most ``rule.max_shown``, best
        first; True if the "near you" path chose them).
    """
    sim = np.asarray(similarity, dtype=np.float64)
    if distance_m is not None:
        dist = np.asarray(distance_m, dtype=np.float64)
        ok = (dist <= rule.radius_m) & (sim >= rule.near_min)   # NaN compares False
        near = True
    elif rule.topic_min is None:
        return np.zeros(0, dtype=np.int64), False
    else:
        ok = sim >= rule.topic_min
        near = False
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return idx.astype(np.int64), near
    order = idx[np.lexsort((idx, -sim[idx]))]
    return order[: rule.max_shown].astype(np.int64), near


def one_per_group(candidates: Iterable[T], group_of: Callable[[T], int | None],
                  limit: int) -> list[T]:
    """The first ``limit`` candidates, in the order given, keeping only the first of each
    group: a carousel shows one idea (or question) per cluster, never two of the same.

    Args:
        group_of: a candidate's group (cluster) id; None = not grouped yet (always kept).
    """
    shown: list[T] = []
    seen: set[int] = set()
    for candidate in candidates:
        group = group_of(candidate)
        if group is not None:
            if group in seen:
                continue
            seen.add(group)
        shown.append(candidate)
        if len(shown) == limit:
            break
    return shown


@dataclass
class Suggestion:
    """What the rule showed one replayed row: positions of earlier rows, their cosines."""

    shown: list[int]
    scores: list[float]
    near: bool


def replay(districts: np.ndarray, created_s: np.ndarray, vectors: np.ndarray,
           lats: np.ndarray, lons: np.ndarray, rule: SimilarRule) -> list[Suggestion]:
    """Replay rows in time order per district through the rule, as the bot would see them.

    Each row is compared with the *earlier* rows of its district created
    within ``rule.window_days`` before it (ties by position). A row with a
    location takes the "near you" path, one without the text-only path.

    Args:
        districts: (n,) district names.
        created_s: (n,) creation times, seconds since the epoch.
        vectors: (n, d) float32 unit grouping vectors.
        lats, lons: (n,) degrees, NaN where a row has no location.
        rule: the thresholds.

    Returns:
        One :class:`Suggestion` per row, in the input order (positions are
        input positions).
    """
    n = len(districts)
    created = np.asarray(created_s, dtype=np.float64)
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    window = rule.window_days * 86400.0
    out: list[Suggestion | None] = [None] * n
    for district in np.unique(np.asarray(districts)):
        rows = np.flatnonzero(np.asarray(districts) == district)
        rows = rows[np.lexsort((rows, created[rows]))]
        start = 0
        for k, i in enumerate(rows):
            while start < k and created[rows[start]] < created[i] - window:
                start += 1
            earlier = rows[start:k]
            has_place = not (math.isnan(lats[i]) or math.isnan(lons[i]))
            if earlier.size == 0:
                out[i] = Suggestion([], [], has_place)
                continue
            sim = vectors[earlier] @ vectors[i]
            dist = distances_m(lats[i], lons[i], lats[earlier], lons[earlier]) if has_place else None
            chosen, near = pick(sim, dist, rule)
            out[i] = Suggestion([int(earlier[c]) for c in chosen],
                                [float(sim[c]) for c in chosen], near)
    return [s if s is not None else Suggestion([], [], False) for s in out]


#: Words that mark an idea about a place (potholes, drains, lights, flooding,
#: footpaths, wires, trees, canals, bridges, rubbish at a spot): for these the
#: bot invites a location before looking for similar ideas.
PLACE_WORDS = (
    "ถนน", "หลุม", "บ่อ", "ผิวทาง", "ทางเท้า", "ฟุตบาท", "ฟุตปาท", "ท่อ", "ระบายน้ำ",
    "น้ำท่วม", "ท่วมขัง", "น้ำขัง", "ไฟส่องสว่าง", "ไฟทาง", "ไฟฟ้า", "ไฟดับ", "ไฟถนน",
    "เสาไฟ", "สายไฟ", "สายสื่อสาร", "ต้นไม้", "กิ่งไม้", "คลอง", "สะพาน", "ขยะ",
    "ซอย", "แยก", "ป้ายรถ", "ทางม้าลาย", "สัญญาณไฟ", "ฝาท่อ", "ตะแกรง",
    "pothole", "drain", "flood", "streetlight", "street light", "footpath",
    "sidewalk", "road", "soi",
)


def is_place_idea(text: str) -> bool:
    """True if an idea names a kind of place problem (:data:`PLACE_WORDS`, substring match)."""
    lowered = text.lower()
    return any(word in lowered for word in PLACE_WORDS)
