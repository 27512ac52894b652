"""The district city council (สภาคนเมืองประจำเขต) in the admin (issue 18).

Staff set up their district's council and its members (name, group
represented, term in BE dates), schedule meetings, open a meeting's question
window (which invites the district's residents through an announcement: the
outbox, opt-out and quiet hours as for any announcement), read the residents'
questions grouped like ideas with counts and keywords, build the agenda from
the groups, and after the meeting publish the minutes and a response per
question group; publishing tells everyone who asked or supported a question of
a group that group's response in chat (once each; quiet hours respected). The
public page is :mod:`admin.public_council`. Scope, audit and CSRF as for PB pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import psycopg
import redis
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.forms import BEDateField, BEDateTimeField
from bot import council_messages
from pb import (announcement_queue, announcements, council, council_meetings, council_questions,
                districts, multicast)
from pb.thaidate import BANGKOK

log = logging.getLogger(__name__)
bp = Blueprint("council", __name__)

ERRORS = {
    "bad_district": _l("Choose one of Bangkok's 50 districts."),
    "name_required": _l("Write the name."),
    "group_required": _l("Write the group the member represents."),
    "place_required": _l("Write where the meeting is held."),
    "too_long": _l("The text is too long (at most %(limit)s characters)."),
    "exists": _l("This district already has a council."),
    "bad_term": _l("The term must end on or after the day it starts."),
    "bad_window": _l("The question window must open before it closes, and close no later "
                     "than the meeting starts."),
    "not_draft": _l("The question window was already opened."),
    "not_open": _l("Only an open question window can be closed."),
    "window_over": _l("The question window's closing time has passed: schedule a new meeting."),
    "published": _l("The minutes were already published; the meeting cannot change."),
    "not_held": _l("The meeting has not taken place yet: publish the minutes after it."),
    "minutes_required": _l("Write the minutes."),
    "response_required": _l("Write a response for every question group (%(n)s without one)."),
}
WINDOWS = {"draft": _l("Draft"), "scheduled": _l("Opens later"), "open": _l("Taking questions"),
           "closed": _l("Questions closed"), "published": _l("Minutes published")}
_REQUIRED = _l("Required.")


class CouncilForm(FlaskForm):
    district = SelectField(validators=[DataRequired(_REQUIRED)])
    name = StringField(validators=[DataRequired(_REQUIRED), Length(max=council.NAME_MAX)])
    established_on = BEDateField(validators=[DataRequired(_REQUIRED)])


class MemberForm(FlaskForm):
    name = StringField(validators=[DataRequired(_REQUIRED), Length(max=council.NAME_MAX)])
    group_represented = StringField(validators=[DataRequired(_REQUIRED),
                                                Length(max=council.NAME_MAX)])
    term_starts_on = BEDateField(validators=[DataRequired(_REQUIRED)])
    term_ends_on = BEDateField(validators=[DataRequired(_REQUIRED)])


class MeetingForm(FlaskForm):
    meets_at = BEDateTimeField(validators=[DataRequired(_REQUIRED)])
    place = StringField(validators=[DataRequired(_REQUIRED), Length(max=council.PLACE_MAX)])
    opens_at = BEDateTimeField(validators=[DataRequired(_REQUIRED)])
    closes_at = BEDateTimeField(validators=[DataRequired(_REQUIRED)])


def error_text(exc: council.CouncilError) -> str:
    """The staff's words for a :class:`pb.council.CouncilError`."""
    return str(ERRORS.get(exc.code, exc.code)) % exc.values if exc.values else \
        str(ERRORS.get(exc.code, exc.code))


def _form_errors(form: FlaskForm) -> str:
    return "; ".join(f"{getattr(form, name).label.text}: {' '.join(str(e) for e in errs)}"
                     for name, errs in form.errors.items())


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


# --- councils and members ------------------------------------------------------------------

@bp.get("")
@login_required
def index():
    scope = current_scope()
    with db() as conn:
        councils = council.list_councils(conn, scope)
    form = CouncilForm()
    form.district.choices = [(d, d) for d in scope.visible_districts(districts.THAI_NAMES)
                             if d not in {c.district for c in councils}]
    return render_template("admin/council_index.html", councils=councils, form=form)


@bp.post("/new")
@write_required
def new():
    scope = current_scope()
    form = CouncilForm()
    form.district.choices = [(d, d) for d in districts.THAI_NAMES]
    if not form.validate_on_submit():
        flash(_("Check the fields: %(errors)s", errors=_form_errors(form)), "error")
        return redirect(url_for("admin.council.index"), code=303)
    try:
        with db() as conn, conn.transaction():
            council_id = council.create_council(conn, scope, form.district.data, form.name.data,
                                                form.established_on.data)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.council.index"), code=303)
    flash(_("The council was set up. Add its members."), "success")
    return redirect(url_for("admin.council.show", council_id=council_id), code=303)


