"""The sweeper: Postgres is the truth, Redis only a queue.

Every few seconds it re-enqueues what Postgres says is unfinished: webhook
events not processed ``sweep_after_s`` after arrival (a worker died, Redis
was flushed, the enqueue failed), outbox rows due for (re)sending,
districts whose cluster keywords are stale, and voting rounds due to be
announced, closed and tallied, or whose voters await the result. Jobs are idempotent, so an
extra enqueue costs a no-op.

Between sweeps, every :data:`RESCUE_INTERVAL_S`, it rescues the jobs of a
conversation worker that died (issue 14 #3: a resident's answer within 5 s
of a ``kill -9``, never twice). Before, such a job waited for the sweep
after ``sweep_after_s`` (30 s) or for its outbox lease (15 s): 15–32 s.

Why this way (measured with ``siang bench recovery``, 10 kills):

* RQ's own abandoned-job handling cannot do it: a ``SimpleWorker`` scores
  its started-registry entry ``job timeout + 60`` s ahead (240 s with the
  default timeout) and cannot beat while the job runs in its only thread;
  ``worker_ttl`` (≥ 60 s in practice) and ``job_monitoring_interval`` only
  concern forked work horses. RQ would call a job abandoned minutes late.
* Shorter ``sweep_after_s`` or outbox leases re-run jobs that are merely
  slow (a similar-idea search, a LINE call near its 5 s timeout), on every
  worker, and still leave 5–10 s; a lease must outlast a LINE call.
* So each worker beats in Redis (:mod:`workers.heartbeat`, every 0.5 s,
  alive key lives 2 s) and names its PostgreSQL sessions after itself.
  :func:`rescue_orphans` reads the conversation queue's started registry;
  a job whose worker has no alive key **and** no PostgreSQL session is
  orphaned. Both: a live worker whose beats are late (a loaded machine)
  still has its sessions, and a PostgreSQL restart drops every session
  but no alive key. The orphan's ``process_event`` is enqueued again (at
  the front), and the outbox rows the dead worker was sending get their
  lease ended and a ``deliver_outbox`` job.

Measured (``siang bench recovery``, 2 conversation workers, fake embedder,
kills alternating before the event's commit and during its reply call, on
a shared 2-core machine): webhook → reply p50 2.5 s, max 3.0 s; kill →
reply p50 2.4 s, max 2.9 s; 0 duplicates. Most of it is the alive key's
2 s life.

Exactly-once holds as before: the event was claimed in a transaction that
died with the worker (or was committed with its replies), a reply token is
single use (a retried reply LINE refuses was delivered by the first call)
and pushes carry their ``X-Line-Retry-Key``.

Not covered by the rescue (the sweep still is): a worker killed between
taking a job from the queue and recording its start (microseconds), and a
whole host lost without its TCP sessions closing.
"""

from __future__ import annotations

import logging
import threading

import redis
import time

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.utils import parse_composite_key

from pb import announcement_queue, events, outbox
from workers import clustering, heartbeat, runtime, voting
from workers.queues import (DELIVER_OUTBOX, FAILURE_TTL_S, PROCESS_EVENT, QUEUE_ANNOUNCEMENT,
                            REFRESH_KEYWORDS, RESULT_TTL_S, TALLY_TIMEOUT_S,
                            announcement_job_id, conversation_job, event_job_id,
                            keywords_job_id, outbox_job_id)

log = logging.getLogger(__name__)
INTERVAL_S = 5.0
#: Seconds between looks for a dead worker's conversation jobs.
RESCUE_INTERVAL_S = 0.5


def _queued(queue: Queue, job_id: str) -> bool:
    """True when the job waits in the queue. A STARTED job is not trusted: its worker
    may have been killed, and a second run of an idempotent job is a no-op. Nor is a
    QUEUED one that is no longer in the queue's list: a worker killed between taking
    it and marking it started leaves it so for ever (seen in ``siang bench broadcast``)."""
    try:
        status = Job.fetch(job_id, connection=queue.connection).get_status()
    except NoSuchJobError:
        return False
    if status == JobStatus.QUEUED:
        return queue.connection.lpos(queue.key, job_id) is not None
    return status in (JobStatus.DEFERRED, JobStatus.SCHEDULED)


def _enqueue(queue: Queue, func: str, *args, job_id: str, **options) -> bool:
    if _queued(queue, job_id):
        return False
    queue.enqueue(func, *args, job_id=job_id, result_ttl=RESULT_TTL_S,
                  failure_ttl=FAILURE_TTL_S, **options)
    return True


