"""The public progress page (``/progress``): no login, readable on a phone, linked from LINE.

Per district and per voting round (issue 6's published rounds; the results
page lives at ``/results``), each selected project with a progress bar,
baht disbursed of baht allocated, the latest report and a timeline of
reports, above a summary chart (inline SVG, no script). The same data is
open data: every page has a ``data.json`` and a ``data.csv`` beside it.

Thai by default, English with ``?lang=en``. Only projects the vote selected
(selected, in progress, done) and their reports are shown: never residents,
their ideas or LINE ids.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from flask import (Blueprint, Response, abort, current_app, render_template, request,
                   url_for)
from flask_babel import force_locale

from admin.headers import set_security_headers
from pb import districts, progress, progress_summaries, results
from pb import projects as project_rows
from pb.thaidate import be_date

bp = Blueprint("public_progress", __name__, url_prefix="/progress")
CACHE = "public, max-age=60"
CSP = ("default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
LANGUAGES = ("th", "en")
CSV_COLUMNS = ("project_id", "project_code", "title", "district", "district_en",
               "fiscal_year_be", "state", "responsible_unit", "starts_on", "ends_on",
               "allocated_baht", "budget_received_baht", "estimated_cost_baht",
               "disbursed_baht", "percent", "kpi_indicator", "kpi_target", "report_number",
               "report_date", "report_date_be", "report_percent", "report_disbursed_baht",
               "on_plan", "on_target", "narrative", "decrease_reason", "url")


def _db():
    return current_app.extensions["siang"].pool.connection()


def _lang() -> str:
    lang = request.args.get("lang", "th")
    return lang if lang in LANGUAGES else "th"


def _link_lang() -> str | None:
    """The ``lang`` to carry in links: none for Thai, the default (shorter URLs)."""
    return None if _lang() == "th" else _lang()


@bp.after_request
def _headers(response: Response) -> Response:
    return set_security_headers(response, csp=CSP, cache=CACHE,
                                referrer="strict-origin-when-cross-origin", frame_deny=False)


@bp.errorhandler(404)
def _not_found(_error):
    with force_locale(_lang()):
        return render_template("progress/public_missing.html", lang=_lang(),
                               link_lang=_link_lang()), 404


# --- the data ------------------------------------------------------------------------------

@dataclass
class Page:
    """What one public page shows (and its JSON and CSV carry)."""

    kind: str                       # "all", "district", "round", "project"
    title: str
    projects: list[progress_summaries.ProjectProgress]
    reports: dict[int, list[progress.Report]]
    district: str | None = None
    round: results.RoundInfo | None = None

    @property
    def allocated_baht(self) -> int:
        return sum(p.allocated_baht or 0 for p in self.projects)

    @property
    def disbursed_baht(self) -> int:
        return sum(p.disbursed_baht for p in self.projects)

    @property
    def mean_percent(self) -> int:
        return round(sum(p.percent for p in self.projects) / len(self.projects)) \
            if self.projects else 0


def _page(kind: str, *, district: str | None = None, round_id: int | None = None,
          project_id: int | None = None) -> Page:
    with _db() as conn:
        info = None
        if kind == "district":
            if district is None or not districts.is_district(district):
                abort(404)
            rows = progress_summaries.summaries(conn, district=district)
            title = district
        elif kind == "round":
            info = results.round_info(conn, round_id or 0)
            if info is None:
                abort(404)
            winners = results.round_winners(conn, info.id)
            found = {p.id: p for p in progress_summaries.summaries(
                conn, project_ids=winners, states=project_rows.STATES)}
            rows = [found[i] for i in winners if i in found]
            title = info.title
        elif kind == "project":
            rows = progress_summaries.summaries(conn, project_ids=[project_id or 0])
            if not rows:
                abort(404)
            title = rows[0].title
        else:
            rows = progress_summaries.summaries(conn, limit=5000)
            title = ""
        reports = progress.reports_for(conn, [p.id for p in rows])
    return Page(kind, title, rows, reports, district=district, round=info)


def _url(project_id: int) -> str:
    return url_for("public_progress.project", project_id=project_id, _external=True)


def _photo_url(report: progress.Report) -> str | None:
    if not report.has_photo:
        return None
    return url_for("public_progress.photo", report_id=report.id, _external=True)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def as_json(page: Page) -> dict[str, Any]:
    """The open-data view of a page. Money is integer baht; dates ISO 8601 and dd/mm/BBBB."""
    scope: dict[str, Any] = {"kind": page.kind}
    if page.district:
        scope.update(district=page.district, district_en=districts.ENGLISH_NAMES[page.district])
    if page.round:
        scope.update(round_id=page.round.id, round_title=page.round.title,
                     district=page.round.district)
    projects = []
    for p in page.projects:
        projects.append({
            "id": p.id, "project_code": p.project_code, "title": p.title,
            "district": p.district, "district_en": districts.ENGLISH_NAMES.get(p.district),
            "fiscal_year_be": p.fiscal_year, "state": p.state,
            "responsible_unit": p.responsible_unit,
            "starts_on": _iso(p.starts_on), "ends_on": _iso(p.ends_on),
            "starts_on_be": be_date(p.starts_on) if p.starts_on else None,
            "ends_on_be": be_date(p.ends_on) if p.ends_on else None,
            "allocated_baht": p.allocated_baht, "budget_received_baht": p.budget_received_baht,
            "estimated_cost_baht": p.estimated_cost_baht, "disbursed_baht": p.disbursed_baht,
            "percent": p.percent, "kpi_indicator": p.kpi_indicator, "kpi_target": p.kpi_target,
            "url": _url(p.id),
            "reports": [{
                "number": r.number, "date": _iso(r.report_date),
                "date_be": be_date(r.report_date), "percent": r.percent,
                "disbursed_baht": r.disbursed_baht, "on_plan": r.on_plan,
                "on_target": r.on_target, "narrative": r.narrative,
                "decrease_reason": r.decrease_reason or None, "photo_url": _photo_url(r),
            } for r in page.reports.get(p.id, [])],
        })
    return {"scope": scope, "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "totals": {"projects": len(page.projects), "allocated_baht": page.allocated_baht,
                       "disbursed_baht": page.disbursed_baht,
                       "mean_percent": page.mean_percent},
            "projects": projects}


def as_csv(page: Page) -> str:
    """One row per report (a project without reports: one row, report columns empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for project in as_json(page)["projects"]:
        base = {"project_id": project["id"], "fiscal_year_be": project["fiscal_year_be"],
                **{k: project[k] for k in CSV_COLUMNS if k in project}}
        for report in project["reports"] or [None]:
            row = dict(base)
            if report is not None:
                row.update(report_number=report["number"], report_date=report["date"],
                           report_date_be=report["date_be"], report_percent=report["percent"],
                           report_disbursed_baht=report["disbursed_baht"],
                           on_plan="yes" if report["on_plan"] else "no",
                           on_target="yes" if report["on_target"] else "no",
                           narrative=report["narrative"],
                           decrease_reason=report["decrease_reason"] or "")
            writer.writerow(row)
    return out.getvalue()


# --- the summary chart (inline SVG) ------------------------------------------------------------

@dataclass
class ChartRow:
    label: str
    percent: int            # progress, 0–100
    money: int              # disbursed ÷ allocated, 0–100
    href: str
    y: int


def chart_rows(items: list[tuple[str, int, float, str]], row_height: int = 46) -> list[ChartRow]:
    """(label, percent, disbursed share 0–1, link) → rows placed for the SVG template."""
    return [ChartRow(label if len(label) <= 48 else label[:47] + "…", int(percent),
                     round(100 * share), href, i * row_height)
            for i, (label, percent, share, href) in enumerate(items)]


def _render(template: str, page: Page, bars: list[ChartRow], **extra: Any) -> str:
    lang = _lang()
    with force_locale(lang):
        return render_template(template, page=page, bars=bars, lang=lang,
                               link_lang=_link_lang(), district_en=districts.ENGLISH_NAMES,
                               **extra)


def _project_chart(page: Page) -> list[ChartRow]:
    return chart_rows([(p.title, p.percent, p.disbursed_share,
                        url_for("public_progress.project", project_id=p.id, lang=_link_lang()))
                       for p in page.projects])


# --- pages -----------------------------------------------------------------------------------

@bp.get("")
def index():
    """Every district with selected projects, the published rounds, a chart by district."""
    page = _page("all")
    lang = _lang()
    by_district: dict[str, list[progress_summaries.ProjectProgress]] = {}
    for p in page.projects:
        by_district.setdefault(p.district, []).append(p)
    rows = []
    for district in districts.THAI_NAMES:
        items = by_district.get(district)
        if not items:
            continue
        allocated = sum(p.allocated_baht or 0 for p in items)
        disbursed = sum(p.disbursed_baht for p in items)
        label = districts.ENGLISH_NAMES[district] if lang == "en" else district
        rows.append((label, round(sum(p.percent for p in items) / len(items)),
                     disbursed / allocated if allocated else 0.0,
                     url_for("public_progress.district", district=district,
                             lang=_link_lang())))
    with _db() as conn:
        rounds = results.published_rounds(conn)
    counts = {d: len(v) for d, v in by_district.items()}
    return _render("progress/public_index.html", page, chart_rows(rows), rounds=rounds,
                   counts=counts)


@bp.get("/district/<district>")
def district(district: str):
    page = _page("district", district=district)
    return _render("progress/public_list.html", page, _project_chart(page))


@bp.get("/round/<int:round_id>")
def round_page(round_id: int):
    page = _page("round", round_id=round_id)
    return _render("progress/public_list.html", page, _project_chart(page))


@bp.get("/project/<int:project_id>")
def project(project_id: int):
    page = _page("project", project_id=project_id)
    return _render("progress/public_project.html", page, [], p=page.projects[0],
                   reports=page.reports.get(project_id, []))


# --- open data -------------------------------------------------------------------------------

def _data(page: Page, fmt: str, name: str) -> Response:
    if fmt == "json":
        return Response(json.dumps(as_json(page), ensure_ascii=False, indent=1),
                        mimetype="application/json",
                        headers={"Access-Control-Allow-Origin": "*"})
    if fmt == "csv":
        return Response("\ufeff" + as_csv(page), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                                 "Access-Control-Allow-Origin": "*"})
    abort(404)


@bp.get("/data.<fmt>")
def index_data(fmt: str):
    return _data(_page("all"), fmt, "progress")


@bp.get("/district/<district>/data.<fmt>")
def district_data(district: str, fmt: str):
    page = _page("district", district=district)
    return _data(page, fmt, f"progress-{districts.ENGLISH_NAMES[district].replace(' ', '-')}")


@bp.get("/round/<int:round_id>/data.<fmt>")
def round_data(round_id: int, fmt: str):
    return _data(_page("round", round_id=round_id), fmt, f"progress-round-{round_id}")


@bp.get("/project/<int:project_id>/data.<fmt>")
def project_data(project_id: int, fmt: str):
    return _data(_page("project", project_id=project_id), fmt, f"progress-project-{project_id}")


@bp.get("/photo/<int:report_id>")
def photo(report_id: int):
    """A report's photo, for a project on the public page only."""
    with _db() as conn:
        found = progress.photo_of(conn, report_id, public_only=True)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.set_etag(found.sha256)
    return response.make_conditional(request)
