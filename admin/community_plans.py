"""Community development plans in the admin (issue 18).

* ``/admin/community-plans``: the district tracks each community's plan for a
  fiscal year (none, drafting, submitted, returned, adopted) and the share of
  communities with a current (adopted) plan;
* a plan's page: the committee (or a district officer) adds projects with a
  priority, a cost in baht and a year (BE), each traced to the community's
  ideas and clusters, and submits it; district staff return it with a note or
  adopt it, ticking the projects that enter the district's annual action plan;
  the community's residents are then told in chat;
* the district's action plan of community projects: printable and CSV.

Scope, audit and CSRF as the PB pages: every read and write goes through
:mod:`pb.community_plans` and :mod:`pb.community_plan_review` with the
staff member's scope (a community role reaches its one community only).
"""

from __future__ import annotations

import csv
import functools
import io

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.exports import BOM, cell
from bot import catalog
from bot import messages as line_messages
from pb import audit, communities, community_plan_review as review, community_plans as plans
from pb import districts

bp = Blueprint("community_plans", __name__)

STATES = {None: _l("No plan yet"), "drafting": _l("Being drawn up"),
          "submitted": _l("Sent to the district"), "returned": _l("Returned to the committee"),
          "adopted": _l("Adopted")}
MODES = {"new": _l("New plan (drawn up)"), "review": _l("Review of last year's plan")}
ERRORS = {
    "title": _l("Give the project a title (at most 300 characters)."),
    "priority": _l("Priority is a whole number from 1 (first) to 99."),
    "cost": _l("The estimated cost is a whole number of baht, 0 or more."),
    "year": _l("The year is a Buddhist Era year from the plan's fiscal year to five years after."),
    "idea": _l("Some of the ideas are not from this community."),
    "cluster": _l("Some of the clusters hold no idea from this community."),
    "state": _l("The plan is not in a state that allows this (it may have been sent or "
                "adopted meanwhile)."),
    "empty": _l("Add at least one project before sending the plan."),
    "note": _l("Say what the committee should change."),
    "number": _l("Write numbers with digits only (no commas or units)."),
}


def _fiscal_year() -> int:
    raw = request.values.get("fy", "").strip()
    if not raw:
        return plans.this_fiscal_year()
    if not raw.isdigit() or not 2500 < int(raw) < 2700:
        abort(400)
    return int(raw)


def _district() -> str | None:
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    return district


def _int(name: str) -> int:
    raw = request.form.get(name, "").strip().replace(",", "")
    if not raw.isdigit():
        raise plans.PlanError("number")
    return int(raw)


def _ids(name: str) -> tuple[int, ...]:
    return tuple(int(v) for v in request.form.getlist(name) if v.isdigit())


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def compile_required(view):
    """Signed in as someone who may compile a plan: a community role (its own, checked
    in ``pb``), an admin or a district officer; a viewer gets 403 before anything."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        scope = current_scope()
        if not (scope.can_write or scope.role == "community"):
            abort(403)
        return view(*args, **kwargs)
    return login_required(wrapped)


@bp.get("")
@login_required
def index():
    """Each community's plan state for a fiscal year, and the share with a current plan."""
    scope = current_scope()
    fy, district = _fiscal_year(), _district()
    with db() as conn:
        rows = review.tracking(conn, scope, fy, district)
    adopted = sum(1 for r in rows if r.state == "adopted")
    share = round(100 * adopted / len(rows)) if rows else 0
    return render_template("admin/community_plans.html", rows=rows, fy=fy, district=district,
                           adopted=adopted, share=share, states=STATES, modes=MODES,
                           districts_shown=scope.visible_districts(districts.THAI_NAMES))


@bp.post("/start")
@compile_required
def start():
    """Start (or open) a community's plan for a fiscal year: new, or a review of last year's."""
    raw = request.form.get("community", "")
    if not raw.isdigit():
        abort(400)
    with db() as conn, conn.transaction():
        plan_id = plans.start(conn, current_scope(), int(raw), _fiscal_year())
    return redirect(url_for("admin.community_plans.show", plan_id=plan_id), code=303)


def _plan_page(plan_id: int, error: str | None = None, status: int = 200):
    scope = current_scope()
    with db() as conn:
        plan = plans.get(conn, scope, plan_id)
        projects = plans.projects_of(conn, plan_id)
        ideas = communities.recent_ideas(conn, plan.community_id)
    clusters = sorted({(c, label) for _i, _t, c, label in ideas if c is not None})
    reviewer = scope.role != "community" and scope.can_write and scope.allows(plan.district)
    compiler = plan.state in plans.EDITABLE and (scope.role == "community" or reviewer)
    return render_template("admin/community_plan.html", plan=plan, projects=projects, ideas=ideas,
                           clusters=clusters, states=STATES, modes=MODES, error=error,
                           reviewer=reviewer, compiler=compiler,
                           total=sum(p.estimated_cost_baht for p in projects)), status


@bp.get("/<int:plan_id>")
@login_required
def show(plan_id: int):
    return _plan_page(plan_id)


