"""The erasure ledger: who was erased and when, kept so that a restore cannot undo it.

PDPA section 33: an erased person must stay erased, also after an operator
restores last week's backup. Each :func:`pb.erasure.erase` adds one row to
``ledger.erasures`` in the same transaction: a *subject* (HMAC-SHA256 of the
LINE user id under the ledger key, hex), the erasure time and the ideas mode.
No LINE user id, name, district or text: without the key a subject cannot be
linked to anyone, and with it only a LINE user id already known can be
checked.

The ledger lives in its own schema, which backups leave out and restores
leave alone (``siang.backup``). The key comes from the caller (the
``SIANG_ERASURE_KEY`` setting, else a key file the caller names), so ``pb``
never reads the environment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import psycopg

KEY_FILE_NAME = "erasure.key"
_MIN_KEY_CHARS = 32


class LedgerKeyError(ValueError):
    """The ledger key is missing, too short, or its file cannot be read."""


@dataclasses.dataclass(frozen=True)
class LedgerEntry:
    """One erasure: ``subject`` is the keyed hash (64 hex digits); no personal data."""

    subject: str
    ideas_mode: str
    erased_at: dt.datetime


def load_key(secret: str, key_file: Path, *, create: bool = True) -> bytes:
    """The ledger key: ``secret`` when given, else the contents of ``key_file``.

    Args:
        secret: ``SIANG_ERASURE_KEY`` (at least 32 characters), or "".
        key_file: used when ``secret`` is empty; created (0600, 32 random bytes
            as hex, atomically, so concurrent workers agree) when missing and
            ``create`` is true.

    Raises:
        LedgerKeyError: the secret is too short, or the file is missing
            (``create=False``), unreadable or too short.
    """
    if secret:
        if len(secret) < _MIN_KEY_CHARS:
            raise LedgerKeyError(f"SIANG_ERASURE_KEY must have at least {_MIN_KEY_CHARS} characters")
        return secret.encode()
    if not key_file.exists():
        if not create:
            raise LedgerKeyError(f"no erasure ledger key: set SIANG_ERASURE_KEY or restore {key_file}")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, key_file)      # fails if another process made it first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        text = key_file.read_text().strip()
    except OSError as exc:
        raise LedgerKeyError(f"cannot read the erasure ledger key {key_file}: {exc.strerror}") from None
    if len(text) < _MIN_KEY_CHARS:
        raise LedgerKeyError(f"the erasure ledger key in {key_file} is too short")
    return text.encode()


def subject_of(key: bytes, line_user_id: str) -> str:
    """HMAC-SHA256 of a LINE user id under the ledger key, as 64 hex digits."""
    return hmac.new(key, line_user_id.encode(), hashlib.sha256).hexdigest()


def record(conn: psycopg.Connection, subject: str, ideas_mode: str) -> None:
    """Add an erasure to the ledger (in the caller's transaction, time = transaction time)."""
    conn.execute("INSERT INTO ledger.erasures (subject, ideas_mode) VALUES (%s, %s)",
                 (subject, ideas_mode))


def entries(conn: psycopg.Connection, after: dt.datetime | None = None) -> list[LedgerEntry]:
    """Ledger entries, oldest first; only those recorded after ``after`` when given."""
    rows = conn.execute(
        """SELECT subject, ideas_mode, erased_at FROM ledger.erasures
            WHERE %(after)s::timestamptz IS NULL OR erased_at > %(after)s
            ORDER BY erased_at, id""", {"after": after}).fetchall()
    return [LedgerEntry(*row) for row in rows]


def add_entries(conn: psycopg.Connection, found: Iterable[LedgerEntry]) -> int:
    """Merge entries (e.g. from an exported ledger file); returns how many were new."""
    added = 0
    for entry in found:
        added += max(conn.execute(
            """INSERT INTO ledger.erasures (subject, ideas_mode, erased_at) VALUES (%s, %s, %s)
               ON CONFLICT (subject, erased_at) DO NOTHING""",
            (entry.subject, entry.ideas_mode, entry.erased_at)).rowcount, 0)
    return added


def exists(conn: psycopg.Connection) -> bool:
    """Whether this database has the ledger table (migration 0011 applied)."""
    row = conn.execute("SELECT to_regclass('ledger.erasures') IS NOT NULL").fetchone()
    return bool(row and row[0])
