"""CSV downloads for staff (issue 16): ideas, clusters, projects and round results.

UTF-8 with a byte-order mark (Excel reads a CSV without one in the computer's
code page and shows Thai as mojibake), within the staff member's districts
(``?district=`` narrows to one), each download recorded in the audit log
with its filter and row count. Cells a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return, OWASP "CSV
injection") get a leading apostrophe: idea text is written by residents.
Times are ISO 8601 in Bangkok time; dates ISO; money integer baht.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from flask import Blueprint, Response, abort, current_app, request
from psycopg_pool import ConnectionPool

from admin.auth import current_scope, db, login_required
from pb import audit, districts, exports
from pb.scope import Scope
from pb.thaidate import BANGKOK

bp = Blueprint("exports", __name__)
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """One CSV cell: Bangkok ISO times, ISO dates, ``true``/``false``, "" for none, and
    text that could start a spreadsheet formula defused with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(BANGKOK).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _district() -> str | None:
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    return district


def _round_id() -> int | None:
    raw = request.args.get("round", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _stream(pool: ConnectionPool, export: exports.Export, scope: Scope, district: str | None,
            round_id: int | None) -> Iterator[str]:
    """The CSV text in chunks: the BOM and header first, then batches of rows, read
    through a connection of its own (the request's is back in the pool by then). It
    needs no request context, so an unread download holds nothing of the request."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(export.columns)
    with pool.connection() as conn:
        for n, row in enumerate(exports.rows(conn, export, scope, district=district,
                                             round_id=round_id), 1):
            writer.writerow([cell(v) for v in row])
            if n % exports.BATCH_ROWS == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def _download(name: str) -> Response:
    """Record the download in the audit log (committed first), then stream the CSV."""
    scope = current_scope()
    export = exports.EXPORTS[name]
    district = _district()
    round_id = _round_id() if name == "results" else None
    if district is not None and not scope.allows(district):
        abort(404)
    with db() as conn:
        n = exports.count(conn, export, scope, district=district, round_id=round_id)
        audit.record(conn, scope, f"export.{name}", "round" if round_id else None, round_id,
                     district=district, after={"district": district, "rows": n})
    stamp = dt.datetime.now(BANGKOK).strftime("%Y%m%d")
    filename = f"siang-{name}{'-' + str(round_id) if round_id else ''}-{stamp}.csv"
    pool = current_app.extensions["siang"].pool
    return Response(_stream(pool, export, scope, district, round_id),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'},
                    content_type="text/csv; charset=utf-8")


@bp.get("/ideas.csv")
@login_required
def ideas():
    """Ideas (not withdrawn): id, time, district, status, cluster, supporters, text, place."""
    return _download("ideas")


@bp.get("/clusters.csv")
@login_required
def clusters():
    """Clusters with ideas (and merged ones, with where they went), labels, keywords."""
    return _download("clusters")


@bp.get("/projects.csv")
@login_required
def projects():
    """Projects with their costed fields, clusters, ideas and progress so far."""
    return _download("projects")


@bp.get("/results.csv")
@login_required
def results():
    """Every ballot project of every voting round (``?round=`` one), with votes and
    whether the round's rule selected it (empty until the round is counted)."""
    return _download("results")