def _change(plan_id: int, change, success: str):
    """Run one plan change; a refused one shows the page again with the reason (400)."""
    try:
        with db() as conn, conn.transaction():
            change(conn)
    except plans.PlanConflict:
        return _plan_page(plan_id, _("Someone changed this plan meanwhile. Nothing was saved: "
                                     "check the page below and try again."), 409)
    except plans.PlanError as exc:
        return _plan_page(plan_id, str(ERRORS.get(exc.code, exc.code)), 400)
    flash(success, "success")
    return redirect(url_for("admin.community_plans.show", plan_id=plan_id), code=303)


@bp.post("/<int:plan_id>/projects")
@compile_required
def add_project(plan_id: int):
    """Add a project (title, priority, cost in baht, year BE, ideas and clusters behind it)."""
    def change(conn):
        fields = plans.ProjectFields(
            title=request.form.get("title", ""), priority=_int("priority"),
            estimated_cost_baht=_int("estimated_cost_baht"), year_be=_int("year_be"),
            description=request.form.get("description", ""), idea_ids=_ids("idea"),
            cluster_ids=_ids("cluster"))
        plans.add_project(conn, current_scope(), plan_id, _version(), fields)
    return _change(plan_id, change, _("Project added to the plan."))


@bp.post("/<int:plan_id>/projects/<int:project_id>/remove")
@compile_required
def remove_project(plan_id: int, project_id: int):
    return _change(plan_id, lambda conn: plans.remove_project(
        conn, current_scope(), plan_id, _version(), project_id), _("Project removed."))


@bp.post("/<int:plan_id>/submit")
@compile_required
def submit(plan_id: int):
    return _change(plan_id, lambda conn: plans.submit(
        conn, current_scope(), plan_id, _version(), request.form.get("summary", "")),
        _("The plan was sent to the district."))


@bp.post("/<int:plan_id>/return")
@write_required
def return_(plan_id: int):
    return _change(plan_id, lambda conn: review.return_plan(
        conn, current_scope(), plan_id, _version(), request.form.get("note", "")),
        _("The plan was returned to the community committee."))


def _compose(plan: plans.Plan):
    """(language, titles entering the action plan) → the chat notice to the residents."""
    def compose(language: str, titles: list[str]) -> list[dict]:
        district = districts.ENGLISH_NAMES.get(plan.district, plan.district) \
            if language == "en" else plan.district
        values = {"district": district, "community": plan.community_name,
                  "year": plan.fiscal_year, "projects": "\n".join(f"• {t}" for t in titles)}
        key = "comm_plan_adopted" if titles else "comm_plan_adopted_none"
        return [line_messages.text(catalog.t(key, language, **values))]
    return compose


@bp.post("/<int:plan_id>/adopt")
@write_required
def adopt(plan_id: int):
    """Adopt the plan, mark the ticked projects as entering the district's action plan,
    and tell the community's residents in chat (outbox; quiet hours respected)."""
    told: list[int] = []

    def change(conn):
        review.adopt(conn, current_scope(), plan_id, _version(), set(_ids("entering")))
        plan = plans.get(conn, current_scope(), plan_id)
        told.extend(review.notify_adopted(conn, plan_id, _compose(plan)))
    page = _change(plan_id, change, _("The plan was adopted."))
    if told:
        after_commit(outbox_ids=told)
    return page


@bp.post("/<int:plan_id>/action-plan")
@write_required
def action_plan_marks(plan_id: int):
    return _change(plan_id, lambda conn: review.mark_action_plan(
        conn, current_scope(), plan_id, _version(), set(_ids("entering"))),
        _("The district's action plan was updated."))


COLUMNS = ("district", "community", "priority", "project", "description",
           "estimated_cost_baht", "year_be", "ideas", "clusters")


@bp.get("/action-plan")
@login_required
def action_plan():
    """The community projects in the district's annual action plan: printable."""
    fy, district = _fiscal_year(), _district()
    with db() as conn:
        rows = review.action_plan(conn, current_scope(), fy, district)
    return render_template("admin/community_action_plan.html", rows=rows, fy=fy,
                           district=district, total=sum(r.estimated_cost_baht for r in rows),
                           count_text=ngettext("%(n)s project", "%(n)s projects", len(rows),
                                               n=len(rows)))


@bp.get("/action-plan.csv")
@login_required
def action_plan_csv():
    """The same as CSV (UTF-8 with BOM for Excel; audited like every export)."""
    scope = current_scope()
    fy, district = _fiscal_year(), _district()
    with db() as conn:
        rows = review.action_plan(conn, scope, fy, district)
        audit.record(conn, scope, "export.community_action_plan", "export", None,
                     district=district, after={"fiscal_year": fy, "rows": len(rows)})
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([cell(v) for v in (r.district, r.community, r.priority, r.title,
                                           r.description, r.estimated_cost_baht, r.year_be,
                                           r.ideas, r.clusters)])
    name = f"community_action_plan_{fy}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

