"""The staff admin: accounts, cluster review and projects (BMA PB stages 1–2).

``init_app(app)`` wires it into the web app built by ``siang.app.create_app``:
one parent blueprint at ``/admin`` holding one child blueprint per area
(``auth``, ``clusters``, ``projects``, ``audit``, ``staff``; later areas add
theirs in :data:`AREAS`), and the extensions they share:

* Flask-Login sessions for staff accounts (``admin.auth``), cookies
  HttpOnly, SameSite=Lax, Secure when the public URL is https;
* Flask-WTF CSRF checked on every POST to ``/admin`` (the LINE webhook,
  signed by LINE, is not a form and is left alone);
* Flask-Limiter on the login form, counted in the app's Redis;
* Flask-Babel: Thai by default, English from the staff member's choice
  (message catalogs in ``admin/translations``, compiled ``.mo`` kept in git).
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from pathlib import Path

from flask import Blueprint, Flask, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user
from markupsafe import Markup

from admin.auth import csrf, limiter, login_manager
from admin.headers import set_security_headers
from nlp.screening import strip_invisible
from pb import districts
from pb.thaidate import be_date, be_datetime

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("th", "en")
# Child blueprints: (module, url prefix under /admin). One module per area.
AREAS: tuple[tuple[str, str], ...] = (
    ("admin.auth", ""),
    ("admin.clusters", ""),
    ("admin.projects", "/projects"),
    ("admin.audit", "/audit"),
    ("admin.staff", "/staff"),
    ("admin.rounds", "/rounds"),                 # issue 6: voting rounds
    ("admin.progress", "/progress"),             # issue 7: BMA progress reports
    ("admin.announcements", "/announcements"),   # issue 7: announcements to residents
    ("admin.dashboard", ""),                     # issue 16: the home page, /admin/
    ("admin.exports", "/exports"),               # issue 16: CSV downloads
    ("admin.sent", "/sent"),                     # issue 16: what residents were told automatically
    ("admin.similar", ""),                       # issue 15: similar-idea rule, duplicates
    ("admin.communities", "/communities"),       # issue 18: the community registry
    ("admin.community_plans", "/community-plans"),  # issue 18: community development plans
    ("admin.council", "/council"),               # issue 18: district city councils
    ("admin.hearings", "/hearings"),             # issue 18: district public hearings
    ("admin.indicators", "/indicators"),         # issue 18: the BMA indicator panel
)

def limiter_storage_uri(redis_url: str) -> str:
    """The Flask-Limiter (``limits``) storage URI for Siang's Redis URL.

    ``unix:///path`` (the embedded Redis) becomes ``redis+unix:///path``.
    """
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url or "memory://"


def select_locale() -> str:
    """Thai unless the staff member chose English (session first, then their account)."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.staff.language
    return "th"


def _visible(value: object) -> object:
    """Every ``{{ value }}`` in a template without control and format characters
    (:func:`nlp.screening.strip_invisible`); markup stays markup."""
    if isinstance(value, Markup):
        return Markup(strip_invisible(value))
    if isinstance(value, str):
        return strip_invisible(value)
    return value


def init_app(app: Flask) -> None:
    """Register the admin blueprints and their extensions on ``app``.

    ``app.extensions["siang"]`` must already hold the web state
    (``siang.app.AppState``); the admin reads its ``settings``, ``pool`` and
    ``queues`` by attribute name and never imports ``siang``.
    """
    settings = app.extensions["siang"].settings
    secure = settings.public_base_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        WTF_CSRF_CHECK_DEFAULT=False,         # checked for /admin only, in _csrf below
        WTF_CSRF_TIME_LIMIT=8 * 3600,         # a page left open for a working day still posts
        BABEL_DEFAULT_LOCALE="th",
        BABEL_DEFAULT_TIMEZONE="Asia/Bangkok",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(settings.redis_url))
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)   # Redis down: log in unlimited
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Resident text may carry bidi overrides (U+202E) and other control characters
    # that would make a line read backwards on a staff screen: none is rendered.
    app.jinja_env.finalize = _visible
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(_blueprint())
    from admin import public_progress

    app.register_blueprint(public_progress.bp)   # /progress: public, no login (issue 7)
    from admin import public_results

    app.register_blueprint(public_results.bp)    # /results: public, no login (issue 6)
    from admin import public_council

    app.register_blueprint(public_council.bp)    # /council/<district>: public (issue 18)
    from admin import public_hearings

    app.register_blueprint(public_hearings.bp)   # /hearings/<id>: public summary (issue 18)
    from admin import public_indicators

    app.register_blueprint(public_indicators.bp)  # /indicators: public, no login (issue 18)


def _blueprint() -> Blueprint:
    """The parent ``admin`` blueprint (built per app: Flask forbids changing a
    registered blueprint) with every area's child blueprint."""
    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                   static_folder="static")
    bp.before_request(_csrf)
    bp.after_request(_security_headers)
    bp.app_template_filter("be_date")(_be_date)
    bp.app_template_filter("be_datetime")(_be_datetime)
    bp.app_template_filter("baht")(_baht)
    bp.app_template_filter("cluster_name")(import_module("admin.similar").cluster_name)
    bp.app_context_processor(_template_globals)
    from admin.errors import register

    register(bp)
    for module, prefix in AREAS:
        bp.register_blueprint(import_module(module).bp, url_prefix=prefix or None)
    return bp


def _csrf() -> None:
    csrf.protect()


def _security_headers(response):
    static = not request.endpoint or request.endpoint.endswith(".static")
    return set_security_headers(
        response, cache=None if static else "no-store",
        csp="default-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'")


def _be_date(value: dt.date | dt.datetime | None) -> str:
    """The ``be_date`` template filter: ``dd/mm/BBBB`` (``pb.thaidate.be_date``); None is ""."""
    return be_date(value) if value else ""


def _be_datetime(value: dt.datetime | None) -> str:
    """The ``be_datetime`` filter: ``dd/mm/BBBB HH:MM`` in Bangkok time (พ.ศ.); None is ""."""
    return be_datetime(value) if value else ""


def _baht(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _district_label(name: str | None) -> str:
    """A district as the staff member reads it: Thai, or its English name on English
    pages (issue 16: "District ประเวศ" on an English page); "" for None."""
    if not name:
        return ""
    if str(get_locale() or "th") == "en":
        return districts.ENGLISH_NAMES.get(name, name)
    return name


def _template_globals():
    from admin import messages
    from admin.auth import current_scope

    return {"district_en": districts.ENGLISH_NAMES, "labels": messages,
            "district_label": _district_label,
            "current_scope": current_scope, "locale": str(get_locale() or "th")}
