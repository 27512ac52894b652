"""Cluster review (BMA PB stage 1): the cluster list, a cluster's page, and staff actions.

Every read and write goes through ``pb.review`` with the signed-in staff
member's scope; every action form carries the cluster's ``version`` and
answers a concurrent edit with a clear message instead of losing data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import psycopg
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from admin.auth import after_commit, current_scope, db, login_required, write_required
from admin.messages import error_text
from pb import cluster_edits, districts, moderation, review, topic_terms
from pb import projects as project_rows
from pb.thaidate import be_date, be_datetime

bp = Blueprint("clusters", __name__)
PAGE_SIZE = 50
MEMBERS_PAGE = 200
MAX_QUERY_CHARS = 100


def _arg_int(name: str, low: int = 0, high: int = 1_000_000) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400)
    return min(max(int(raw), low), high)


@bp.get("/clusters")
@login_required
def index():
    """Clusters with filters: district, status, size, Thai keyword; sort by size or newest."""
    scope = current_scope()
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    status = request.args.get("status") or None
    if status is not None and status not in review.STATUSES:
        abort(400)
    sort = request.args.get("sort") or "size"
    if sort not in review.SORTS:
        abort(400)
    q = " ".join(request.args.get("q", "").split())[:MAX_QUERY_CHARS] or None
    min_size, max_size = _arg_int("min_size"), _arg_int("max_size")
    page = _arg_int("page", 1, 100_000) or 1
    searched, searched_district = _search_terms(q, district, request.args.get("exact") == "1")
    with db() as conn:
        rows, total = review.list_clusters(
            conn, scope, district=searched_district, status=status, min_size=min_size,
            max_size=max_size, q=searched, sort=sort, limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE)
        per_district = review.district_counts(conn, scope)
    filters = {"district": district, "status": status, "min_size": min_size,
               "max_size": max_size, "q": q, "sort": sort}
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return render_template("admin/clusters.html", clusters=rows, total=total, page=page,
                           pages=pages, page_numbers=page_numbers(page, pages), filters=filters,
                           per_district=per_district, statuses=review.STATUSES,
                           searched=searched if searched != q else None,
                           searched_district=searched_district if searched_district != district
                           else None,
                           query={k: v for k, v in filters.items() if v is not None})


def _search_terms(q: str | None, district: str | None, exact: bool
                  ) -> tuple[str | None, str | None]:
    """What the keyword box searches for: (Thai keyword, district).

    An English district name ("Thung Khru") becomes that district; a known English
    topic ("flood") its Thai stem (:mod:`pb.topic_terms`); anything else, or any
    word with ``exact``, is searched as typed.
    """
    if not q or exact or not q.isascii():
        return q, district
    named = topic_terms.english_district(q)
    if named is not None and district in (None, named):
        return None, named
    return topic_terms.thai_term(q) or q, district


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: the first, the last, and ``around`` either side of ``page``;
    None marks a gap ("…"). E.g. page 7 of 20 → [1, None, 5, 6, 7, 8, 9, None, 20]."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@dataclass
class MapPoint:
    idea_id: int
    x: float
    y: float
    date: str


@dataclass
class ScatterMap:
    """Located ideas projected into an SVG box (equirectangular, north up, no tiles)."""

    width: int
    height: int
    points: list[MapPoint]
    south: float
    north: float
    west: float
    east: float
    km_bar: float           # length in SVG units of the scale bar
    km: float               # kilometres the bar stands for


def scatter(located: list[tuple[int, float, float, object]], width: int = 640,
            height: int = 360, pad: int = 20) -> ScatterMap | None:
    """Project (idea id, latitude, longitude, created at) into an SVG scatter, or None."""
    if not located:
        return None
    lats = [p[1] for p in located]
    lons = [p[2] for p in located]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    # At least ~1 km across, so one point or a tight group is not blown up.
    span_lat = max(north - south, 0.01)
    mid_lat = (north + south) / 2
    x_scale = math.cos(math.radians(mid_lat))
    span_lon = max(east - west, 0.01 / max(x_scale, 0.1))
    units = min((width - 2 * pad) / (span_lon * x_scale), (height - 2 * pad) / span_lat)
    cx, cy = (west + east) / 2, (south + north) / 2
    points = [MapPoint(idea_id, round(width / 2 + (lon - cx) * x_scale * units, 1),
                       round(height / 2 - (lat - cy) * units, 1), be_date(day) if day else "")
              for idea_id, lat, lon, day in located]
    km_per_unit = 111.32 / units          # one degree of latitude ≈ 111.32 km
    km = _nice(km_per_unit * width / 4)
    return ScatterMap(width, height, points, south, north, west, east, km / km_per_unit, km)


def _nice(value: float) -> float:
    """1, 2 or 5 × a power of ten, at most ``value``."""
    power = 10 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * power <= value:
            return step * power
    return power


@bp.get("/clusters/<int:cluster_id>")
@login_required
def show(cluster_id: int):
    """A cluster: its ideas (date, district; never a LINE id), a map, and the actions."""
    scope = current_scope()
    page = _arg_int("page", 1, 100_000) or 1
    with db() as conn:
        cluster = review.get_cluster(conn, scope, cluster_id)
        members, n_members = review.members(conn, scope, cluster_id, limit=MEMBERS_PAGE,
                                            offset=(page - 1) * MEMBERS_PAGE)
        located = review.located(conn, scope, cluster_id)
        targets = (cluster_edits.merge_targets(conn, scope, cluster.id, cluster.process_id)
                   if scope.can_write and not cluster.merged_into_id else [])
        projects = review.projects_of(conn, cluster_id)
        drafts = (project_rows.list_projects(conn, scope, state="draft", limit=50)
                  if scope.can_write else [])
    return render_template("admin/cluster.html", cluster=cluster, members=members,
                           drafts=[p for p in drafts if p.id not in {i for i, _t, _s in projects}],
                           n_members=n_members, page=page,
                           pages=max(1, math.ceil(n_members / MEMBERS_PAGE)),
                           map=scatter(located), targets=targets, projects=projects)


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _target() -> int:
    """The cluster chosen in the list, or the number typed (for one not listed)."""
    raw = (request.form.get("target_id", "").strip().lstrip("#")
           or request.form.get("target", "").strip())
    if not raw.isdigit():
        raise review.ReviewError("bad_target")
    return int(raw)


def _idea_ids() -> list[int]:
    raw = request.form.getlist("idea")
    if not all(v.isdigit() for v in raw) or len(raw) > 10_000:
        abort(400)
    return [int(v) for v in raw]


def conflict_text(exc: review.VersionConflict) -> str:
    if exc.changed_by and exc.changed_at:
        return _("%(who)s changed this cluster at %(when)s while you had this page open. "
                 "Nothing was saved: check the latest version below and try again.",
                 who=exc.changed_by, when=_when(exc.changed_at))
    return _("Someone changed this cluster while you had this page open. Nothing was saved: "
             "check the latest version below and try again.")


def _when(value) -> str:
    return be_datetime(value) if value else ""


def _act(cluster_id: int, action, success: str):
    """Run one review action in one transaction and come back to the cluster page."""
    back = url_for("admin.clusters.show", cluster_id=cluster_id)
    try:
        with db() as conn, conn.transaction():
            outcome = action(conn, current_scope())
    except review.VersionConflict as exc:
        flash(conflict_text(exc), "error")
        return redirect(back, code=303)
    except review.ReviewError as exc:
        flash(error_text(exc), "error")
        return redirect(back, code=303)
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        flash(_("The clusters are being regrouped right now. Nothing was saved: try again in "
                "a minute."), "error")
        return redirect(back, code=303)
    after_commit(refresh=outcome.refresh)
    flash(success, "success")
    if outcome.new_cluster_id:
        return redirect(url_for("admin.clusters.show", cluster_id=outcome.new_cluster_id), code=303)
    return redirect(back, code=303)


@bp.post("/clusters/<int:cluster_id>/rename")
@write_required
def rename(cluster_id: int):
    version, label = _version(), request.form.get("label", "")
    return _act(cluster_id, lambda conn, scope: cluster_edits.rename(
        conn, scope, cluster_id, version, label), _("The cluster was renamed."))


@bp.post("/clusters/<int:cluster_id>/lock")
@write_required
def lock(cluster_id: int):
    version, locked = _version(), request.form.get("locked") == "1"
    return _act(cluster_id, lambda conn, scope: cluster_edits.set_locked(
        conn, scope, cluster_id, version, locked),
        _("The cluster is locked.") if locked else _("The cluster is unlocked."))


@bp.post("/clusters/<int:cluster_id>/merge")
@write_required
def merge(cluster_id: int):
    version = _version()

    def action(conn, scope):
        return cluster_edits.merge(conn, scope, cluster_id, version, _target())
    return _act(cluster_id, action, _("The clusters were merged."))


@bp.post("/clusters/<int:cluster_id>/unmerge")
@write_required
def unmerge(cluster_id: int):
    """Undo a merge: the ideas it moved come back to this cluster."""
    version = _version()
    return _act(cluster_id, lambda conn, scope: cluster_edits.unmerge(
        conn, scope, cluster_id, version), _("The merge was undone: its ideas are back here."))


@bp.post("/clusters/<int:cluster_id>/ideas")
@write_required
def ideas(cluster_id: int):
    """Act on selected ideas: move, split into a new cluster, hide, mark spam, restore."""
    version, idea_ids = _version(), _idea_ids()
    what = request.form.get("action", "")
    form = request.form
    actions = {
        "move": (lambda conn, scope: cluster_edits.move(conn, scope, cluster_id, version, idea_ids,
                                                 _target()),
                 _("The ideas were moved.")),
        "split": (lambda conn, scope: cluster_edits.split(conn, scope, cluster_id, version, idea_ids,
                                                   form.get("label", "")),
                  _("The ideas now form a new cluster.")),
        "hidden": (lambda conn, scope: moderation.moderate(conn, scope, cluster_id, version,
                                                       idea_ids, "hidden",
                                                       form.get("reason", "")),
                   _("The ideas are hidden.")),
        "spam": (lambda conn, scope: moderation.moderate(conn, scope, cluster_id, version,
                                                     idea_ids, "spam", form.get("reason", "")),
                 _("The ideas are marked as spam.")),
        "restore": (lambda conn, scope: moderation.restore(conn, scope, cluster_id, version,
                                                       idea_ids),
                    _("The ideas are active again.")),
    }
    if what not in actions:
        abort(400)
    action, success = actions[what]
    return _act(cluster_id, action, success)


@bp.get("/flagged")
@login_required
def flagged():
    """Ideas held back by the abusive-word list, waiting for a staff decision."""
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(400)
    with db() as conn:
        rows = moderation.flagged(conn, current_scope(), district=district)
    return render_template("admin/flagged.html", ideas=rows, district=district)


@bp.post("/flagged")
@write_required
def decide_flagged():
    """Publish flagged ideas (they join a cluster) or hide them / mark them spam."""
    decision = request.form.get("decision", "")
    if decision not in moderation.FLAG_DECISIONS:
        abort(400)
    idea_ids = _idea_ids()
    try:
        with db() as conn, conn.transaction():
            decided = moderation.review_flagged(conn, current_scope(), idea_ids, decision,
                                            request.form.get("reason", ""))
    except review.ReviewError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("admin.clusters.flagged"), code=303)
    after_commit(cluster_ideas=decided if decision == "publish" else ())
    flash(ngettext("%(n)s idea published; it joins its cluster in a moment.",
                   "%(n)s ideas published; they join their clusters in a moment.", len(decided),
                   n=len(decided))
          if decision == "publish" else
          ngettext("%(n)s idea kept out of the clusters.", "%(n)s ideas kept out of the clusters.",
                   len(decided), n=len(decided)),
          "success")
    return redirect(url_for("admin.clusters.flagged"), code=303)

