"""Progress reports (BMA PB stage 4): the BMA progress-report form of each selected project.

Staff fill in the form's header (project code, budget received, rationale,
objectives, goals, strategy alignment), file numbered reports (date in the
Buddhist Era, narrative, percent, baht disbursed, on plan, on target, an
optional photo) and export a project's form in the BMA layout: a printable
page (Thai by default, ``?lang=en`` for English) and a CSV (UTF-8 with a
byte-order mark, so spreadsheet programs read the Thai).

Rules live in :mod:`pb.progress`; this module turns its error codes into
words (:data:`ERRORS`, English msgids with Thai in the catalog).
"""

from __future__ import annotations

import csv
import io

import psycopg
from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.auth import current_scope, db, login_required, write_required
from admin.forms import BahtField, BEDateField
from pb import progress, progress_summaries
from pb import projects as project_rows
from pb.thaidate import be_date

bp = Blueprint("progress", __name__)
UPLOAD_MAX_BYTES = progress.PHOTO_MAX_BYTES + 256 * 1024   # the photo plus the form around it

ERRORS = {
    "not_selected": _l("Only a selected project (in progress or done) has a progress form."),
    "not_reportable": _l("Reports can be filed only for a selected project or one in "
                         "progress."),
    "no_budget": _l("Fill in the budget received on the form first: the disbursements are "
                    "checked against it."),
    "bad_budget": _l("The budget received must be a whole number of baht, 0 or more."),
    "budget_below_disbursed": _l("The budget received (%(budget)s baht) cannot be less than "
                                 "what the reports already disbursed (%(disbursed)s baht)."),
    "field_too_long": _l("A field is too long (at most %(limit)s characters)."),
    "date_required": _l("Give the report's date."),
    "date_after_end": _l("The report's date is after the project ends (%(end)s)."),
    "date_before_previous": _l("The report's date is before report no. %(number)s "
                               "(%(previous)s)."),
    "date_in_future": _l("The report's date is in the future."),
    "narrative_required": _l("Describe what was done."),
    "narrative_too_long": _l("The narrative is too long (at most %(limit)s characters)."),
    "percent_required": _l("Give the progress in percent."),
    "percent_range": _l("Progress is a percent from 0 to 100."),
    "percent_down": _l("Progress goes down from %(previous)s%% to %(percent)s%%: say why in "
                       "“Reason the progress went down”."),
    "reason_too_long": _l("The reason is too long (at most %(limit)s characters)."),
    "disbursed_required": _l("Give the budget disbursed in this report (0 if none)."),
    "bad_disbursed": _l("The budget disbursed must be a whole number of baht, 0 or more."),
    "over_budget": _l("With this report %(total)s baht would be disbursed, more than the "
                      "%(budget)s baht received. At most %(left)s baht is left."),
    "photo_size": _l("The photo must be at most %(limit_mb)s MB."),
    "photo_type": _l("The photo must be a JPEG or PNG image."),
}

FORM_LABELS = {
    "project_code": _l("Project code"),
    "budget_received_baht": _l("Budget received (baht)"),
    "rationale": _l("Rationale"),
    "objectives": _l("Objectives"),
    "goals": _l("Goals"),
    "strategy": _l("Strategy alignment"),
}


MONEY_VALUES = ("budget", "disbursed", "total", "left")


def error_text(exc: progress.ProgressError) -> str:
    """The staff member's words for a :class:`pb.progress.ProgressError`."""
    template = ERRORS.get(exc.code)
    if template is None:
        return _("That could not be done.")
    values = {}
    for key, value in exc.values.items():
        if hasattr(value, "year"):
            value = be_date(value)
        elif key in MONEY_VALUES and isinstance(value, int):
            value = f"{value:,}"
        values[key] = value
    values.pop("field", None)
    return str(template) % values if values else str(template)


class HeaderForm(FlaskForm):
    """The header of the BMA progress-report form (what the project does not hold)."""

    version = HiddenField()
    project_code = StringField(validators=[Optional(), Length(max=50)])
    budget_received_baht = BahtField()
    rationale = TextAreaField(validators=[Optional(), Length(max=5000)])
    objectives = TextAreaField(validators=[Optional(), Length(max=5000)])
    goals = TextAreaField(validators=[Optional(), Length(max=5000)])
    strategy = TextAreaField(validators=[Optional(), Length(max=2000)])


_YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


