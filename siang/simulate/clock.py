"""The simulation's clock: time moved forward in the database, not slept through (issue 17).

:meth:`SimClock.install` gives the simulation's own database (never a
production one) a schema ``simclock``:

* ``simclock.state(offset_s)``: one row, the simulated clock's lead over the
  real one, in seconds;
* ``simclock.now()``: ``pg_catalog.now() + offset_s`` (the transaction's start
  plus the offset, as ``now()`` is);
* ``ALTER DATABASE … SET search_path = simclock, pg_catalog, public``: a
  schema listed before ``pg_catalog`` shadows its functions, so every
  ``now()`` that Siang's SQL calls (round windows, outbox ``not_before``,
  leases, the sweeper's ages) is ``simclock.now()`` on every new connection
  of every process, with no change to production SQL.

What does not follow the search path, and what install does about it:

* a column ``DEFAULT now()`` is bound to ``pg_catalog.now()`` when the table
  is created: install rebinds every such default in ``public`` to
  ``simclock.now()`` (tables created after install bind to it by themselves);
* ``CURRENT_TIMESTAMP`` is SQL syntax, not a function call: it keeps the real
  time (Siang's SQL does not use it);
* Python: processes started with ``SIANG_CLOCK=database`` read the offset
  through :mod:`pb.clock` (round windows checked in Python, quiet hours,
  dates stamped from Python).

Every process sees a move within ``pb.clock.CACHE_S`` seconds (Python) or its
next statement (SQL): :meth:`SimClock.advance` waits the former out.
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg
from psycopg import sql

from pb import clock as pb_clock

SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS simclock;
CREATE TABLE IF NOT EXISTS simclock.state (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    offset_s double precision NOT NULL DEFAULT 0
);
INSERT INTO simclock.state (one) VALUES (true) ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION simclock.now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT pg_catalog.now()
          + pg_catalog.make_interval(secs => (SELECT s.offset_s FROM simclock.state s)) $$;
"""

#: Column defaults in ``public`` that call ``pg_catalog.now()`` (OID 1299 in every PostgreSQL).
DEFAULTS_SQL = """
SELECT c.relname, a.attname, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
  FROM pg_catalog.pg_attrdef d
  JOIN pg_catalog.pg_class c ON c.oid = d.adrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE n.nspname = 'public' AND d.adbin::text LIKE '%:funcid 1299 %'
 ORDER BY 1, 2
"""


class SimClock:
    """The simulated clock of one database.

    Args:
        conninfo: libpq URI of the simulation's own database.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)

    def install(self) -> None:
        """Create ``simclock``, put it first on the database's ``search_path`` and rebind
        ``DEFAULT now()`` columns; call after ``siang db upgrade`` and before the
        processes start (connections already open keep their search path).

        Idempotent. Raises ``psycopg.Error`` if the role may not alter the database.
        """
        with self._connect() as conn:
            dbname = conn.info.dbname
            with conn.transaction():
                conn.execute(SCHEMA_SQL)
                conn.execute(sql.SQL("ALTER DATABASE {} SET search_path = simclock, pg_catalog,"
                                     " public").format(sql.Identifier(dbname)))
                for table, column, expr in conn.execute(DEFAULTS_SQL).fetchall():
                    bound = expr.replace("pg_catalog.now()", "now()").replace(
                        "now()", "simclock.now()")
                    conn.execute(sql.SQL("ALTER TABLE public.{} ALTER COLUMN {} SET DEFAULT {}")
                                 .format(sql.Identifier(table), sql.Identifier(column),
                                         sql.SQL(bound)))

    def offset_s(self) -> float:
        """The simulated clock's lead over the real one, seconds."""
        with self._connect() as conn:
            return float(conn.execute("SELECT offset_s FROM simclock.state").fetchone()[0])

    def now(self) -> dt.datetime:
        """The simulated time, timezone-aware (UTC)."""
        with self._connect() as conn:
            return conn.execute("SELECT simclock.now()").fetchone()[0]

    def _set_offset(self, offset_s: float) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE simclock.state SET offset_s = %s", (offset_s,))
        time.sleep(pb_clock.CACHE_S + 0.05)     # every process's cached offset is stale now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (negative moves it back), at once.

        Returns after every process's cached offset (``pb.clock.CACHE_S``) has expired.
        """
        with self._connect() as conn:
            conn.execute("UPDATE simclock.state SET offset_s = offset_s + %s", (float(seconds),))
        time.sleep(pb_clock.CACHE_S + 0.05)

    def set(self, t: dt.datetime) -> None:
        """Make the simulated time ``t`` (timezone-aware) now.

        Raises:
            ValueError: ``t`` is naive.
        """
        if t.tzinfo is None:
            raise ValueError("SimClock.set needs a timezone-aware datetime")
        with self._connect() as conn:
            real = conn.execute("SELECT pg_catalog.now()").fetchone()[0]
        self._set_offset((t - real).total_seconds())
