"""Participatory processes: one PB cycle for a district or the city and a fiscal year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from pb.thaidate import BE_OFFSET

_PROCESS_LOCK = 7_366_515

#: The kinds of process (migration 0016): PB, a district public hearing, a district
#: city council meeting's call for questions, a district's call for community plans.
KINDS = ("pb", "hearing", "council", "community_plan")


@dataclass(frozen=True)
class OpenItem:
    """One thing a resident of a district can take part in now ("มีอะไรเปิดอยู่").

    Attributes:
        kind: ``voting_round`` or a process kind of :data:`KINDS`.
        id: the voting round's or the process's id.
        title: Thai title as staff wrote it.
        closes_at: timezone-aware; None if open-ended.
        postback: the postback data (≤300 characters, LINE limit) that one tap
            sends to start taking part, e.g. ``a=hear&c=start&p=12``.
        title_en: English title, "" if staff gave none.
    """

    kind: str
    id: int
    title: str
    closes_at: dt.datetime | None
    postback: str
    title_en: str = ""


@dataclass(frozen=True)
class Indicator:
    """One BMA participation indicator for a fiscal year (Bangkok 20-year plan,
    strategy 5 "Democratic City", sub-strategy 5.2; issue 18).

    Attributes:
        key: ``hearing``, ``community_plan``, ``council``, ``council_monthly`` or ``pb``.
        districts_met: Thai names of the district offices meeting it.
        districts_total: district offices counted (50 in Bangkok).
        detail: further counts shown beside it, by name.
    """

    key: str
    districts_met: frozenset[str]
    districts_total: int
    detail: dict[str, int]

    @property
    def percent(self) -> float:
        """Share of district offices meeting it, 0–100."""
        return 100.0 * len(self.districts_met) / self.districts_total if self.districts_total else 0.0


def fiscal_year_be(day: dt.date) -> int:
    """Thai fiscal year (BE) of a date: it starts on 1 October (FY2567 = Oct 2023–Sep 2024)."""
    year = day.year + 1 if day.month >= 10 else day.year
    return year + BE_OFFSET


def current_id(conn: psycopg.Connection, today: dt.date | None = None) -> int:
    """The open city-wide PB process collecting ideas, created on first use."""
    # One creator at a time: two workers seeing no process must not make two.
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_PROCESS_LOCK,))
    row = conn.execute(
        "SELECT id FROM processes WHERE kind = 'pb' AND stage = 'ideas' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row:
        return int(row[0])
    fy = fiscal_year_be(today or dt.date.today())
    row = conn.execute(
        "INSERT INTO processes (title, fiscal_year) VALUES (%s, %s) RETURNING id",
        (f"งบประมาณแบบมีส่วนร่วม กรุงเทพมหานคร ปีงบประมาณ {fy}", fy),
    ).fetchone()
    assert row is not None
    return int(row[0])
