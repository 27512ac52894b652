"""Buddhist Era dates: one module formats and parses them, and the two agree."""

from __future__ import annotations

import datetime as dt

import pytest

from pb.thaidate import (BANGKOK, be_date, be_datetime, be_year, ce_year, parse_be_date,
                         parse_be_datetime)


def test_years_convert_both_ways():
    assert be_year(2025) == 2568
    assert ce_year(2568) == 2025
    assert ce_year(be_year(1999)) == 1999


@pytest.mark.parametrize("day", [dt.date(2025, 10, 1), dt.date(2024, 2, 29), dt.date(2000, 12, 31)])
def test_a_date_round_trips(day):
    assert parse_be_date(be_date(day)) == day


def test_dates_read_as_typed():
    assert be_date(dt.date(2025, 10, 1)) == "01/10/2568"
    assert parse_be_date("1/10/2568") == dt.date(2025, 10, 1)
    assert parse_be_date(" 31 / 03 / 2569 ") == dt.date(2026, 3, 31)


def test_an_aware_moment_is_shown_in_bangkok_time():
    utc = dt.datetime(2025, 12, 31, 20, 30, tzinfo=dt.timezone.utc)   # 03:30 next day in Bangkok
    assert be_date(utc) == "01/01/2569"
    assert be_datetime(utc) == "01/01/2569 03:30"
    assert parse_be_datetime(be_datetime(utc)) == utc
    naive = dt.datetime(2025, 1, 2, 9, 5)                               # taken as Bangkok time
    assert be_datetime(naive) == "02/01/2568 09:05"


def test_moments_read_as_typed():
    expected = dt.datetime(2026, 3, 1, 8, 0, tzinfo=BANGKOK)
    for text in ("01/03/2569 08:00", "1/3/2569 8.00", " 01/03/2569 08:00 น. "):
        assert parse_be_datetime(text) == expected


@pytest.mark.parametrize("text, says", [
    ("01/10/2025", "Buddhist Era year"),
    ("31/02/2568", "no such day"),
    ("2568-10-01", "dd/mm/BBBB"),
    ("", "dd/mm/BBBB"),
])
def test_bad_dates_raise_a_clear_value_error(text, says):
    with pytest.raises(ValueError, match=says):
        parse_be_date(text)


@pytest.mark.parametrize("text, says", [
    ("01/03/2026 08:00", "Buddhist Era year"),
    ("01/03/2569 25:00", "no such moment"),
    ("30/02/2569 08:00", "no such moment"),
    ("01/03/2569", "dd/mm/BBBB HH:MM"),
])
def test_bad_moments_raise_a_clear_value_error(text, says):
    with pytest.raises(ValueError, match=says):
        parse_be_datetime(text)
