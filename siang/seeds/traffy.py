"""The demo seeds' real texts: Traffy Fondue reports of a district, by category.

``data/traffy_sample/ideas_sample.csv`` holds redacted Traffy Fondue reports (text,
district, category); the seeds use a district's reports of its most reported
categories, each category one group (Traffy's own categorisation: the demo seeds
without an embedder).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "traffy_sample" / "ideas_sample.csv"
MIN_CHARS, MAX_CHARS = 10, 500          # a report's text, white space folded


def reports_by_category(district: str, categories: int) -> dict[str, list[str]]:
    """Report texts of ``district`` (Thai name) by category: the ``categories`` most
    reported categories, most reported first (ties by name); empty when it has none."""
    by_category: dict[str, list[str]] = defaultdict(list)
    with SAMPLE_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = " ".join((row.get("text") or "").split())
            if (row.get("district") == district and row.get("category")
                    and MIN_CHARS <= len(text) <= MAX_CHARS):
                by_category[row["category"]].append(text)
    ordered = sorted(by_category.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return dict(ordered[:categories])
