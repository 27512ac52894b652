"""The bot's message catalogs (bot/translations): every key has Thai and English with the
same placeholders, the compiled .mo files are current, English plurals are right, and
every key the code names exists."""

from __future__ import annotations

import ast
import io
import string
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import catalog

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "bot" / "translations"
POT = TRANSLATIONS / "messages.pot"

#: plural key -> (what the English text says for n=1, for n=2). A new text with a count
#: needs a line here, so its English plural is checked.
ENGLISH_PLURALS = {
    "grouped_with": ("joins 1 similar idea ", "joins 2 similar ideas "),
    "idea_too_long": ("at most 1 character ", "at most 2 characters "),
    "backers": ("1 supporter", "2 supporters"),
    "support_recorded": ("has 1 supporter.", "has 2 supporters."),
    "support_already": ("(1 supporter)", "(2 supporters)"),
    "photos_attached_new": ("1 photo attached", "2 photos attached"),
    "rate_limited": ("send 1 idea an hour", "send 2 ideas an hour"),
    "photo_held": ("within 1 minute.", "within 2 minutes."),
    "photo_limit": ("has 1 photo;", "has 2 photos;"),
    "mine_supports": ("support 1 idea of", "support 2 ideas of"),
    "has_photos": ("1 photo", "2 photos"),
    "status_grouped": ("with 1 similar idea", "with 2 similar ideas"),
    "erase_done_deleted": ("1 idea deleted", "2 ideas deleted"),
    "erase_done_anonymised": ("1 idea kept", "2 ideas kept"),
    "consent_withdrawn": ("Your 1 idea stays", "Your 2 ideas stay"),
    "held_photos_item": ("1 photo waiting", "2 photos waiting"),
    "vote_rule_approval": ("up to 1 project", "up to 2 projects"),
    "vote_choose_round": ("1 voting round is open", "2 voting rounds are open"),
    "vote_refused_too_many": ("picked 1 project.", "picked 2 projects."),
    "vote_used_picks": ("of 1 pick used", "of 2 picks used"),
    "vote_receipt_total": ("1 project,", "2 projects,"),
    "vote_err_too_many": ("at most 1 project. Remove some until 1 is left",
                          "at most 2 projects. Remove some until 2 are left"),
    "vote_result_notice": ("(1 voter)", "(2 voters)"),
    "vote_result_invalid": ("1 person voted", "2 people voted"),
    "mine_none_withdrawn": ("you withdrew 1 idea)", "you withdrew 2 ideas)"),
    "council_question_grouped": ("joins 1 similar question ", "joins 2 similar questions "),
    "council_backers": ("1 supporter", "2 supporters"),                # issue 18: council
    "council_support_recorded": ("1 resident backs", "2 residents back"),
    "council_support_already": ("1 resident backs", "2 residents back"),
    "open_more": ("1 more item", "2 more items"),                 # issue 18: what's open
    "open_intro": ("1 thing is open to you", "2 things are open to you"),
    "hear_picked_count": ("1 option picked", "2 options picked"),   # issue 18: hearings
    "hear_my_data_item": (": 1 answer", ": 2 answers"),             # H-G1: "my data"
}


def _po(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.mark.parametrize("language", catalog.LANGUAGES)
def test_compiled_catalog_is_the_compilation_of_the_po_file(language):
    compiled = io.BytesIO()
    write_mo(compiled, _po(language))
    assert catalog.mo_path(language).read_bytes() == compiled.getvalue(), (
        "run: pybabel compile -d bot/translations")


def test_every_key_has_thai_and_english_with_the_same_placeholders():
    with POT.open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}
    thai = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _po("th") if m.id}
    english = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _po("en") if m.id}
    assert set(thai) == set(english) == set(template) == catalog.keys()
    for key, th in thai.items():
        en = english[key]
        assert th.pluralizable == en.pluralizable == template[key].pluralizable, key
        assert not th.fuzzy and not en.fuzzy, key
        assert len(_forms(th)) == 1 and len(_forms(en)) == (2 if en.pluralizable else 1), key
        assert all(_forms(th)) and all(_forms(en)), key
        fields = [_fields(form) for form in _forms(th) + _forms(en)]
        assert all(f == fields[0] for f in fields), key
        assert "language" not in fields[0], key     # would clash with t(key, language)
        if th.pluralizable:
            assert "n" in fields[0] and "count" not in fields[0], key


def test_english_plurals_are_right_for_one_and_two():
    assert set(ENGLISH_PLURALS) == catalog.plural_keys()
    english = {m.id[0]: m for m in _po("en") if m.id and m.pluralizable}
    for key, (one, two) in ENGLISH_PLURALS.items():
        values = {field: "X" for field in _fields(english[key].string[0]) - {"n"}}
        assert one in catalog.tn(key, 1, "en", **values), key
        assert two in catalog.tn(key, 2, "en", **values), key
        thai = [catalog.tn(key, n, "th", **values) for n in (1, 2)]
        assert thai[0].replace("1", "2") == thai[1].replace("1", "2"), key  # one Thai form


def test_counts_and_values_fill_in():
    assert catalog.tn("backers", 1, "en") == "👥 1 supporter"
    assert catalog.tn("backers", 2, "en") == "👥 2 supporters"
    assert catalog.tn("backers", 0, "en") == "👥 0 supporters"
    assert catalog.tn("backers", 1, "th") == "👥 มีผู้สนับสนุน 1 คน"
    assert catalog.tn("backers", 1500, "en", n="1,500") == "👥 1,500 supporters"
    assert catalog.tn("vote_used_picks", 1, "en", used=0) == "0 of 1 pick used"
    assert catalog.t("vote_cost", "fr", cost="5") == catalog.t("vote_cost", "th", cost="5")
    with pytest.raises(KeyError):
        catalog.t("backers", "en")          # a text with a count needs tn
    with pytest.raises(KeyError):
        catalog.tn("welcome", 1, "en")
    with pytest.raises(KeyError):
        catalog.t("no_such_key")


def test_catalogs_load_once():
    assert catalog._translations("en") is catalog._translations("en")
    catalog.t("welcome", "en")
    before = catalog._translations.cache_info().misses
    for _ in range(3):
        catalog.t("welcome", "en")
        catalog.tn("backers", 3, "th")
    assert catalog._translations.cache_info().misses == before


def _literal_keys():
    """(key, function name, file:line) for each literal key passed to t/tn in the code."""
    for folder in ("bot", "workers", "admin", "siang"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "catalog.py" and path.parent.name == "bot":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else (
                    func.attr if isinstance(func, ast.Attribute) else None)
                if name not in ("t", "tn"):
                    continue
                first = node.args[0]
                options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
                for option in options:
                    if isinstance(option, ast.Constant) and isinstance(option.value, str):
                        yield option.value, name, f"{path.relative_to(ROOT)}:{node.lineno}"


def test_every_key_the_code_names_is_in_the_catalog():
    found = list(_literal_keys())
    assert len(found) > 100
    singular = catalog.keys() - catalog.plural_keys()
    wrong = [(key, name, where) for key, name, where in found
             if key not in (singular if name == "t" else catalog.plural_keys())]
    assert wrong == [], "add the key to bot/translations (t: singular, tn: with a count)"


def test_thai_text_is_polite():
    """Thai statements end politely ("ค่ะ"/"คะ"), never with the male "ครับ"."""
    for message in _po("th"):
        if message.id:
            assert all("ครับ" not in form for form in _forms(message)), message.id
