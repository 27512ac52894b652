"""The public page of a district city council: ``/council/<district>`` (issue 18).

Anyone may read it, without login (Thai; ``?lang=en`` for English): the
council and its members, its meetings (date, place, whether it is taking
questions), the agenda with the residents' question groups on it, and once
published the minutes and the response to each question group. Drafts are
never shown. ``<district>`` is the Thai name (or the English one); a district
without a council gets a page saying so (404).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from admin.auth import db
from admin.headers import set_security_headers
from pb import council, council_questions, districts

bp = Blueprint("public_council", __name__, url_prefix="/council")


@bp.after_request
def _public_headers(response):
    return set_security_headers(
        response, cache="public, max-age=60",
        csp="default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


@bp.get("/<district>")
def page(district: str):
    """A district's council, meetings, agendas, minutes and responses, for anyone."""
    lang = request.args.get("lang", "th")
    if lang not in ("th", "en"):
        lang = "th"
    name = districts.match_district(district) if district else None
    found = None
    meetings: list[tuple[council.Meeting, list[council_questions.QuestionGroup]]] = []
    members: list[council.Member] = []
    with db() as conn:
        if name is not None:
            found = council.council_of_district(conn, name)
        if found is not None:
            members = council.members(conn, found.id)
            now = conn.execute("SELECT now()").fetchone()[0]
            for meeting in council.public_meetings(conn, found.id):
                groups = council_questions.groups(conn, meeting.process_id)
                meetings.append((meeting, [g for g in groups if g.on_agenda or g.response]))
    with force_locale(lang):
        if found is None:
            return render_template("admin/council_public.html", missing=True, lang=lang,
                                   district=name or district), 404
        return render_template("admin/council_public.html", missing=False, lang=lang,
                               council=found, members=members, meetings=meetings, now=now,
                               district=name)
