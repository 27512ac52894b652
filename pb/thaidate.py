"""Dates as Thai residents and staff read them: Asia/Bangkok, Buddhist Era (พ.ศ.)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543


def be_date(value: dt.date | dt.datetime) -> str:
    """``dd/mm/BBBB`` in the Buddhist Era, as on the BMA progress-report form.

    A timezone-aware datetime is first converted to Bangkok time.
    """
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(BANGKOK)
    return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"
