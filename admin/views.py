"""The staff admin (first read-only pages): clusters of similar ideas per district.

Never reachable without a password: until staff accounts exist, one admin
password from the environment (``SIANG_ADMIN_PASSWORD``) guards every page.
"""

from __future__ import annotations

import functools
import hmac
import secrets

from flask import (Blueprint, abort, current_app, redirect, render_template, request, session,
                   url_for)

from pb import clusters as cluster_rows
from pb import districts
from pb.thaidate import be_date

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static")
PAGE_SIZE = 50


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "CSRF token missing or wrong")


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("staff"):
            return redirect(url_for("admin.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped


@bp.app_context_processor
def _template_globals():
    return {"csrf_token": _csrf_token, "district_en": districts.ENGLISH_NAMES}


@bp.app_template_filter("be_date")
def _be_date(value):
    return be_date(value)


@bp.after_request
def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; style-src 'self' 'unsafe-inline'")
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        _check_csrf()
        expected = current_app.extensions["siang"].settings.admin_password
        given = request.form.get("password", "")
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            session.clear()
            session["staff"] = "admin"
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/admin") else url_for("admin.clusters"))
        error = "รหัสผ่านไม่ถูกต้อง (wrong password)"
    return render_template("admin/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    _check_csrf()
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
@login_required
def clusters_page():
    return redirect(url_for("admin.clusters"))


@bp.get("/clusters")
@login_required
def clusters():
    district = request.args.get("district") or None
    if district is not None and not districts.is_district(district):
        abort(404)
    page = max(request.args.get("page", 1, type=int), 1)
    pool = current_app.extensions["siang"].pool
    with pool.connection() as conn:
        rows = cluster_rows.list_summaries(conn, district=district, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
        per_district = cluster_rows.district_counts(conn)
    return render_template("admin/clusters.html", clusters=rows, district=district,
                           per_district=per_district, page=page, page_size=PAGE_SIZE)


@bp.get("/clusters/<int:cluster_id>")
@login_required
def cluster(cluster_id: int):
    pool = current_app.extensions["siang"].pool
    with pool.connection() as conn:
        summary = cluster_rows.get_summary(conn, cluster_id)
        if summary is None:
            abort(404)
        ideas = cluster_rows.members(conn, cluster_id)
    return render_template("admin/cluster.html", cluster=summary, ideas=ideas)

