"""Announcements to residents: compose, preview as a resident sees it, send, follow delivery.

Staff write Thai text (and optionally English), may add the Flex card of a
project's progress, and choose the audience (the project's supporters, the
voters of a round, a district's residents, every follower). The preview
renders the messages server-side in the style of the LINE emulator's chat
page (:func:`preview`), with how many residents it will reach and who is
left out (opted out). Sending only checks, counts and stores the composed
messages (:func:`pb.announcement_queue.start`); resolving the audience and
writing the outbox batches is the ``queue_announcement`` job on the upkeep
queue, never this request (a city-wide audience is a million residents). The
page then shows the queuing progress ("n of N residents"), delivery progress
and final statistics, refreshing itself while either is still going.

Quiet hours (21:00–08:00 Bangkok) hold non-urgent announcements until 08:00.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import psycopg
import redis
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.forms import BEDateField
from bot import messages as line_messages
from bot import progress_card
from pb import announcement_delivery, announcement_queue, announcement_stats
from pb import announcements as ann
from pb import districts, progress, progress_summaries
from pb import projects as project_rows
from pb import rounds as round_rows
from pb.scope import ScopeError
from pb.thaidate import BANGKOK, be_datetime

bp = Blueprint("announcements", __name__)

ERRORS = {
    "text_required": _l("Write the announcement's Thai text."),
    "text_too_long": _l("The text is too long (at most %(limit)s characters)."),
    "bad_audience": _l("Choose who receives the announcement."),
    "project_required": _l("Choose the project whose supporters receive it."),
    "bad_district": _l("Choose one of Bangkok's 50 districts."),
    "round_required": _l("Choose the voting round whose voters receive it."),
    "no_voting": _l("There are no voting rounds yet."),
    "card_needs_project": _l("Choose a project for the progress card."),
    "project_not_public": _l("The progress card is only for projects the vote selected."),
    "not_draft": _l("This announcement was already sent; it cannot change."),
    "not_queued": _l("Only an announcement being sent can be stopped."),
    "outside_scope": _l("You can only announce to the districts you work in; the whole city "
                        "(all followers, a city-wide round) is for admins."),
    "no_recipients": _l("Nobody would receive it: no resident in this audience follows Siang "
                        "and accepts announcements (%(opted_out)s opted out)."),
}

AUDIENCES = {
    "supporters": _l("Supporters of the project's ideas"),
    "voters": _l("Voters of a voting round"),
    "district": _l("Residents of a district"),
    "all": _l("All followers"),
}

_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")
TRACK_CLASSES = {m.upper(): c for m, c in (
    (line_messages.PRIMARY, "bg-primary"), (progress_card.TRACK, "bg-track"))}
COLOR_CLASSES = {m.upper(): c for m, c in (
    (line_messages.PRIMARY, "c-primary"), (line_messages.MUTED, "c-muted"), ("#FFFFFF", "c-white"),
    ("#B91C1C", "c-red"))}


def error_text(exc: ann.AnnouncementError) -> str:
    template = ERRORS.get(exc.code)
    if template is None:
        return _("That could not be done.")
    return str(template) % exc.values if exc.values else str(template)


class AnnouncementForm(FlaskForm):
    version = HiddenField()
    audience = RadioField(choices=list(AUDIENCES.items()),
                          validators=[DataRequired(_l("Choose who receives the announcement."))])
    project = SelectField(choices=[], validators=[Optional()])
    district = SelectField(choices=[], validators=[Optional()])
    round = SelectField(choices=[], validators=[Optional()])
    text_th = TextAreaField(validators=[DataRequired(_l("Required.")), Length(max=4000)])
    text_en = TextAreaField(validators=[Optional(), Length(max=4000)])
    with_card = BooleanField()
    urgent = BooleanField()
    send_on = BEDateField()
    send_time = StringField(validators=[Optional(), Length(max=5)])


def _choices(form: AnnouncementForm, conn: psycopg.Connection) -> None:
    scope = current_scope()
    form.project.choices = [("", "—")] + [
        (str(p.id), f"#{p.id} {p.title} ({p.district})")
        for p in project_rows.list_projects(conn, scope, limit=500)]
    form.district.choices = [("", "—")] + [
        (d, f"{d} ({districts.ENGLISH_NAMES[d]})")
        for d in scope.visible_districts(districts.THAI_NAMES)]
    rounds: list[tuple[str, str]] = [("", "—")]
    rounds += [(str(r.id), f"#{r.id} {r.title}") for r in round_rows.list_rounds(conn, scope)
               if r.origin == "siang"]
    form.round.choices = rounds


def _send_at(form: AnnouncementForm) -> dt.datetime | None:
    """The chosen send time (Bangkok), or None; a bad time is a form error."""
    day, raw = form.send_on.data, (form.send_time.data or "").strip()
    if day is None and not raw:
        return None
    match = _TIME.match(raw or "08:00")
    if day is None or not match:
        form.send_time.errors = list(form.send_time.errors) + [
            _("Give a date (dd/mm/yyyy, BE) and a time (HH:MM), or leave both empty.")]
        return None
    return dt.datetime.combine(day, dt.time(int(match.group(1)), int(match.group(2))),
                               tzinfo=BANGKOK)


def _draft(form: AnnouncementForm, send_at: dt.datetime | None) -> ann.AnnouncementDraft:
    def number(value: str | None) -> int | None:
        return int(value) if value and value.isdigit() else None
    return ann.AnnouncementDraft(audience=form.audience.data or "", text_th=form.text_th.data or "",
                     text_en=form.text_en.data or "", project_id=number(form.project.data),
                     district=form.district.data or None if form.audience.data == "district"
                     else None,
                     round_id=number(form.round.data) if form.audience.data == "voters" else None,
                     with_card=bool(form.with_card.data), urgent=bool(form.urgent.data),
                     send_at=send_at)


def _fill(form: AnnouncementForm, found: ann.Announcement) -> None:
    form.version.data = str(found.version)
    form.audience.data = found.audience
    form.project.data = str(found.project_id) if found.project_id else ""
    form.district.data = found.district or ""
    form.round.data = str(found.round_id) if found.round_id else ""
    form.text_th.data, form.text_en.data = found.text_th, found.text_en
    form.with_card.data, form.urgent.data = found.with_card, found.urgent
    if found.send_at:
        local = found.send_at.astimezone(BANGKOK)
        form.send_on.data, form.send_time.data = local.date(), f"{local:%H:%M}"


def _compose_form(form: AnnouncementForm, error: str | None, found: ann.Announcement | None,
                  status: int):
    return render_template("admin/announcement_form.html", form=form, error=error,
                           announcement=found, audiences=AUDIENCES), status


@bp.get("")
@login_required
def index():
    with db() as conn:
        rows = ann.list_announcements(conn, current_scope())
        stats = {a.id: announcement_stats.stats(conn, a.id) for a in rows if a.state != "draft"}
    return render_template("admin/announcements.html", announcements=rows, stats=stats,
                           audiences=AUDIENCES)


@bp.route("/new", methods=["GET", "POST"])
@write_required
def new():
    """Compose a draft (``?project=ID`` starts with that project's supporters and card)."""
    form = AnnouncementForm()
    with db() as conn:
        _choices(form, conn)
        if request.method == "GET":
            raw = request.args.get("project", "")
            if raw.isdigit():
                project = project_rows.get(conn, current_scope(), int(raw))
                form.project.data, form.audience.data = raw, "supporters"
                form.with_card.data = project.state in progress.PUBLIC_STATES
    error = None
    if form.validate_on_submit():
        send_at = _send_at(form)
        if not form.send_time.errors:
            try:
                with db() as conn, conn.transaction():
                    announcement_id = ann.create(conn, current_scope(), _draft(form, send_at))
            except ann.AnnouncementError as exc:
                error = error_text(exc)
            except ScopeError:
                return _compose_form(form, str(ERRORS["outside_scope"]), None, 403)
            else:
                return redirect(url_for("admin.announcements.show",
                                        announcement_id=announcement_id), code=303)
        else:
            error = _("Check the fields marked below.")
    elif request.method == "POST":
        error = _("Check the fields marked below.")
    return _compose_form(form, error, None, 400 if error else 200)


@bp.route("/<int:announcement_id>/edit", methods=["GET", "POST"])
@write_required
def edit(announcement_id: int):
    form = AnnouncementForm()
    with db() as conn:
        found = ann.get(conn, current_scope(), announcement_id)
        _choices(form, conn)
    if found.state != "draft":
        return redirect(url_for("admin.announcements.show", announcement_id=announcement_id))
    if request.method == "GET":
        _fill(form, found)
    error = None
    if form.validate_on_submit():
        send_at = _send_at(form)
        raw = form.version.data or ""
        if not raw.isdigit():
            abort(400)
        if form.send_time.errors:
            error = _("Check the fields marked below.")
        else:
            try:
                with db() as conn, conn.transaction():
                    ann.update(conn, current_scope(), announcement_id, int(raw),
                               _draft(form, send_at))
            except ann.AnnouncementConflict:
                error = _("Someone changed this announcement while you were editing it. "
                          "Nothing was saved: reload the page and edit again.")
            except ann.AnnouncementError as exc:
                error = error_text(exc)
            except ScopeError:
                return _compose_form(form, str(ERRORS["outside_scope"]), found, 403)
            else:
                return redirect(url_for("admin.announcements.show",
                                        announcement_id=announcement_id), code=303)
    elif request.method == "POST":
        error = _("Check the fields marked below.")
    return _compose_form(form, error, found, 400 if error else 200)


# --- the preview -------------------------------------------------------------------------------

def _classes(component: dict[str, Any]) -> str:
    """CSS classes standing in for a Flex component's style (the admin's CSP forbids inline
    styles): background and text colours from Siang's palette, box width in percent."""
    out = []
    background = str(component.get("backgroundColor", "")).upper()
    if background in TRACK_CLASSES:
        out.append(TRACK_CLASSES[background])
    color = str(component.get("color", "")).upper()
    if color in COLOR_CLASSES:
        out.append(COLOR_CLASSES[color])
    width = str(component.get("width", ""))
    if width.endswith("%") and width[:-1].isdigit():
        out.append(f"w-{5 * round(min(int(width[:-1]), 100) / 5)}")   # 5% steps in the CSS
    if component.get("height") == "8px":
        out.append("h-bar")
    if component.get("size"):
        out.append(f"size-{component['size']}")
    if component.get("weight") == "bold":
        out.append("bold")
    return " ".join(out)


def preview_tree(node: Any) -> Any:
    """A copy of a message's Flex JSON with a ``cls`` string on every component."""
    if isinstance(node, list):
        return [preview_tree(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: preview_tree(value) for key, value in node.items()}
    if "type" in node:
        out["cls"] = _classes(node)
    return out


def _messages(conn: psycopg.Connection, found: ann.Announcement, language: str
              ) -> list[dict[str, Any]]:
    base = current_app.extensions["siang"].settings.public_base_url
    summary = None
    if found.with_card and found.project_id is not None:
        summary = progress_summaries.summary(conn, found.project_id, scope=current_scope())
    return progress_card.announcement_messages(found.text_th, found.text_en, summary, language,
                                               base)


def _when(found: ann.Announcement, now: dt.datetime) -> dict[str, Any]:
    start = announcement_delivery.send_time(found.urgent, found.send_at, now)
    held = not found.urgent and announcement_delivery.in_quiet_hours(max(now, found.send_at) if found.send_at
                                                   else now)
    return {"at": start, "now": start <= now, "held_by_quiet_hours": held}


@bp.get("/<int:announcement_id>")
@login_required
def show(announcement_id: int):
    """The preview as a resident sees it; after sending, delivery progress and statistics."""
    now = ann.clock()
    with db() as conn:
        found = ann.get(conn, current_scope(), announcement_id)
        previews = {"th": preview_tree(_messages(conn, found, "th"))}
        count = None
        if found.state == "draft":
            try:
                count = ann.count_audience(conn, found.draft())
            except ann.AnnouncementError:
                count = None
            if (count and count.english) or found.text_en or found.with_card:
                previews["en"] = preview_tree(_messages(conn, found, "en"))
        stats = announcement_stats.stats(conn, announcement_id) if found.state != "draft" else None
    return render_template("admin/announcement.html", a=found, previews=previews, count=count,
                           stats=stats, when=_when(found, now), audiences=AUDIENCES,
                           can_write=current_scope().can_write)


@bp.get("/<int:announcement_id>/stats.json")
@login_required
def stats_json(announcement_id: int):
    with db() as conn:
        found = ann.get(conn, current_scope(), announcement_id)
        stats = announcement_stats.stats(conn, announcement_id)
    return jsonify(state=found.state, method=found.method,
                   done=stats.done and found.state != "queuing",
                   audience_size=found.audience_size, queued=found.queued_count,
                   queued_percent=found.queued_percent,
                   percent=stats.percent, batches=stats.batches, pending=stats.pending,
                   sending=stats.sending, sent=stats.sent, failed=stats.failed,
                   recipients=stats.recipients, delivered=stats.delivered, dropped=stats.dropped,
                   retries=stats.retries)


@bp.post("/<int:announcement_id>/send")
@write_required
def send(announcement_id: int):
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    back = url_for("admin.announcements.show", announcement_id=announcement_id)
    try:
        with db() as conn, conn.transaction():
            found = ann.get(conn, current_scope(), announcement_id)
            outbox_ids = announcement_queue.start(conn, current_scope(), announcement_id,
                                                  int(raw),
                                                  lambda language: _messages(conn, found, language))
            queued = ann.get(conn, current_scope(), announcement_id)
    except ann.AnnouncementConflict:
        flash(_("This announcement changed or was already sent while you had the page open. "
                "Nothing more was sent: check its state below."), "error")
        return redirect(back, code=303)
    except ann.AnnouncementError as exc:
        flash(error_text(exc), "error")
        return redirect(back, code=303)
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        flash(_("The announcement is busy. Nothing was sent: try again."), "error")
        return redirect(back, code=303)
    after_commit(outbox_ids=outbox_ids)
    if queued.state == "queuing":
        _enqueue_queuing(announcement_id)
    if queued.state == "queuing" and queued.not_before and queued.not_before <= ann.clock():
        flash(ngettext("Preparing the batches for %(n)s resident: this page shows the progress.",
                       "Preparing the batches for %(n)s residents: this page shows the progress.",
                       queued.audience_size, n=queued.audience_size), "success")
    elif queued.state == "queuing":
        flash(ngettext("Queued for %(n)s resident; it goes out on %(at)s.",
                       "Queued for %(n)s residents; it goes out on %(at)s.", queued.audience_size,
                       n=queued.audience_size, at=_local(queued.not_before)), "success")
    elif outbox_ids:
        flash(_("Sending to %(n)s residents in %(b)s batches.", n=queued.recipients,
                b=queued.batches), "success")
    else:
        flash(ngettext("Queued for %(n)s resident; it goes out on %(at)s.",
                       "Queued for %(n)s residents; it goes out on %(at)s.", queued.recipients,
                       n=queued.recipients, at=_local(queued.not_before)), "success")
    return redirect(back, code=303)


def _enqueue_queuing(announcement_id: int) -> None:
    """The ``queue_announcement`` job, after the commit. If Redis is down the sweeper
    enqueues it once the announcement has waited a minute (``announcement_queue.stalled``)."""
    try:
        current_app.extensions["siang"].queues.enqueue_announcement(announcement_id)
    except redis.RedisError as exc:
        current_app.logger.warning("announcement %s: enqueue failed (%s); the sweeper will "
                                   "catch up", announcement_id, type(exc).__name__)


def _local(value) -> str:
    return be_datetime(value) if value else ""


@bp.post("/<int:announcement_id>/cancel")
@write_required
def cancel(announcement_id: int):
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    try:
        with db() as conn, conn.transaction():
            n = announcement_queue.cancel(conn, current_scope(), announcement_id, int(raw))
    except ann.AnnouncementConflict:
        flash(_("This announcement changed while you had the page open. Check its state "
                "below."), "error")
    except ann.AnnouncementError as exc:
        flash(error_text(exc), "error")
    else:
        flash(ngettext("Stopped: %(n)s batch that had not started will not be sent.",
                       "Stopped: %(n)s batches that had not started will not be sent.", n, n=n),
              "success")
    return redirect(url_for("admin.announcements.show", announcement_id=announcement_id),
                    code=303)
