"""Worker heartbeats in Redis: who is working which queues, with which model, alive or not.

Every ``siang worker`` publishes, from a thread, every :data:`INTERVAL_S`:

* ``siang:worker:<name>``: a hash (queues, model, warm, pid, host, time),
  kept :data:`INFO_TTL_S` after the last beat. ``/readyz`` and
  ``siang status`` read it; ``time`` is the Redis server's clock (one clock
  for every host), seconds since the epoch.
* ``siang:alive:<name>``: a key that expires :data:`ALIVE_TTL_S` after the
  last beat. Its absence is the first half of "this worker died" (the
  sweeper's rescue of a killed worker's jobs, :func:`workers.sweeper.rescue_orphans`);
  the second half is that its PostgreSQL sessions (named
  ``siang-worker:<name>``, see :mod:`workers.runtime`) are gone, which a
  ``kill -9`` does at once and a slow beat never does.

``<name>`` is the RQ worker name, the one RQ records on each job execution.
A worker beats with ``warm`` false while it loads the model and true once it
takes jobs (issue 14 #4, issue 19 item 2).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence

import redis

log = logging.getLogger(__name__)

INFO_PREFIX = "siang:worker:"
ALIVE_PREFIX = "siang:alive:"
#: Seconds between beats.
INTERVAL_S = 0.5
#: Seconds the alive key outlives a beat: a worker silent this long may be dead.
ALIVE_TTL_S = 2.0
#: Seconds the descriptive hash outlives a beat (``siang status`` shows it as gone).
INFO_TTL_S = 300
#: ``/readyz``: a warm conversation worker must have beaten within this many seconds.
READY_WITHIN_S = 30.0
#: The PostgreSQL ``application_name`` prefix of a worker's sessions.
PG_APP_PREFIX = "siang-worker:"


@dataclasses.dataclass(frozen=True)
class Beat:
    """One worker as its last heartbeat described it.

    Attributes:
        name: RQ worker name.
        queues: queue kinds it takes, in order ("conversation", "upkeep").
        model: embedder name (e.g. "multilingual-e5-small").
        warm: the model is loaded and the worker takes jobs.
        pid, host: where it runs.
        at: the beat's time, Redis server clock, seconds since the epoch.
        age_s: seconds since that beat, when read.
        alive: its alive key still exists (beat within ``ALIVE_TTL_S``).
    """

    name: str
    queues: tuple[str, ...]
    model: str
    warm: bool
    pid: int
    host: str
    at: float
    age_s: float
    alive: bool


def pg_application_name(worker_name: str) -> str:
    """The PostgreSQL ``application_name`` of a worker's sessions (≤ 63 bytes)."""
    return (PG_APP_PREFIX + worker_name)[:63]


def redis_now(conn: redis.Redis) -> float:
    """The Redis server's clock, seconds since the epoch."""
    seconds, micros = conn.time()
    return seconds + micros / 1e6


def publish(conn: redis.Redis, name: str, *, queues: Sequence[str], model: str, warm: bool) -> None:
    """Write one beat for worker ``name``.

    Raises:
        redis.RedisError: Redis is unreachable (the beating thread logs and goes on).
    """
    fields = {"queues": ",".join(queues), "model": model, "warm": int(warm),
              "pid": os.getpid(), "host": socket.gethostname(), "time": redis_now(conn)}
    with conn.pipeline() as pipe:
        pipe.hset(INFO_PREFIX + name, mapping=fields)
        pipe.expire(INFO_PREFIX + name, INFO_TTL_S)
        pipe.set(ALIVE_PREFIX + name, 1, px=int(ALIVE_TTL_S * 1000))
        pipe.execute()


def withdraw(conn: redis.Redis, name: str) -> None:
    """Remove a stopping worker's keys (a clean stop; ``kill -9`` leaves them to expire)."""
    conn.delete(INFO_PREFIX + name, ALIVE_PREFIX + name)


