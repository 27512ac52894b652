"""`siang staff create --role community` (issue 18, H-G1): the operator makes a community
committee's account from the command line; it signs in and reaches its one community.
Without a community, or with one that does not exist, the command says so in one line."""

from __future__ import annotations

from click.testing import CliRunner

from pb import communities
from pb import staff as staff_rows
from pb.scope import Scope
from tests.admin_support import PASSWORD, StaffClient

PASSWORD_IN = f"{PASSWORD}\n"


def _env(monkeypatch, settings) -> None:
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)


def _said(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_staff_create_community_account(stack, settings, db, clean, monkeypatch):
    from siang.cli import main

    _env(monkeypatch, settings)
    registry = ("name,district,type\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด\n"
                "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง\n")
    assert communities.import_csv(db, Scope.system(), registry.encode()).ok
    ids = dict(db.execute("SELECT name, id FROM communities").fetchall())
    db.commit()
    runner = CliRunner()
    made = runner.invoke(main, ["staff", "create", "committee", "--role", "community",
                                "--community", str(ids["ชุมชนวัดทุ่งครุ"]), "--password-stdin"],
                         input=PASSWORD_IN)
    assert made.exit_code == 0, made.output
    assert _said(made)[-1].startswith("created staff #") and "(community)" in _said(made)[-1]
    found = staff_rows.get_by_username(db, "committee")
    linked = db.execute("SELECT community_id FROM community_staff WHERE staff_id = %s",
                        (found.id,)).fetchone()
    db.commit()
    assert found.role == "community" and linked == (ids["ชุมชนวัดทุ่งครุ"],)
    committee = StaffClient(stack["app"], "committee")
    assert committee.get(f"/admin/communities/{ids['ชุมชนวัดทุ่งครุ']}").status_code == 200
    assert committee.client.get(f"/admin/communities/{ids['ชุมชนสวนพลู']}").status_code == 404


def test_staff_create_community_needs_a_community(settings, db, clean, monkeypatch):
    from siang.cli import main

    _env(monkeypatch, settings)
    runner = CliRunner()
    missing = runner.invoke(main, ["staff", "create", "committee", "--role", "community",
                                   "--password-stdin"], input=PASSWORD_IN)
    assert missing.exit_code != 0 and len(_said(missing)) == 1
    assert _said(missing)[0].startswith("Error: ") and "--community" in _said(missing)[0]
    unknown = runner.invoke(main, ["staff", "create", "committee", "--role", "community",
                                   "--community", "999999", "--password-stdin"],
                            input=PASSWORD_IN)
    assert unknown.exit_code != 0 and len(_said(unknown)) == 1
    assert "no community #999999" in _said(unknown)[0]
    stray = runner.invoke(main, ["staff", "create", "kai", "--role", "viewer", "--community",
                                 "1", "--password-stdin"], input=PASSWORD_IN)
    assert stray.exit_code != 0 and "--role community" in _said(stray)[0]
    assert staff_rows.get_by_username(db, "committee") is None
    db.commit()
