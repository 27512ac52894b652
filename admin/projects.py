"""Projects (BMA PB stage 2): promote clusters to a draft, edit, move through states.

Promotion tells the residents whose ideas went into the project, once each,
through the outbox (a push in their language; ``bot.catalog`` holds the
text), delivered after the commit.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.clusters import conflict_text
from admin.forms import BEDateField, ProjectForm
from admin.messages import error_text
from bot import catalog
from bot import messages as line_messages
from pb import districts, processes, project_notices, review
from pb import projects as project_rows
from pb.scope import ScopeError

bp = Blueprint("projects", __name__)


class DatesForm(FlaskForm):
    """A correction of a project's planned dates after the draft stage (issue 16)."""

    starts_on = BEDateField()
    ends_on = BEDateField()
    reason = StringField(validators=[Optional(), Length(max=500)])


def _compose(title: str, district: str):
    """language → the push telling a resident their idea became part of a project."""
    def compose(language: str) -> list[dict]:
        name = districts.ENGLISH_NAMES.get(district, district) if language == "en" else district
        return [line_messages.text(catalog.t("project_promoted", language, title=title,
                                             district=name))]
    return compose


def _district_choices() -> list[tuple[str, str]]:
    scope = current_scope()
    return [(d, f"{d} ({districts.ENGLISH_NAMES[d]})")
            for d in scope.visible_districts(districts.THAI_NAMES)]


def _fields(form: ProjectForm) -> project_rows.ProjectFields:
    return project_rows.ProjectFields(
        title=form.title.data or "", district=form.district.data or "",
        fiscal_year=form.fiscal_year.data or 0, description=form.description.data or "",
        location=form.location.data or "", estimated_cost_baht=form.estimated_cost_baht.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        kpi_indicator=form.kpi_indicator.data or "", kpi_target=form.kpi_target.data or "",
        responsible_unit=form.responsible_unit.data or "")


def _cluster_ids(values: list[str]) -> list[int]:
    if not values or not all(v.isdigit() for v in values) or len(values) > 50:
        abort(400)
    return sorted({int(v) for v in values})


@bp.get("")
@login_required
def index():
    scope = current_scope()
    state = request.args.get("state") or None
    if state is not None and state not in project_rows.STATES:
        abort(400)
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    with db() as conn:
        rows = project_rows.list_projects(conn, scope, state=state, district=district)
    return render_template("admin/projects.html", projects=rows, state=state, district=district,
                           states=project_rows.STATES,
                           district_names=scope.visible_districts(districts.THAI_NAMES))


@bp.route("/new", methods=["GET", "POST"])
@write_required
def new():
    """Promote one or more clusters (``?cluster=ID``, repeated) to a project draft."""
    scope = current_scope()
    cluster_ids = _cluster_ids(request.values.getlist("cluster"))
    form = ProjectForm()
    form.district.choices = _district_choices()
    with db() as conn:
        clusters = [review.get_cluster(conn, scope, cid) for cid in cluster_ids]
    if request.method == "GET":
        first = clusters[0]
        form.title.data = first.label or " ".join(first.keywords[:3])
        form.district.data = first.district if scope.allows(first.district) else None
        form.fiscal_year.data = processes.fiscal_year_be(dt.date.today())
        form.responsible_unit.data = f"สำนักงานเขต{first.district}"
    error = None
    if form.validate_on_submit():
        versions = {}
        for cluster in clusters:
            raw = request.form.get(f"v{cluster.id}", "")
            if not raw.isdigit():
                abort(400)
            versions[cluster.id] = int(raw)
        fields = _fields(form)
        try:
            with db() as conn, conn.transaction():
                project_id, outcome = project_rows.promote(conn, scope, versions, fields)
                told = project_notices.notify_authors(
                    conn, project_id, _compose(fields.title, fields.district))
        except review.VersionConflict as exc:
            error = conflict_text(exc)
        except (review.ReviewError, project_rows.ProjectError) as exc:
            error = error_text(exc)
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            error = _("The clusters are being regrouped right now. Nothing was saved: try "
                      "again in a minute.")
        else:
            after_commit(refresh=outcome.refresh, outbox_ids=told.outbox_ids)
            flash(ngettext("Project draft created. %(n)s resident will be told their idea is "
                           "part of it.",
                           "Project draft created. %(n)s residents will be told their idea is part "
                           "of it.", told.residents, n=told.residents), "success")
            return redirect(url_for("admin.projects.show", project_id=project_id), code=303)
    elif request.method == "POST":
        error = _("Check the fields marked below.")
    return render_template("admin/project_form.html", form=form, clusters=clusters,
                           project=None, error=error), (400 if error else 200)


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    scope = current_scope()
    with db() as conn:
        project = project_rows.get(conn, scope, project_id)
        clusters = project_rows.linked_clusters(conn, scope, project_id)
        ideas = project_rows.linked_ideas(conn, scope, project_id)
    dates_form = DatesForm(formdata=None, obj=project)
    return render_template("admin/project.html", project=project, clusters=clusters,
                           ideas=ideas, missing=project_rows.missing_for_vote(project.fields()),
                           dates_form=dates_form)


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@write_required
def edit(project_id: int):
    scope = current_scope()
    with db() as conn:
        project = project_rows.get(conn, scope, project_id)
    scope.check(project.district, write=True)
    form = ProjectForm(obj=project if request.method == "GET" else None)
    form.district.choices = _district_choices()
    error = None
    if form.validate_on_submit():
        raw = request.form.get("version", "")
        if not raw.isdigit():
            abort(400)
        try:
            with db() as conn, conn.transaction():
                project_rows.update(conn, scope, project_id, int(raw), _fields(form))
        except project_rows.ProjectConflict:
            error = _("Someone changed this project while you were editing it. Nothing was "
                      "saved: reload the page to see their changes, then edit again.")
        except project_rows.ProjectError as exc:
            error = error_text(exc)
        else:
            flash(_("The project was saved."), "success")
            return redirect(url_for("admin.projects.show", project_id=project_id), code=303)
    elif request.method == "POST":
        error = _("Check the fields marked below.")
    return render_template("admin/project_form.html", form=form, clusters=[], project=project,
                           error=error), (400 if error else 200)


