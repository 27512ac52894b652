"""``siang backup`` and ``siang restore``: pg_dump archives that respect erasure (PDPA).

What a backup holds: every table of the ``public`` schema, as a pg_dump
custom-format archive made by a pg_dump of the server's own major version
(the embedded server's bundled binaries, else ``pg_dump`` on ``PATH`` or under
``/usr/lib/postgresql/<major>/bin``). Before dumping, a row in ``backups``
notes the time, so the archive knows its own age.

What it leaves out, on purpose: the erasure ledger (schema ``ledger``,
:mod:`pb.erasure_ledger`). A restore replaces ``public`` in one transaction
(``DROP SCHEMA public CASCADE`` + the archive, through ``psql
--single-transaction``: all or nothing) and never touches ``ledger``; it then
applies migrations and re-applies every ledger entry recorded after the
backup was taken: each resident of the restored data whose LINE user id
hashes to an entry's subject (and who existed before that erasure) is erased
again, with the mode they chose. A resident erased before the backup is
already erased in it.

What an operator must keep apart from the backups (docs/OPERATIONS.md):

* the ledger key: ``SIANG_ERASURE_KEY``, or the file
  ``SIANG_DATA_DIR/erasure.key``; without it no entry can be matched;
* when the database itself may be lost: an export of the ledger
  (``siang ledger export FILE``, e.g. hourly), given back to
  ``siang restore IN --ledger FILE``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pb import db as pbdb
from pb import erasure, erasure_ledger

PGDUMP_MAGIC = b"PGDMP"
LEDGER_SCHEMA = "ledger"


class BackupError(RuntimeError):
    """A backup or restore cannot go ahead; the message is one line for the operator."""


@dataclass(frozen=True)
class RestoreReport:
    backup_taken_at: dt.datetime | None
    ledger_entries: int
    reapplied: int
    ledger_file_added: int

    def as_dict(self) -> dict:
        return {"backup_taken_at": self.backup_taken_at.isoformat() if self.backup_taken_at else None,
                "ledger_entries_after_backup": self.ledger_entries,
                "erasures_reapplied": self.reapplied,
                "ledger_file_entries_added": self.ledger_file_added}


def server_major(conn: psycopg.Connection) -> int:
    """The server's PostgreSQL major version (e.g. 16)."""
    return conn.info.server_version // 10000


def _bundled_bin() -> Path | None:
    try:
        from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError:  # pgserver absent: external servers only
        return None
    return Path(POSTGRES_BIN_PATH)


def _candidates(tool: str) -> Iterator[Path]:
    bundled = _bundled_bin()
    if bundled is not None and (bundled / tool).exists():
        yield bundled / tool
    on_path = shutil.which(tool)
    if on_path:
        yield Path(on_path)
    yield from sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True)


def _major_of(binary: Path) -> int | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s*(\d+)", out)
    return int(match.group(1)) if match else None


def find_tool(tool: str, major: int, candidates: Iterable[Path] | None = None) -> Path:
    """A ``pg_dump``/``pg_restore``/``psql`` of the server's major version.

    Raises:
        BackupError: none of that version (names the versions found).
    """
    seen: list[str] = []
    for binary in (candidates if candidates is not None else _candidates(tool)):
        found = _major_of(binary)
        if found == major:
            return binary
        seen.append(f"{found} at {binary}")
    raise BackupError(f"no {tool} for PostgreSQL {major} (found: {', '.join(seen) or 'none'}); "
                      f"install postgresql-client-{major} or put its bin directory on PATH")


