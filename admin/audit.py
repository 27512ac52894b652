"""The audit log: who did what, when, and what changed, in the staff member's language.

Admins read every entry; district officers and viewers read the entries about
their districts and their own actions (``pb.audit.entries`` with their scope).
Each entry shows its action as words ("opened a voting round", not
``round.open``) and its before/after state as a table of the fields that
changed, Thai shown as Thai.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin import messages
from admin.auth import current_scope, db, login_required
from pb import audit, districts
from pb.thaidate import be_date, be_datetime

bp = Blueprint("audit", __name__)
PAGE_SIZE = 100
LIST_SHOWN = 12          # ids listed in a diff cell before "and N more"

ACTIONS = {
    **messages.ACTIONS,
    "staff.password_reset": _l("reset a password (to be changed at next sign-in)"),
    "staff.access": _l("changed a staff member's role or districts"),
    "staff.deactivate": _l("deactivated a staff account"),
    "staff.activate": _l("reactivated a staff account"),
    "round.create": _l("drafted a voting round"),
    "round.update": _l("edited a voting round"),
    "round.open": _l("opened a voting round"),
    "round.close": _l("closed a voting round"),
    "round.open_requested": _l("asked for a voting round to be opened"),
    "round.close_requested": _l("asked for a voting round to be closed"),
    "round.tally": _l("counted a voting round"),
    "round.tally_requested": _l("asked for a voting round to be counted"),
    "round.publish": _l("published a round's results"),
    "round.paper_import": _l("imported paper ballots"),
    "round.import_pb": _l("imported a pabulib file"),
    "cluster.unmerge": _l("undid a cluster merge"),
    "project.dates": _l("corrected a project's dates"),
    "idea.duplicate": _l("marked an idea as a repeat of another"),
    "similar.rule": _l("changed the similar-idea rule of a process"),
    "export.ideas": _l("downloaded ideas as CSV"),
    "export.clusters": _l("downloaded clusters as CSV"),
    "export.projects": _l("downloaded projects as CSV"),
    "export.results": _l("downloaded round results as CSV"),
    "export.community_action_plan": _l("downloaded an action plan's community projects as CSV"),
    "export.hearing_answers": _l("downloaded a district hearing's answers as CSV"),
    "community.import": _l("imported the community registry"),
    "community_plan.start": _l("started a community development plan"),
    "community_plan.project": _l("added a project to a community plan"),
    "community_plan.project_removed": _l("removed a project from a community plan"),
    "community_plan.submit": _l("sent a community plan to the district"),
    "community_plan.return": _l("returned a community plan to its committee"),
    "community_plan.adopt": _l("adopted a community plan"),
    "community_plan.action_plan": _l("changed the community projects of an action plan"),
    "council.create": _l("set up a district city council"),
    "council.member_add": _l("added a council member"),
    "council.member_remove": _l("removed a council member"),
    "council.meeting_create": _l("scheduled a council meeting"),
    "council.window_open": _l("opened a council meeting's question window"),
    "council.window_close": _l("closed a council meeting's question window early"),
    "council.agenda": _l("saved a council meeting's agenda"),
    "council.publish": _l("published a council meeting's minutes and responses"),
    "hearing.create": _l("drafted a district hearing"),
    "hearing.edit": _l("changed a draft district hearing"),
    "hearing.open": _l("opened a district hearing and invited its residents"),
    "hearing.close": _l("closed a district hearing"),
    "hearing.publish": _l("published a district hearing's summary"),
}

DOMAINS = {
    "staff": _l("staff account"), "cluster": _l("cluster"), "idea": _l("idea"),
    "project": _l("project"), "progress": _l("progress report"),
    "announcement": _l("announcement"), "round": _l("voting round"), "export": _l("export"),
    "similar": _l("similar-idea rule"), "process": _l("process"),
    "community": _l("community"), "community_plan": _l("community plan"),
    "council": _l("district city council"),
    "hearing": _l("district hearing"),
}

FIELDS = {
    **messages.PROJECT_FIELDS,
    "state": _l("State"), "status": _l("Status"), "label": _l("Name"),
    "locked": _l("Locked"), "reason": _l("Reason"), "ideas": _l("Ideas"),
    "clusters": _l("Clusters"), "cluster": _l("Cluster"), "target": _l("Into"),
    "source": _l("From"), "size": _l("Size"), "id": "#", "role": _l("Role"),
    "districts": _l("Districts"), "username": _l("Username"), "display_name": _l("Name"),
    "active": _l("Active"), "rule": _l("Tally rule"), "winners": _l("Winners"),
    "ballots": _l("Ballots"), "quorum_met": _l("Quorum met"), "opens_at": _l("Opens"),
    "closes_at": _l("Closes"), "round": _l("Voting round"), "number": _l("Report no."),
    "report_date": _l("Report date"), "percent": _l("Progress (%)"),
    "disbursed_baht": _l("Disbursed (baht)"), "recipients": _l("Recipients"),
    "batches": _l("Batches"), "rows": _l("Rows"), "budget_baht": _l("Budget envelope (baht)"),
    "urgent": _l("Urgent"), "method": _l("Sent by"), "not_before": _l("Not before"),
    "audience": _l("Audience"), "duplicate_of": _l("Repeat of idea"),
    "moved": _l("Supports moved"), "text_th": _l("Thai text"), "text_en": _l("English text"),
}

VALUES = {
    **messages.PROJECT_STATES, **messages.IDEA_STATUSES, **messages.ROLES,
    "open": _l("Open"), "closed": _l("Closed"), "tallied": _l("Counted"),
    "published": _l("Published"), "queued": _l("Queued"), "cancelled": _l("Cancelled"),
    "greedy": _l("Greedy by votes"), "mes": _l("Method of Equal Shares"),
}

TARGET_TYPES = ("cluster", "idea", "project", "round", "announcement", "staff")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def action_label(action: str) -> str:
    """Words for an action code; an unknown code becomes "<area>: <code>"."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    domain, _sep, rest = action.partition(".")
    return f"{DOMAINS.get(domain, domain)}: {rest.replace('_', ' ')}" if rest else action


