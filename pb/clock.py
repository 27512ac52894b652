"""Now, for the rules that depend on the date or the hour (a leaf: imports only psycopg).

Round windows (a ballot is taken while ``opens_at <= now < closes_at``),
quiet hours (no announcement pushed 21:00–08:00 Bangkok time) and dates
stamped from Python read :func:`now`. In production it is the system clock.

``siang simulate`` runs a whole PB cycle in minutes, so it moves time
forward instead of sleeping (issue 17): its database holds a schema
``simclock`` whose ``simclock.now()`` is ``pg_catalog.now()`` plus an
offset kept in ``simclock.state`` and found before ``pg_catalog`` on the
database's ``search_path`` (``siang.simulate.clock.SimClock.install``), so
every ``now()`` in Siang's SQL follows it. With ``SIANG_CLOCK=database``
(``bot.settings.Settings.clock``) each process also calls
:func:`use_database` at start, and :func:`now` adds the same offset to the
system clock. Never set in production.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import psycopg

#: Seconds an offset read from the database is reused: a clock moved forward
#: reaches every process within this time (the simulation waits that long).
CACHE_S = 0.2
OFFSET_SQL = "SELECT offset_s FROM simclock.state"

_source: Callable[[], dt.datetime] | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC): the system clock, or the database's
    simulated clock after :func:`use_database`."""
    if _source is not None:
        return _source()
    return dt.datetime.now(dt.timezone.utc)


def today_bangkok() -> dt.date:
    """Today's date in Bangkok (UTC+7) by :func:`now`."""
    return now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()


class DatabaseClock:
    """The system clock shifted by ``simclock.state.offset_s`` of one database.

    Args:
        conninfo: libpq URI of the simulation's database (a ``simclock`` schema installed).

    The offset is read on a connection of its own, at most every :data:`CACHE_S`
    seconds; if the database cannot be reached the last offset read is kept.
    """

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._offset_s = 0.0
        self._read_at = float("-inf")

    def offset_s(self) -> float:
        """The simulated clock's lead over the system clock, seconds."""
        with self._lock:
            if time.monotonic() - self._read_at >= CACHE_S:
                try:
                    if self._conn is None or self._conn.closed or self._conn.broken:
                        self._conn = psycopg.connect(self._conninfo, autocommit=True,
                                                     connect_timeout=5)
                    row = self._conn.execute(OFFSET_SQL).fetchone()
                    self._offset_s = float(row[0]) if row else 0.0
                    self._read_at = time.monotonic()
                except psycopg.OperationalError:
                    pass                       # the server restarts: keep the last offset
            return self._offset_s

    def now(self) -> dt.datetime:
        """System time plus the offset, timezone-aware (UTC)."""
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=self.offset_s())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()


def use_database(conninfo: str) -> None:
    """Make :func:`now` follow the simulated clock of the database at ``conninfo``."""
    global _source
    _source = DatabaseClock(conninfo).now


def use_system() -> None:
    """Make :func:`now` the system clock again (the default)."""
    global _source
    _source = None


def configure(mode: str, conninfo: str) -> None:
    """Apply ``Settings.clock``: ``"system"`` or ``"database"``.

    Raises:
        ValueError: another mode.
    """
    if mode == "database":
        use_database(conninfo)
    elif mode == "system":
        use_system()
    else:
        raise ValueError(f"clock must be 'system' or 'database', got {mode!r}")
