"""The public indicator page ``/indicators`` (issue 18): anyone, without login.

The same panel as ``/admin/indicators`` (:mod:`admin.indicators`) for every
district, in Thai (``?lang=en`` for English), for a fiscal year (``?fy=``,
BE). Only counts of district offices are shown: no resident's data.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import force_locale

from admin.auth import db
from admin.indicators import page_data
from admin.public_page import page_language, public_blueprint
from pb import districts

bp = public_blueprint("indicators", "/indicators", max_age_s=300, forms=True)


@bp.get("")
def public():
    """The indicators of a fiscal year for all 50 districts (Thai; ``?lang=en``)."""
    lang = page_language()
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
