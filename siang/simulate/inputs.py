"""Real inputs for ``siang simulate``: Traffy Fondue ideas, pabulib costs and approval sets.

* Ideas: ``../shared/data/traffy/dev.csv.gz`` rows in file order (the order
  they were reported), kept in their own district; the districts used are
  those with the most reports. Rows with a location carry it (the resident
  shares it before the text); a share of them also sends a photo.
* Costs: drawn from the project costs of every pabulib instance in
  ``../shared/data/pabulib`` (whole units, read as baht).
* Approval sets: one approval instance (Wrocław 2015 when present): a
  district's projects are mapped to that instance's projects by cost rank,
  and each simulated voter reuses one real voter's approval set.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import random
from collections import defaultdict
from pathlib import Path

from pb.pabulib import PbInstance, read_pb

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
TRAFFY_DEV = SHARED / "traffy" / "dev.csv.gz"
PABULIB = SHARED / "pabulib"
APPROVAL_INSTANCE = "Poland_Wroclaw_2015_150_-_500.pb"
MIN_CHARS, MAX_CHARS = 20, 1500     # shorter rows are often one word; longer ones are cut by LINE


@dataclasses.dataclass(frozen=True)
class Idea:
    """One report to send: its text, district and, when the report had one, its place."""

    text: str
    district: str
    lat: float | None = None
    lon: float | None = None
    photo: bool = False


def load_ideas(n_ideas: int, n_districts: int, seed: int, photo_share: float = 0.05,
               location_share: float = 0.3) -> dict[str, list[Idea]]:
    """District → its ideas in report order: ``n_ideas`` in all from the ``n_districts``
    districts with the most reports (spread in proportion to their reports).

    Raises:
        FileNotFoundError: the Traffy dev file is missing.
    """
    rng = random.Random(seed)
    rows_by: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(TRAFFY_DEV, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = " ".join((row["text"] or "").split())
            if row["district"] and MIN_CHARS <= len(text) <= MAX_CHARS:
                rows_by[row["district"]].append({**row, "text": text})
    from pb.districts import THAI_NAMES

    busiest = sorted((d for d in rows_by if d in THAI_NAMES), key=lambda d: -len(rows_by[d]))
    chosen = busiest[:n_districts]
    total = sum(len(rows_by[d]) for d in chosen)
    out: dict[str, list[Idea]] = {}
    for n, district in enumerate(chosen):
        share = n_ideas - sum(len(v) for v in out.values()) if n == len(chosen) - 1 else \
            round(n_ideas * len(rows_by[district]) / total)
        ideas = []
        seen: set[str] = set()
        for row in rows_by[district]:
            if len(ideas) >= share:
                break
            if row["text"] in seen:         # a resident would not send the same words twice
                continue
            seen.add(row["text"])
            located = row["lat"] and row["lon"] and rng.random() < location_share
            ideas.append(Idea(row["text"], district,
                              float(row["lat"]) if located else None,
                              float(row["lon"]) if located else None,
                              photo=rng.random() < photo_share))
        out[district] = ideas
    return out


def pabulib_costs() -> list[int]:
    """Every project cost of every pabulib instance present (whole units)."""
    costs: list[int] = []
    for path in sorted(PABULIB.glob("*.pb")):
        costs.extend(int(p.cost) for p in read_pb(str(path)).projects if int(p.cost) > 0)
    if not costs:
        raise FileNotFoundError(f"no pabulib instance in {PABULIB}")
    return costs


def approval_instance() -> PbInstance:
    """The instance whose voters' approval sets the simulated voters reuse."""
    path = PABULIB / APPROVAL_INSTANCE
    if not path.exists():
        path = next(p for p in sorted(PABULIB.glob("*.pb"))
                    if read_pb(str(p)).vote_type == "approval")
    return read_pb(str(path))


def by_cost_rank(instance: PbInstance, costs: list[int]) -> dict[int, str]:
    """Index of a district project (in ``costs``) → the instance project of the same cost rank.

    The instance's projects sorted by cost are sampled at evenly spaced ranks,
    as many as the district has projects.
    """
    theirs = sorted(instance.projects, key=lambda p: (p.cost, p.project_id))
    ours = sorted(range(len(costs)), key=lambda i: costs[i])
    m = len(costs)
    return {i: theirs[round(r * (len(theirs) - 1) / max(1, m - 1))].project_id
            for r, i in enumerate(ours)}


def approval_pool(instance: PbInstance, mapping: dict[int, str], k: int) -> list[list[int]]:
    """Every real voter's approval set over district project indexes: kept to the
    mapped projects and at most ``k`` (in the voter's order); voters whose set has
    none of them are left out. Computed once per district: the sets are drawn from it."""
    back = {pid: i for i, pid in mapping.items()}
    usable = [list(dict.fromkeys(back[p] for p in v.project_ids if p in back))[:k]
              for v in instance.votes]
    usable = [u for u in usable if u]
    return usable or [[min(mapping)]]    # no overlap at all: everyone picks the cheapest


def approval_sets(pool: list[list[int]], n: int, rng: random.Random) -> list[list[int]]:
    """``n`` approval sets drawn from an :func:`approval_pool` (copies)."""
    return [list(rng.choice(pool)) for _ in range(n)]
