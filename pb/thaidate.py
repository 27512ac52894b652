"""Dates as Thai residents and staff read them: Asia/Bangkok, Buddhist Era (พ.ศ.).

The one place that turns Common Era dates into Buddhist Era text and back.
Staff type and read ``dd/mm/BBBB`` (and ``dd/mm/BBBB HH:MM`` in Bangkok
time), as on BMA forms; the database keeps Common Era dates and UTC
timestamps.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543
#: The smallest year read as Buddhist Era: 2400 BE is 1857 CE, and a typed
#: Common Era year (2025) stays below it, so the two cannot be confused.
MIN_BE_YEAR = 2400

_BE_DATE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*$")
_BE_DATETIME = re.compile(
    r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s+(\d{1,2})[:.](\d{2})\s*(น\.)?\s*$")


def be_year(ce_year: int) -> int:
    """The Buddhist Era year of a Common Era year (2025 → 2568)."""
    return ce_year + BE_OFFSET


def ce_year(be: int) -> int:
    """The Common Era year of a Buddhist Era year (2568 → 2025)."""
    return be - BE_OFFSET


def _bangkok(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """An aware datetime in Bangkok time; a date or naive datetime unchanged."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(BANGKOK)
    return value


def be_date(value: dt.date | dt.datetime) -> str:
    """``dd/mm/BBBB`` in the Buddhist Era, as on the BMA progress-report form.

    A timezone-aware datetime is first converted to Bangkok time; a naive one
    is taken as Bangkok time already.
    """
    value = _bangkok(value)
    return f"{value.day:02d}/{value.month:02d}/{be_year(value.year)}"


def be_datetime(value: dt.datetime) -> str:
    """``dd/mm/BBBB HH:MM`` in Bangkok time (24-hour clock), Buddhist Era year.

    A timezone-aware datetime is converted to Bangkok time; a naive one is
    taken as Bangkok time already.
    """
    local = _bangkok(value)
    return f"{be_date(local)} {local:%H:%M}"


def _be_parts(match: re.Match[str] | None, text: str, shape: str) -> list[int]:
    if not match:
        raise ValueError(f"expected {shape} (Buddhist Era), got {text!r}")
    parts = [int(g) for g in match.groups()[:5] if g]
    if parts[2] < MIN_BE_YEAR:
        raise ValueError(f"a Buddhist Era year ({MIN_BE_YEAR} or later) expected, got {parts[2]}")
    return parts


def parse_be_date(text: str) -> dt.date:
    """``dd/mm/BBBB`` (Buddhist Era; spaces around the slashes allowed) → a date.

    Raises:
        ValueError: not that shape, a Common Era year, or no such day (31/02/2568).
    """
    day, month, year = _be_parts(_BE_DATE.match(text), text, "dd/mm/BBBB")
    try:
        return dt.date(ce_year(year), month, day)
    except ValueError as exc:
        raise ValueError(f"no such day: {text.strip()!r} ({exc})") from None


def parse_be_datetime(text: str) -> dt.datetime:
    """``dd/mm/BBBB HH:MM`` (Buddhist Era, Bangkok time) → an aware datetime.

    ``HH.MM`` and a trailing ``น.`` (Thai "o'clock") are accepted too.

    Raises:
        ValueError: not that shape, a Common Era year, or no such moment
            (31/02/2568 or 25:00).
    """
    day, month, year, hour, minute = _be_parts(_BE_DATETIME.match(text), text,
                                                "dd/mm/BBBB HH:MM")
    try:
        return dt.datetime(ce_year(year), month, day, hour, minute, tzinfo=BANGKOK)
    except ValueError as exc:
        raise ValueError(f"no such moment: {text.strip()!r} ({exc})") from None
