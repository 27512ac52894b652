"""Connections and migrations.

The caller owns the transaction (STYLE.md habit 6): helpers in ``pb`` take a
connection and never commit. Connections are opened after a worker forks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg_pool import ConnectionPool

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_UP = "-- migrate:up"
_DOWN = "-- migrate:down"
# An arbitrary constant: one `siang db upgrade` at a time across all processes.
_MIGRATION_LOCK = 7_366_514


def connect(url: str, **kwargs) -> psycopg.Connection:
    """Open one connection (autocommit off); the caller commits or uses ``transaction()``."""
    return psycopg.connect(url, **kwargs)


#: Seconds a request waits for a pooled connection before PoolTimeout (a webhook then
#: answers 503 and LINE redelivers). psycopg_pool's default, 30 s, held a webhook past
#: LINE's timeout during an outage and let the pool's reconnect back-off (1, 2, 4 … s)
#: grow to half a minute, so recovery after a restart took as long.
GETCONN_TIMEOUT_S = 5.0


def make_pool(url: str, *, min_size: int = 1, max_size: int = 8) -> ConnectionPool:
    """A connection pool for a web process; opened lazily, after fork.

    Connections come back from ``pool.connection()`` in a transaction that is
    committed when the block exits without error.

    Each connection is checked (an empty query) before it is handed out: after a
    PostgreSQL restart the pooled connections are dead, and without the check each
    one cost a webhook a 503 (an event lost when LINE's redelivery is off) or an
    admin page a 500 (issue 17, found by ``siang simulate --faults``).
    """
    return ConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                          kwargs={"connect_timeout": 5}, check=ConnectionPool.check_connection,
                          timeout=GETCONN_TIMEOUT_S)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: str
    down: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read numbered plain-SQL migrations (``0001_name.sql``, dbmate-style sections).

    Raises:
        ValueError: a file is misnamed, lacks ``-- migrate:up``, or a number repeats.
    """
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be NNNN_name.sql: {path.name}")
        text = path.read_text(encoding="utf-8")
        if _UP not in text:
            raise ValueError(f"{path.name} has no '{_UP}' section")
        up = text.split(_UP, 1)[1]
        up, _, down = up.partition(_DOWN)
        migrations.append(Migration(int(match.group(1)), path.stem, up.strip(), down.strip()))
    versions = [m.version for m in migrations]
    if len(versions) != len(set(versions)):
        raise ValueError(f"duplicate migration numbers in {directory}")
    return migrations


def upgrade(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration, all or nothing, under an advisory lock.

    Postgres DDL is transactional, so a failing migration leaves the schema
    exactly as it was.

    Returns:
        names of the migrations applied now (empty when up to date).
    """
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in load_migrations(directory):
            if migration.version in done:
                continue
            with conn.transaction():
                conn.execute(migration.up)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            applied_now.append(migration.name)
    return applied_now


def downgrade(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> str | None:
    """Roll back the newest applied migration; returns its name, or None if none."""
    by_version = {m.version: m for m in load_migrations(directory)}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        if row is None or row[0] is None:
            return None
        migration = by_version[row[0]]
        conn.execute(migration.down)
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (migration.version,))
    return migration.name


@contextmanager
def connection(url: str) -> Iterator[psycopg.Connection]:
    """A short-lived connection, closed on exit (commit is the caller's)."""
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()