@bp.get("/<int:council_id>")
@login_required
def show(council_id: int):
    scope = current_scope()
    with db() as conn:
        found = council.get_council(conn, scope, council_id)
        people = council.members(conn, council_id)
        meetings = council.meetings_of(conn, council_id)
        now = _now(conn)
    meeting_form = MeetingForm()
    if not meeting_form.meets_at.data:
        start = dt.datetime.now(BANGKOK).replace(hour=9, minute=0, second=0, microsecond=0)
        meeting_form.opens_at.data = start
        meeting_form.closes_at.data = start + dt.timedelta(days=13, hours=8)
        meeting_form.meets_at.data = start + dt.timedelta(days=14, hours=4)
    return render_template("admin/council.html", council=found, members=people,
                           meetings=meetings, now=now, windows=WINDOWS, member_form=MemberForm(),
                           meeting_form=meeting_form)


def _add_to_council(council_id: int, form: FlaskForm,
                    add: Callable[[psycopg.Connection], int]) -> int | None:
    """Check the council is in the staff member's scope (404 otherwise) and ``form`` is
    valid, then run ``add`` in one transaction: the id it returns, or None with the reason
    flashed (bad fields, :class:`pb.council.CouncilError`)."""
    with db() as conn:
        council.get_council(conn, current_scope(), council_id)     # 404 outside the scope
    if not form.validate_on_submit():
        flash(_("Check the fields: %(errors)s", errors=_form_errors(form)), "error")
        return None
    try:
        with db() as conn, conn.transaction():
            return add(conn)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
        return None


@bp.post("/<int:council_id>/members")
@write_required
def add_member(council_id: int):
    form = MemberForm()
    added = _add_to_council(council_id, form, lambda conn: council.add_member(
        conn, current_scope(), council_id, form.name.data, form.group_represented.data,
        form.term_starts_on.data, form.term_ends_on.data))
    if added is not None:
        flash(_("The member was added."), "success")
    return redirect(url_for("admin.council.show", council_id=council_id), code=303)


@bp.post("/<int:council_id>/members/<int:member_id>/remove")
@write_required
def remove_member(council_id: int, member_id: int):
    with db() as conn, conn.transaction():
        council.remove_member(conn, current_scope(), council_id, member_id)
    flash(_("The member was removed."), "success")
    return redirect(url_for("admin.council.show", council_id=council_id), code=303)


@bp.post("/<int:council_id>/meetings")
@write_required
def new_meeting(council_id: int):
    form = MeetingForm()
    meeting_id = _add_to_council(council_id, form, lambda conn: council_meetings.create_meeting(
        conn, current_scope(), council_id, meets_at=form.meets_at.data, place=form.place.data,
        opens_at=form.opens_at.data, closes_at=form.closes_at.data))
    if meeting_id is None:
        return redirect(url_for("admin.council.show", council_id=council_id), code=303)
    flash(_("The meeting was scheduled as a draft. Open its question window to invite residents."),
          "success")
    return redirect(url_for("admin.council.meeting", meeting_id=meeting_id), code=303)


# --- one meeting ---------------------------------------------------------------------------

def _now(conn: psycopg.Connection) -> dt.datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    scope = current_scope()
    search = request.args.get("q", "").strip()[:100]
    with db() as conn:
        found = council.get_meeting(conn, scope, meeting_id)
        groups = council_questions.groups(conn, found.process_id, search=search)
        asked, supported = council_questions.count(conn, found.process_id)
        invitation = (announcements.get(conn, scope, found.announcement_id)
                      if found.announcement_id else None)
        now = _now(conn)
    return render_template("admin/council_meeting.html", meeting=found, groups=groups,
                           asked=asked, supported=supported, invitation=invitation,
                           window=found.window(now), windows=WINDOWS, search=search,
                           form=FlaskForm())


def _redirect_meeting(meeting_id: int):
    return redirect(url_for("admin.council.meeting", meeting_id=meeting_id), code=303)


@bp.post("/meetings/<int:meeting_id>/open")
@write_required
def open_window(meeting_id: int):
    """Open the question window and invite the district's residents (an announcement)."""
    scope = current_scope()
    version = _version()
    invited = 0
    try:
        with db() as conn, conn.transaction():
            opened = council_meetings.open_window(conn, scope, meeting_id, version)
            invited, announcement_id = _invite(conn, opened)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
        return _redirect_meeting(meeting_id)
    except council.CouncilConflict:
        flash(_("The meeting changed while you had the page open; nothing was done. "
                "Check it below."), "error")
        return _redirect_meeting(meeting_id)
    if announcement_id is not None:
        try:
            current_app.extensions["siang"].queues.enqueue_announcement(announcement_id)
        except redis.RedisError as exc:
            log.warning("council invitation: enqueue failed (%s); the sweeper will catch up",
                        type(exc).__name__)
        flash(_("The question window is open. Inviting %(n)s residents of the district "
                "(in quiet hours, from 08:00).", n=invited), "success")
    else:
        flash(_("The question window is open, but no resident of the district can be "
                "invited yet (none follows Siang and accepts announcements)."), "success")
    return _redirect_meeting(meeting_id)


