"""Progress reports (BMA PB stage 4, นำไปสู่การปฏิบัติ), following the BMA progress-report form.

The form has a header (project code, fiscal year in the Buddhist Era, start
and end, budget received and used in integer baht, responsible unit,
rationale, objectives, goals, strategy alignment, KPI) and numbered
reports (ครั้งที่ 1, 2, ...), each with a date (dd/mm/BBBB), a narrative,
the progress in percent, the budget disbursed in that report (baht), on plan
(yes/no), on target (yes/no) and an optional photo. Title, district, fiscal
year, dates, KPI and responsible unit come from the project (``pb.projects``);
the rest of the header lives in ``progress_forms``; budget used is the sum of
the reports' disbursements.

Rules checked before anything is written (:func:`validate_report`), each a
:class:`ProgressError` with a stable code the admin turns into Thai or
English (``admin.progress.ERRORS``):

* percent is 0–100 and does not go down unless a reason is given;
* the total disbursed never exceeds the budget received;
* the report date is not after the project's end, not before the previous
  report and not in the future. A report may come before the planned start
  (issue 16: BMA reports are filed on schedule whatever the start date says);
  :func:`before_start` tells the form and the report to say so.

Reports are never edited; a correction is the next report, so what was
published stays on record. Filing the first report moves a ``selected``
project to ``in_progress``. Every write is audited.

What the admin list, the public page and LINE show of a project's progress
is :mod:`pb.progress_summaries`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, clock
from pb import projects as project_rows
from pb.scope import Scope
from pb.thaidate import BANGKOK

FILING_STATES = ("selected", "in_progress")            # reports may be filed
PUBLIC_STATES = ("selected", "in_progress", "done")    # shown on the public progress page
MAX_BAHT = project_rows.MAX_COST_BAHT
PHOTO_MAX_BYTES = 5 * 1024 * 1024
FORM_LIMITS = {"project_code": 50, "rationale": 5000, "objectives": 5000, "goals": 5000,
               "strategy": 2000}
NARRATIVE_MAX = 5000
REASON_MAX = 1000


class ProgressError(ValueError):
    """A report or form that breaks a rule; nothing was written.

    Attributes:
        code: stable name (``admin.progress.ERRORS`` has its Thai and English text).
        values: values for the message (e.g. ``previous``, ``budget``).
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code, self.values = code, values


class ProgressConflict(Exception):
    """Someone filed a report or saved the form after this page was loaded."""


@dataclass
class FormFields:
    """The header fields staff fill in. Money is integer baht."""

    project_code: str = ""
    budget_received_baht: int | None = None
    rationale: str = ""
    objectives: str = ""
    goals: str = ""
    strategy: str = ""


@dataclass
class Form(FormFields):
    project_id: int = 0
    version: int = 0            # 0: never saved
    updated_at: dt.datetime | None = None


@dataclass
class ReportFields:
    """One report as staff type it. ``disbursed_baht`` is this report's disbursement only."""

    report_date: dt.date | None
    narrative: str
    percent: int | None
    disbursed_baht: int | None
    on_plan: bool
    on_target: bool
    decrease_reason: str = ""


@dataclass
class Report(ReportFields):
    id: int = 0
    project_id: int = 0
    number: int = 0
    created_at: dt.datetime | None = None
    has_photo: bool = False


@dataclass
class Photo:
    content_type: str
    data: bytes
    sha256: str


_FORM_FIELDS = [f.name for f in dataclasses.fields(FormFields)]
_REPORT_COLUMNS = ("r.id, r.project_id, r.number, r.report_date, r.narrative, r.percent::int "
                   "AS percent, r.disbursed_baht, r.on_plan, r.on_target, r.decrease_reason, "
                   "r.created_at, EXISTS (SELECT 1 FROM progress_photos ph "
                   "WHERE ph.report_id = r.id) AS has_photo")


def today_bangkok() -> dt.date:
    return clock.now().astimezone(BANGKOK).date()


# --- the form header ---------------------------------------------------------

def get_form(conn: psycopg.Connection, project_id: int) -> Form:
    """The header of a project's form (an empty one, version 0, before the first save)."""
    with conn.cursor(row_factory=class_row(Form)) as cur:
        cur.execute(f"SELECT project_id, version, updated_at, {', '.join(_FORM_FIELDS)} "
                    "FROM progress_forms WHERE project_id = %s", (project_id,))
        row = cur.fetchone()
    return row or Form(project_id=project_id)


def validate_form(fields: FormFields, disbursed_total: int = 0) -> FormFields:
    """Clean the header fields.

    Raises:
        ProgressError: ``bad_budget`` (negative or huge), ``budget_below_disbursed``
            (less than already disbursed), ``field_too_long``.
    """
    budget = fields.budget_received_baht
    if budget is not None and not 0 <= budget <= MAX_BAHT:
        raise ProgressError("bad_budget")
    if budget is not None and budget < disbursed_total:
        raise ProgressError("budget_below_disbursed", disbursed=disbursed_total, budget=budget)
    cleaned = {name: getattr(fields, name).strip() for name in FORM_LIMITS}
    cleaned["project_code"] = " ".join(cleaned["project_code"].split())
    for name, limit in FORM_LIMITS.items():
        if len(cleaned[name]) > limit:
            raise ProgressError("field_too_long", field=name, limit=limit)
    return FormFields(budget_received_baht=budget, **cleaned)


