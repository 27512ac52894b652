"""The BMA indicator panel (issue 18): ``/admin/indicators`` and the public ``/indicators``.

Per fiscal year (BE, picked in a GET form): each of the BMA's participation
indicators (:mod:`pb.indicators`: hearing, community plans, city council and
its monthly meetings, PB) as the share and count of the 50 district offices
meeting it, the extra counts each programme reports, an inline SVG bar chart
(no script; every bar carries its number) and a table per district with a
CSV download. The Bangkok-wide figures are public (the same as on
``/indicators``); the per-district table and the CSV list only the staff
member's districts. Nothing here changes data, so nothing is audited.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l

from admin.auth import current_scope, db, login_required
from admin.exports import BOM
from pb import districts
from pb import indicators as figures

bp = Blueprint("indicators", __name__)
CHART_WIDTH = 420          # SVG user units; the SVG scales to its box
BAR_SPACE = 260            # of which the bars take this much (100 %)

NAMES = {
    "hearing": _l("District public hearing"),
    "community_plan": _l("Community development plans"),
    "council": _l("District city council"),
    "council_monthly": _l("City council met every month"),
    "pb": _l("Participatory budgeting vote"),
}
RULES = {
    "hearing": _l("District offices that held a public hearing where residents proposed "
                  "directions for developing their area."),
    "community_plan": _l("District offices that included projects from community plans in "
                         "their annual action plan."),
    "council": _l("District offices that established a district city council (with members)."),
    "council_monthly": _l("District offices whose council met in every month of the fiscal "
                          "year so far (beyond the BMA's own indicator)."),
    "pb": _l("District offices that had a voting round closed with results."),
}
DETAILS = {
    "rounds": _l("district voting rounds with results"),
    "rounds_quorum_met": _l("of them valid (quorum met)"),
    "city_rounds": _l("city-wide voting rounds with results"),
    "ballots": _l("ballots counted"),
    "communities_registered": _l("communities registered"),
    "communities_with_current_plan": _l("communities with a current plan"),
    "hearings": _l("hearings held"),
    "hearings_answered": _l("hearings residents answered"),
    "councils_meeting": _l("councils that met at least once"),
    "answers": _l("answers from residents"),
    "respondents": _l("residents who answered"),
    "councils": _l("councils established"),
    "members": _l("council members"),
    "meetings": _l("council meetings"),
    "questions": _l("questions from residents"),
    "plans": _l("community plans"),
    "projects_adopted": _l("plan projects in the district action plan"),
    "months": _l("months of the fiscal year so far"),
}


@dataclass
class Row:
    """One indicator as the page shows it."""

    key: str
    name: str
    rule: str
    available: bool
    met: int
    total: int
    percent: float
    detail: list[tuple[str, int]]
    bar_width: float
    y: int


def rows(panel: figures.Panel) -> list[Row]:
    """The panel's indicators in :data:`pb.indicators.KEYS` order, with chart geometry."""
    out = []
    for i, key in enumerate(figures.KEYS):
        found = panel.indicators.get(key)
        percent = found.percent if found else 0.0
        detail = [(str(DETAILS.get(k, k.replace("_", " "))), int(v))
                  for k, v in (found.detail.items() if found else ())]
        out.append(Row(key, str(NAMES[key]), str(RULES[key]), found is not None,
                       len(found.districts_met) if found else 0,
                       found.districts_total if found else len(districts.THAI_NAMES),
                       percent, detail, BAR_SPACE * percent / 100, i * 44))
    return out


def chosen_year(raw: str, years: list[int]) -> int:
    """The fiscal year (BE) typed in ``?fy=``, or the newest offered when empty.

    Raises:
        ValueError: not a number, or outside the years the panel accepts.
    """
    raw = raw.strip()
    if not raw:
        return years[0]
    if not raw.isdigit() or not figures.MIN_YEAR <= int(raw) <= figures.MAX_YEAR:
        raise ValueError(f"fiscal year {raw[:10]!r} not accepted")
    return int(raw)


def page_data(conn, shown: list[str], raw_year: str = "") -> dict:
    """Template values for a fiscal year (``raw_year`` as typed; "" = the newest) and
    the districts ``shown``.

    Raises:
        ValueError: a fiscal year that is not a number or outside the accepted range.
    """
    years = figures.fiscal_years(conn)
    year = chosen_year(raw_year, years)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    panel = figures.panel(conn, year)
    return {"panel": panel, "rows": rows(panel), "years": years, "year": year,
            "keys": figures.KEYS, "names": NAMES, "district_rows": panel.district_rows(shown),
            "chart_width": CHART_WIDTH, "bar_space": BAR_SPACE,
            "chart_height": 44 * len(figures.KEYS) + 8}


def _scoped_data() -> dict:
    """:func:`page_data` for ``?fy=`` and the staff member's districts; 400 on a bad year."""
    with db() as conn:
        try:
            return page_data(conn, current_scope().visible_districts(districts.THAI_NAMES),
                             request.args.get("fy", ""))
        except ValueError:
            abort(400)


@bp.get("")
@login_required
def index():
    """The panel: Bangkok-wide figures, the chart, and the staff member's districts."""
    return render_template("admin/indicators.html",
                           all_districts=current_scope().districts is None, **_scoped_data())


def csv_text(data: dict) -> str:
    """The CSV download: one row per district shown (1 met, 0 not, "" unavailable) and a
    last row with the Bangkok-wide counts; UTF-8 with a BOM (Excel reads Thai)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(["fiscal_year", "district", "district_en", *data["keys"]])
    for district, met in data["district_rows"]:
        writer.writerow([data["year"], district, districts.ENGLISH_NAMES.get(district, ""),
                         *("" if met[k] is None else int(met[k]) for k in data["keys"])])
    by_key = {r.key: r for r in data["rows"]}
    writer.writerow([data["year"], "ทั้งกรุงเทพฯ", "All Bangkok",
                     *(by_key[k].met if by_key[k].available else "" for k in data["keys"])])
    return out.getvalue()


@bp.get("/export.csv")
@login_required
def export():
    """The staff member's districts' indicators of a fiscal year as CSV."""
    data = _scoped_data()
    return Response(csv_text(data), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="indicators-{data["year"]}.csv"'})
