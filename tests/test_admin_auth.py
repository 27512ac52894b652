"""Staff accounts: sign-in, failed sign-in, rate limit, sign-out, password change,
session cookies, CSRF, the audit log (append only), and the CLI."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner

from pb import audit
from pb import staff as staff_rows
from pb.scope import Scope
from tests.admin_support import (PASSWORD, StaffClient, accounts, csrf_token,  # noqa: F401
                                 signed_in)


def test_sign_in_lands_on_clusters_and_is_audited(stack, accounts, db):
    staff = StaffClient(stack["app"], "admin")
    page = staff.get("/admin/clusters")
    assert page.status_code == 200
    assert "กลุ่มไอเดียที่คล้ายกัน" in page.get_data(as_text=True)     # Thai by default
    assert [e.action for e in audit.entries(db)] == ["staff.login", "staff.create",
                                                     "staff.create", "staff.create",
                                                     "staff.create"]


def test_pages_need_a_sign_in(client):
    response = client.get("/admin/clusters")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_wrong_password_is_refused_in_thai(stack, accounts, db):
    staff = StaffClient(stack["app"], "")
    response = staff.login("admin", "not the password at all")
    assert response.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)
    unknown = staff.login("nobody", PASSWORD)
    assert unknown.status_code == 401
    assert staff.client.get("/admin/clusters").status_code == 302
    assert audit.entries(db, action="staff.login_failed")[0].staff_id == accounts["admin"]


def test_login_is_rate_limited_after_five_failures(stack, accounts):
    staff = StaffClient(stack["app"], "")
    codes = [staff.login("admin", "wrong password number %d" % n).status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    blocked = staff.login("admin", PASSWORD)      # even the right password waits
    assert blocked.status_code == 429
    assert "หลายครั้งเกินไป" in blocked.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_the_limit(stack, accounts):
    for _ in range(7):
        staff = StaffClient(stack["app"], "")
        assert staff.login("admin", PASSWORD).status_code == 302


def test_sign_out_ends_the_session(signed_in):
    staff = signed_in("officer")
    assert staff.get("/admin/clusters").status_code == 200
    response = staff.post("/admin/logout")
    assert response.status_code == 302
    assert staff.client.get("/admin/clusters").status_code == 302


def test_logout_needs_the_csrf_token(signed_in):
    staff = signed_in("officer")
    response = staff.post("/admin/logout", csrf=False)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert staff.get("/admin/clusters").status_code == 200


def test_forged_form_from_another_site_is_rejected(signed_in, db):
    staff = signed_in("admin")
    forged = staff.client.post("/admin/password", data={
        "current": PASSWORD, "new": "a brand new password", "confirm": "a brand new password"})
    assert forged.status_code == 400
    assert "แบบฟอร์มหมดอายุ" in forged.get_data(as_text=True)
    wrong = staff.post("/admin/password", {"csrf_token": "forged-token", "current": PASSWORD,
                                            "new": "a brand new password",
                                            "confirm": "a brand new password"})
    assert wrong.status_code == 400
    assert staff_rows.authenticate(db, "admin", PASSWORD) is not None


def test_password_change_ends_other_sessions(stack, accounts, db):
    laptop, phone = StaffClient(stack["app"], "somchai"), StaffClient(stack["app"], "somchai")
    laptop.get("/admin/password")
    weak = laptop.post("/admin/password", {"current": PASSWORD, "new": "short",
                                           "confirm": "short"})
    assert weak.status_code == 400
    assert "12 ถึง 256" in weak.get_data(as_text=True)
    wrong = laptop.post("/admin/password", {"current": "not my password", "new": "x" * 6 + "yz1234",
                                            "confirm": "x" * 6 + "yz1234"})
    assert "รหัสผ่านปัจจุบันไม่ถูกต้อง" in wrong.get_data(as_text=True)
    new = "ทุ่งครุ new password 2568"
    done = laptop.post("/admin/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert done.status_code == 302
    assert laptop.get("/admin/clusters").status_code == 200        # this session goes on
    assert phone.client.get("/admin/clusters").status_code == 302  # the other one ended
    assert staff_rows.authenticate(db, "somchai", new) is not None
    assert staff_rows.authenticate(db, "somchai", PASSWORD) is None
    assert audit.entries(db, action="staff.password_change")[0].target_id == accounts["officer"]


def test_session_cookie_is_httponly_and_samesite(stack, accounts):
    staff = StaffClient(stack["app"], "")
    page = staff.client.get("/admin/login")
    response = staff.client.post("/admin/login", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin",
        "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookies_are_secure_when_served_over_https(services):
    from siang.app import create_app

    app = create_app(services.replace(public_base_url="https://siang.example.go.th",
                                      secret_key="k"))
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
    finally:
        app.extensions["siang"].pool.close()


def test_english_is_available(signed_in):
    staff = signed_in("admin")
    staff.get("/admin/clusters")
    staff.post("/admin/language", {"lang": "en", "next": "/admin/clusters"})
    page = staff.get("/admin/clusters").get_data(as_text=True)
    assert "Clusters of similar ideas" in page
    staff.post("/admin/language", {"lang": "th", "next": "/admin/clusters"})
    assert "กลุ่มไอเดียที่คล้ายกัน" in staff.get("/admin/clusters").get_data(as_text=True)


def test_audit_log_is_append_only(db, accounts):
    with db.transaction():
        entry = audit.record(db, Scope.system(), "test.entry", "staff", 1, after={"x": 1})
    for statement in ("UPDATE audit_log SET action = 'forged' WHERE id = %s",
                      "DELETE FROM audit_log WHERE id = %s"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with db.transaction():
                db.execute(statement, (entry,))
    assert audit.entries(db, action="test.")[0].action == "test.entry"


def test_everyone_reads_the_audit_log_of_their_scope(signed_in):
    """Issue 16: officers read their districts' entries (tests/test_admin_audit.py)."""
    assert signed_in("admin").get("/admin/audit").status_code == 200
    assert signed_in("officer").get("/admin/audit").status_code == 200
    assert signed_in("viewer").get("/admin/audit").status_code == 200


