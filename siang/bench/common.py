"""What every benchmark shares: a table printer, the JSON line, the saved result."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"


def percentile_ms(samples_s: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) of durations in seconds, in milliseconds."""
    if not samples_s:
        return float("nan")
    return float(np.percentile(np.asarray(samples_s) * 1000.0, q))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table on stdout."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    versions = {}
    for package in ("numpy", "torch", "sentence-transformers", "scikit-learn", "Flask",
                    "gunicorn", "psycopg", "rq", "pabutools"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0], "versions": versions}


def finish(name: str, figures: dict[str, Any], *, save: bool = True) -> dict[str, Any]:
    """Save the result under bench/results/ and print the JSON line (always last)."""
    if save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        record = {"bench": name, "at": stamp, "figures": figures, "machine": machine()}
        (RESULTS_DIR / f"{name}-{stamp}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return figures


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
