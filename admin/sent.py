"""What residents were told automatically (issue 16): the "messages sent" view.

Staff announcements have their own page; this one lists what Siang sent on
its own, per resident group: the authors told their idea became a project,
a district told a round opened, a round's voters told its result, the
authors of projects not selected told the outcome; and for issue 18's processes,
a hearing's invitations and published summary, a council meeting's responses to
the residents who asked, a community plan's adoption. For each: when, to how
many residents, how many LINE accepted (delivered), and how many wait
(quiet hours, retries) or failed. Rows come from :mod:`pb.sent_messages`.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from admin.auth import current_scope, db, login_required
from pb import sent_messages

bp = Blueprint("sent", __name__)

TOPICS = {
    "project_promoted": _l("Idea became part of a project"),
    "round_open": _l("Voting round opened"),
    "round_result": _l("Voting results"),
    "project_outcome": _l("Project not selected"),
    "hearing_invite": _l("Invitation to a public hearing"),
    "hearing_summary": _l("Public hearing summary published"),
    "council_response": _l("City council response to questions"),
    "community_plan_adopted": _l("Community plan adopted"),
}
GROUPS = {
    "project_promoted": _l("Residents whose ideas the project carries"),
    "round_open": _l("Residents of the round's area (not opted out)"),
    "round_result": _l("Residents who voted in LINE"),
    "project_outcome": _l("Authors of ideas behind projects not selected (not opted out)"),
    "hearing_invite": _l("Residents of the hearing's area (not opted out)"),
    "hearing_summary": _l("Residents who answered the hearing"),
    "council_response": _l("Residents who asked or supported the question"),
    "community_plan_adopted": _l("Residents of the community (not opted out)"),
}


@bp.get("")
@login_required
def index():
    """Automatic messages grouped by topic and round or project, newest first."""
    topic = request.args.get("topic") or None
    if topic is not None and topic not in sent_messages.TOPICS:
        abort(400)
    with db() as conn:
        rows = sent_messages.summary(conn, current_scope(), topic=topic)
    return render_template("admin/sent.html", rows=rows, topic=topic, topics=TOPICS,
                           groups=GROUPS)