def _from(app, address: str) -> StaffClient:
    staff = StaffClient(app, "")
    staff.client.environ_base["REMOTE_ADDR"] = address
    return staff


def test_a_locked_account_leaves_the_office_s_other_accounts_working(stack, accounts):
    """Issue 16, finding 10: five wrong passwords lock that account, not the address."""
    office = _from(stack["app"], "203.0.113.7")       # a district office behind one NAT
    codes = [office.login("admin", f"wrong password number {n}").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    assert office.login("admin", PASSWORD).status_code == 429        # this account waits
    assert office.login("somchai", PASSWORD).status_code == 302      # a colleague signs in
    colleague = _from(stack["app"], "203.0.113.7")
    assert colleague.login("somsri", PASSWORD).status_code == 302
    elsewhere = _from(stack["app"], "198.51.100.9")
    refused = elsewhere.login("admin", PASSWORD)                     # locked wherever it is
    assert refused.status_code == 429
    assert "หลายครั้งเกินไป" in refused.get_data(as_text=True)
    assert elsewhere.login("ADMIN ", "another wrong one").status_code == 429   # same account


def test_password_spraying_from_one_address_is_throttled(stack, accounts):
    """Many accounts tried from one address: the address limit stops it, other
    addresses are not affected."""
    from admin.auth import LOGIN_LIMIT_ADDRESS

    per_minute = int(LOGIN_LIMIT_ADDRESS.split()[0])
    sprayer = _from(stack["app"], "192.0.2.66")
    codes = [sprayer.login(f"user{n:03d}", "guessed password 1").status_code
             for n in range(per_minute + 1)]
    assert codes == [401] * per_minute + [429]
    assert sprayer.login("somchai", PASSWORD).status_code == 429
    assert _from(stack["app"], "192.0.2.67").login("somchai", PASSWORD).status_code == 302


def test_staff_cli_creates_accounts_and_sets_passwords(settings, db, clean, monkeypatch):
    from siang.cli import main

    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "t")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    runner = CliRunner()
    result = runner.invoke(main, ["staff", "create", "nok", "--name", "นก", "--role", "officer",
                                  "--district", "ทุ่งครุ", "--district", "บางบอน",
                                  "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    nok = staff_rows.get_by_username(db, "nok")
    assert (nok.role, nok.districts) == ("officer", ["ทุ่งครุ", "บางบอน"])
    weak = runner.invoke(main, ["staff", "set-password", "nok", "--password-stdin"],
                         input="short\n")
    assert weak.exit_code != 0 and "12 to 256" in weak.output
    ok = runner.invoke(main, ["staff", "set-password", "nok", "--password-stdin"],
                       input="another long password\n")
    assert ok.exit_code == 0, ok.output
    db.commit()
    assert staff_rows.authenticate(db, "nok", "another long password") is not None
    bad = runner.invoke(main, ["staff", "create", "x", "--role", "officer", "--password-stdin"],
                        input="a long enough password\n")
    assert bad.exit_code != 0
    unknown = runner.invoke(main, ["staff", "create", "yy1", "--role", "officer", "--district",
                                   "Atlantis", "--password-stdin"],
                            input="a long enough password\n")
    assert unknown.exit_code != 0 and "unknown district" in unknown.output
