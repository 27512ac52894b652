"""Staff sign-in, sign-out, password change, and the helpers every admin area uses.

Other areas import from here:

* ``login_required``: any signed-in staff member;
* ``write_required``: admins and district officers (viewers read only: 403);
* ``role_required("admin")``: admins only;
* ``current_scope()``: the :class:`~pb.scope.Scope` to pass to every ``pb`` query;
* ``db()``: a pooled connection (commits when the block ends without error);
* ``after_commit(outcome)``: enqueue keyword refreshes and outbox deliveries.

The login cookie holds ``"<staff id>:<session nonce>"``; changing the password
makes a new nonce, which ends every other session of that account.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import redis
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_login import login_required as _flask_login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from pb import audit
from pb import staff as staff_rows
from pb.scope import Scope
from workers.queues import Queues

log = logging.getLogger(__name__)
# Failed sign-ins are counted twice (issue 16): per account, wherever they come from, and
# per client address, across accounts. A whole district office signs in from one NAT
# address, so the address limit is loose (it stops password spraying) and the account
# limit is tight (it stops guessing one password): one locked account leaves the
# office's other accounts working. Successful sign-ins count for neither.
LOGIN_LIMIT_ACCOUNT = "5 per minute;30 per hour"
LOGIN_LIMIT_ADDRESS = "30 per minute;200 per hour"
# Pages a staff member with a temporary password may still open (issue 16).
_BEFORE_PASSWORD_CHANGE = frozenset({"admin.auth.password", "admin.auth.logout",
                                     "admin.auth.language", "admin.auth.login", "admin.static"})

login_manager = LoginManager()
login_manager.login_view = "admin.auth.login"
login_manager.session_protection = "strong"
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _is_webhook() -> bool:
    """Only admin and public pages are limited: LINE's signed webhook calls skip the
    limiter's per-request bookkeeping (a limited webhook would only make LINE redeliver)."""
    return request.blueprint == "webhook"


bp = Blueprint("auth", __name__)


def login_account_key() -> str:
    """The per-account rate-limit key of a sign-in: the username as typed, normalised
    as ``pb.staff`` does (so "Admin " and "admin" share one count)."""
    return "account:" + (request.form.get("username") or "").strip().lower()[:64]


@bp.before_app_request
def _password_change_first():
    """A staff member signed in with a temporary password (an admin made the account
    or reset it) sees only the password page until they choose their own."""
    if not (request.blueprint or "").startswith("admin") or \
            request.endpoint in _BEFORE_PASSWORD_CHANGE:
        return None
    if current_user.is_authenticated and current_user.staff.must_change_password:
        return redirect(url_for("admin.auth.password"))
    return None


class StaffUser:
    """Flask-Login's view of a staff member."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, staff: staff_rows.Staff) -> None:
        self.staff = staff

    def get_id(self) -> str:
        return f"{self.staff.id}:{self.staff.session_nonce}"

    @property
    def scope(self) -> Scope:
        return self.staff.scope()


@login_manager.user_loader
def _load(user_id: str) -> StaffUser | None:
    staff_id, _sep, nonce = user_id.partition(":")
    if not staff_id.isdigit():
        return None
    with db() as conn:
        staff = staff_rows.get(conn, int(staff_id))
    if staff is None or not staff.active or staff.session_nonce != nonce:
        return None
    return StaffUser(staff)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.method == "GET":
        return redirect(url_for("admin.auth.login", next=request.full_path.rstrip("?")))
    abort(401)


@contextmanager
def db() -> Iterator[psycopg.Connection]:
    """A pooled connection; commits when the block ends without error, else rolls back."""
    with current_app.extensions["siang"].pool.connection() as conn:
        yield conn


def current_scope() -> Scope:
    """The signed-in staff member's scope (the one input of district scoping)."""
    if not current_user or not current_user.is_authenticated:
        abort(401)
    return current_user.scope


def login_required(view):
    return _flask_login_required(view)