def _lock_project(conn: psycopg.Connection, scope: Scope, project_id: int
                  ) -> project_rows.Project:
    conn.execute("SET LOCAL lock_timeout = '5s'")
    conn.execute("SELECT 1 FROM projects WHERE id = %s FOR UPDATE", (project_id,))
    project = project_rows.get(conn, scope, project_id)
    scope.check(project.district, write=True)
    return project


def save_form(conn: psycopg.Connection, scope: Scope, project_id: int, version: int,
              fields: FormFields) -> None:
    """Save the header (audited as ``progress.form`` with before and after).

    Args:
        version: the form version the staff member loaded (0 if it was never saved).

    Raises:
        ProgressError, ProgressConflict, ScopeError, ReadOnlyError.
    """
    project = _lock_project(conn, scope, project_id)
    if project.state not in PUBLIC_STATES:
        raise ProgressError("not_selected")
    current = get_form(conn, project_id)
    if current.version != version:
        raise ProgressConflict(project_id)
    fields = validate_form(fields, disbursed_total(conn, project_id))
    before = {k: getattr(current, k) for k in _FORM_FIELDS}
    after = dataclasses.asdict(fields)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return
    conn.execute(
        f"""INSERT INTO progress_forms (project_id, updated_by, {', '.join(_FORM_FIELDS)})
            VALUES (%(project_id)s, %(staff)s, {', '.join('%(' + f + ')s' for f in _FORM_FIELDS)})
            ON CONFLICT (project_id) DO UPDATE SET
                {', '.join(f + ' = EXCLUDED.' + f for f in _FORM_FIELDS)},
                version = progress_forms.version + 1, updated_by = EXCLUDED.updated_by,
                updated_at = now()""",
        {**after, "project_id": project_id, "staff": scope.staff_id})
    audit.record(conn, scope, "progress.form", "project", project_id, district=project.district,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})


# --- reports -------------------------------------------------------------------

def list_reports(conn: psycopg.Connection, project_id: int) -> list[Report]:
    """A project's reports, oldest (number 1) first."""
    with conn.cursor(row_factory=class_row(Report)) as cur:
        cur.execute(f"SELECT {_REPORT_COLUMNS} FROM progress_reports r "
                    "WHERE r.project_id = %s ORDER BY r.number", (project_id,))
        return cur.fetchall()


