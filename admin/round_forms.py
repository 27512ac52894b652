"""What staff type into the voting-round forms, and what they read when it is refused.

The round form (scope, budget envelope in baht, ballot type, quorum, opening
and closing times typed in Bangkok time as ``dd/mm/BBBB HH:MM``, tally rule),
the upload form (paper ballots CSV or pabulib ``.pb`` file), the posted
values the staff views read, and the words for ``pb.rounds``/``pb.ballots``
error codes and paper-ballot problems in the staff member's language.
"""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.auth import current_scope
from admin.forms import BahtField, BEDateTimeField
from pb import districts, rounds

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
    """A translated sentence for a ``RoundError`` or ``BallotError`` (its ``code`` in
    :data:`ERRORS`, its ``values`` filled in); a generic sentence for an unknown code."""
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


_REQUIRED = _l("Required.")


class RoundForm(FlaskForm):
    """A voting round's fields; the ticked projects and the version are read apart."""

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


def district_choices() -> list[tuple[str, str]]:
    """(value, label) for the district select: city-wide when the staff member's
    scope is all of Bangkok, then the districts in their scope."""
    scope = current_scope()
    choices = [("", _("City-wide (all of Bangkok)"))] if scope.districts is None else []
    return choices + [(d, f"{d} ({districts.ENGLISH_NAMES[d]})")
                      for d in scope.visible_districts(districts.THAI_NAMES)]


def round_fields(form: RoundForm, project_ids: list[int]) -> rounds.RoundFields:
    """The validated form and the ticked project ids as ``pb.rounds.RoundFields``
    (quorum text stripped of commas and "%")."""
    return rounds.RoundFields(
        title=form.title.data or "", district=form.district.data or None,
        budget_baht=form.budget_baht.data or 0, ballot_type=form.ballot_type.data,
        max_picks=form.max_picks.data, quorum_kind=form.quorum_kind.data,
        quorum_value=(form.quorum_value.data or "").replace(",", "").replace("%", "").strip(),
        opens_at=form.opens_at.data, closes_at=form.closes_at.data, rule=form.rule.data,
        project_ids=project_ids, mes_increment=1 if form.completion.data == "add1" else None)


def posted_project_ids() -> list[int]:
    """The ticked project ids of the posted form; a malformed list aborts with 400."""
    values = request.form.getlist("project")
    if not all(v.isdigit() and len(v) < 13 for v in values) or len(values) > rounds.MAX_PROJECTS:
        abort(400)
    return [int(v) for v in values]


def posted_version() -> int:
    """The round version the posted form was built from; malformed aborts with 400."""
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)
