"""Communities in the admin (issue 18): the registry per district and each community's page.

District staff import their district's community registry from CSV (all rows
or none, each refused row listed with its line and why); admins make the
account of a community's committee (the ``community`` role, which reaches
that one community and nothing else) on the community's page. A community's
page shows its residents' ideas with their clusters and its development plans
(:mod:`admin.community_plans`).
"""

from __future__ import annotations

import psycopg
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.auth import current_scope, db, login_required, role_required, write_required
from admin.community_plans import MODES, STATES
from admin.messages import error_text
from pb import communities, community_plans, districts
from pb import staff as staff_rows

bp = Blueprint("communities", __name__)

KINDS = {
    "crowded": _l("Crowded community (ชุมชนแออัด)"),
    "suburban": _l("Suburban community (ชุมชนชานเมือง)"),
    "housing_estate": _l("Housing estate (ชุมชนหมู่บ้านจัดสรร)"),
    "urban": _l("Urban community (ชุมชนเมือง)"),
    "high_rise": _l("High-rise community (ชุมชนอาคารสูง)"),
    "housing_authority": _l("Housing authority community (เคหะชุมชน)"),
}
PROBLEMS = {
    "missing_name": _l("No community name"),
    "name_too_long": _l("The name is longer than 200 characters"),
    "unknown_district": _l("Not a Bangkok district"),
    "outside_scope": _l("A district you do not work in"),
    "unknown_kind": _l("Unknown community type"),
    "repeated": _l("The same community twice in the file"),
}
MAX_UPLOAD_BYTES = communities.MAX_IMPORT_BYTES


def _district_arg() -> str | None:
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    return district


def _index_page(report: communities.ImportReport | None = None, status: int = 200):
    scope = current_scope()
    district = _district_arg()
    with db() as conn:
        rows = communities.list_communities(conn, scope, district)
    return render_template(
        "admin/communities.html", rows=rows, report=report, kinds=KINDS, problems=PROBLEMS,
        district=district, districts_shown=scope.visible_districts(districts.THAI_NAMES)), status


@bp.get("")
@login_required
def index():
    """The communities the staff member reaches (a community role: its own)."""
    return _index_page()


@bp.post("/import")
@write_required
def import_csv():
    """Import a registry CSV (name, district, type, committee contact[, code]); all or nothing."""
    upload = request.files.get("file")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload is not None and upload.filename else b""
    if not data:
        flash(_("Choose a CSV file first."), "error")
        return _index_page(status=400)
    if len(data) > MAX_UPLOAD_BYTES:
        abort(413)
    with db() as conn, conn.transaction():      # a report with problems wrote nothing
        report = communities.import_csv(conn, current_scope(), data)
    if not report.ok:
        return _index_page(report, 400)
    flash(_("Registry imported: %(created)s new, %(updated)s updated.",
            created=report.created, updated=report.updated), "success")
    return redirect(url_for("admin.communities.index"), code=303)


@bp.get("/<int:community_id>")
@login_required
def show(community_id: int):
    """A community: its residents' ideas (with clusters), its plans, its committee account."""
    scope = current_scope()
    with db() as conn:
        community = communities.get(conn, scope, community_id)
        ideas = communities.recent_ideas(conn, community_id)
        plans = community_plans.of_community(conn, community_id)
    return render_template("admin/community.html", community=community, ideas=ideas,
                           plans=plans, kinds=KINDS, fiscal_year=community_plans.this_fiscal_year(),
                           may_compile=scope.can_write or scope.role == "community",
                           states=STATES, modes=MODES)


@bp.post("/<int:community_id>/account")
@role_required("admin")
def account(community_id: int):
    """Make the committee's account (role ``community``, a temporary password to change)."""
    scope = current_scope()
    username = request.form.get("username", "")
    display_name = request.form.get("display_name", "")
    password = request.form.get("password", "")
    try:
        with db() as conn, conn.transaction():
            communities.get(conn, scope, community_id)
            staff_rows.create(conn, username=username, display_name=display_name,
                              password=password, role="community", actor=scope,
                              must_change=True, community_id=community_id)
    except staff_rows.StaffError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.communities.show", community_id=community_id), code=303)
    except psycopg.errors.ForeignKeyViolation:
        abort(404)
    flash(_("Account %(name)s made: it reaches this community only. Give its temporary "
            "password to the committee; it must be changed at the first sign-in.",
            name=username.strip().lower()), "success")
    return redirect(url_for("admin.communities.show", community_id=community_id), code=303)
