"""The public results page of a published voting round: ``/results/<id>``.

Anyone may read it, without login (Thai; ``?lang=en`` for English): turnout
against the quorum, votes per project, the winners under the round's rule
and under the other one, the budget used and a bar chart in inline SVG (no
script). A round that is not published is a 404.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from admin.auth import db
from admin.headers import set_security_headers
from admin.round_page import round_page
from pb import results

bp = Blueprint("results", __name__, url_prefix="/results")


@bp.after_request
def _public_headers(response):
    return set_security_headers(
        response, cache="public, max-age=60",
        csp="default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


@bp.get("/<int:round_id>")
def public(round_id: int):
    """A published round's results, for anyone (Thai; ``?lang=en`` for English)."""
    lang = request.args.get("lang", "th")
    if lang not in ("th", "en"):
        lang = "th"
    with db() as conn:
        shown = results.public(conn, round_id)
        page = round_page(shown[0], conn) if shown else None
    with force_locale(lang):
        if page is None:
            return render_template("admin/round_public.html", missing=True, lang=lang), 404
        return render_template("admin/round_public.html", missing=False, lang=lang, **page)