def sweep_once() -> dict[str, int]:
    """One pass; returns how many jobs of each kind it enqueued."""
    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        event_ids = events.pending_ids(conn, rt.settings.sweep_after_s)
        due_rows = outbox.due(conn)
        stale = clustering.dirty_districts(conn)
        voting_jobs = voting.due_jobs(conn)
        stalled = announcement_queue.stalled(conn)     # queuing job died (issue 19)
    counts = {"events": 0, "outbox": 0, "keywords": 0, "voting": 0, "announcements": 0}
    for event_id in event_ids:
        counts["events"] += _enqueue(rt.queue, PROCESS_EVENT, event_id,
                                     job_id=event_job_id(event_id))
    for outbox_id, attempts in due_rows:
        # A retry's job is named after the attempts made: the job of a sender
        # killed mid-call stays "started" in Redis and must not block it.
        counts["outbox"] += _enqueue(rt.queue, DELIVER_OUTBOX, outbox_id,
                                     job_id=outbox_job_id(outbox_id, attempts))
    for process_id, district in stale:
        counts["keywords"] += _enqueue(rt.upkeep, REFRESH_KEYWORDS, process_id, district,
                                       job_id=keywords_job_id(process_id, district))
    for func, round_id, job_id in voting_jobs:     # open notices, closes + tallies, results
        counts["voting"] += _enqueue(rt.upkeep, func, round_id, job_id=job_id,
                                     job_timeout=TALLY_TIMEOUT_S)
    for announcement_id in stalled:
        counts["announcements"] += _enqueue(rt.upkeep, QUEUE_ANNOUNCEMENT, announcement_id,
                                            job_id=announcement_job_id(announcement_id),
                                            job_timeout=TALLY_TIMEOUT_S)
    if any(counts.values()):
        log.info("sweeper enqueued %s", counts)
    return counts


def _orphans(rt: runtime.Runtime) -> list[tuple[str, str]]:
    """(job id, registry entry) of conversation jobs whose worker died."""
    registry = StartedJobRegistry(queue=rt.queue)
    entries = [e.decode() if isinstance(e, bytes) else e
               for e in rt.redis.zrange(registry.key, 0, -1)]
    if not entries:
        return []
    with rt.redis.pipeline() as pipe:
        for entry in entries:
            pipe.hget(f"rq:execution:{entry}", "worker_name")
        names = [(n or b"").decode() for n in pipe.execute()]
    silent = set(heartbeat.known_names(rt.redis, names)) - heartbeat.alive_names(rt.redis, names)
    if not silent:
        return []
    conn = rt.connection()
    with conn.transaction():
        silent -= heartbeat.pg_live_workers(conn)
    return [(parse_composite_key(entry)[0], entry)
            for entry, name in zip(entries, names) if name in silent]


def rescue_orphans() -> dict[str, int]:
    """Re-enqueue the conversation jobs of workers that died mid-job (see the module doc).

    Returns:
        {"events": n, "outbox": n} jobs enqueued.

    Raises:
        redis.RedisError, psycopg.OperationalError: a server is unreachable.
    """
    rt = runtime.get()
    orphans = _orphans(rt)
    counts = {"events": 0, "outbox": 0}
    if not orphans:
        return counts
    event_ids, outbox_ids = [], []
    for job_id, _entry in orphans:
        job = conversation_job(job_id)
        if job is not None:
            (event_ids if job[0] == "event" else outbox_ids).append(job[1])
    conn = rt.connection()
    with conn.transaction():
        freed = outbox.release_abandoned(conn, outbox_ids, event_ids)
    registry_key = StartedJobRegistry(queue=rt.queue).key
    rt.redis.zrem(registry_key, *[entry for _, entry in orphans])
    for event_id in event_ids:      # a resident has waited longest: the front of the queue
        counts["events"] += _enqueue(rt.queue, PROCESS_EVENT, event_id,
                                     job_id=event_job_id(event_id), at_front=True)
    for outbox_id, attempts in freed:
        counts["outbox"] += _enqueue(rt.queue, DELIVER_OUTBOX, outbox_id,
                                     job_id=outbox_job_id(outbox_id, attempts), at_front=True)
    log.warning("rescued %s job(s) of a worker that died: %s", len(orphans), counts)
    return counts


def run_forever(stop: threading.Event, interval_s: float = INTERVAL_S,
                rescue_interval_s: float = RESCUE_INTERVAL_S) -> None:
    """Rescue a dead worker's jobs every ``rescue_interval_s`` and sweep every
    ``interval_s`` until ``stop`` is set; Redis or Postgres outages are logged and waited out."""
    import psycopg

    next_sweep = time.monotonic() + interval_s
    while not stop.wait(rescue_interval_s):
        passes = [rescue_orphans]
        if time.monotonic() >= next_sweep:
            next_sweep = time.monotonic() + interval_s
            passes.append(sweep_once)
        for one_pass in passes:   # one failing pass must not stop the other
            try:
                one_pass()
            except (redis.RedisError, psycopg.OperationalError) as exc:
                log.warning("sweeper: %s; will try again", type(exc).__name__)
            except Exception:     # noqa: BLE001 a bug here must not end recovery for good
                log.exception("sweeper: %s failed; will try again", one_pass.__name__)
                _rollback(runtime.get().connection())


def _rollback(conn) -> None:
    if conn.info.transaction_status != 0:
        conn.rollback()
