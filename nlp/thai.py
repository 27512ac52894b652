"""Thai text helpers: normalisation, word tokenisation, content words.

Thai is written without spaces between words, so words come from pythainlp's
dictionary-based maximal-matching tokeniser ``newmm`` (offline, no model).
Embeddings take the normalised raw text; only keywords and labels need words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise", "tokenize", "content_words", "is_content_word", "EXTRA_STOPWORDS"]

# Zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen: invisible
# characters that LINE keyboards and copy-paste leave inside Thai text.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
# Two SARA E typed in a row is the common way of writing SARA AE on Thai
# keyboards without it ("เเ" for "แ"); the dictionary only knows "แ".
_DOUBLE_SARA_E = re.compile("\u0e40\u0e40")
_PUNCT_OR_SYMBOL = re.compile(r"^[\W_]+$", re.UNICODE)
_HAS_DIGIT = re.compile(r"[0-9\u0e50-\u0e59]")
# Redaction tokens of the Traffy data set and similar placeholders.
_PLACEHOLDER = re.compile(r"^\[?(URL|PHONE|EMAIL|ID|LINEID)\]?$")


def normalise(text: str) -> str:
    """Normalise a Thai (or mixed) text for storage, embedding and tokenising.

    Removes zero-width characters, collapses every run of whitespace
    (newlines included) into one space, strips the ends, rewrites the
    keyboard spelling "เเ" as "แ", and applies Unicode NFC. Thai letters, tone
    marks and other scripts are kept as they are.

    Args:
        text: any text; ``None`` is not accepted.

    Returns:
        The normalised text (possibly empty).

    Raises:
        TypeError: if ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise() expects str, got {type(text).__name__}")
    text = _ZERO_WIDTH.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _DOUBLE_SARA_E.sub("\u0e41", text)
    return _WHITESPACE.sub(" ", text).strip()


def tokenize(text: str) -> list[str]:
    """Split a text into words with pythainlp ``word_tokenize`` (engine "newmm").

    The text is normalised first (:func:`normalise`); whitespace tokens are
    dropped (``keep_whitespace=False``).

    Args:
        text: Thai or mixed text.

    Returns:
        The tokens in text order; empty for an empty text.
    """
    from pythainlp.tokenize import word_tokenize  # heavy import, done lazily

    text = normalise(text)
    if not text:
        return []
    return [t for t in word_tokenize(text, engine="newmm", keep_whitespace=False) if t.strip()]


#: Words that open or pad almost any citizen report ("please report", "area",
#: "problem", "district", "officials", ...) and so say nothing about a
#: cluster. Picked from the most frequent content words of the Traffy Fondue
#: sample (``../shared/data/traffy/ideas_sample.csv``) that are not topics.
EXTRA_STOPWORDS = frozenset(
    {
        "แจ้ง", "บริเวณ", "เขต", "แขวง", "เรื่อง", "ทำ", "เวลา", "ปัญหา", "พื้นที่", "ปี",
        "เข้ามา", "จุด", "ตอนนี้", "ประชาชน", "เจ้าหน้าที่", "ขอ", "ช่วย", "ครับ", "ค่ะ",
        "คะ", "นะคะ", "นะครับ", "ดำเนินการ", "แก้ไข", "กรุณา", "ด่วน", "ตรวจสอบ",
        "กรุงเทพ", "กรุงเทพมหานคร", "กทม",
    }
)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords()) | EXTRA_STOPWORDS


def is_content_word(token: str) -> bool:
    """Tell whether a token can serve as a keyword.

    A content word has at least two characters, is not a pythainlp Thai stop
    word nor one of :data:`EXTRA_STOPWORDS`, contains no digit (Arabic or Thai) and is not only punctuation or
    symbols. Latin words are lower-cased by :func:`content_words`, not here.

    Args:
        token: one token from :func:`tokenize`.

    Returns:
        True when the token is a content word.
    """
    if len(token) < 2:
        return False
    if token in _stopwords():
        return False
    if _HAS_DIGIT.search(token):
        return False
    if _PUNCT_OR_SYMBOL.match(token):
        return False
    if _PLACEHOLDER.match(token):
        return False
    # A token made only of Thai combining marks (vowel signs, tone marks) is a
    # tokeniser fragment, not a word.
    if all(unicodedata.category(ch) == "Mn" for ch in token):
        return False
    return True


def content_words(text: str) -> list[str]:
    """Tokenise and keep only words that can carry meaning as keywords.

    Drops pythainlp Thai stop words and :data:`EXTRA_STOPWORDS`, punctuation and symbols, tokens containing
    digits, 1-character tokens and redaction placeholders such as ``[PHONE]``;
    Latin words are lower-cased.

    Args:
        text: Thai or mixed text.

    Returns:
        Content words in text order (repeats kept, so counts are term
        frequencies).
    """
    return [t.lower() for t in tokenize(text) if is_content_word(t)]
