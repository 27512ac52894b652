"""District public hearings in the admin (issue 18): create, edit while a draft
(:mod:`pb.hearing_drafts`), open (invites residents),
close, read the results (counts, charts, open answers grouped as ideas are), print the
summary (ประมวลสรุปข้อคิดเห็น), export CSV, publish (``/hearings/<id>``, answerers told).

Scope as for PB: a hearing is seen by staff who reach one of its districts and changed
by those who reach all of them (a city-wide one: admins); every change is audited
(:mod:`pb.hearings`) and posted with the CSRF token and the version the page showed.
The public page is :mod:`admin.public_hearings`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.hearing_forms import (HearingForm, StepForm, area_choices, error_text, fields_of,
                                 figures)
from bot import hearing_notices
from pb import audit, hearing_drafts, hearing_results, hearings
from pb.hearing_questions import HearingError, questions_text
from pb.hearings import HearingConflict
from pb.thaidate import BANGKOK

bp = Blueprint("hearings", __name__)
EXAMPLE_QUESTIONS = """เปิด: ท่านอยากให้เขตพัฒนาเรื่องใดเป็นอันดับแรก
เลือกหนึ่ง: ปัญหาใดกระทบท่านมากที่สุด | น้ำท่วม | ขยะ | ทางเท้า | การจราจร
เลือกหลาย: ท่านใช้พื้นที่สาธารณะใดบ้าง | สวนสาธารณะ | ลานกีฬา | ห้องสมุด
คะแนน: ความพึงพอใจต่อบริการของสำนักงานเขต"""


@bp.get("")
@login_required
def index():
    with db() as conn:
        found = hearings.list_hearings(conn, current_scope())
        counts = {h.id: hearing_results.respondents(conn, h.id)["total"] for h in found}
        now = hearings.now(conn)
    return render_template("admin/hearings.html", hearings=found, counts=counts, now=now)


@bp.route("/new", methods=["GET", "POST"])
@write_required
def new():
    scope = current_scope()
    form = HearingForm()
    form.area.choices = area_choices(scope)
    error = None
    if not form.is_submitted():
        today = dt.datetime.now(BANGKOK).date()
        form.opens_on.data, form.closes_on.data = today, today + dt.timedelta(days=30)
        form.questions.data = EXAMPLE_QUESTIONS
    elif form.validate():
        try:
            with db() as conn, conn.transaction():
                hearing_id = hearings.create(conn, scope, fields_of(form))
        except HearingError as exc:
            error = error_text(exc)
        else:
            flash(_("The hearing was saved as a draft. Check it, then open it."), "success")
            return redirect(url_for("admin.hearings.show", hearing_id=hearing_id), code=303)
    else:
        error = _("Check the fields marked below.")
    return render_template("admin/hearing_form.html", form=form, error=error), (400 if error else 200)


@bp.route("/<int:hearing_id>/edit", methods=["GET", "POST"])
@write_required
def edit(hearing_id: int):
    """Change a draft hearing: title, area, dates, questions, session (``hearing.edit``)."""
    scope = current_scope()
    form = HearingForm()
    form.area.choices = area_choices(scope)
    error = None
    with db() as conn:
        found = hearings.get(conn, scope, hearing_id)
        hearings.check_write(scope, found.districts)
        if not form.is_submitted():
            _fill(form, hearing_drafts.fields_of_hearing(conn, found))
    version = request.form.get("version", str(found.version))
    if found.stage != "draft":
        flash(error_text(HearingError("not_draft_edit")), "error")
        return redirect(url_for("admin.hearings.show", hearing_id=hearing_id), code=303)
    if form.is_submitted() and not version.isdigit():
        abort(400)
    if form.is_submitted() and form.validate():
        try:
            with db() as conn, conn.transaction():
                hearing_drafts.update(conn, scope, hearing_id, int(version), fields_of(form))
        except HearingError as exc:
            error = error_text(exc)
        except HearingConflict:
            error = _("Someone changed this hearing meanwhile. Check it and try again.")
        else:
            flash(_("The draft hearing was saved."), "success")
            return redirect(url_for("admin.hearings.show", hearing_id=hearing_id), code=303)
    elif form.is_submitted():
        error = _("Check the fields marked below.")
    return render_template("admin/hearing_form.html", form=form, error=error, editing=found,
                           version=version), (400 if error else 200)


def _fill(form: HearingForm, fields: hearings.HearingFields) -> None:
    """The form's starting values: what staff typed when they saved the draft."""
    form.title.data, form.title_en.data, form.intro.data = fields.title, fields.title_en, fields.intro
    form.area.data, form.opens_on.data, form.closes_on.data = (fields.area, fields.opens_on,
                                                               fields.closes_on)
    form.questions.data = questions_text(fields.questions)
    if fields.session is not None:
        form.session_place.data = fields.session.place
        form.session_at.data = fields.session.starts_at.astimezone(BANGKOK)
        form.session_capacity.data = fields.session.capacity


