"""The admin's message catalogs: every text has Thai, the compiled .mo is current,
dates are Buddhist Era, and money and dates parse as staff type them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from admin.forms import parse_be_date
from pb.thaidate import be_date

ADMIN = Path(__file__).resolve().parents[1] / "admin"
PO = ADMIN / "translations" / "th" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ADMIN), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_admin_text_has_a_thai_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in _extracted() if not translated.get(m))
    assert missing == [], "translate these in messages.po (see admin/babel.cfg)"


def test_compiled_catalog_matches_the_po_file():
    with PO.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with MO.open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po, "run: pybabel compile -d admin/translations"


def test_dates_are_buddhist_era():
    assert be_date(dt.date(2025, 10, 1)) == "01/10/2568"
    assert parse_be_date("1/10/2568") == dt.date(2025, 10, 1)
    assert parse_be_date(" 31 / 03 / 2569 ") == dt.date(2026, 3, 31)
    for text in ("01/10/2025", "31/02/2568", "2568-10-01", ""):
        with pytest.raises(ValueError):
            parse_be_date(text)
