"""The public summary of a published district hearing: ``/hearings/<id>`` (issue 18).

Anyone may read it, without login (Thai; ``?lang=en`` for English): the summary staff
wrote, counts and charts (inline SVG, no script) for choices and ratings, and the open
answers' groups with keywords and representative answers. No resident is named. A
hearing that is not published is a 404.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from admin.auth import db
from admin.hearing_forms import figures
from admin.headers import set_security_headers
from pb import hearings

bp = Blueprint("public_hearings", __name__, url_prefix="/hearings")


@bp.after_request
def _public_headers(response):
    return set_security_headers(
        response, cache="public, max-age=60",
        csp="default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


@bp.get("/<int:hearing_id>")
def public(hearing_id: int):
    """A published hearing's summary, for anyone."""
    lang = request.args.get("lang", "th")
    lang = lang if lang in ("th", "en") else "th"
    with db() as conn:
        found = hearings.load(conn, hearing_id)
        page = figures(conn, found) if found is not None and found.stage == "published" else None
    with force_locale(lang):
        if page is None:
            return render_template("admin/hearing_public.html", missing=True, lang=lang), 404
        return render_template("admin/hearing_public.html", missing=False, lang=lang, **page)
