"""Staff accounts, for admins: create, change role and districts, reset a password,
deactivate and reactivate (issue 16). Every change is audited in ``pb.staff``.

An account an admin creates, or whose password an admin resets, gets a
temporary password that its owner must replace at the next sign-in
(``admin.auth`` shows them only the password page until then). Accounts are
never deleted: a deactivated one cannot sign in and its sessions end, and the
audit log keeps pointing at it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.auth import current_scope, db, role_required
from admin.messages import error_text
from pb import districts
from pb import staff as staff_rows
from pb.scope import ROLES

bp = Blueprint("staff", __name__)

ERRORS = {
    "officer_districts": _l("A district officer needs at least one district."),
    "self_change": _l("You cannot change your own role or deactivate your own account: "
                      "ask another admin."),
    "password_mismatch": _l("The two passwords differ."),
    "community_needed": _l("A community account is made on its community's page "
                           "(Communities), so that it reaches that one community."),
}


def _error(exc: staff_rows.StaffError) -> str:
    return str(ERRORS[exc.code]) if exc.code in ERRORS else error_text(exc)


def _assigned() -> list[str]:
    """The districts ticked in the form (unknown names are refused by ``pb.staff``)."""
    return [d for d in request.form.getlist("district") if d]


def _password_pair() -> str:
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        raise staff_rows.StaffError("password_mismatch", "the two passwords differ")
    return password


@bp.get("")
@role_required("admin")
def index():
    """Every account, admins first."""
    with db() as conn:
        staff = staff_rows.list_all(conn)
    return render_template("admin/staff.html", staff=staff)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    """Create an account with a temporary password (changed at first sign-in)."""
    error = None
    if request.method == "POST":
        try:
            with db() as conn:
                staff_id = staff_rows.create(
                    conn, username=request.form.get("username", ""),
                    display_name=request.form.get("display_name", ""),
                    password=_password_pair(), role=request.form.get("role", ""),
                    assigned=_assigned(), language=request.form.get("language", "th"),
                    actor=current_scope(), must_change=True)
        except staff_rows.StaffError as exc:
            error = _error(exc)
        else:
            flash(_("Account created. Give the temporary password to its owner in person: "
                    "they choose their own at first sign-in."), "success")
            return redirect(url_for("admin.staff.show", staff_id=staff_id))
    return render_template("admin/staff_form.html", error=error, form=request.form,
                           roles=ROLES, all_districts=districts.THAI_NAMES,
                           min_chars=staff_rows.MIN_PASSWORD_CHARS), (400 if error else 200)


def _load(conn, staff_id: int) -> staff_rows.Staff:
    found = staff_rows.get(conn, staff_id)
    if found is None:
        abort(404)
    return found


def _page(staff_id: int, error: str | None = None, status: int = 200):
    with db() as conn:
        member = _load(conn, staff_id)
    return render_template("admin/staff_show.html", member=member, error=error, roles=ROLES,
                           all_districts=districts.THAI_NAMES,
                           min_chars=staff_rows.MIN_PASSWORD_CHARS), status


@bp.get("/<int:staff_id>")
@role_required("admin")
def show(staff_id: int):
    """One account: its role and districts, password reset, deactivation."""
    return _page(staff_id)


@bp.post("/<int:staff_id>/access")
@role_required("admin")
def access(staff_id: int):
    """Change the role, districts and display name (effective on their next page)."""
    try:
        with db() as conn:
            _load(conn, staff_id)
            changed = staff_rows.update_access(
                conn, current_scope(), staff_id, role=request.form.get("role", ""),
                assigned=_assigned(), display_name=request.form.get("display_name"))
    except staff_rows.StaffError as exc:
        return _page(staff_id, _error(exc), 400)
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("admin.staff.show", staff_id=staff_id))


@bp.post("/<int:staff_id>/password")
@role_required("admin")
def reset_password(staff_id: int):
    """Set a temporary password: every session of the account ends, and its owner
    must choose a new one at the next sign-in."""
    try:
        with db() as conn:
            _load(conn, staff_id)
            staff_rows.set_password(conn, staff_id, _password_pair(), actor=current_scope(),
                                    must_change=True)
    except staff_rows.StaffError as exc:
        return _page(staff_id, _error(exc), 400)
    flash(_("Temporary password set. Their sessions were signed out; they choose a new "
            "password at the next sign-in."), "success")
    return redirect(url_for("admin.staff.show", staff_id=staff_id))


@bp.post("/<int:staff_id>/active")
@role_required("admin")
def set_active(staff_id: int):
    """Deactivate (sign-in refused, sessions end) or reactivate an account."""
    active = request.form.get("active") == "1"
    try:
        with db() as conn:
            _load(conn, staff_id)
            staff_rows.set_active(conn, current_scope(), staff_id, active)
    except staff_rows.StaffError as exc:
        return _page(staff_id, _error(exc), 400)
    flash(_("Account reactivated.") if active else _("Account deactivated: it cannot sign "
                                                       "in and its sessions were ended."),
          "success")
    return redirect(url_for("admin.staff.show", staff_id=staff_id))
