"""The admin's message catalogs: every text has Thai, the compiled .mo is current,
dates are Buddhist Era, and money and dates parse as staff type them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from pb.thaidate import be_date, parse_be_date

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


def _key(message_id) -> str:
    """A message's msgid (the singular one of a plural message)."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(string) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def test_every_admin_text_has_a_thai_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {_key(m.id): m for m in catalog if m.id and all(_forms(m.string))}
    missing = sorted(m for m in _extracted() if m not in translated)
    assert missing == [], "translate these in messages.po (see admin/babel.cfg)"
    fuzzy = sorted(key for key, m in translated.items() if m.fuzzy)
    assert fuzzy == [], "check these translations and remove their fuzzy flag"
    for message in translated.values():      # Thai has one plural form (nplurals=1)
        assert len(_forms(message.string)) == 1, message.id


def test_compiled_catalog_matches_the_po_file():
    with PO.open("rb") as f:
        po = {_key(m.id): _forms(m.string) for m in read_po(f) if m.id}
    with MO.open("rb") as f:
        mo = {_key(m.id): _forms(m.string) for m in read_mo(f) if m.id}
    assert mo == po, "run: pybabel compile -d admin/translations"


def test_english_plurals_in_the_admin():
    """English comes from the msgids: a text with a count has a singular and a plural."""
    from babel.support import NullTranslations

    english = NullTranslations()
    singular, plural = ("For comparison, the rule “%(rule)s” would fund %(n)s project using "
                        "%(used)s baht.",
                        "For comparison, the rule “%(rule)s” would fund %(n)s projects using "
                        "%(used)s baht.")
    with PO.open("rb") as f:
        assert (singular, plural) in {m.id for m in read_po(f) if m.pluralizable}
    assert english.ngettext(singular, plural, 1) % {"rule": "x", "n": 1, "used": 5} == (
        "For comparison, the rule “x” would fund 1 project using 5 baht.")
    assert "would fund 2 projects" in english.ngettext(singular, plural, 2) % {
        "rule": "x", "n": 2, "used": 5}


def test_dates_are_buddhist_era():
    assert be_date(dt.date(2025, 10, 1)) == "01/10/2568"
    assert parse_be_date("1/10/2568") == dt.date(2025, 10, 1)
    assert parse_be_date(" 31 / 03 / 2569 ") == dt.date(2026, 3, 31)
    for text in ("01/10/2025", "31/02/2568", "2568-10-01", ""):
        with pytest.raises(ValueError):
            parse_be_date(text)