def _invite(conn: psycopg.Connection, opened: council.Meeting) -> tuple[int, int | None]:
    """Queue the invitation as an announcement to the district (audited as such);
    (residents, announcement id), or (0, None) when nobody can be reached."""
    scope = current_scope()
    draft = announcements.AnnouncementDraft(
        audience="district", district=opened.district,
        text_th=council_messages.invitation(opened, "th")[0]["text"],
        text_en=council_messages.invitation(opened, "en")[0]["text"])
    announcement_id = announcements.create(conn, scope, draft)
    try:
        announcement_queue.start(conn, scope, announcement_id, 1,
                                 lambda language: council_messages.invitation(opened, language))
    except announcements.AnnouncementError as exc:
        if exc.code != "no_recipients":
            raise
        conn.execute("UPDATE announcements SET state = 'cancelled' WHERE id = %s",
                     (announcement_id,))
        council_meetings.set_invitation(conn, opened.id, announcement_id)
        return 0, None
    council_meetings.set_invitation(conn, opened.id, announcement_id)
    size = announcements.get(conn, scope, announcement_id).audience_size
    return size, announcement_id


@bp.post("/meetings/<int:meeting_id>/close")
@write_required
def close_window(meeting_id: int):
    """Close the question window early (``council.window_close``)."""
    version = _version()
    try:
        with db() as conn, conn.transaction():
            council_meetings.close_window(conn, current_scope(), meeting_id, version)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
    except council.CouncilConflict:
        flash(_("The meeting changed while you had the page open; nothing was done. "
                "Check it below."), "error")
    else:
        flash(_("The question window is closed: residents can no longer send questions."),
              "success")
    return _redirect_meeting(meeting_id)


@bp.post("/meetings/<int:meeting_id>/agenda")
@write_required
def agenda(meeting_id: int):
    version = _version()
    chosen = [int(v) for v in request.form.getlist("group") if v.isdigit()]
    chosen.sort(key=lambda g: _order(request.form.get(f"order{g}", ""), g))
    try:
        with db() as conn, conn.transaction():
            council_meetings.save_agenda(conn, current_scope(), meeting_id, version,
                                request.form.get("agenda", ""), chosen)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
        return _redirect_meeting(meeting_id)
    except council.CouncilConflict:
        flash(_("The meeting changed while you had the page open; nothing was saved."), "error")
        return _redirect_meeting(meeting_id)
    flash(_("The agenda was saved."), "success")
    return _redirect_meeting(meeting_id)


def _order(raw: str, group_id: int) -> tuple[int, int]:
    return (int(raw) if raw.strip().isdigit() else 999, group_id)


@bp.post("/meetings/<int:meeting_id>/publish")
@write_required
def publish(meeting_id: int):
    """Publish the minutes and responses, and tell who asked or supported (once each)."""
    version = _version()
    scope = current_scope()
    responses = {int(key[len("response"):]): (value, request.form.get(f"response_en{key[8:]}", ""))
                 for key, value in request.form.items()
                 if key.startswith("response") and key[len("response"):].isdigit()}
    try:
        with db() as conn, conn.transaction():
            published = council_meetings.publish(conn, scope, meeting_id, version,
                                        request.form.get("minutes", ""), responses)
            told, outbox_ids = _tell(conn, published)
    except council.CouncilError as exc:
        flash(error_text(exc), "error")
        return _redirect_meeting(meeting_id)
    except council.CouncilConflict:
        flash(_("The meeting changed while you had the page open; nothing was published."),
              "error")
        return _redirect_meeting(meeting_id)
    after_commit(outbox_ids=outbox_ids)
    flash(_("The minutes and responses were published; %(n)s residents who asked or supported "
            "are being told (in quiet hours, from 08:00).", n=told), "success")
    return _redirect_meeting(meeting_id)


def _tell(conn: psycopg.Connection, published: council.Meeting) -> tuple[int, list[int]]:
    """Outbox rows telling each group's askers and supporters its response (claimed once
    per group and resident; :func:`pb.council_questions.tell_responses`), not in quiet
    hours; the ids are returned only when due now (else the sweeper sends them at 08:00)."""
    url = (f"{current_app.extensions['siang'].settings.public_base_url}"
           f"{url_for('public_council.page', district=published.district)}")
    not_before = multicast.quiet_start(announcements.clock())
    told, ids = council_questions.tell_responses(
        conn, published.process_id, published.district,
        lambda notice, language: council_messages.response_notice(
            published, notice.response, notice.response_en, language, url),
        not_before)
    due = not_before <= announcements.clock()
    return told, (ids if due else [])
