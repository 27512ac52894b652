"""Backups that respect erasure (issue 19, item 5): the restore drill.

PDPA: an erased person stays erased. The drill backs up, adds a resident
with ideas, erases another, restores, and checks that the erased one is gone
again (the erasure ledger was re-applied) while the backup's other data came
back. It runs in a database of its own (a restore replaces the whole schema),
through the `siang backup` / `siang restore` commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pb import db as pbdb
from pb import erasure, erasure_ledger, ideas, processes, residents
from siang.backup import BackupError, find_tool, reapply
from siang.cli import main
from tests.test_resident_privacy import privacy

KEY = "drill-ledger-key-0123456789abcdef-0123456789"
ALICE, BOB, CAROL = ("U" + c * 32 for c in "abc")


@pytest.fixture
def drill_db(services):
    """A database of this test's own, migrated; dropped afterwards."""
    name = f"siang_drill_{os.getpid()}"
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(services.database_url, dbname=name)
    with pbdb.connection(url) as conn:
        pbdb.upgrade(conn)
    yield url
    with psycopg.connect(services.database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _resident_with_ideas(conn, user_id: str, texts: list[str]) -> int:
    resident = residents.follow(conn, user_id)
    residents.give_consent(conn, resident.id)
    residents.set_district(conn, resident.id, "บางรัก")
    process_id = processes.current_id(conn)
    for n, text in enumerate(texts):
        ideas.insert(conn, process_id=process_id, resident_id=resident.id, district="บางรัก",
                     text=text, normalised_text=text, webhook_event_id=f"{user_id}-{n}")
    return resident.id


def _siang(env: dict[str, str], *args: str):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_restore_drill_erased_resident_stays_erased(drill_db, tmp_path):
    env = {"DATABASE_URL": drill_db, "SIANG_ERASURE_KEY": KEY, "SIANG_DATA_DIR": str(tmp_path),
           "LINE_CHANNEL_SECRET": "", "LINE_CHANNEL_ACCESS_TOKEN": ""}
    key = erasure_ledger.load_key(KEY, tmp_path / "unused")
    with pbdb.connection(drill_db) as conn, conn.transaction():
        _resident_with_ideas(conn, ALICE, ["ไฟถนนดับหน้าซอย"])
        bob = _resident_with_ideas(conn, BOB, ["ขุดลอกคลองหน้าชุมชน", "ทางเท้าชำรุด"])

    code, out = _siang(env, "backup", str(tmp_path / "siang.dump"))
    assert code == 0, out
    made = json.loads(out.strip().splitlines()[-1])
    assert made["server_major"] == 16 and made["bytes"] > 0

    with pbdb.connection(drill_db) as conn, conn.transaction():
        _resident_with_ideas(conn, CAROL, ["สวนสาธารณะใกล้บ้าน"])        # after the backup
        erasure.erase(conn, bob, BOB, "delete", ledger_key=key)          # erased after it
    with pbdb.connection(drill_db) as conn:
        stored = conn.execute("SELECT subject, ideas_mode FROM ledger.erasures").fetchall()
    assert stored == [(erasure_ledger.subject_of(key, BOB), "delete")]
    assert BOB not in str(stored)

    code, out = _siang(env, "restore", "--yes", str(tmp_path / "siang.dump"))
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert report["ledger_entries_after_backup"] == 1 and report["erasures_reapplied"] == 1

    with pbdb.connection(drill_db) as conn:
        users = {r[0] for r in conn.execute("SELECT line_user_id FROM residents")}
        texts = {r[0] for r in conn.execute("SELECT text FROM ideas")}
        ledger_rows = conn.execute("SELECT count(*) FROM ledger.erasures").fetchone()[0]
        stats = conn.execute("SELECT ideas_mode, ideas FROM erasures").fetchall()
        backups = conn.execute("SELECT count(*) FROM backups").fetchone()[0]
    assert users == {ALICE, None}                  # bob is gone again; carol came after the backup
    assert texts == {"ไฟถนนดับหน้าซอย"}              # bob's ideas deleted again
    assert ledger_rows == 1 and stats == [("delete", 2)] and backups == 1

    # A second restore of the same backup re-applies the ledger again: still erased.
    code, out = _siang(env, "restore", "--yes", str(tmp_path / "siang.dump"))
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["erasures_reapplied"] == 1


def test_restore_without_the_key_refuses_and_changes_nothing(drill_db, tmp_path):
    env = {"DATABASE_URL": drill_db, "SIANG_DATA_DIR": str(tmp_path), "SIANG_ERASURE_KEY": ""}
    with pbdb.connection(drill_db) as conn, conn.transaction():
        rid = _resident_with_ideas(conn, ALICE, ["ไฟถนนดับหน้าซอย"])
    code, out = _siang(env, "backup", str(tmp_path / "siang.dump"))
    assert code == 0, out
    with pbdb.connection(drill_db) as conn, conn.transaction():
        erasure.erase(conn, rid, ALICE, "delete", ledger_key=KEY.encode())
    code, out = _siang(env, "restore", "--yes", str(tmp_path / "siang.dump"))
    assert code == 1 and "key is missing" in out and "Traceback" not in out
    with pbdb.connection(drill_db) as conn:
        assert conn.execute("SELECT count(*) FROM residents WHERE line_user_id IS NOT NULL"
                            ).fetchone()[0] == 0


def test_a_resident_who_came_back_after_the_erasure_is_not_erased_again(drill_db):
    key = KEY.encode()
    with pbdb.connection(drill_db) as conn, conn.transaction():
        rid = _resident_with_ideas(conn, ALICE, ["ไฟถนนดับหน้าซอย"])
        erasure.erase(conn, rid, ALICE, "delete", ledger_key=key)
    with pbdb.connection(drill_db) as conn, conn.transaction():
        _resident_with_ideas(conn, ALICE, ["ทางเท้าชำรุด"])       # the same LINE account, later
    # A dump with no backup time (made by hand) checks every entry: the newcomer stays.
    with pbdb.connection(drill_db) as conn, conn.transaction():
        assert reapply(conn, key, None) == (1, 0)
    with pbdb.connection(drill_db) as conn:
        assert conn.execute("SELECT text FROM ideas").fetchall() == [("ทางเท้าชำรุด",)]


def test_erasing_in_the_chat_writes_the_ledger_without_the_user_id(chat, db, settings):
    nok = chat.onboarded("บางรัก")
    nok.say("ขอให้ขุดลอกคลองผดุงกรุงเกษมช่วงหน้าชุมชน น้ำเน่าเหม็นมาก")
    privacy(nok, "ลบข้อมูลของฉัน")
    nok.tap("ลบไอเดียด้วย")
    key = erasure_ledger.load_key(settings.erasure_key,
                                  settings.data_dir / erasure_ledger.KEY_FILE_NAME, create=False)
    rows = db.execute("SELECT subject, ideas_mode FROM ledger.erasures WHERE subject = %s",
                      (erasure_ledger.subject_of(key, nok.user_id),)).fetchall()
    assert rows == [(erasure_ledger.subject_of(key, nok.user_id), "delete")]


def test_client_tools_of_another_major_version_are_refused_in_one_line(tmp_path):
    with pytest.raises(BackupError) as raised:
        find_tool("pg_dump", 99)
    message = str(raised.value)
    assert "no pg_dump for PostgreSQL 99" in message and "\n" not in message
    assert "postgresql-client-99" in message


def test_restore_refuses_a_file_that_is_not_an_archive(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    code, out = _siang({"DATABASE_URL": "postgresql://127.0.0.1:1/none"},
                       "restore", "--yes", str(bad))
    assert code == 1 and "not a pg_dump custom-format archive" in out
    assert len(out.strip().splitlines()) == 1


def test_key_file_is_made_once_and_kept(tmp_path):
    first = erasure_ledger.load_key("", tmp_path / "erasure.key")
    assert erasure_ledger.load_key("", tmp_path / "erasure.key") == first
    assert oct((tmp_path / "erasure.key").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(erasure_ledger.LedgerKeyError):
        erasure_ledger.load_key("short", Path("/nonexistent"))