def reports_for(conn: psycopg.Connection, project_ids: list[int]) -> dict[int, list[Report]]:
    """Reports of several projects at once: {project id: reports oldest first}."""
    out: dict[int, list[Report]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return out
    with conn.cursor(row_factory=class_row(Report)) as cur:
        cur.execute(f"SELECT {_REPORT_COLUMNS} FROM progress_reports r "
                    "WHERE r.project_id = ANY(%s) ORDER BY r.project_id, r.number",
                    (project_ids,))
        for report in cur.fetchall():
            out[report.project_id].append(report)
    return out


def disbursed_total(conn: psycopg.Connection, project_id: int) -> int:
    """Budget used so far: the sum of every report's disbursement (baht)."""
    row = conn.execute("SELECT coalesce(sum(disbursed_baht), 0) FROM progress_reports "
                       "WHERE project_id = %s", (project_id,)).fetchone()
    return int(row[0]) if row else 0


def validate_report(project: project_rows.Project, form: FormFields, previous: list[Report],
                    fields: ReportFields, *, today: dt.date | None = None) -> ReportFields:
    """Check one new report against the project, its form and the reports before it (pure).

    Args:
        project: the project (its state, start and end dates).
        form: the form header (``budget_received_baht`` is required first).
        previous: the reports already filed, oldest first.
        fields: the new report.
        today: the date in Bangkok (reports cannot be dated in the future).

    Returns:
        The cleaned fields (narrative and reason stripped, reason dropped
        when the percent did not go down).

    Raises:
        ProgressError: codes ``not_reportable``, ``no_budget``, ``date_required``,
            ``date_after_end``, ``date_before_previous``,
            ``date_in_future``, ``narrative_required``, ``narrative_too_long``,
            ``percent_required``, ``percent_range``, ``percent_down``,
            ``reason_too_long``, ``disbursed_required``, ``bad_disbursed``,
            ``over_budget``.
    """
    today = today or today_bangkok()
    if project.state not in FILING_STATES:
        raise ProgressError("not_reportable", state=project.state)
    if form.budget_received_baht is None:
        raise ProgressError("no_budget")
    day = fields.report_date
    if day is None:
        raise ProgressError("date_required")
    if project.ends_on and day > project.ends_on:
        raise ProgressError("date_after_end", end=project.ends_on)
    last = previous[-1] if previous else None
    if last is not None and last.report_date and day < last.report_date:
        raise ProgressError("date_before_previous", previous=last.report_date, number=last.number)
    if day > today:
        raise ProgressError("date_in_future")
    narrative = fields.narrative.strip()
    if not narrative:
        raise ProgressError("narrative_required")
    if len(narrative) > NARRATIVE_MAX:
        raise ProgressError("narrative_too_long", limit=NARRATIVE_MAX)
    percent = fields.percent
    if percent is None:
        raise ProgressError("percent_required")
    if not 0 <= percent <= 100:
        raise ProgressError("percent_range")
    reason = " ".join(fields.decrease_reason.split())
    if last is not None and percent < (last.percent or 0):
        if not reason:
            raise ProgressError("percent_down", previous=last.percent, percent=percent)
        if len(reason) > REASON_MAX:
            raise ProgressError("reason_too_long", limit=REASON_MAX)
    else:
        reason = ""
    disbursed = fields.disbursed_baht
    if disbursed is None:
        raise ProgressError("disbursed_required")
    if not 0 <= disbursed <= MAX_BAHT:
        raise ProgressError("bad_disbursed")
    so_far = sum(r.disbursed_baht or 0 for r in previous)
    if so_far + disbursed > form.budget_received_baht:
        raise ProgressError("over_budget", total=so_far + disbursed,
                            budget=form.budget_received_baht,
                            left=max(form.budget_received_baht - so_far, 0))
    return dataclasses.replace(fields, narrative=narrative, decrease_reason=reason)


def before_start(project: project_rows.Project, day: dt.date | None) -> bool:
    """True when ``day`` comes before the project's planned start (a report filed early:
    allowed, and shown with a note on the form, the report and the public page)."""
    return bool(day and project.starts_on and day < project.starts_on)


def check_photo(data: bytes) -> str:
    """The content type of an uploaded report photo, checked by its magic bytes.

    Raises:
        ProgressError: ``photo_size`` (empty or over 5 MB), ``photo_type`` (not JPEG/PNG).
    """
    if not data or len(data) > PHOTO_MAX_BYTES:
        raise ProgressError("photo_size", limit_mb=PHOTO_MAX_BYTES // (1024 * 1024))
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    raise ProgressError("photo_type")


def add_report(conn: psycopg.Connection, scope: Scope, project_id: int, number: int,
               fields: ReportFields, photo: bytes | None = None, *,
               today: dt.date | None = None) -> int:
    """File report ``number`` of a project (audited as ``progress.report``); returns its id.

    Args:
        number: the number the staff member saw for the new report; if
            another report was filed meanwhile (or the form was posted twice)
            this is :class:`ProgressConflict` and nothing is written.
        photo: JPEG or PNG bytes, optional.

    Raises:
        ProgressError, ProgressConflict, ScopeError, ReadOnlyError.
    """
    project = _lock_project(conn, scope, project_id)
    previous = list_reports(conn, project_id)
    if number != len(previous) + 1:
        raise ProgressConflict(project_id)
    fields = validate_report(project, get_form(conn, project_id), previous, fields, today=today)
    content_type = check_photo(photo) if photo else None
    row = conn.execute(
        """INSERT INTO progress_reports (project_id, number, report_date, narrative, percent,
                                         disbursed_baht, on_plan, on_target, decrease_reason,
                                         created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (project_id, number, fields.report_date, fields.narrative, fields.percent,
         fields.disbursed_baht, fields.on_plan, fields.on_target, fields.decrease_reason,
         scope.staff_id)).fetchone()
    assert row is not None
    report_id = int(row[0])
    if photo and content_type:
        conn.execute("""INSERT INTO progress_photos (report_id, content_type, size_bytes, sha256,
                                                     data) VALUES (%s, %s, %s, %s, %s)""",
                     (report_id, content_type, len(photo), hashlib.sha256(photo).hexdigest(),
                      photo))
    if project.state == "selected":
        conn.execute("UPDATE projects SET state = 'in_progress', version = version + 1, "
                     "updated_at = now() WHERE id = %s", (project_id,))
        audit.record(conn, scope, "project.transition", "project", project_id,
                     district=project.district, before={"state": "selected"},
                     after={"state": "in_progress", "by": "first progress report"})
    audit.record(conn, scope, "progress.report", "project", project_id,
                 district=project.district,
                 after={"number": number, "report_date": fields.report_date.isoformat(),
                        "percent": fields.percent, "disbursed_baht": fields.disbursed_baht,
                        "on_plan": fields.on_plan, "on_target": fields.on_target,
                        "decrease_reason": fields.decrease_reason or None,
                        "photo": bool(photo)})
    return report_id


def photo_of(conn: psycopg.Connection, report_id: int, *, public_only: bool = True
             ) -> Photo | None:
    """A report's photo; with ``public_only`` only for projects on the public page."""
    row = conn.execute(
        """SELECT ph.content_type, ph.data, ph.sha256 FROM progress_photos ph
             JOIN progress_reports r ON r.id = ph.report_id
             JOIN projects p ON p.id = r.project_id
            WHERE ph.report_id = %s AND (NOT %s OR p.state = ANY(%s))""",
        (report_id, public_only, list(PUBLIC_STATES))).fetchone()
    return Photo(row[0], bytes(row[1]), row[2]) if row else None
