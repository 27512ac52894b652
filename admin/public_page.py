"""What the public read-only pages share (``/results``, ``/hearings``, ``/council``,
``/indicators``): their blueprint with the security headers, the page language, and
the page-or-404 rendering.

Anyone may read them, without login: Thai by default, English with ``?lang=en``.
No script runs on them (charts are inline SVG), so the Content-Security-Policy
allows only our stylesheet and inline images.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from admin.headers import set_security_headers

LANGUAGES = ("th", "en")


def public_blueprint(name: str, url_prefix: str, *, max_age_s: int = 60,
                     forms: bool = False) -> Blueprint:
    """A blueprint whose pages carry the public pages' headers.

    Args:
        max_age_s: how long browsers and proxies may cache a page (seconds).
        forms: the page has a GET form of its own (``form-action 'self'``); else none.
    """
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    csp = ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
           f"form-action {'self' if forms else 'none'!r}; frame-ancestors 'none'; "
           "base-uri 'none'")
    cache = f"public, max-age={max_age_s}"

    @bp.after_request
    def _public_headers(response):
        return set_security_headers(response, cache=cache, csp=csp)

    return bp


def page_language() -> str:
    """The page's language from ``?lang=``: "th" (the default, and for anything else) or "en"."""
    lang = request.args.get("lang", "th")
    return lang if lang in LANGUAGES else "th"


def render_public(template: str, lang: str, page: dict | None, **missing):
    """``template`` in ``lang`` with the values of ``page``, or, when ``page`` is None,
    its "not found" variant (``missing=True`` and the ``missing`` values) with a 404."""
    with force_locale(lang):
        if page is None:
            return render_template(template, missing=True, lang=lang, **missing), 404
        return render_template(template, missing=False, lang=lang, **page)
