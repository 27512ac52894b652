"""Voting rounds (BMA PB stage 3) in the admin: the staff pages.

Staff create a round from projects that are ready for the vote (the form is
in :mod:`admin.round_forms`), open it, import paper ballots (CSV, checked as
a whole), close it early if need be, tally it (a worker job on the upkeep
queue: MES can take minutes) and publish the results. A round can be
exported as a pabulib ``.pb`` file; an admin can import one to create a
round. The page's figures come from :mod:`admin.round_page`; the public
``/results/<id>`` page is :mod:`admin.public_results`.
"""

from __future__ import annotations

import datetime as dt
import logging

import psycopg
import redis
from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from admin.auth import current_scope, db, login_required, role_required, write_required
from admin.round_forms import (PAPER_PROBLEMS, RoundForm, UploadForm, district_choices,
                               error_text, posted_project_ids, posted_version, round_fields)
from admin.round_page import BALLOT_TYPES, COMPLETIONS, RULES, STATES, display_state, round_page
from pb import audit, ballots, paper_ballots, results, round_changes, round_io, rounds
from pb.pabulib import PbFormatError, read_pb, write_pb
from pb.rounds import Round, RoundConflict, RoundError
from pb.thaidate import BANGKOK

log = logging.getLogger(__name__)
bp = Blueprint("rounds", __name__)
MAX_UPLOAD_BYTES = 20_000_000           # a paper CSV or .pb file (Łódź's .pb is 3.8 MB)


def _enqueue(func: str, step: str, round_id: int) -> bool:
    """Enqueue a voting-round job after the commit; False (and logged) when Redis is down
    (the sweeper enqueues it later: the request or the due state is in PostgreSQL).

    ``step`` names the job id (:func:`workers.queues.round_job_id`): open, close, tally or
    result.
    """
    try:
        current_app.extensions["siang"].queues.enqueue_round_step(func, step, round_id)
    except redis.RedisError as exc:
        log.warning("enqueue %s failed (%s); the sweeper will catch up", func, type(exc).__name__)
        return False
    return True


# --- staff pages ---------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    scope = current_scope()
    with db() as conn:
        voting_rounds = rounds.list_rounds(conn, scope)
        counts = {r.id: ballots.turnout(conn, r.id)["all"] for r in voting_rounds}
    return render_template("admin/rounds.html", rounds=voting_rounds, counts=counts,
                           states=STATES, display_state=display_state, upload=UploadForm())


def _form_page(form: RoundForm, voting_round: Round | None, chosen_ids: list[int],
               error: str | None):
    scope = current_scope()
    with db() as conn:
        candidates = round_changes.candidates(conn, scope, None, chosen_ids)
    return render_template("admin/round_form.html", form=form, round=voting_round,
                           candidates=candidates, chosen=set(chosen_ids), error=error,
                           ballot_types={k: v for k, v in BALLOT_TYPES.items() if k != "cumulative"},
                           rules=RULES, completions=COMPLETIONS), (400 if error else 200)


@bp.route("/new", methods=["GET", "POST"])
@write_required
def new():
    scope = current_scope()
    form = RoundForm()
    form.district.choices = district_choices()
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
        chosen_ids = posted_project_ids()
        try:
            with db() as conn, conn.transaction():
                round_id = round_changes.create(conn, scope, round_fields(form, chosen_ids))
        except RoundError as exc:
            error = error_text(exc)
        else:
            flash(_("The voting round was saved as a draft. Check it, then open it."), "success")
            return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    else:
        chosen_ids = posted_project_ids()
        error = _("Check the fields marked below.")
    return _form_page(form, None, chosen_ids, error)


@bp.get("/<int:round_id>")
@login_required
def show(round_id: int):
    scope = current_scope()
    with db() as conn:
        voting_round = rounds.get(conn, scope, round_id)
        page = round_page(voting_round, conn)
        asked = round_changes.step_request(conn, round_id)
    step_error = (error_text(RoundError(asked.error["code"], **asked.error.get("values", {})))
                  if asked.error else None)
    return render_template("admin/round.html", upload=UploadForm(), asked=asked,
                           step_error=step_error, **page)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@write_required
def edit(round_id: int):
    scope = current_scope()
    with db() as conn:
        voting_round = rounds.get(conn, scope, round_id)
        on_ballot = rounds.projects_of(conn, round_id)
    scope.check(voting_round.district, write=True)
    if voting_round.state != "draft" or voting_round.origin != "siang":
        flash(error_text(RoundError("not_draft")), "error")
        return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    form = RoundForm()
    form.district.choices = district_choices()
    chosen_ids = [p.project_id for p in on_ballot if p.project_id is not None]
    error = None
    if request.method == "GET":
        form.title.data, form.district.data = voting_round.title, voting_round.district or ""
        form.budget_baht.data = voting_round.budget_baht
        form.ballot_type.data = voting_round.ballot_type
        form.max_picks.data = voting_round.max_picks
        form.quorum_kind.data = voting_round.quorum_kind
        form.quorum_value.data = str(voting_round.quorum_value)
        form.opens_at.data, form.closes_at.data = voting_round.opens_at, voting_round.closes_at
        form.rule.data = voting_round.rule
        form.completion.data = "add1" if voting_round.mes_increment == 1 else "default"
    elif form.validate_on_submit():
        chosen_ids = posted_project_ids()
        try:
            with db() as conn, conn.transaction():
                round_changes.update(conn, scope, round_id, posted_version(),
                              round_fields(form, chosen_ids))
        except RoundConflict:
            error = _("Someone changed this round while you were editing it. Nothing was saved: "
                      "reload the page to see their changes, then edit again.")
        except RoundError as exc:
            error = error_text(exc)
        else:
            flash(_("The voting round was saved."), "success")
            return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
    else:
        chosen_ids = posted_project_ids()
        error = _("Check the fields marked below.")
    return _form_page(form, voting_round, chosen_ids, error)


