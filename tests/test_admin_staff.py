"""Staff accounts in the web admin (issue 16, finding 3): create, change role and
districts, reset a password, deactivate; admins only, audited, argon2, and a
forced password change at the first sign-in."""

from __future__ import annotations

from pb import audit
from pb import staff as staff_rows
from tests.admin_support import (HOME, OTHER, PASSWORD, StaffClient, accounts,  # noqa: F401
                                 signed_in)

TEMPORARY = "ชั่วคราว temporary 2568"
OWN = "my own password ทุ่งครุ 99"


def _create(admin: StaffClient, **form):
    admin.get("/admin/staff/new")
    data = {"username": "nok", "display_name": "นก ใจงาม", "role": "officer",
            "district": [HOME], "password": TEMPORARY, "confirm": TEMPORARY, **form}
    return admin.post("/admin/staff/new", data)


def test_admin_creates_an_account_that_must_change_its_password(stack, db, signed_in):
    admin = signed_in("admin")
    response = _create(admin)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    nok = staff_rows.get_by_username(db, "nok")
    assert (nok.role, nok.districts, nok.must_change_password) == ("officer", [HOME], True)
    row = db.execute("SELECT password_hash FROM staff WHERE id = %s", (nok.id,)).fetchone()
    assert row[0].startswith("$argon2id$")
    entry = audit.entries(db, action="staff.create")[0]
    assert (entry.staff_id, entry.target_id, entry.after["districts"]) == \
        (admin_id(db), nok.id, [HOME])

    staff = StaffClient(stack["app"], "nok", TEMPORARY)
    page = staff.client.get("/admin/clusters")
    assert page.status_code == 302 and page.headers["Location"].endswith("/admin/password")
    assert staff.client.get("/admin/").status_code == 302
    form = staff.get("/admin/password")
    assert "รหัสผ่านชั่วคราว" in form.get_data(as_text=True)
    done = staff.post("/admin/password", {"current": TEMPORARY, "new": OWN, "confirm": OWN})
    assert done.status_code == 302
    assert staff.client.get("/admin/clusters").status_code == 200
    db.commit()
    assert staff_rows.get_by_username(db, "nok").must_change_password is False


def admin_id(db) -> int:
    return staff_rows.get_by_username(db, "admin").id


def test_bad_accounts_are_refused_in_thai(signed_in, db):
    admin = signed_in("admin")
    no_district = _create(admin, district=[])
    assert no_district.status_code == 400
    assert "ต้องมีอย่างน้อยหนึ่งเขต" in no_district.get_data(as_text=True)
    mismatch = _create(admin, confirm="something else entirely")
    assert mismatch.status_code == 400
    weak = _create(admin, password="short", confirm="short")
    assert "12 ถึง 256" in weak.get_data(as_text=True)
    taken = _create(admin, username="somchai")
    assert "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว" in taken.get_data(as_text=True)
    assert staff_rows.get_by_username(db, "nok") is None


def test_only_admins_manage_staff(signed_in, accounts):
    for role in ("officer", "viewer"):
        staff = signed_in(role)
        assert staff.get("/admin/staff/new").status_code == 403
        assert staff.get(f"/admin/staff/{accounts['officer']}").status_code == 403
        assert staff.post(f"/admin/staff/{accounts['officer']}/active",
                          {"active": "0"}).status_code == 403


def test_changing_districts_takes_effect_at_once_and_is_audited(stack, db, accounts, signed_in):
    admin, officer = signed_in("admin"), signed_in("officer")
    assert "ทุ่งครุ" in officer.get("/admin/").get_data(as_text=True)
    admin.get(f"/admin/staff/{accounts['officer']}")
    response = admin.post(f"/admin/staff/{accounts['officer']}/access",
                          {"role": "officer", "district": [OTHER, HOME],
                           "display_name": "สมชาย ใจดี"})
    assert response.status_code == 302
    assert staff_rows.get(db, accounts["officer"]).districts == sorted([OTHER, HOME])
    entry = audit.entries(db, action="staff.access")[0]
    assert entry.before == {"districts": [HOME]} and entry.after == {"districts": sorted([OTHER, HOME])}
    assert "บางรัก" in officer.get("/admin/").get_data(as_text=True)
    to_viewer = admin.post(f"/admin/staff/{accounts['officer']}/access",
                           {"role": "viewer", "display_name": "สมชาย ใจดี"})
    assert to_viewer.status_code == 302
    assert officer.post("/admin/logout").status_code == 302      # still signed in, now a viewer
    own = admin.post(f"/admin/staff/{accounts['admin']}/access", {"role": "viewer"})
    assert own.status_code == 400
    assert staff_rows.get(db, accounts["admin"]).role == "admin"


def test_deactivation_ends_sessions_and_refuses_sign_in(stack, db, accounts, signed_in):
    admin, officer = signed_in("admin"), signed_in("officer")
    assert officer.get("/admin/clusters").status_code == 200
    admin.get(f"/admin/staff/{accounts['officer']}")
    assert admin.post(f"/admin/staff/{accounts['officer']}/active",
                      {"active": "0"}).status_code == 302
    assert officer.client.get("/admin/clusters").status_code == 302     # signed out
    assert StaffClient(stack["app"], "").login("somchai", PASSWORD).status_code == 401
    assert audit.entries(db, action="staff.deactivate")[0].target_id == accounts["officer"]
    own = admin.post(f"/admin/staff/{accounts['admin']}/active", {"active": "0"})
    assert own.status_code == 400
    assert admin.post(f"/admin/staff/{accounts['officer']}/active",
                      {"active": "1"}).status_code == 302
    assert StaffClient(stack["app"], "somchai").get("/admin/clusters").status_code == 200


def test_password_reset_ends_sessions_and_forces_a_change(stack, db, accounts, signed_in):
    admin, officer = signed_in("admin"), signed_in("officer")
    admin.get(f"/admin/staff/{accounts['officer']}")
    response = admin.post(f"/admin/staff/{accounts['officer']}/password",
                          {"password": TEMPORARY, "confirm": TEMPORARY})
    assert response.status_code == 302
    assert officer.client.get("/admin/clusters").status_code == 302     # signed out
    again = StaffClient(stack["app"], "somchai", TEMPORARY)
    assert again.client.get("/admin/clusters").headers["Location"].endswith("/admin/password")
    assert audit.entries(db, action="staff.password_reset")[0].target_id == accounts["officer"]
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert f"/admin/staff/{accounts['officer']}" in page


def test_staff_cli_needs_no_line_credentials(settings, db, clean, monkeypatch):
    """`siang staff create` and `set-password` touch only the database (issue 16, finding 3;
    the fix is H-B1's ``settings_from_env(line=False)`` in siang/cli_ops.py)."""
    from click.testing import CliRunner

    from siang.cli import main

    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    runner = CliRunner()
    made = runner.invoke(main, ["staff", "create", "kai", "--role", "viewer",
                                "--password-stdin"], input="a long enough password\n")
    assert made.exit_code == 0, made.output
    reset = runner.invoke(main, ["staff", "set-password", "kai", "--password-stdin"],
                          input="another long password\n")
    assert reset.exit_code == 0, reset.output
    db.commit()
    assert staff_rows.authenticate(db, "kai", "another long password") is not None