@bp.post("/<int:project_id>/state")
@write_required
def state(project_id: int):
    scope = current_scope()
    new_state, raw = request.form.get("state", ""), request.form.get("version", "")
    if new_state not in project_rows.STATES or not raw.isdigit():
        abort(400)
    try:
        with db() as conn, conn.transaction():
            project_rows.transition(conn, scope, project_id, int(raw), new_state)
    except project_rows.ProjectConflict:
        flash(_("Someone changed this project while you had this page open. Nothing was "
                "saved: check its state below and try again."), "error")
    except project_rows.ProjectError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The project's state was changed."), "success")
    return redirect(url_for("admin.projects.show", project_id=project_id), code=303)


@bp.post("/<int:project_id>/dates")
@write_required
def dates(project_id: int):
    """Correct the planned start and end of a project past the draft stage (audited)."""
    form = DatesForm()
    back = url_for("admin.projects.show", project_id=project_id)
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    if not form.validate_on_submit():
        errors = [e for f in (form.starts_on, form.ends_on) for e in f.errors]
        flash(str(errors[0]) if errors else _("Check the fields marked below."), "error")
        return redirect(back, code=303)
    try:
        with db() as conn, conn.transaction():
            changed = project_rows.correct_dates(conn, current_scope(), project_id, int(raw),
                                                 form.starts_on.data, form.ends_on.data,
                                                 form.reason.data or "")
    except project_rows.ProjectConflict:
        flash(_("Someone changed this project while you had this page open. Nothing was "
                "saved: check it below and try again."), "error")
    except project_rows.ProjectError as exc:
        flash(error_text(exc), "error")
    else:
        flash(_("The dates were corrected.") if changed else _("The dates are unchanged."),
              "success")
    return redirect(back, code=303)


@bp.post("/<int:project_id>/clusters")
@write_required
def add_cluster(project_id: int):
    """Link one more cluster (from its page) to a draft project."""
    scope = current_scope()
    cluster_raw, cluster_version = request.form.get("cluster", ""), request.form.get(
        "cluster_version", "")
    version = request.form.get("version", "")
    if not (cluster_raw.isdigit() and cluster_version.isdigit() and version.isdigit()):
        abort(400)
    cluster_id = int(cluster_raw)
    back = url_for("admin.clusters.show", cluster_id=cluster_id)
    try:
        with db() as conn, conn.transaction():
            project = project_rows.get(conn, scope, project_id)
            outcome = project_rows.add_clusters(conn, scope, project_id, int(version),
                                                {cluster_id: int(cluster_version)})
            told = project_notices.notify_authors(
                conn, project_id, _compose(project.title, project.district))
    except review.VersionConflict as exc:
        flash(conflict_text(exc), "error")
        return redirect(back, code=303)
    except project_rows.ProjectConflict:
        flash(_("Someone changed this project while you had this page open. Nothing was "
                "saved: try again."), "error")
        return redirect(back, code=303)
    except (review.ReviewError, project_rows.ProjectError) as exc:
        flash(error_text(exc), "error")
        return redirect(back, code=303)
    except ScopeError:
        abort(404)
    after_commit(refresh=outcome.refresh, outbox_ids=told.outbox_ids)
    flash(ngettext("The cluster was added to the project. %(n)s more resident will be told.",
                   "The cluster was added to the project. %(n)s more residents will be told.",
                   told.residents, n=told.residents), "success")
    return redirect(url_for("admin.projects.show", project_id=project_id), code=303)