class ReportForm(FlaskForm):
    """One numbered report."""

    number = HiddenField()
    report_date = BEDateField(validators=[DataRequired(_l("Required."))])
    narrative = TextAreaField(validators=[DataRequired(_l("Required.")), Length(max=5000)])
    percent = IntegerField(validators=[InputRequired(_l("Required.")),
                                       NumberRange(0, 100, _l("From 0 to 100."))])
    disbursed_baht = BahtField()
    on_plan = RadioField(choices=_YES_NO, validators=[InputRequired(_l("Choose yes or no."))])
    on_target = RadioField(choices=_YES_NO, validators=[InputRequired(_l("Choose yes or no."))])
    decrease_reason = StringField(validators=[Optional(), Length(max=1000)])
    photo = FileField()


@bp.before_app_request
def _allow_photo_upload() -> None:
    """A report may carry a photo larger than the webhook's body limit (app-wide)."""
    if request.endpoint == "admin.progress.add_report":
        request.max_content_length = UPLOAD_MAX_BYTES


def _project(conn: psycopg.Connection, project_id: int) -> project_rows.Project:
    project = project_rows.get(conn, current_scope(), project_id)   # ScopeError → 404
    if project.state not in progress.PUBLIC_STATES:
        abort(404)
    return project


@bp.get("")
@login_required
def index():
    """Selected projects in the staff member's districts, with their progress."""
    with db() as conn:
        rows = progress_summaries.summaries(conn, scope=current_scope())
    return render_template("admin/progress_list.html", projects=rows)


def _page(project_id: int, header: HeaderForm | None = None, report: ReportForm | None = None,
          error: str | None = None, status: int = 200):
    scope = current_scope()
    with db() as conn:
        project = _project(conn, project_id)
        form = progress.get_form(conn, project_id)
        reports = progress.list_reports(conn, project_id)
        summary = progress_summaries.summary(conn, project_id)
    if header is None:
        header = HeaderForm(formdata=None, obj=form)
        header.version.data = str(form.version)
    today = progress.today_bangkok()
    if report is None:
        report = ReportForm(formdata=None)
        report.disbursed_baht.data = 0
        report.report_date.data = today
        if reports:
            report.percent.data = reports[-1].percent
    report.number.data = str(len(reports) + 1)
    return render_template(
        "admin/progress_project.html", project=project, form=form, reports=reports,
        summary=summary, header=header, report=report, error=error,
        can_file=scope.can_write and project.state in progress.FILING_STATES,
        form_labels=FORM_LABELS, early=progress.before_start(project, today),
        before_start=lambda day: progress.before_start(project, day)), status


@bp.get("/<int:project_id>")
@login_required
def show(project_id: int):
    return _page(project_id)


@bp.post("/<int:project_id>/form")
@write_required
def save_form(project_id: int):
    """Save the form's header (optimistic concurrency on its version)."""
    header = HeaderForm()
    if not header.validate_on_submit():
        return _page(project_id, header=header, error=_("Check the fields marked below."),
                     status=400)
    raw = header.version.data or ""
    if not raw.isdigit():
        abort(400)
    fields = progress.FormFields(
        project_code=header.project_code.data or "",
        budget_received_baht=header.budget_received_baht.data,
        rationale=header.rationale.data or "", objectives=header.objectives.data or "",
        goals=header.goals.data or "", strategy=header.strategy.data or "")
    try:
        with db() as conn, conn.transaction():
            progress.save_form(conn, current_scope(), project_id, int(raw), fields)
    except progress.ProgressConflict:
        return _page(project_id, header=header, status=409, error=_(
            "Someone changed this form while you were editing it. Nothing was saved: reload "
            "the page to see their changes, then edit again."))
    except progress.ProgressError as exc:
        return _page(project_id, header=header, error=error_text(exc), status=400)
    flash(_("The form was saved."), "success")
    return redirect(url_for("admin.progress.show", project_id=project_id), code=303)


@bp.post("/<int:project_id>/reports")
@write_required
def add_report(project_id: int):
    """File the next numbered report (validated by :func:`pb.progress.validate_report`)."""
    report = ReportForm()
    if not report.validate_on_submit():
        return _page(project_id, report=report, error=_("Check the fields marked below."),
                     status=400)
    raw = report.number.data or ""
    if not raw.isdigit():
        abort(400)
    upload = report.photo.data
    photo = upload.read(progress.PHOTO_MAX_BYTES + 1) if upload and upload.filename else None
    fields = progress.ReportFields(
        report_date=report.report_date.data, narrative=report.narrative.data or "",
        percent=report.percent.data, disbursed_baht=report.disbursed_baht.data,
        on_plan=report.on_plan.data == "yes", on_target=report.on_target.data == "yes",
        decrease_reason=report.decrease_reason.data or "")
    try:
        with db() as conn, conn.transaction():
            progress.add_report(conn, current_scope(), project_id, int(raw), fields, photo)
            early = progress.before_start(project_rows.get(conn, current_scope(), project_id),
                                          fields.report_date)
    except progress.ProgressConflict:
        flash(_("Another report was filed while you had this page open. Nothing was saved: "
                "check the reports below and file yours again if it is still needed."), "error")
        return redirect(url_for("admin.progress.show", project_id=project_id), code=303)
    except progress.ProgressError as exc:
        return _page(project_id, report=report, error=error_text(exc), status=400)
    flash(_("Report no. %(n)s was filed. It is on the public progress page now.", n=int(raw)),
          "success")
    if early:
        flash(_("It is dated before the project's planned start, and is marked so."), "info")
    return redirect(url_for("admin.progress.show", project_id=project_id), code=303)