def _run(args: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines[-1:]
        raise BackupError(f"{what} failed: {errors[0] if errors else f'exit {done.returncode}'}")
    return done


def backup(database_url: str, out: Path) -> dict:
    """Dump the ``public`` schema to ``out`` (pg_dump custom format, no ledger).

    Returns:
        {"file", "bytes", "taken_at" (ISO, server time), "server_major"}.

    Raises:
        BackupError: no matching pg_dump, or pg_dump failed.
    """
    with pbdb.connection(database_url) as conn:
        major = server_major(conn)
        pg_dump = find_tool("pg_dump", major)
        with conn.transaction():
            row = conn.execute("INSERT INTO backups DEFAULT VALUES RETURNING taken_at").fetchone()
    taken_at = row[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([str(pg_dump), "--format=custom", f"--exclude-schema={LEDGER_SCHEMA}",
          "--no-owner", "--no-privileges", f"--file={out}", f"--dbname={database_url}"],
         "pg_dump")
    return {"file": str(out), "bytes": out.stat().st_size, "taken_at": taken_at.isoformat(),
            "server_major": major}


def check_archive(path: Path) -> None:
    """Raises BackupError unless ``path`` is a pg_dump custom-format archive."""
    try:
        with path.open("rb") as f:
            magic = f.read(len(PGDUMP_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if magic != PGDUMP_MAGIC:
        raise BackupError(f"{path} is not a pg_dump custom-format archive (make one with siang backup)")


def read_ledger_file(path: Path) -> list[erasure_ledger.LedgerEntry]:
    """Entries from a JSON-lines ledger export (``siang ledger export``)."""
    found = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            found.append(erasure_ledger.LedgerEntry(
                str(item["subject"]), str(item["ideas_mode"]),
                dt.datetime.fromisoformat(item["erased_at"])))
        except (ValueError, KeyError, TypeError):
            raise BackupError(f"{path}:{number}: not a ledger line "
                              '({"subject", "ideas_mode", "erased_at"})') from None
    return found


def export_ledger(database_url: str, out: Path) -> int:
    """Write the whole ledger as JSON lines to ``out``; returns the number of entries."""
    with pbdb.connection(database_url) as conn:
        found = erasure_ledger.entries(conn)
        conn.rollback()
    out.write_text("".join(json.dumps({"subject": e.subject, "ideas_mode": e.ideas_mode,
                                       "erased_at": e.erased_at.isoformat()}) + "\n"
                           for e in found), encoding="utf-8")
    return len(found)


def reapply(conn: psycopg.Connection, key: bytes, since: dt.datetime | None) -> tuple[int, int]:
    """Erase again every resident named by a ledger entry recorded after ``since``.

    A resident matches an entry when the keyed hash of their LINE user id is
    the entry's subject and they were created before the entry's time (a
    person who came back later is a new resident and stays). In the caller's
    transaction.

    Returns:
        (entries after ``since``, residents erased again).
    """
    pending = erasure_ledger.entries(conn, after=since)
    if not pending:
        return 0, 0
    by_subject: dict[str, list[erasure_ledger.LedgerEntry]] = {}
    for entry in pending:
        by_subject.setdefault(entry.subject, []).append(entry)
    erased = 0
    rows = conn.execute("SELECT id, line_user_id, created_at FROM residents "
                        "WHERE line_user_id IS NOT NULL ORDER BY id").fetchall()
    for resident_id, line_user_id, created_at in rows:
        for entry in by_subject.get(erasure_ledger.subject_of(key, line_user_id), ()):
            if created_at < entry.erased_at:
                erasure.erase(conn, resident_id, line_user_id, entry.ideas_mode)
                erased += 1
                break
    return len(pending), erased


def _swap_public(pg_restore: Path, psql: Path, database_url: str, archive: Path) -> None:
    """Drop ``public`` and load the archive in one psql transaction (all or nothing).

    The archive's SQL goes to a temporary file first, so an archive that breaks
    half-way is found before anything is dropped.
    """
    # The archive of a PostgreSQL >= 15 database does not create `public`; make it anew.
    prelude = ("SET LOCAL lock_timeout = '60s'; "   # web or workers still running: fail, not hang
               "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    with tempfile.NamedTemporaryFile("w+b", suffix=".sql") as script:
        _run([str(pg_restore), "--no-owner", "--no-privileges", "--exit-on-error",
              f"--file={script.name}", str(archive)], "pg_restore (nothing changed)")
        _run([str(psql), "--no-psqlrc", "--quiet", "--single-transaction",
              "-v", "ON_ERROR_STOP=1", f"--dbname={database_url}",
              "--command", prelude, f"--file={script.name}"], "restore (nothing changed)")


def restore(database_url: str, archive: Path, key: bytes | None,
            ledger_file: Path | None = None) -> RestoreReport:
    """Replace the ``public`` schema with ``archive``, then re-apply later erasures.

    Args:
        key: the ledger key; None only when there is no key (then the ledger,
            and the ledger file if any, must be empty).

    Raises:
        BackupError: not an archive, no matching client tools, a ledger without
            its key, or the restore failed (then nothing changed: it runs in one
            transaction).
    """
    check_archive(archive)
    from_file = read_ledger_file(ledger_file) if ledger_file else []
    with pbdb.connection(database_url) as conn:
        major = server_major(conn)
        pg_restore, psql = find_tool("pg_restore", major), find_tool("psql", major)
        pbdb.upgrade(conn)          # the ledger schema exists before the swap (fresh database)
        with conn.transaction():
            recorded = len(erasure_ledger.entries(conn))
    if key is None and (recorded or from_file):
        raise BackupError("the erasure ledger has entries but its key is missing: set "
                          "SIANG_ERASURE_KEY or put back SIANG_DATA_DIR/erasure.key (nothing changed)")
    _swap_public(pg_restore, psql, database_url, archive)
    with pbdb.connection(database_url) as conn:
        pbdb.upgrade(conn)          # an older backup: bring its schema to head
        with conn.transaction():
            added = erasure_ledger.add_entries(conn, from_file)
            row = conn.execute("SELECT max(taken_at) FROM backups").fetchone()
            # No time (a dump not made by `siang backup`): every entry is checked, which
            # is as safe, only slower (a resident who came back later is not matched).
            since = row[0] if row else None
            entries, reapplied = reapply(conn, key, since) if key is not None else (0, 0)
    return RestoreReport(since, entries, reapplied, added)
