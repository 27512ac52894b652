"""The composition root (``siang.app``): the session key every web process shares."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.settings import SettingsError
from siang.app import create_app
from tests.admin_support import PASSWORD, accounts, csrf_token  # noqa: F401


def test_create_app_refuses_to_start_without_a_secret_key(services):
    with pytest.raises(SettingsError, match="SIANG_SECRET_KEY must be set"):
        create_app(services.replace(secret_key=""))


def test_gunicorn_factory_stops_with_one_line_without_a_secret_key(services, monkeypatch):
    from gunicorn.errors import AppImportError

    from siang.wsgi import app_from_env

    for name, value in services.replace(secret_key="").as_env().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(AppImportError) as raised:
        app_from_env()
    message = str(raised.value)
    assert "SIANG_SECRET_KEY" in message and "\n" not in message


def test_siang_web_names_the_missing_secret_key_without_a_traceback(services):
    from siang.cli import main

    env = services.replace(secret_key="").as_env()
    result = CliRunner().invoke(main, ["web"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: SIANG_SECRET_KEY must be set")
    assert "Traceback" not in result.output


def test_two_web_workers_accept_each_others_session(services, accounts):  # noqa: F811
    """The Procfile runs two gunicorn workers, each its own ``create_app``: a staff
    member's login form, sign-in and next page may each reach a different one."""
    first, second = create_app(services), create_app(services)
    try:
        one, two = first.test_client(), second.test_client()
        page = one.get("/admin/login")                       # CSRF token signed by worker 1
        two.set_cookie("session", one.get_cookie("session").value)
        response = two.post("/admin/login", data={          # checked by worker 2
            "csrf_token": csrf_token(page.get_data(as_text=True)), "username": "admin",
            "password": PASSWORD})
        assert response.status_code == 302
        one.set_cookie("session", two.get_cookie("session").value)
        assert one.get("/admin/clusters").status_code == 200   # signed in on worker 1 too
    finally:
        first.extensions["siang"].pool.close()
        second.extensions["siang"].pool.close()