def write_required(view):
    """Signed in, and allowed to change things (admin or district officer)."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if not current_scope().can_write:
            abort(403)
        return view(*args, **kwargs)
    return _flask_login_required(wrapped)


def role_required(*roles: str):
    """Signed in with one of ``roles`` (e.g. ``role_required("admin")``)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if current_scope().role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return _flask_login_required(wrapped)
    return decorate


def after_commit(*, refresh: Iterable[tuple[int, str]] = (),
                 outbox_ids: Iterable[int] = (), cluster_ideas: Iterable[int] = ()) -> None:
    """Enqueue work that needs the committed rows. If Redis is down the sweeper
    does it later (stale keywords and due outbox rows are in Postgres; an
    unclustered active idea is placed by the next recluster)."""
    queues: Queues = current_app.extensions["siang"].queues
    try:
        for idea_id in cluster_ideas:
            queues.enqueue_cluster_idea(idea_id)
        for process_id, district in sorted(refresh):
            queues.enqueue_keywords(process_id, district)
        for outbox_id in outbox_ids:
            queues.enqueue_delivery(outbox_id)
    except redis.RedisError as exc:
        log.warning("enqueue after a staff action failed (%s); the sweeper will catch up",
                    type(exc).__name__)


def safe_next(target: str | None) -> str:
    """Only a path inside the admin; anything else goes to the dashboard."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard.index")


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=256)])


class PasswordForm(FlaskForm):
    current = PasswordField(validators=[DataRequired(), Length(max=256)])
    new = PasswordField(validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_ACCOUNT, methods=["POST"], key_func=login_account_key,
               deduct_when=lambda response: response.status_code == 401)
@limiter.limit(LOGIN_LIMIT_ADDRESS, methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
def login():
    """Sign in with username and password; 401 and a Thai message when wrong."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with db() as conn:
            staff = staff_rows.authenticate(conn, form.username.data, form.password.data)
            if staff is not None:
                staff_rows.record_login(conn, staff)
            else:
                known = staff_rows.get_by_username(conn, form.username.data)
                if known is not None:
                    audit.record(conn, known.scope(), "staff.login_failed", "staff", known.id)
        if staff is not None:
            lang = session.get("lang")
            session.clear()                      # no session fixation
            if lang:
                session["lang"] = lang
            login_user(StaffUser(staff))
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
        error = _("Wrong username or password.")
    elif request.method == "POST":
        error = _("Enter your username and password.")
    return render_template("admin/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    with db() as conn:
        audit.record(conn, current_scope(), "staff.logout", "staff", current_user.staff.id)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("admin.auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; other sessions of the account end."""
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        staff = current_user.staff
        if form.new.data != form.confirm.data:
            error = _("The two new passwords differ.")
        else:
            try:
                with db() as conn:
                    if not staff_rows.verify_password(conn, staff.id, form.current.data):
                        error = _("Your current password is wrong.")
                    else:
                        staff.session_nonce = staff_rows.set_password(
                            conn, staff.id, form.new.data, actor=current_scope())
            except staff_rows.StaffError as exc:
                from admin.messages import error_text

                error = error_text(exc)
            if error is None:
                staff.must_change_password = False
                login_user(StaffUser(staff))     # this session goes on with the new nonce
                flash(_("Your password was changed. Other sessions were signed out."),
                      "success")
                return redirect(url_for("admin.dashboard.index"))
    return render_template("admin/password.html", form=form, error=error,
                           must_change=current_user.staff.must_change_password,
                           min_chars=staff_rows.MIN_PASSWORD_CHARS), (400 if error else 200)


@bp.post("/language")
def language():
    """Switch the admin between Thai and English (kept in the session and the account)."""
    lang = request.form.get("lang", "th")
    if lang not in ("th", "en"):
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        with db() as conn:
            staff_rows.set_language(conn, current_user.staff.id, lang)
    return redirect(safe_next(request.form.get("next")))
