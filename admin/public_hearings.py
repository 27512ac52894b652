"""The public summary of a published district hearing: ``/hearings/<id>`` (issue 18).

Anyone may read it, without login (Thai; ``?lang=en`` for English): the summary staff
wrote, counts and charts (inline SVG, no script) for choices and ratings, and the open
answers' groups with keywords and representative answers. No resident is named. A
hearing that is not published is a 404.
"""

from __future__ import annotations

from admin.auth import db
from admin.hearing_forms import figures
from admin.public_page import page_language, public_blueprint, render_public
from pb import hearings

bp = public_blueprint("public_hearings", "/hearings")


@bp.get("/<int:hearing_id>")
def public(hearing_id: int):
    """A published hearing's summary, for anyone."""
    with db() as conn:
        found = hearings.load(conn, hearing_id)
        page = figures(conn, found) if found is not None and found.stage == "published" else None
    return render_public("admin/hearing_public.html", page_language(), page)
