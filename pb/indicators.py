"""The BMA's participation indicators per fiscal year (issue 18): the indicator panel.

Bangkok 20-year plan, strategy 5 "Democratic City", sub-strategy 5.2: each
programme reports the share of the 50 district offices that met its
indicator in a fiscal year (BE; FY2569 = 1 October 2025 – 30 September 2026):

* ``hearing``: held a public hearing where residents proposed directions for
  developing their area (:func:`pb.hearings.indicator`);
* ``community_plan``: included projects from community plans in the annual
  action plan (:func:`pb.community_plans.indicator`);
* ``council``: established a district city council
  (:func:`pb.council.indicator`), and ``council_monthly``: its council met
  in every month of the year so far (:func:`pb.council.indicator_monthly`);
* ``pb``: had a voting round closed with results in the year
  (:func:`pb_indicator`, here).

Each source is a function ``(conn, fiscal_year) -> Indicator``; tests pass
their own. A source that fails is shown as unavailable, never as 0 %.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psycopg

from pb import community_plans, council, districts, hearings
from pb.processes import Indicator, fiscal_year_be
from pb.thaidate import BANGKOK, BE_OFFSET

log = logging.getLogger(__name__)

Source = Callable[[psycopg.Connection, int], Indicator]
#: The panel's rows, in the order shown.
KEYS = ("hearing", "community_plan", "council", "council_monthly", "pb")
MIN_YEAR, MAX_YEAR = 2550, 2700   # fiscal years (BE) the panel accepts


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Thai fiscal year (BE) in Bangkok time: 1 October of the
    previous CE year to 1 October.

    Raises:
        ValueError: a year outside MIN_YEAR–MAX_YEAR.
    """
    if not MIN_YEAR <= fiscal_year <= MAX_YEAR:
        raise ValueError(f"fiscal year {fiscal_year} outside {MIN_YEAR}–{MAX_YEAR}")
    ce = fiscal_year - BE_OFFSET
    return (dt.datetime(ce - 1, 10, 1, tzinfo=BANGKOK), dt.datetime(ce, 10, 1, tzinfo=BANGKOK))


def current_fiscal_year(today: dt.date | None = None) -> int:
    """The fiscal year (BE) of today in Bangkok."""
    return fiscal_year_be(today or dt.datetime.now(BANGKOK).date())


def pb_indicator(conn: psycopg.Connection, fiscal_year: int) -> Indicator:
    """PB's indicator: districts that had a voting round closed with results in the year.

    A district's round counts when Siang ran it (not a pabulib import), its
    ``closes_at`` falls in the fiscal year (Bangkok time) and it was tallied
    (state ``tallied`` or ``published``, with its chosen rule's results
    stored). A city-wide round counts for no single district office; it is
    counted in ``detail["city_rounds"]``.

    Returns:
        key ``pb``; detail: ``rounds`` (district rounds with results),
        ``rounds_quorum_met``, ``city_rounds``, ``ballots`` (turnout of
        every counted round, chat and paper).

    Raises:
        ValueError: a fiscal year outside the accepted range.
    """
    start, end = fiscal_year_bounds(fiscal_year)
    rows = conn.execute(
        """SELECT r.district, x.quorum_met, x.ballots
             FROM voting_rounds r JOIN round_results x ON x.round_id = r.id AND x.chosen
            WHERE r.origin = 'siang' AND r.state IN ('tallied', 'published')
              AND r.closes_at >= %s AND r.closes_at < %s""", (start, end)).fetchall()
    known = set(districts.THAI_NAMES)
    met = frozenset(d for d, _q, _b in rows if d in known)
    detail = {"rounds": sum(1 for d, _q, _b in rows if d is not None),
              "rounds_quorum_met": sum(1 for d, q, _b in rows if d is not None and q),
              "city_rounds": sum(1 for d, _q, _b in rows if d is None),
              "ballots": sum(int(b) for _d, _q, b in rows)}
    return Indicator("pb", met, len(districts.THAI_NAMES), detail)


def default_sources() -> dict[str, Source]:
    """Every indicator's source: the three programmes' ``indicator`` functions
    (docs/PROCESSES.md), the council's monthly one, and :func:`pb_indicator`."""
    return {"hearing": hearings.indicator, "community_plan": community_plans.indicator,
            "council": council.indicator, "council_monthly": council.indicator_monthly,
            "pb": pb_indicator}


@dataclass(frozen=True)
class Panel:
    """The indicators of one fiscal year.

    Attributes:
        fiscal_year: BE.
        indicators: by key, in :data:`KEYS` order; a key whose source failed is absent.
        unavailable: keys whose source failed or is missing.
    """

    fiscal_year: int
    indicators: dict[str, Indicator]
    unavailable: tuple[str, ...]

    def met(self, key: str, district: str) -> bool | None:
        """Whether ``district`` met indicator ``key``; None when it is unavailable."""
        found = self.indicators.get(key)
        return None if found is None else district in found.districts_met

    def district_rows(self, shown: list[str]) -> list[tuple[str, dict[str, bool | None]]]:
        """(district, {key: met}) for each district of ``shown``, in that order."""
        return [(d, {key: self.met(key, d) for key in KEYS}) for d in shown]

    def met_count(self, district: str) -> int:
        """How many of the available indicators ``district`` met."""
        return sum(1 for key in self.indicators if self.met(key, district))


def panel(conn: psycopg.Connection, fiscal_year: int,
          sources: Mapping[str, Source] | None = None) -> Panel:
    """Compute every indicator of ``fiscal_year`` (BE).

    Each source runs in a savepoint of the caller's transaction; one that
    raises is logged and listed in ``Panel.unavailable``.

    Raises:
        ValueError: a fiscal year outside MIN_YEAR–MAX_YEAR.
    """
    fiscal_year_bounds(fiscal_year)      # checks the year
    chosen = dict(default_sources() if sources is None else sources)
    found: dict[str, Indicator] = {}
    unavailable = []
    for key in KEYS:
        source = chosen.get(key)
        if source is None:
            unavailable.append(key)
            continue
        try:
            with conn.transaction():
                found[key] = source(conn, fiscal_year)
        except Exception:   # a programme's fault shows as "unavailable", never as 0 %
            log.exception("indicator %s failed for FY%s", key, fiscal_year)
            unavailable.append(key)
    return Panel(fiscal_year, found, tuple(unavailable))


def fiscal_years(conn: psycopg.Connection, today: dt.date | None = None) -> list[int]:
    """Fiscal years (BE) to offer in the picker, newest first: the current one, the
    years of processes, and the years voting rounds closed in."""
    years = {current_fiscal_year(today)}
    years.update(int(r[0]) for r in conn.execute(
        "SELECT DISTINCT fiscal_year FROM processes").fetchall())
    for (closes_at,) in conn.execute(
            "SELECT DISTINCT date_trunc('month', closes_at AT TIME ZONE 'Asia/Bangkok') "
            "FROM voting_rounds WHERE origin = 'siang'").fetchall():
        years.add(fiscal_year_be(closes_at.date()))
    return sorted((y for y in years if MIN_YEAR <= y <= MAX_YEAR), reverse=True)
