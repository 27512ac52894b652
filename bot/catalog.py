"""Every text a resident reads, in Thai (default) and English, from gettext catalogs.

Handlers never hold resident-facing strings; they ask :func:`t` (or :func:`tn` for a
text with a count) for a key. Thai text is short and polite and uses "ค่ะ" throughout.

The texts live in ``bot/translations/<language>/LC_MESSAGES/messages.po`` and are
read from the compiled ``messages.mo`` beside them (kept in git, like the admin's;
``tests/test_bot_i18n.py`` fails when a ``.mo`` is not the compilation of its ``.po``).
Each catalog is loaded once per process and cached.

Msgids are symbolic: the key handlers pass (``"backers"``), not English text as in the
admin. Handlers choose many keys at run time (``f"vote_err_{code}"``,
``f"project_{state}"``), and symbolic ids let every call site keep
``t(key, language, **values)`` / ``ctx.t(key, **values)``. So English needs its own
``.po`` like Thai, and ``messages.pot`` (the list of keys) is the template, edited by
hand rather than extracted (extraction cannot see keys built at run time);
``tests/test_bot_i18n.py`` checks that every literal key in the code is in it.

A text that includes a count is a plural entry (``msgid_plural`` equal to the key); its
``{n}`` placeholder is the count, and :func:`tn` picks the form with Babel's
``ngettext``: English has two forms ("1 supporter", "2 supporters"), Thai one
(``nplurals=1``). Texts are ``str.format`` templates: ``{name}`` placeholders.

Toolchain (from the repository root; the same ``pybabel`` commands as the admin's,
see ``admin/babel.cfg`` and README "Translations")::

    # a new text: add its key to bot/translations/messages.pot
    #   (msgid "key", plus msgid_plural "key" when it has a count), then
    pybabel update -i bot/translations/messages.pot -d bot/translations
    # write the Thai and English texts in both .po files (clear any "fuzzy" flag), then
    pybabel compile -d bot/translations
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.support import Translations

LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def mo_path(language: str) -> Path:
    """The compiled catalog of ``language`` (one of :data:`LANGUAGES`)."""
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@functools.cache
def _translations(language: str) -> Translations:
    """The catalog of ``language``, falling back to Thai for a key it lacks.

    Raises:
        FileNotFoundError: the ``.mo`` is missing (run ``pybabel compile -d bot/translations``).
    """
    with mo_path(language).open("rb") as f:
        translations = Translations(f, domain=DOMAIN)
    if language != DEFAULT_LANGUAGE:
        translations.add_fallback(_translations(DEFAULT_LANGUAGE))
    return translations


@functools.cache
def _keys() -> tuple[frozenset[str], frozenset[str]]:
    """(singular keys, plural keys) of the Thai catalog, which has every key."""
    with mo_path(DEFAULT_LANGUAGE).open("rb") as f:
        catalog = read_mo(f)
    singular = {m.id for m in catalog if m.id and isinstance(m.id, str)}
    plural = {m.id[0] for m in catalog if m.id and not isinstance(m.id, str)}
    return frozenset(singular), frozenset(plural)


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def keys() -> frozenset[str]:
    """Every key of the catalog, singular and plural."""
    singular, plural = _keys()
    return singular | plural


def plural_keys() -> frozenset[str]:
    """The keys of texts with a count (use :func:`tn` for them)."""
    return _keys()[1]


def has(key: str) -> bool:
    """Whether ``key`` is a text of the catalog (for keys built at run time)."""
    return key in keys()


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The text for ``key`` in ``language`` (Thai when unknown), with values filled in.

    Raises:
        KeyError: ``key`` is not a singular text of the catalog (a bug: tests check every
            key used; a text with a count needs :func:`tn`).
    """
    singular, _plural = _keys()
    if key not in singular:
        raise KeyError(key)
    text = _translations(_language(language)).gettext(key)
    return text.format(**values) if values else text


def tn(key: str, count: int, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The form of ``key``'s text for ``count`` in ``language``, with values filled in.

    ``count`` picks the plural form (English: singular for 1, plural otherwise; Thai has
    one form) and fills ``{n}`` unless ``values`` gives ``n`` (e.g. ``n=f"{count:,}"``).

    Raises:
        KeyError: ``key`` is not a plural text of the catalog.
    """
    _singular, plural = _keys()
    if key not in plural:
        raise KeyError(key)
    text = _translations(_language(language)).ngettext(key, key, count)
    values.setdefault("n", count)
    return text.format(**values)
