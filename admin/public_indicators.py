"""The public indicator page ``/indicators`` (issue 18): anyone, without login.

The same panel as ``/admin/indicators`` (:mod:`admin.indicators`) for every
district, in Thai (``?lang=en`` for English), for a fiscal year (``?fy=``,
BE). Only counts of district offices are shown: no resident's data.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from admin.auth import db
from admin.headers import set_security_headers
from admin.indicators import page_data
from pb import districts

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


@bp.after_request
def _public_headers(response):
    return set_security_headers(
        response, cache="public, max-age=300",
        csp="default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@bp.get("")
def public():
    """The indicators of a fiscal year for all 50 districts (Thai; ``?lang=en``)."""
    lang = request.args.get("lang", "th")
    if lang not in ("th", "en"):
        lang = "th"
    status, bad_year = 200, False
    with force_locale(lang):
        with db() as conn:
            try:
                data = page_data(conn, list(districts.THAI_NAMES), request.args.get("fy", ""))
            except ValueError:      # a clear message and the newest year, never a 500
                status, bad_year = 400, True
                data = page_data(conn, list(districts.THAI_NAMES))
        return render_template("admin/indicators_public.html", lang=lang, bad_year=bad_year,
                               **data), status
