"""The public results page of a published voting round: ``/results/<id>``.

Anyone may read it, without login (Thai; ``?lang=en`` for English): turnout
against the quorum, votes per project, the winners under the round's rule
and under the other one, the budget used and a bar chart in inline SVG (no
script). A round that is not published is a 404.
"""

from __future__ import annotations

from admin.auth import db
from admin.public_page import page_language, public_blueprint, render_public
from admin.round_page import round_page
from pb import results

bp = public_blueprint("results", "/results")


@bp.get("/<int:round_id>")
def public(round_id: int):
    """A published round's results, for anyone (Thai; ``?lang=en`` for English)."""
    with db() as conn:
        shown = results.public(conn, round_id)
        page = round_page(shown[0], conn) if shown else None
    return render_public("admin/round_public.html", page_language(), page)