def _page(conn, hearing_id: int) -> dict:
    """What the staff page, the printable summary and the public page show."""
    return figures(conn, hearings.get(conn, current_scope(), hearing_id))


@bp.get("/<int:hearing_id>")
@login_required
def show(hearing_id: int):
    with db() as conn:
        page = _page(conn, hearing_id)
        page["now"] = hearings.now(conn)
    return render_template("admin/hearing.html", step=StepForm(), **page)


@bp.get("/<int:hearing_id>/summary")
@login_required
def summary(hearing_id: int):
    """The printable summary of opinions (ประมวลสรุปข้อคิดเห็น)."""
    with db() as conn:
        page = _page(conn, hearing_id)
    return render_template("admin/hearing_summary.html", **page)


@bp.get("/<int:hearing_id>/export.csv")
@login_required
def export(hearing_id: int):
    """Every answer as CSV; recorded in the audit log like every export (residents' own words)."""
    scope = current_scope()
    with db() as conn:
        hearing = hearings.get(conn, scope, hearing_id)
        text = hearing_results.export_csv(conn, hearing_id)
        districts = hearing.districts
        audit.record(conn, scope, "export.hearing_answers", "hearing", hearing_id,
                     district=districts[0] if districts and len(districts) == 1 else None,
                     after={"rows": len(list(csv.reader(io.StringIO(text)))) - 1})
    return Response(text, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="siang_hearing_{hearing_id}.csv"'})


def _step(hearing_id: int, action: str):
    """Open, close or publish, with the version the page showed."""
    scope = current_scope()
    form = StepForm()
    if not form.validate_on_submit() or not (form.version.data or "").isdigit():
        abort(400)
    version = int(form.version.data)
    base_url = current_app.extensions["siang"].settings.public_base_url
    try:
        with db() as conn, conn.transaction():
            found = hearings.get(conn, scope, hearing_id)
            n = len(hearings.questions_of(conn, hearing_id))
            if action == "open":
                invited, ids = hearings.open_(
                    conn, scope, hearing_id, version,
                    lambda lang: hearing_notices.invitation(found, n, lang))
                message = ngettext("The hearing is open; %(n)s resident was invited.",
                                   "The hearing is open; %(n)s residents were invited.",
                                   invited, n=invited)
            elif action == "close":
                hearings.close(conn, scope, hearing_id, version)
                ids = []
                message = _("The hearing is closed: no more answers are taken.")
            else:
                url = f"{base_url}/hearings/{hearing_id}"
                told, ids = hearings.publish(
                    conn, scope, hearing_id, version, form.summary.data or "",
                    lambda lang: hearing_notices.published(found, url, lang))
                message = ngettext("The summary is published; %(n)s resident who answered will be told.",
                                   "The summary is published; %(n)s residents who answered will be told.",
                                   told, n=told)
    except HearingError as exc:
        flash(error_text(exc), "error")
    except HearingConflict:
        flash(_("Someone changed this hearing meanwhile. Check it and try again."), "error")
    else:
        after_commit(outbox_ids=ids)       # not before 08:00: delivery waits (outbox.claim)
        flash(message, "success")
    return redirect(url_for("admin.hearings.show", hearing_id=hearing_id), code=303)


@bp.post("/<int:hearing_id>/open")
@write_required
def open_(hearing_id: int):
    return _step(hearing_id, "open")


@bp.post("/<int:hearing_id>/close")
@write_required
def close(hearing_id: int):
    return _step(hearing_id, "close")


@bp.post("/<int:hearing_id>/publish")
@write_required
def publish(hearing_id: int):
    return _step(hearing_id, "publish")