def workers(conn: redis.Redis) -> list[Beat]:
    """Every worker with a heartbeat hash (beat within ``INFO_TTL_S``), by name.

    Raises:
        redis.RedisError: Redis is unreachable.
    """
    names = sorted(k.decode()[len(INFO_PREFIX):] if isinstance(k, bytes) else k[len(INFO_PREFIX):]
                   for k in conn.scan_iter(match=INFO_PREFIX + "*", count=500))
    if not names:
        return []
    now = redis_now(conn)
    with conn.pipeline() as pipe:
        for name in names:
            pipe.hgetall(INFO_PREFIX + name)
            pipe.exists(ALIVE_PREFIX + name)
        answers = pipe.execute()
    beats = []
    for name, info, alive in zip(names, answers[0::2], answers[1::2]):
        info = {k.decode(): v.decode() for k, v in info.items()}
        if not info:
            continue     # expired between the scan and the read
        at = float(info.get("time", 0))
        beats.append(Beat(name=name, queues=tuple(q for q in info.get("queues", "").split(",") if q),
                          model=info.get("model", ""), warm=info.get("warm") == "1",
                          pid=int(info.get("pid", 0)), host=info.get("host", ""), at=at,
                          age_s=max(0.0, now - at), alive=bool(alive)))
    return beats


def ready_workers(conn: redis.Redis, within_s: float = READY_WITHIN_S) -> list[Beat]:
    """Warm workers that take the conversation queue and beat within ``within_s`` seconds.

    Raises:
        redis.RedisError: Redis is unreachable.
    """
    return [b for b in workers(conn)
            if b.warm and "conversation" in b.queues and b.age_s <= within_s]


def alive_names(conn: redis.Redis, names: Sequence[str]) -> set[str]:
    """Which of these workers have an unexpired alive key. Raises redis.RedisError."""
    return _with_key(conn, ALIVE_PREFIX, names)


def known_names(conn: redis.Redis, names: Sequence[str]) -> set[str]:
    """Which of these workers are Siang workers that beat within ``INFO_TTL_S``."""
    return _with_key(conn, INFO_PREFIX, names)


def _with_key(conn: redis.Redis, prefix: str, names: Sequence[str]) -> set[str]:
    """The names whose ``prefix + name`` key exists, in one round trip."""
    names = list(names)
    if not names:
        return set()
    with conn.pipeline() as pipe:
        for name in names:
            pipe.exists(prefix + name)
        return {n for n, found in zip(names, pipe.execute()) if found}


class Heartbeat:
    """A daemon thread that beats for one worker until :meth:`stop`.

    Args:
        conn: Redis connection (its own; the thread uses it alone).
        name: RQ worker name.
        queues: the queue kinds the worker takes.
        model: embedder name.
        touch: called on every beat (the worker keeps a PostgreSQL session
            open with it, so that its death is visible there too); its
            errors are logged, never raised.
    """

    def __init__(self, conn: redis.Redis, name: str, *, queues: Sequence[str], model: str,
                 touch: Callable[[], None] | None = None, interval_s: float = INTERVAL_S) -> None:
        self.conn, self.name, self.queues, self.model = conn, name, tuple(queues), model
        self.touch, self.interval_s = touch, interval_s
        self.warm = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def beat(self) -> None:
        """One beat now (Redis errors are logged)."""
        try:
            publish(self.conn, self.name, queues=self.queues, model=self.model, warm=self.warm)
        except redis.RedisError as exc:
            log.warning("heartbeat: %s; will try again", type(exc).__name__)
        if self.touch is not None:
            try:
                self.touch()
            except Exception as exc:     # noqa: BLE001 (a database outage must not stop beats)
                log.warning("heartbeat: database %s", type(exc).__name__)

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def set_warm(self) -> None:
        """The model is loaded: beat "warm" now, before the first job is taken."""
        self.warm = True
        self.beat()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()

    def stop(self) -> None:
        """Stop beating and remove this worker's keys."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            withdraw(self.conn, self.name)
        except redis.RedisError:
            pass


def pg_live_workers(conn) -> set[str]:
    """RQ worker names that have a PostgreSQL session open now (``pg_stat_activity``).

    A process killed with ``kill -9`` loses its sessions at once (the server
    sees the socket close), so this is the surest sign of a worker's death.
    """
    rows = conn.execute(
        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE %s",
        (PG_APP_PREFIX + "%",)).fetchall()
    return {r[0][len(PG_APP_PREFIX):] for r in rows}
