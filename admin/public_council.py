"""The public page of a district city council: ``/council/<district>`` (issue 18).

Anyone may read it, without login (Thai; ``?lang=en`` for English): the
council and its members, its meetings (date, place, whether it is taking
questions), the agenda with the residents' question groups on it, and once
published the minutes and the response to each question group. Drafts are
never shown. ``<district>`` is the Thai name (or the English one); a district
without a council gets a page saying so (404).
"""

from __future__ import annotations

from admin.auth import db
from admin.public_page import page_language, public_blueprint, render_public
from pb import council, council_questions, districts

bp = public_blueprint("public_council", "/council")


@bp.get("/<district>")
def page(district: str):
    """A district's council, meetings, agendas, minutes and responses, for anyone."""
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
    shown = (None if found is None else
             {"council": found, "members": members, "meetings": meetings, "now": now,
              "district": name})
    return render_public("admin/council_public.html", page_language(), shown,
                         district=name or district)