@bp.get("/photo/<int:report_id>")
@login_required
def photo(report_id: int):
    with db() as conn:
        found = progress.photo_of(conn, report_id, public_only=False)
        row = conn.execute("SELECT p.district FROM progress_reports r JOIN projects p "
                           "ON p.id = r.project_id WHERE r.id = %s", (report_id,)).fetchone()
    if found is None or row is None or not current_scope().allows(row[0]):
        abort(404)
    return Response(found.data, mimetype=found.content_type,
                    headers={"Cache-Control": "private, max-age=3600"})


def _export_data(project_id: int):
    with db() as conn:
        project = _project(conn, project_id)
        form = progress.get_form(conn, project_id)
        reports = progress.list_reports(conn, project_id)
        summary = progress_summaries.summary(conn, project_id)
    return project, form, reports, summary


def _export_language() -> str:
    lang = request.args.get("lang", "th")
    if lang not in ("th", "en"):
        abort(400)
    return lang


@bp.get("/<int:project_id>/form.html")
@login_required
def export_html(project_id: int):
    """The BMA progress-report form, printable (Thai unless ``?lang=en``)."""
    project, form, reports, summary = _export_data(project_id)
    with force_locale(_export_language()):
        return render_template("admin/progress_export.html", project=project, form=form,
                               reports=reports, summary=summary, form_labels=FORM_LABELS,
                               export_lang=_export_language())


def form_csv(project: project_rows.Project, form: progress.Form,
             reports: list[progress.Report], summary: progress_summaries.ProjectProgress) -> str:
    """The BMA form as CSV: the header as (field, value) rows, a blank row, then one row
    per report with its cumulative disbursement. Dates dd/mm/BBBB, money integer baht."""
    out = io.StringIO()
    w = csv.writer(out)
    yes, no = _("Yes"), _("No")
    w.writerow([_("BMA project progress report"), ""])
    for label, value in (
            (_("Project"), project.title),
            (FORM_LABELS["project_code"], form.project_code),
            (_("District"), project.district),
            (_("Fiscal year (BE)"), project.fiscal_year),
            (_("Start date"), be_date(project.starts_on) if project.starts_on else ""),
            (_("End date"), be_date(project.ends_on) if project.ends_on else ""),
            (FORM_LABELS["budget_received_baht"],
             "" if form.budget_received_baht is None else form.budget_received_baht),
            (_("Budget used (baht)"), summary.disbursed_baht),
            (_("Responsible unit"), project.responsible_unit),
            (FORM_LABELS["rationale"], form.rationale),
            (FORM_LABELS["objectives"], form.objectives),
            (FORM_LABELS["goals"], form.goals),
            (FORM_LABELS["strategy"], form.strategy),
            (_("KPI indicator"), project.kpi_indicator),
            (_("KPI target"), project.kpi_target)):
        w.writerow([str(label), value])
    w.writerow([])
    w.writerow([_("Report no."), _("Date (BE)"), _("Work done"), _("Progress (%)"),
                _("Disbursed in this report (baht)"), _("Disbursed so far (baht)"),
                _("On plan"), _("On target"), _("Reason the progress went down")])
    so_far = 0
    for r in reports:
        so_far += r.disbursed_baht or 0
        w.writerow([r.number, be_date(r.report_date), r.narrative, r.percent, r.disbursed_baht,
                    so_far, yes if r.on_plan else no, yes if r.on_target else no,
                    r.decrease_reason])
    return out.getvalue()


@bp.get("/<int:project_id>/form.csv")
@login_required
def export_csv(project_id: int):
    project, form, reports, summary = _export_data(project_id)
    with force_locale(_export_language()):
        body = form_csv(project, form, reports, summary)
    name = f"progress-{project_id}.csv"
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
