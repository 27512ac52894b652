"""Screening a resident's text before it becomes an idea: invisible characters
and keyboard mashing.

Two pure checks, used at intake (the bot) and when staff read a text (the admin):

* :func:`strip_invisible` removes Unicode control and format characters
  (categories Cc and Cf): bidi overrides such as U+202E, which can make a
  text read backwards on a staff screen ("Trojan Source", CVE-2021-42574),
  zero-width spaces, soft hyphens, BOMs. Newlines and tabs are kept (the
  caller collapses whitespace), and so are the characters emoji need: the
  zero-width joiner U+200D (family and profession emoji) and the tag
  characters U+E0020–U+E007F (subdivision flags).
* :func:`is_unclear` tells keyboard mashing ("asdkjh qwlekj zxmcnb",
  "กดหฟกดหฟกดหฟกด") from text with words in it. Thai words come from
  pythainlp's dictionary (``thai_words()``, the one ``newmm`` cuts with);
  English has no word list here, so a Latin run counts as a word when it is
  an acronym or has the vowel share of a pronounceable word. Measured on the
  62,400 Traffy Fondue reports of ``shared/data/traffy/dev.csv.gz``, see
  :data:`MIN_WORD_SHARE`.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["strip_invisible", "is_unclear", "word_share", "thai_dictionary", "MIN_WORD_SHARE"]

_KEEP = frozenset("\n\t\r\u200d")
_EMOJI_TAGS = range(0xE0020, 0xE0080)

#: A text is unclear when fewer than this share of its letters sit in words.
#: Chosen on the Traffy reports: at 0.5, 0.05 % of real reports would be asked
#: to rephrase (three two-word typos such as 'น้ำม่วม'); the mashing samples
#: in ``tests/test_screening.py`` score under 0.3.
MIN_WORD_SHARE = 0.5
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_VOWELS = frozenset("aeiouyAEIOUY")
_THAI = re.compile(r"[\u0e01-\u0e4e]")
# "รถติดดดดด", "ถนนนนน": a letter held down to stress a word, counted at most twice.
_HELD_KEY = re.compile(r"(.)\1{2,}")


def strip_invisible(text: str) -> str:
    """``text`` without control and format characters (Cc, Cf) except newline,
    tab, carriage return, the emoji zero-width joiner and emoji tag characters.

    Args:
        text: any text.

    Returns:
        The text with those characters removed (no other change).
    """
    return "".join(ch for ch in text
                   if ch in _KEEP or ord(ch) in _EMOJI_TAGS
                   or unicodedata.category(ch) not in ("Cc", "Cf"))


def thai_dictionary() -> frozenset[str]:
    """pythainlp's Thai word list (the one ``newmm`` cuts with), loaded and cached by pythainlp."""
    from pythainlp.corpus.common import thai_words

    return thai_words()


def _latin_is_word(run: str) -> bool:
    if len(run) <= 3 or (run.isupper() and len(run) <= 6):
        return True              # "ok", "BTS", "CCTV", "BMA": too short to judge, or an acronym
    vowels = sum(ch in _VOWELS for ch in run)
    return vowels / len(run) >= 0.25


def _repeats_a_short_pattern(letters: str) -> bool:
    """``letters`` is one pattern of 1–4 characters, not itself a word, typed at
    least three times over ("กดหฟกดหฟกดหฟ", "5555555"; not "ขยะขยะขยะ")."""
    if len(letters) < 6:
        return False
    for period in range(1, 5):
        if len(letters) >= 3 * period and all(
                letters[i] == letters[i % period] for i in range(len(letters))):
            unit = letters[:period]
            return not (unit in thai_dictionary() or (unit.isascii() and unit.isalpha()
                                                       and period >= 3 and _latin_is_word(unit)))
    return False


def word_share(text: str) -> float:
    """The share of ``text``'s letters that sit in Thai dictionary words or
    pronounceable Latin runs, in [0, 1] (1.0 for a text with no letters).
    """
    from pythainlp.tokenize import word_tokenize

    text = _HELD_KEY.sub(r"\1\1", text)
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return 1.0
    in_words = 0
    for run in _LATIN_RUN.findall(text):
        if _latin_is_word(run):
            in_words += len(run)
    thai = "".join(ch if _THAI.match(ch) else " " for ch in text)
    dictionary = thai_dictionary()
    for token in word_tokenize(thai, engine="newmm", keep_whitespace=False):
        if len(token) >= 2 and token in dictionary:
            in_words += sum(ch.isalpha() for ch in token)
    return min(1.0, in_words / letters)


def is_unclear(text: str) -> bool:
    """True when ``text`` has letters but no words a person could read:
    keyboard mashing, or one short key pattern typed over and over.

    Digits, emoji and punctuation alone are not judged here (other checks
    answer those). A text with any readable word in most of its letters is clear.

    Args:
        text: a normalised text (:func:`nlp.thai.normalise`).

    Returns:
        Whether to ask the resident to rephrase (and keep it for staff as "unclear").
    """
    squeezed = "".join(text.split())
    if _repeats_a_short_pattern(squeezed.lower()):
        return True
    if not any(ch.isalpha() for ch in squeezed):
        return False
    return word_share(text) < MIN_WORD_SHARE
