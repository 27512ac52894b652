"""The audit log, for admins: who did what, when, with the state before and after."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from admin.auth import db, role_required
from pb import audit
from pb import staff as staff_rows

bp = Blueprint("audit", __name__)
PAGE_SIZE = 100


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400)
    return int(raw)


@bp.get("")
@role_required("admin")
def index():
    """Newest first; filter by staff member, action (prefix) and target; page by id."""
    action = request.args.get("action") or None
    target_type = request.args.get("target_type") or None
    if target_type is not None and target_type not in ("cluster", "idea", "project", "staff"):
        abort(400)
    with db() as conn:
        entries = audit.entries(conn, staff_id=_int_arg("staff"), action=action,
                                target_type=target_type, target_id=_int_arg("target_id"),
                                before_id=_int_arg("before"), limit=PAGE_SIZE)
        actions = audit.actions(conn)
        staff = staff_rows.list_all(conn)
    return render_template("admin/audit.html", entries=entries, actions=actions, staff=staff,
                           filters=request.args, page_size=PAGE_SIZE,
                           query={k: v for k, v in request.args.items() if k != "before" and v})
