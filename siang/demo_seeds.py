"""The demo's issue-18 part: seed one hearing, one community plan and one council meeting,
then read the indicator panel back.

``siang demo`` calls :func:`run_seeds` once the replayed ideas are clustered,
with the demo's districts (most residents first), and prints
:func:`summary_lines`. Each seed is ``siang.seeds.<kind>.seed(conn,
districts) -> dict[str, int]`` (docs/PROCESSES.md), written by the
programme's own module with real Traffy-derived texts; it runs in its own
transaction, so one seed failing leaves the others and the demo standing.
"""

from __future__ import annotations

import logging
from importlib import import_module

import psycopg

from pb import indicators

log = logging.getLogger(__name__)

#: The seeds, in the order they run: siang/seeds/<kind>.py.
KINDS = ("hearing", "community_plan", "council")


def run_seeds(conn: psycopg.Connection, districts: list[str]) -> dict[str, dict[str, int] | str]:
    """Run every seed; returns kind → its counts, or the error text of a seed that failed.

    Args:
        conn: an open connection (each seed commits on its own transaction).
        districts: Thai district names, the demo's busiest first.
    """
    made: dict[str, dict[str, int] | str] = {}
    for kind in KINDS:
        try:
            module = import_module(f"siang.seeds.{kind}")
            with conn.transaction():
                made[kind] = dict(module.seed(conn, list(districts)))
        except Exception as exc:      # the demo goes on without this programme's item
            log.exception("demo seed %s failed", kind)
            made[kind] = f"{type(exc).__name__}: {exc}"[:200]
    return made


def panel_figures(conn: psycopg.Connection, fiscal_year: int | None = None) -> dict[str, object]:
    """The indicator panel of ``fiscal_year`` (default: the current one) as plain figures:
    key → {met, total, percent, districts, detail}; unavailable keys → None."""
    year = fiscal_year or indicators.current_fiscal_year()
    panel = indicators.panel(conn, year)
    out: dict[str, object] = {"fiscal_year": year}
    for key in indicators.KEYS:
        found = panel.indicators.get(key)
        out[key] = None if found is None else {
            "met": len(found.districts_met), "total": found.districts_total,
            "percent": round(found.percent, 1), "districts": sorted(found.districts_met),
            "detail": dict(found.detail)}
    return out


def summary_lines(made: dict[str, dict[str, int] | str], figures: dict[str, object]) -> list[str]:
    """The demo summary's lines for the seeds and the indicator panel."""
    lines = ["  Issue 18 seeds:"]
    for kind in KINDS:
        counts = made.get(kind, "not run")
        shown = (", ".join(f"{k} {v:,}" for k, v in counts.items()) if isinstance(counts, dict)
                 else f"FAILED ({counts})")
        lines.append(f"    {kind:<16} {shown}")
    lines.append(f"  Indicator panel, fiscal year {figures['fiscal_year']}:")
    for key in indicators.KEYS:
        found = figures.get(key)
        if not isinstance(found, dict):
            lines.append(f"    {key:<16} unavailable")
            continue
        where = ", ".join(found["districts"][:5]) + (" …" if len(found["districts"]) > 5 else "")
        lines.append(f"    {key:<16} {found['met']:>2}/{found['total']} "
                     f"({found['percent']:5.1f} %)  {where}")
    return lines
