"""The hearing forms (issue 18), their error texts, and the results chart's geometry."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin.forms import BEDateField, BEDateTimeField
from pb import districts, hearing_answers, hearing_results, hearings
from pb.hearing_questions import HearingError, check_session, parse_questions
from pb.hearing_results import QuestionResult
from pb.scope import Scope

_REQUIRED = _l("This field is required.")

ERRORS = {
    "title_required": _l("The hearing needs a title."),
    "title_too_long": _l("The title or introduction is too long."),
    "bad_area": _l("Choose a district, a district group or the whole city."),
    "bad_dates": _l("The closing date must be on or after the opening date."),
    "no_questions": _l("Write at least one question."),
    "bad_question_line": _l("Question line %(line)s: start it with open:, single:, multi: or rating: (or เปิด:, เลือกหนึ่ง:, เลือกหลาย:, คะแนน:)."),
    "question_too_long": _l("Question line %(line)s: the question must have 1 to %(limit)s characters."),
    "too_few_options": _l("Question line %(line)s: a choice question needs at least 2 options, separated by |."),
    "too_many_options": _l("Question line %(line)s: at most %(limit)s options."),
    "option_too_long": _l("Question line %(line)s: an option has at most %(limit)s characters."),
    "options_not_allowed": _l("Question line %(line)s: open and rating questions have no options."),
    "too_many_questions": _l("At most %(limit)s questions."),
    "session_incomplete": _l("For an in-person session give the place, the date and time and the capacity (1 to 100,000), or leave all three empty."),
    "session_before_open": _l("The in-person session must be after the hearing opens."),
    "not_draft": _l("Only a draft hearing can be opened."),
    "not_draft_edit": _l("Only a draft hearing can be changed: once it is open, residents may have answered it."),
    "closed_already": _l("The closing date has passed: this hearing can no longer be opened."),
    "not_open": _l("Only an open hearing can be closed."),
    "not_closable": _l("Only an open or closed hearing can be published."),
    "summary_too_long": _l("The summary is too long (at most 20,000 characters)."),
}


def error_text(exc: HearingError) -> str:
    """A translated sentence for a :class:`HearingError`."""
    template = ERRORS.get(exc.code)
    if template is None:
        return _("That could not be done.")
    try:
        return str(template) % exc.values if exc.values else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template)


class HearingForm(FlaskForm):
    title = StringField(validators=[DataRequired(_REQUIRED), Length(max=200)])
    title_en = StringField(validators=[Optional(), Length(max=200)])
    intro = TextAreaField(validators=[Optional(), Length(max=2000)])
    area = SelectField(validate_choice=False)
    opens_on = BEDateField(validators=[InputRequired(_REQUIRED)])
    closes_on = BEDateField(validators=[InputRequired(_REQUIRED)])
    questions = TextAreaField(validators=[DataRequired(_REQUIRED), Length(max=20000)])
    session_place = StringField(validators=[Optional(), Length(max=300)])
    session_at = BEDateTimeField(validators=[Optional()])
    session_capacity = IntegerField(validators=[Optional(), NumberRange(1, 100_000)])


class StepForm(FlaskForm):
    """Open, close or publish: the version the page showed (and, to publish, the summary)."""

    version = StringField(validators=[DataRequired()])
    summary = TextAreaField(validators=[Optional(), Length(max=20000)])


def area_choices(scope: Scope) -> list[tuple[str, str]]:
    """The areas a staff member may hold a hearing for: the whole city (admins), the
    district groups whose every district they reach, and their districts."""
    out = [("city", _("All of Bangkok"))] if scope.districts is None else []
    out += [(f"group:{g}", _("District group %(g)s (%(n)s districts)", g=f"กลุ่ม{g}",
                             n=len(members)))
            for g, members in districts.DISTRICT_GROUPS.items()
            if all(scope.allows(d) for d in members)]
    out += [(d, d) for d in scope.visible_districts(districts.THAI_NAMES)]
    return out


def fields_of(form: HearingForm) -> hearings.HearingFields:
    """The validated form as :class:`pb.hearings.HearingFields`.

    Raises:
        HearingError: the questions' text or the session fields are malformed.
    """
    return hearings.HearingFields(
        title=form.title.data or "", title_en=form.title_en.data or "",
        intro=form.intro.data or "", area=form.area.data or "",
        opens_on=form.opens_on.data, closes_on=form.closes_on.data,
        questions=parse_questions(form.questions.data or ""),
        session=check_session(form.session_place.data or "", form.session_at.data,
                              form.session_capacity.data))


@dataclass
class Bar:
    label: str
    count: int
    percent: float
    y: int
    width: float


BAR_MAX = 420.0          # SVG units for the biggest bar
ROW = 46                 # SVG units per bar (label above it)


def chart(result: QuestionResult) -> tuple[list[Bar], int]:
    """Bars for a choice or rating question (inline SVG) and the chart's height."""
    top = max(result.counts or [0]) or 1
    total = result.answered or 1
    bars = [Bar(label, n, 100.0 * n / total, i * ROW, BAR_MAX * n / top)
            for i, (label, n) in enumerate(zip(result.labels, result.counts))]
    return bars, max(len(bars) * ROW, ROW)


def figures(conn, found: hearings.Hearing) -> dict:
    """What the staff page, the printable summary and the public page show of a hearing."""
    results = hearing_results.results(conn, found.id)
    return {"hearing": found, "results": results,
            "charts": {r.question.id: chart(r) for r in results if r.counts},
            "respondents": hearing_results.respondents(conn, found.id),
            "session": hearing_answers.session_of(conn, found.id)}
