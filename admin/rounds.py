"""Voting rounds (BMA PB stage 3) in the admin, and the public results page.

Staff create a round from projects that are ready for the vote (scope, budget
envelope in baht, ballot type, quorum, opening and closing times typed in
Bangkok time as ``dd/mm/BBBB HH:MM``, tally rule), open it, import paper
ballots (CSV, checked as a whole), close it early if need be, tally it (a
worker job: MES can take minutes) and publish the results. A round can be
exported as a pabulib ``.pb`` file; an admin can import one to create a
round. ``/results/<id>`` shows a published round to anyone, without login:
turnout against the quorum, votes per project, the winners under the
round's rule and under the other one, the budget used and a bar chart in
inline SVG (no script).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import psycopg
import redis
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.auth import current_scope, db, login_required, role_required, write_required
from admin.forms import BahtField, ParsedTextField
from admin.headers import set_security_headers
from pb import ballots, districts, results, rounds
from pb.pabulib import PbFormatError, read_pb, write_pb
from pb.rounds import Round, RoundConflict, RoundError, RoundProject
from pb.scope import ScopeError
from pb.thaidate import BANGKOK, BE_OFFSET

log = logging.getLogger(__name__)
bp = Blueprint("rounds", __name__)
public_bp = Blueprint("results", __name__, url_prefix="/results")
MAX_UPLOAD_BYTES = 20_000_000           # a paper CSV or .pb file (Łódź's .pb is 3.8 MB)

ERRORS = {
    "title_required": _l("The round needs a title."),
    "title_too_long": _l("The title is too long (at most %(limit)s characters)."),
    "bad_district": _l("Choose one of Bangkok's 50 districts, or city-wide."),
    "bad_budget": _l("The budget envelope must be a whole number of baht, at least 1."),
    "bad_ballot_type": _l("Choose approval or knapsack ballots."),
    "bad_max_picks": _l("Approval ballots need the most projects a resident may pick (k, 1 or more)."),
    "bad_quorum": _l("The quorum must be a whole number of ballots, 0 or more."),
    "bad_quorum_percent": _l("The quorum percentage must be between 0 and 100 (two decimals at most)."),
    "closes_before_opens": _l("Voting must close after it opens."),
    "closes_in_past": _l("The closing time has already passed."),
    "bad_rule": _l("Choose greedy or the Method of Equal Shares."),
    "bad_mes_increment": _l("Unknown completion method."),
    "no_projects": _l("A round needs at least one project. Tick the projects residents vote on."),
    "too_many_projects": _l("A round can hold at most %(limit)s projects."),
    "unknown_project": _l("Project #%(project)s is not available (missing, or outside your districts)."),
    "project_other_district": _l("Project #%(project)s belongs to %(district)s, not to the round's district."),
    "project_not_ready": _l("Project #%(project)s is not ready for the vote. Move it to “Ready for vote” first."),
    "project_without_cost": _l("Project #%(project)s has no estimated cost."),
    "project_in_other_round": _l("Project #%(project)s is already on voting round #%(round)s."),
    "different_process": _l("The projects belong to different participatory processes."),
    "envelope_too_small": _l("The budget envelope is smaller than every project (the cheapest costs "
                             "%(cheapest)s baht): no project could ever be funded."),
    "max_picks_over_projects": _l("k cannot be more than the number of projects (%(n)s)."),
    "not_draft": _l("Only a draft round can be changed."),
    "not_open": _l("Only an open round can be closed."),
    "not_closed": _l("Only a closed round can be tallied."),
    "not_tallied": _l("Tally the round before publishing it."),
    "stale_results": _l("Ballots were added after the last tally. Tally again, then publish."),
    "unsupported_vote_type": _l("This file's vote type (%(vote_type)s) has no tally rule here: "
                                "only approval, choose-1, cumulative and scoring files."),
    "bad_project_code": _l("A project id in the file is longer than 100 characters or holds a comma."),
    "paper_not_accepted": _l("Paper ballots are taken only while the round is open, closed or tallied."),
    "over_budget": _l("A ballot in the file costs more than the budget envelope."),
}

STATES = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "tallied": _l("Tallied"),
    "published": _l("Published"),
}
BALLOT_TYPES = {"approval": _l("Approval (at most k picks)"),
                "knapsack": _l("Knapsack (picks must fit the envelope)"),
                "cumulative": _l("Cumulative points (imported)")}
RULES = {"greedy": _l("Greedy by votes within the budget"),
         "mes": _l("Method of Equal Shares")}
RULES_SHORT = {"greedy": _l("Greedy"), "mes": _l("MES")}
COMPLETIONS = {"default": _l("Budget increase in steps of one percent (pabutools voter_budget_increment)"),
               "add1": _l("Add1: budget increase one baht at a time (exact, slow)")}
PAPER_PROBLEMS = {
    "no_voter_ref": _l("no voter reference"),
    "no_picks": _l("no project picked"),
    "unknown_project": _l("unknown project"),
    "duplicate_project": _l("the same project twice"),
    "too_many": _l("more picks than k"),
    "over_budget": _l("over the budget envelope"),
    "duplicate_in_file": _l("voter reference repeated in the file"),
    "already_voted": _l("voter reference already imported"),
}


def error_text(exc: Exception) -> str:
    code = getattr(exc, "code", "")
    values = dict(getattr(exc, "values", {}) or {})
    for key, value in values.items():
        if isinstance(value, int) and key in ("cheapest",):
            values[key] = f"{value:,}"
    template = ERRORS.get(code)
    if template is None:
        return _("That could not be done.")
    try:
        return str(template) % values if values else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template)


# --- forms -------------------------------------------------------------------------

_BE_DATETIME = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s+(\d{1,2})[:.](\d{2})\s*(น\.)?\s*$")


def parse_be_datetime(text: str) -> dt.datetime:
    """``dd/mm/BBBB HH:MM`` (Buddhist Era, Bangkok time) → an aware datetime.

    Raises:
        ValueError: not that shape, a Common Era year, or no such moment.
    """
    match = _BE_DATETIME.match(text)
    if not match:
        raise ValueError("expected dd/mm/BBBB HH:MM")
    day, month, year, hour, minute = (int(g) for g in match.groups()[:5])
    if year < 2400:
        raise ValueError("Buddhist Era year expected")
    return dt.datetime(year - BE_OFFSET, month, day, hour, minute, tzinfo=BANGKOK)


def format_be_datetime(value: dt.datetime) -> str:
    local = value.astimezone(BANGKOK)
    return f"{local.day:02d}/{local.month:02d}/{local.year + BE_OFFSET} {local:%H:%M}"


class BEDateTimeField(ParsedTextField):
    """A moment typed as ``dd/mm/BBBB HH:MM`` in Bangkok time (พ.ศ.)."""

    kind = dt.datetime
    message = _l("Write the time as dd/mm/yyyy HH:MM, Buddhist Era, Bangkok time, "
                 "e.g. 01/03/2569 08:00.")
    parse = staticmethod(parse_be_datetime)
    show = staticmethod(format_be_datetime)


_REQUIRED = _l("Required.")


class RoundForm(FlaskForm):
    title = StringField(validators=[DataRequired(_REQUIRED), Length(max=200)])
    district = SelectField(validate_choice=False)
    budget_baht = BahtField(validators=[DataRequired(_REQUIRED)])
    ballot_type = SelectField(choices=[("approval", ""), ("knapsack", "")])
    max_picks = IntegerField(validators=[Optional(), NumberRange(1, rounds.MAX_PROJECTS)])
    quorum_kind = SelectField(choices=[("ballots", ""), ("percent", "")])
    quorum_value = StringField(validators=[DataRequired(_REQUIRED), Length(max=20)])
    # InputRequired, not DataRequired: DataRequired would drop the parse error of a badly typed time.
    opens_at = BEDateTimeField(validators=[InputRequired(_REQUIRED)])
    closes_at = BEDateTimeField(validators=[InputRequired(_REQUIRED)])
    rule = SelectField(choices=[("greedy", ""), ("mes", "")])
    completion = SelectField(choices=[("default", ""), ("add1", "")])


class UploadForm(FlaskForm):
    """A file upload (paper CSV or .pb); the file itself is read from ``request.files``."""


def _district_choices() -> list[tuple[str, str]]:
    scope = current_scope()
    choices = [("", _("City-wide (all of Bangkok)"))] if scope.districts is None else []
    return choices + [(d, f"{d} ({districts.ENGLISH_NAMES[d]})")
                      for d in scope.visible_districts(districts.THAI_NAMES)]


def _fields(form: RoundForm, project_ids: list[int]) -> rounds.RoundFields:
    return rounds.RoundFields(
        title=form.title.data or "", district=form.district.data or None,
        budget_baht=form.budget_baht.data or 0, ballot_type=form.ballot_type.data,
        max_picks=form.max_picks.data, quorum_kind=form.quorum_kind.data,
        quorum_value=(form.quorum_value.data or "").replace(",", "").replace("%", "").strip(),
        opens_at=form.opens_at.data, closes_at=form.closes_at.data, rule=form.rule.data,
        project_ids=project_ids, mes_increment=1 if form.completion.data == "add1" else None)


def _project_ids() -> list[int]:
    values = request.form.getlist("project")
    if not all(v.isdigit() and len(v) < 13 for v in values) or len(values) > rounds.MAX_PROJECTS:
        abort(400)
    return [int(v) for v in values]


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _enqueue(func: str, round_id: int, job_id: str) -> bool:
    """Enqueue a voting job after the commit; False (and logged) when Redis is down."""
    from workers.voting import TALLY_TIMEOUT_S

    try:
        current_app.extensions["siang"].upkeep.enqueue(
            func, round_id, job_id=job_id, job_timeout=TALLY_TIMEOUT_S, result_ttl=60,
            failure_ttl=86400)
    except redis.RedisError as exc:
        log.warning("enqueue %s failed (%s); the sweeper will catch up", func, type(exc).__name__)
        return False
    return True


# --- view helpers ------------------------------------------------------------------------


def display_state(found: Round) -> str:
    """The state staff read: an open round before its opening time is "scheduled"."""
    if found.state == "open" and found.opens_at > dt.datetime.now(dt.timezone.utc):
        return "scheduled"
    return found.state


@dataclass
class ResultRow:
    code: str
    title: str
    cost: int
    votes: int
    share: float              # percent of ballots
    chosen_win: bool          # funded under the round's rule
    other_win: bool           # funded under the other rule
    points: int | None


@dataclass
class ChartBar:
    y: float
    width: float
    label: str
    count: str
    winner: bool


def result_rows(found: Round, on_ballot: list[RoundProject],
                stored: dict[str, results.RoundResult]) -> list[ResultRow]:
    """One row per project, most votes first (ties: ballot order)."""
    chosen = stored.get(found.rule)
    other = stored.get(found.other_rule())
    if chosen is None:
        return []
    win = set(chosen.winners)
    other_win = set(other.winners) if other else set()
    rows = [ResultRow(p.code, p.title, p.cost_baht, int(chosen.votes.get(p.code, 0)),
                      100.0 * int(chosen.votes.get(p.code, 0)) / chosen.ballots if chosen.ballots else 0.0,
                      p.code in win, p.code in other_win,
                      int(chosen.points[p.code]) if chosen.points and p.code in chosen.points else None)
            for p in on_ballot]
    rows.sort(key=lambda r: -(r.points if r.points is not None else r.votes))
    return rows


CHART_WIDTH = 400          # viewBox units: 15-unit text stays readable scaled to a phone
CHART_ROW = 48


def chart(rows: list[ResultRow], limit: int = 60) -> tuple[list[ChartBar], int]:
    """Bars of votes per project for the inline SVG: (bars, height in px)."""
    shown = rows[:limit]
    top = max((r.points if r.points is not None else r.votes for r in shown), default=0) or 1
    bars = []
    for n, r in enumerate(shown):
        value = r.points if r.points is not None else r.votes
        title = r.title if len(r.title) <= 44 else r.title[:43] + "…"
        bars.append(ChartBar(y=n * CHART_ROW, width=max(2.0, (CHART_WIDTH - 70) * value / top),
                             label=title, count=f"{value:,}", winner=r.chosen_win))
    return bars, max(CHART_ROW, len(bars) * CHART_ROW)


def _round_page(found: Round, conn: psycopg.Connection) -> dict:
    on_ballot = rounds.projects_of(conn, found.id)
    stored = results.of_round(conn, found.id)
    turnout = ballots.turnout(conn, found.id)
    electorate = rounds.electorate(conn, found.district) if found.origin == "siang" else None
    chosen = stored.get(found.rule)
    required = chosen.quorum_required if chosen else rounds.quorum_required(found, electorate)
    rows = result_rows(found, on_ballot, stored)
    bars, height = chart(rows)
    return {
        "round": found, "projects": on_ballot, "stored": stored, "chosen": chosen,
        "other": stored.get(found.other_rule()), "turnout": turnout, "electorate": electorate,
        "required": required, "quorum_met": turnout["all"] >= required,
        "stale": chosen is not None and chosen.ballots != turnout["all"],
        "rows": rows, "bars": bars, "chart_height": height, "chart_width": CHART_WIDTH,
        "state": display_state(found), "states": STATES, "ballot_types": BALLOT_TYPES,
        "rules": RULES, "rules_short": RULES_SHORT, "completions": COMPLETIONS,
        "total_cost": sum(p.cost_baht for p in on_ballot),
        "too_costly": [p for p in on_ballot if p.cost_baht > found.budget_baht],
    }


# --- staff pages ---------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    scope = current_scope()
    with db() as conn:
        found = rounds.list_rounds(conn, scope)
        counts = {r.id: ballots.turnout(conn, r.id)["all"] for r in found}
    return render_template("admin/rounds.html", rounds=found, counts=counts, states=STATES,
                           display_state=display_state, upload=UploadForm())


def _form_page(form: RoundForm, found: Round | None, chosen_ids: list[int], error: str | None):
    scope = current_scope()
    with db() as conn:
        candidates = rounds.candidates(conn, scope, None, chosen_ids)
    return render_template("admin/round_form.html", form=form, round=found,
                           candidates=candidates, chosen=set(chosen_ids), error=error,
                           ballot_types={k: v for k, v in BALLOT_TYPES.items() if k != "cumulative"},
                           rules=RULES, completions=COMPLETIONS), (400 if error else 200)


@bp.route("/new", methods=["GET", "POST"])
@write_required
def new():
    scope = current_scope()
    form = RoundForm()
    form.district.choices = _district_choices()
    chosen_ids: list[int] = []
    error = None
    if request.method == "GET":
        now = dt.datetime.now(BANGKOK).replace(minute=0, second=0, microsecond=0)
        form.opens_at.data = now + dt.timedelta(days=1, hours=8 - now.hour)
        form.closes_at.data = form.opens_at.data + dt.timedelta(days=14, hours=12)
        form.quorum_value.data = "0"
        form.max_picks.data = 3
        if scope.districts is not None and scope.districts:
            form.district.data = sorted(scope.districts)[0]
    elif form.validate_on_submit():
        chosen_ids = _project_ids()
        try:
            with db() as conn, conn.transaction():
                round_id = rounds.create(conn, scope, _fields(form, chosen_ids))
        except RoundError as exc:
            error = error_text(exc)
        else:
            flash(_("The voting round was saved as a draft. Check it, then open it."), "success")
            return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    else:
        chosen_ids = _project_ids()
        error = _("Check the fields marked below.")
    return _form_page(form, None, chosen_ids, error)


@bp.get("/<int:round_id>")
@login_required
def show(round_id: int):
    scope = current_scope()
    with db() as conn:
        found = rounds.get(conn, scope, round_id)
        page = _round_page(found, conn)
    return render_template("admin/round.html", upload=UploadForm(), **page)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@write_required
def edit(round_id: int):
    scope = current_scope()
    with db() as conn:
        found = rounds.get(conn, scope, round_id)
        on_ballot = rounds.projects_of(conn, round_id)
    scope.check(found.district, write=True)
    if found.state != "draft" or found.origin != "siang":
        flash(error_text(RoundError("not_draft")), "error")
        return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    form = RoundForm()
    form.district.choices = _district_choices()
    chosen_ids = [p.project_id for p in on_ballot if p.project_id is not None]
    error = None
    if request.method == "GET":
        form.title.data, form.district.data = found.title, found.district or ""
        form.budget_baht.data, form.ballot_type.data = found.budget_baht, found.ballot_type
        form.max_picks.data, form.quorum_kind.data = found.max_picks, found.quorum_kind
        form.quorum_value.data = str(found.quorum_value)
        form.opens_at.data, form.closes_at.data = found.opens_at, found.closes_at
        form.rule.data = found.rule
        form.completion.data = "add1" if found.mes_increment == 1 else "default"
    elif form.validate_on_submit():
        chosen_ids = _project_ids()
        try:
            with db() as conn, conn.transaction():
                rounds.update(conn, scope, round_id, _version(), _fields(form, chosen_ids))
        except RoundConflict:
            error = _("Someone changed this round while you were editing it. Nothing was saved: "
                      "reload the page to see their changes, then edit again.")
        except RoundError as exc:
            error = error_text(exc)
        else:
            flash(_("The voting round was saved."), "success")
            return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    else:
        chosen_ids = _project_ids()
        error = _("Check the fields marked below.")
    return _form_page(form, found, chosen_ids, error)


def _state_change(round_id: int, change, success: str):
    scope = current_scope()
    try:
        with db() as conn, conn.transaction():
            change(conn, scope, round_id, _version())
    except RoundConflict:
        flash(_("Someone changed this round while you had this page open. Nothing was saved: "
                "check it below and try again."), "error")
        return False
    except RoundError as exc:
        flash(error_text(exc), "error")
        return False
    flash(success, "success")
    return True


@bp.post("/<int:round_id>/open")
@write_required
def open_(round_id: int):
    """Draft → open. Residents in scope are told when the opening time comes."""
    if _state_change(round_id, rounds.open_round,
                     _("Voting is open. Residents in scope will be told in LINE at the opening time.")):
        _enqueue("workers.voting.notify_round_open", round_id, f"round-open-{round_id}")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


@bp.post("/<int:round_id>/close")
@write_required
def close(round_id: int):
    """Close an open round now (it is then tallied by a worker)."""
    if _state_change(round_id, rounds.close_now,
                     _("Voting is closed. The tally runs in the background: reload in a moment.")):
        _enqueue("workers.voting.tally_round", round_id, f"round-tally-{round_id}")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


@bp.post("/<int:round_id>/tally")
@write_required
def tally(round_id: int):
    """Tally (again) under both rules, in a worker."""
    scope = current_scope()
    _version()
    with db() as conn:
        found = rounds.get(conn, scope, round_id)
    scope.check(found.district, write=True)
    if found.state not in ("closed", "tallied"):
        flash(error_text(RoundError("not_closed")), "error")
    elif _enqueue("workers.voting.tally_round", round_id, f"round-tally-{round_id}"):
        with db() as conn:
            from pb import audit

            audit.record(conn, scope, "round.tally_requested", "round", round_id,
                         district=found.district)
        flash(_("The tally runs in the background: reload in a moment."), "success")
    else:
        flash(_("The job queue is not reachable right now. Try again in a minute."), "error")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


@bp.post("/<int:round_id>/publish")
@write_required
def publish(round_id: int):
    """Publish the results: the public page goes live and voters are told in LINE."""
    scope = current_scope()
    try:
        with db() as conn, conn.transaction():
            chosen = results.publish(conn, scope, round_id, _version())
    except RoundConflict:
        flash(_("Someone changed this round while you had this page open. Nothing was saved: "
                "check it below and try again."), "error")
    except RoundError as exc:
        flash(error_text(exc), "error")
    else:
        _enqueue("workers.voting.notify_round_result", round_id, f"round-result-{round_id}")
        if chosen.quorum_met:
            flash(_("The results are published. Winning projects are now “Selected”; voters "
                    "will be told in LINE."), "success")
        else:
            flash(_("The results are published as not valid (the quorum was not met). Projects "
                    "keep their state; voters will be told in LINE."), "success")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


def _upload() -> bytes:
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return b""
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        abort(413)
    return data


@bp.post("/<int:round_id>/paper")
@write_required
def paper(round_id: int):
    """Import paper ballots (CSV: voter reference, project codes); all or nothing."""
    scope = current_scope()
    data = _upload()
    with db() as conn:
        found = rounds.get(conn, scope, round_id)
        on_ballot = rounds.projects_of(conn, round_id)
    report = None
    error = None
    if not data:
        error = _("Choose a CSV file first.")
    else:
        try:
            with db() as conn, conn.transaction():
                report = ballots.import_paper(conn, scope, round_id, data)
        except ballots.BallotError as exc:
            error = error_text(exc)
        except psycopg.errors.UniqueViolation:
            error = _("Another import added some of these voter references meanwhile. Nothing "
                      "was written: check the round, then import again.")
    status = 200 if report is not None and report.ok else 400
    if report is not None and report.ok:
        flash(_("%(n)s paper ballots were imported.", n=report.imported), "success")
    return render_template("admin/round_paper.html", round=found, report=report, error=error,
                           projects=on_ballot, problems=PAPER_PROBLEMS, upload=UploadForm(),
                           state=display_state(found), states=STATES), status


@bp.get("/<int:round_id>/export.pb")
@login_required
def export(round_id: int):
    """The round and its ballots as a pabulib file (never while open: no running count leaks)."""
    scope = current_scope()
    with db() as conn:
        found = rounds.get(conn, scope, round_id)
        if found.state == "open":
            abort(404)
        text = write_pb(rounds.export_pb(conn, round_id))
    return Response(text, mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="siang_round_{round_id}.pb"'})


@bp.post("/import")
@role_required("admin")
def import_pb():
    """Create a round from a pabulib .pb file (closed, ready to tally)."""
    scope = current_scope()
    data = _upload()
    try:
        instance = read_pb(data.decode("utf-8-sig")) if data else None
    except (UnicodeDecodeError, PbFormatError) as exc:
        flash(_("The file is not a valid pabulib file: %(error)s", error=str(exc)[:300]), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    if instance is None:
        flash(_("Choose a .pb file first."), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    rule = request.form.get("rule", "greedy")
    if rule not in rounds.RULES:
        abort(400)
    try:
        with db() as conn, conn.transaction():
            round_id = rounds.import_pb(conn, scope, instance, rule=rule)
    except (RoundError, ballots.BallotError) as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    except ValueError as exc:
        flash(_("The file is not a valid pabulib file: %(error)s", error=str(exc)[:300]), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    flash(_("The file was imported as a closed round. Tally it to see the results."), "success")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


# --- the public results page -------------------------------------------------------------


@public_bp.after_request
def _public_headers(response):
    return set_security_headers(
        response, cache="public, max-age=60",
        csp="default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


@public_bp.get("/<int:round_id>")
def public(round_id: int):
    """A published round's results, for anyone (Thai; ``?lang=en`` for English)."""
    lang = request.args.get("lang", "th")
    if lang not in ("th", "en"):
        lang = "th"
    with db() as conn:
        shown = results.public(conn, round_id)
        page = _round_page(shown[0], conn) if shown else None
    with force_locale(lang):
        if page is None:
            return render_template("admin/round_public.html", missing=True, lang=lang), 404
        return render_template("admin/round_public.html", missing=False, lang=lang, **page)