def _state_change(round_id: int, change, success: str):
    scope = current_scope()
    try:
        with db() as conn, conn.transaction():
            change(conn, scope, round_id, posted_version())
    except RoundConflict:
        flash(_("Someone changed this round while you had this page open. Nothing was saved: "
                "check it below and try again."), "error")
        return False
    except RoundError as exc:
        flash(error_text(exc), "error")
        return False
    flash(success, "success")
    return True


def _request_step(round_id: int, step: str, success: str):
    """Record the staff member's request and hand it to the upkeep worker
    (``workers.voting.open_round`` / ``close_round``): the page shows its progress."""
    func = "workers.voting.open_round" if step == "open" else "workers.voting.close_round"
    if _state_change(round_id, lambda conn, scope, rid, version: round_changes.request_step(
            conn, scope, rid, version, step), success):
        _enqueue(func, step, round_id)
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)


@bp.post("/<int:round_id>/open")
@write_required
def open_(round_id: int):
    """Draft → open, in the background. Residents in scope are told at the opening time."""
    return _request_step(round_id, "open", _(
        "Opening the voting round… Residents in scope will be told in LINE at the opening time."))


@bp.post("/<int:round_id>/close")
@write_required
def close(round_id: int):
    """Close an open round now, in the background; it is then tallied."""
    return _request_step(round_id, "close", _(
        "Closing the voting round… The tally follows in the background."))


@bp.post("/<int:round_id>/tally")
@write_required
def tally(round_id: int):
    """Tally (again) under both rules, in a worker."""
    scope = current_scope()
    posted_version()
    with db() as conn:
        voting_round = rounds.get(conn, scope, round_id)
    scope.check(voting_round.district, write=True)
    if voting_round.state not in ("closed", "tallied"):
        flash(error_text(RoundError("not_closed")), "error")
    elif _enqueue("workers.voting.tally_round", "tally", round_id):
        with db() as conn:
            audit.record(conn, scope, "round.tally_requested", "round", round_id,
                         district=voting_round.district)
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
            chosen = results.publish(conn, scope, round_id, posted_version())
    except RoundConflict:
        flash(_("Someone changed this round while you had this page open. Nothing was saved: "
                "check it below and try again."), "error")
    except RoundError as exc:
        flash(error_text(exc), "error")
    else:
        _enqueue("workers.voting.notify_round_result", "result", round_id)
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
        voting_round = rounds.get(conn, scope, round_id)
        on_ballot = rounds.projects_of(conn, round_id)
    report = None
    error = None
    if not data:
        error = _("Choose a CSV file first.")
    else:
        try:
            with db() as conn, conn.transaction():
                report = paper_ballots.import_paper(conn, scope, round_id, data)
        except ballots.BallotError as exc:
            error = error_text(exc)
        except psycopg.errors.UniqueViolation:
            error = _("Another import added some of these voter references meanwhile. Nothing "
                      "was written: check the round, then import again.")
    status = 200 if report is not None and report.ok else 400
    if report is not None and report.ok:
        flash(ngettext("%(n)s paper ballot was imported.", "%(n)s paper ballots were imported.",
                       report.imported, n=report.imported), "success")
    return render_template("admin/round_paper.html", round=voting_round, report=report, error=error,
                           projects=on_ballot, problems=PAPER_PROBLEMS, upload=UploadForm(),
                           state=display_state(voting_round), states=STATES), status


@bp.get("/<int:round_id>/export.pb")
@login_required
def export(round_id: int):
    """The round and its ballots as a pabulib file (never while open: no running count leaks)."""
    scope = current_scope()
    with db() as conn:
        voting_round = rounds.get(conn, scope, round_id)
        if voting_round.state == "open":
            abort(404)
        text = write_pb(round_io.export_pb(conn, round_id))
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
            round_id = round_io.import_pb(conn, scope, instance, rule=rule)
    except (RoundError, ballots.BallotError) as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    except ValueError as exc:
        flash(_("The file is not a valid pabulib file: %(error)s", error=str(exc)[:300]), "error")
        return redirect(url_for("admin.rounds.index"), code=303)
    flash(_("The file was imported as a closed round. Tally it to see the results."), "success")
    return redirect(url_for("admin.rounds.show", round_id=round_id), code=303)
