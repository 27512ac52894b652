"""The sweeper: Postgres is the truth, Redis only a queue.

Every few seconds it re-enqueues what Postgres says is unfinished: webhook
events not processed ``sweep_after_s`` after arrival (a worker died, Redis
was flushed, the enqueue failed), outbox rows due for (re)sending,
districts whose cluster keywords are stale, and voting rounds due to be
announced, closed and tallied, or whose voters await the result. Jobs are idempotent, so an
extra enqueue costs a no-op.
"""

from __future__ import annotations

import logging
import threading

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from pb import events, outbox
from workers import clustering, runtime, voting
from workers.queues import (DELIVER_OUTBOX, FAILURE_TTL_S, PROCESS_EVENT, REFRESH_KEYWORDS,
                            RESULT_TTL_S, TALLY_TIMEOUT_S, event_job_id, keywords_job_id,
                            outbox_job_id)

log = logging.getLogger(__name__)
INTERVAL_S = 5.0


def _queued(queue: Queue, job_id: str) -> bool:
    """True when the job waits in the queue. A STARTED job is not trusted: its worker
    may have been killed, and a second run of an idempotent job is a no-op."""
    try:
        status = Job.fetch(job_id, connection=queue.connection).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


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
    counts = {"events": 0, "outbox": 0, "keywords": 0, "voting": 0}
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
    if any(counts.values()):
        log.info("sweeper enqueued %s", counts)
    return counts


def run_forever(stop: threading.Event, interval_s: float = INTERVAL_S) -> None:
    """Sweep until ``stop`` is set; Redis or Postgres outages are logged and waited out."""
    import psycopg

    while not stop.wait(interval_s):
        try:
            sweep_once()
        except (redis.RedisError, psycopg.OperationalError) as exc:
            log.warning("sweeper: %s; will try again", type(exc).__name__)