def show_value(value: Any, key: str = "") -> str:
    """One before/after value as text: words for states and roles, BE dates, lists
    joined (long id lists shortened), yes/no for booleans, "—" for none."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        if value in VALUES:
            return str(VALUES[value])
        if _ISO_TIME.match(value):
            try:
                return be_datetime(dt.datetime.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_DATE.match(value):
            try:
                return be_date(dt.date.fromisoformat(value))
            except ValueError:
                return value
        return value
    if isinstance(value, int) and not isinstance(value, bool) and key.endswith("baht"):
        return f"{value:,}"
    if isinstance(value, list):
        shown = [show_value(v) for v in value[:LIST_SHOWN]]
        if key in ("ideas", "clusters", "winners"):
            shown = [f"#{v}" for v in shown]
        more = len(value) - LIST_SHOWN
        text = ", ".join(shown)
        return text + (" " + _("and %(n)s more", n=more) if more > 0 else "")
    if isinstance(value, dict):
        return "; ".join(f"{FIELDS.get(k, k)}: {show_value(v, k)}" for k, v in value.items())
    return str(value)


@dataclass
class Change:
    """One row of an entry's diff."""

    field: str
    before: str
    after: str
    changed: bool


def diff(before: Any, after: Any) -> list[Change]:
    """The fields of an entry's before and after states, in order, with words and
    BE dates; ``changed`` marks a field whose value differs."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        before = {"": before} if before is not None and not isinstance(before, dict) else before
        after = {"": after} if after is not None and not isinstance(after, dict) else after
    before, after = before or {}, after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [Change(str(FIELDS.get(k, k.replace("_", " "))),
                   show_value(before[k], k) if k in before else "",
                   show_value(after[k], k) if k in after else "",
                   before.get(k) != after.get(k))
            for k in keys]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.get("")
@login_required
def index():
    """Newest first, within the reader's scope; filter by staff member, action (prefix),
    target, district and dates (Bangkok); page by id."""
    scope = current_scope()
    action = request.args.get("action") or None
    target_type = request.args.get("target_type") or None
    if target_type is not None and target_type not in TARGET_TYPES:
        abort(400)
    district = request.args.get("district") or None
    if district is not None and not (districts.is_district(district) and scope.allows(district)):
        abort(400)
    with db() as conn:
        entries = audit.entries(conn, staff_id=_int_arg("staff"), action=action,
                                target_type=target_type, target_id=_int_arg("target_id"),
                                before_id=_int_arg("before"), limit=PAGE_SIZE, scope=scope,
                                district=district, since=_date_arg("since"),
                                until=_date_arg("until"))
        actions = audit.actions(conn, scope)
        actors = audit.actors(conn, scope)
    shown = [(e, action_label(e.action), diff(e.before, e.after)) for e in entries]
    action_choices = sorted(((a, action_label(a)) for a in actions), key=lambda p: p[1])
    return render_template(
        "admin/audit.html", entries=shown, actions=action_choices, actors=actors,
        filters=request.args, page_size=PAGE_SIZE, domains=DOMAINS, target_types=TARGET_TYPES,
        district_choices=scope.visible_districts(districts.THAI_NAMES),
        query={k: v for k, v in request.args.items() if k != "before" and v})
