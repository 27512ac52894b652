"""Participatory processes: one PB cycle for a district or the city and a fiscal year."""

from __future__ import annotations

import datetime as dt

import psycopg

from pb.thaidate import BE_OFFSET

_PROCESS_LOCK = 7_366_515


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
