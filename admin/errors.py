"""Error pages of the admin: every refusal is a page in the staff member's language."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pb.scope import ReadOnlyError, ScopeError


def _page(status: int, title: str, detail: str):
    return render_template("admin/error.html", status=status, title=title, detail=detail), status


def _http(error: HTTPException):
    status = error.code or 500
    if status == 401:
        return _page(401, _("Please sign in"), _("This page is for signed-in staff."))
    if status == 403:
        return _page(403, _("Not allowed"),
                     _("Your role cannot do this. Viewers can read but not change anything."))
    if status == 404:
        return _not_found()
    if status == 405:
        return _page(405, _("Not allowed"), _("This address does not take that request."))
    return _page(status, _("Bad request"), _("The request could not be understood."))


def _csrf(error: CSRFError):
    return _page(400, _("The form has expired"),
                 _("The form was missing its security token or it had expired (CSRF check). "
                   "Nothing was saved. Go back, reload the page and try again."))


def _rate_limited(error: RateLimitExceeded):
    return _page(429, _("Too many attempts"),
                 _("Too many failed sign-ins for this account or from this address. "
                   "Wait a minute and try again."))


def _not_found():
    return _page(404, _("Not found"),
                 _("There is nothing here, or it is outside the districts you work in."))


def _out_of_scope(error: ScopeError):
    return _not_found()


def _read_only(error: ReadOnlyError):
    return _page(403, _("Not allowed"),
                 _("Your role cannot do this. Viewers can read but not change anything."))


def register(bp: Blueprint) -> None:
    """Attach the handlers to the parent admin blueprint (children inherit them)."""
    bp.register_error_handler(CSRFError, _csrf)
    bp.register_error_handler(RateLimitExceeded, _rate_limited)
    bp.register_error_handler(ScopeError, _out_of_scope)
    bp.register_error_handler(ReadOnlyError, _read_only)
    for code in (400, 401, 403, 404, 405):
        bp.register_error_handler(code, _http)
