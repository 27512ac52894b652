"""Staff accounts, for admins (read only here: accounts are made with ``siang staff``)."""

from __future__ import annotations

from flask import Blueprint, render_template

from admin.auth import db, role_required
from pb import staff as staff_rows

bp = Blueprint("staff", __name__)


@bp.get("")
@role_required("admin")
def index():
    with db() as conn:
        staff = staff_rows.list_all(conn)
    return render_template("admin/staff.html", staff=staff)
