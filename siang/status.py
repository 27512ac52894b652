"""Is Siang ready, and what is it doing: ``/readyz`` and ``siang status`` (issue 19 item 2).

Ready means a resident's message would be answered now: PostgreSQL and
Redis answer, the schema is at the newest migration, and at least one
conversation worker with its model loaded has sent a heartbeat within the
last 30 s (:mod:`workers.heartbeat`; issue 14 #4: an event reaching a worker
that is still loading waited 17.5 s). ``/healthz`` only says the web
process is alive.

``siang status`` prints the same checks and what is waiting: RQ queue
depths, workers from their heartbeats, webhook events not yet processed,
and the outbox backlog. It exits 1 when Siang is not ready.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import click
import psycopg
import redis

from pb import db as pbdb
from workers import heartbeat
from workers.queues import QUEUE_NAMES

#: Seconds each server may take to answer a readiness check.
CHECK_TIMEOUT_S = 2.0


@dataclasses.dataclass
class Readiness:
    """The outcome of the readiness checks.

    Attributes:
        ready: every check passed.
        reason: why not, in one sentence ("" when ready).
        checks: check name → True/False, and ``warm_workers`` → count.
    """

    ready: bool
    reason: str
    checks: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "reason": self.reason,
                "checks": self.checks}


def _pending_migrations(conn: psycopg.Connection) -> list[int]:
    """Migration numbers on disk that the database has not applied."""
    try:
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        done = set()
    return sorted(m.version for m in pbdb.load_migrations() if m.version not in done)


def readiness(connect: Callable[[], AbstractContextManager[psycopg.Connection]],
              redis_conn: redis.Redis, *, within_s: float = heartbeat.READY_WITHIN_S) -> Readiness:
    """Run the readiness checks; never raises for an unreachable server.

    Args:
        connect: gives a PostgreSQL connection as a context manager (the
            web's pool, or a plain ``psycopg.connect``).
        redis_conn: the Redis that holds the queues and the heartbeats.
        within_s: how recent a warm conversation worker's heartbeat must be.
    """
    checks: dict[str, Any] = {"postgres": False, "migrations": False, "redis": False,
                              "warm_workers": 0}
    reasons = []
    try:
        with connect() as conn:
            conn.execute("SELECT 1")
            checks["postgres"] = True
            pending = _pending_migrations(conn)
        checks["migrations"] = not pending
        if pending:
            reasons.append(f"migrations not applied: {', '.join(f'{v:04d}' for v in pending)}")
    except (psycopg.Error, OSError) as exc:
        reasons.append(f"PostgreSQL does not answer ({type(exc).__name__})")
    except Exception as exc:   # noqa: BLE001 (a pool timeout is its own type): not ready, said why
        reasons.append(f"PostgreSQL does not answer ({type(exc).__name__})")
    try:
        redis_conn.ping()
        checks["redis"] = True
        checks["warm_workers"] = len(heartbeat.ready_workers(redis_conn, within_s))
        if not checks["warm_workers"]:
            reasons.append(f"no conversation worker with its model loaded reported in the last "
                           f"{within_s:.0f} s")
    except redis.RedisError as exc:
        reasons.append(f"Redis does not answer ({type(exc).__name__})")
    return Readiness(ready=not reasons, reason="; ".join(reasons), checks=checks)


def backlog(conn: psycopg.Connection) -> dict[str, Any]:
    """Webhook events not yet processed and outbox rows not yet sent, with the oldest age (s)."""
    events, events_age = conn.execute(
        """SELECT count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)
             FROM webhook_events WHERE processed_at IS NULL""").fetchone()
    rows = conn.execute(
        """SELECT state, count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
             FROM outbox WHERE state IN ('pending', 'sending') GROUP BY state""").fetchall()
    outbox = {state: int(n) for state, n, _ in rows}
    return {"webhook_events_pending": int(events),
            "oldest_pending_event_s": round(float(events_age), 1),
            "outbox_pending": outbox.get("pending", 0), "outbox_sending": outbox.get("sending", 0),
            "oldest_outbox_s": round(max((float(age) for *_, age in rows), default=0.0), 1)}


def queue_depths(redis_conn: redis.Redis) -> dict[str, dict[str, int]]:
    """Per queue kind: jobs waiting, running (started registry) and failed."""
    from rq import Queue
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    out = {}
    for kind, name in QUEUE_NAMES.items():
        queue = Queue(name, connection=redis_conn)
        out[kind] = {"queued": queue.count,
                     "started": StartedJobRegistry(queue=queue).get_job_count(cleanup=False),
                     "failed": FailedJobRegistry(queue=queue).get_job_count(cleanup=False)}
    return out


def report(database_url: str, redis_url: str) -> dict[str, Any]:
    """Everything ``siang status`` prints, as one dict (``ready`` first)."""
    from workers.queues import connect

    redis_conn = connect(redis_url)

    def pg() -> AbstractContextManager[psycopg.Connection]:
        return psycopg.connect(database_url, connect_timeout=int(CHECK_TIMEOUT_S) or 1,
                               autocommit=True)

    state = readiness(pg, redis_conn)
    out: dict[str, Any] = {**state.as_json()}
    if state.checks["redis"]:
        out["queues"] = queue_depths(redis_conn)
        out["workers"] = [dataclasses.asdict(b) for b in heartbeat.workers(redis_conn)]
    if state.checks["postgres"]:
        try:
            with pg() as conn:
                out["backlog"] = backlog(conn)
        except psycopg.Error as exc:   # e.g. tables missing before the first migration
            out["backlog"] = {"error": type(exc).__name__}
    return out


def _print(out: dict[str, Any]) -> None:
    from siang.bench.common import print_table

    click.echo(f"{'READY' if out['status'] == 'ready' else 'NOT READY'}"
               + (f": {out['reason']}" if out["reason"] else ""))
    click.echo("checks: " + ", ".join(f"{k} {v}" for k, v in out["checks"].items()))
    if "queues" in out:
        click.echo()
        print_table(["queue", "queued", "started", "failed"],
                    [[k, v["queued"], v["started"], v["failed"]] for k, v in out["queues"].items()])
    if "workers" in out:
        click.echo()
        print_table(["worker", "queues", "model", "warm", "pid", "host", "last beat s", "alive"],
                    [[w["name"][:12], ",".join(w["queues"]), w["model"], "yes" if w["warm"] else "no",
                      w["pid"], w["host"], round(w["age_s"], 1), "yes" if w["alive"] else "no"]
                     for w in out["workers"]] or [["(none)", "", "", "", "", "", "", ""]])
    if isinstance(out.get("backlog"), dict):
        click.echo()
        print_table(["backlog", "value"], list(out["backlog"].items()))


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def status(as_json: bool) -> None:
    """Is Siang ready? Queues, workers, pending webhook events, outbox backlog.

    Inputs: DATABASE_URL and REDIS_URL (unset: the embedded servers under
    SIANG_DATA_DIR). Output: the readiness checks, RQ queue depths, workers
    from their heartbeats, events not yet processed and the outbox backlog.
    Exit 0 when ready, 1 when not (the reason is printed first).
    """
    from siang.cli_support import settings_from_env, with_services

    settings = with_services(settings_from_env(line=False)).settings
    out = report(settings.database_url, settings.redis_url)
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, default=str))
    else:
        _print(out)
    sys.exit(0 if out["status"] == "ready" else 1)
