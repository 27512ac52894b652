"""The RQ queues Siang uses: names, connections, job ids, TTLs and timeouts.

A leaf module: it imports only ``redis`` and ``rq``, so the web app, the
admin, the workers, the sweeper and the benches can all enqueue the same
jobs under the same stable ids without importing one another. A stable job
id is what makes enqueuing twice keep one job (RQ refuses a second job with
an id that is still queued), and what the sweeper checks before it
re-enqueues anything that PostgreSQL says is unfinished.
"""

from __future__ import annotations

import dataclasses

import redis
from rq import Queue

#: Resident-facing work: webhook events and outbox deliveries. A reply waits on it.
CONVERSATION_QUEUE = "siang"
#: Staff and housekeeping work that may take seconds: cluster keywords, reclusters,
#: voting-round notices and tallies. Kept off the conversation queue so that a
#: resident's reply never waits behind it (``siang bench e2e``).
UPKEEP_QUEUE = "siang-upkeep"

#: The queue kinds a worker can take (``siang worker --queue``), in the default order.
QUEUE_KINDS = ("conversation", "upkeep")
QUEUE_NAMES = {"conversation": CONVERSATION_QUEUE, "upkeep": UPKEEP_QUEUE}

#: Seconds a finished job's result is kept in Redis (nobody reads it; PostgreSQL is the truth).
RESULT_TTL_S = 60
#: Seconds a failed job stays in RQ's failed registry for an operator to read.
FAILURE_TTL_S = 86400
#: Seconds a voting job may run: MES on a city-wide round takes minutes, not hours.
TALLY_TIMEOUT_S = 3600
#: Seconds for every Redis call and connect: a dead Redis must not hang a webhook.
REDIS_TIMEOUT_S = 2

#: Job functions, by dotted path (RQ imports them in the worker).
PROCESS_EVENT = "workers.jobs.process_event"
DELIVER_OUTBOX = "workers.jobs.deliver_outbox"
CLUSTER_IDEA = "workers.jobs.cluster_idea"
REFRESH_KEYWORDS = "workers.jobs.refresh_keywords"
QUEUE_ANNOUNCEMENT = "workers.jobs.queue_announcement"


def event_job_id(event_id: int) -> str:
    """The job id of ``process_event(event_id)``."""
    return f"event-{event_id}"


def outbox_job_id(outbox_id: int, attempt: int = 0) -> str:
    """The job id of ``deliver_outbox(outbox_id)``; a retry after a failure gets its own id."""
    return f"outbox-{outbox_id}" if attempt == 0 else f"outbox-{outbox_id}-{attempt}"


def conversation_job(job_id: str) -> tuple[str, int] | None:
    """The inverse of :func:`event_job_id` and :func:`outbox_job_id`: ("event", event id)
    or ("outbox", outbox id); None for any other job id."""
    kind, _, rest = job_id.partition("-")
    number = rest.split("-")[0]
    if kind in ("event", "outbox") and number.isdigit():
        return kind, int(number)
    return None


def cluster_idea_job_id(idea_id: int) -> str:
    """The job id of ``cluster_idea(idea_id)``."""
    return f"cluster-idea-{idea_id}"


def keywords_job_id(process_id: int, district: str) -> str:
    """The job id of ``refresh_keywords(process_id, district)`` (Thai district name hex-encoded)."""
    return f"keywords-{process_id}-{district.encode().hex()}"


def round_job_id(step: str, round_id: int) -> str:
    """The job id of a voting-round step: ``step`` is open, close, tally or result."""
    if step not in ("open", "close", "tally", "result"):
        raise ValueError(f"unknown voting-round step {step!r}")
    return f"round-{step}-{round_id}"


def announcement_job_id(announcement_id: int) -> str:
    """The job id of ``queue_announcement(announcement_id)``."""
    return f"announcement-queue-{announcement_id}"


def connect(redis_url: str) -> redis.Redis:
    """A Redis connection with short timeouts (:data:`REDIS_TIMEOUT_S`)."""
    return redis.Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT_S,
                                socket_connect_timeout=REDIS_TIMEOUT_S)


@dataclasses.dataclass(frozen=True)
class Queues:
    """One Redis connection and Siang's two queues on it."""

    redis: redis.Redis
    conversation: Queue
    upkeep: Queue

    @classmethod
    def from_url(cls, redis_url: str) -> Queues:
        connection = connect(redis_url)
        return cls(connection, Queue(CONVERSATION_QUEUE, connection=connection),
                   Queue(UPKEEP_QUEUE, connection=connection))

    def by_kind(self, kinds: tuple[str, ...] = QUEUE_KINDS) -> list[Queue]:
        """The queues for ``siang worker --queue`` kinds, in the given order."""
        return [{"conversation": self.conversation, "upkeep": self.upkeep}[k] for k in kinds]

    def enqueue_events(self, event_ids: list[int]) -> None:
        """``process_event`` for each id, in order, in one Redis round trip.

        Raises:
            redis.RedisError: Redis is down (the caller logs it; the sweeper catches up).
        """
        if event_ids:
            self.conversation.enqueue_many([
                Queue.prepare_data(PROCESS_EVENT, (event_id,), job_id=event_job_id(event_id),
                                   result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)
                for event_id in event_ids])

    def enqueue_delivery(self, outbox_id: int, attempt: int = 0) -> None:
        """``deliver_outbox(outbox_id)`` on the conversation queue.

        Raises:
            redis.RedisError: Redis is down.
        """
        self.conversation.enqueue(DELIVER_OUTBOX, outbox_id,
                                  job_id=outbox_job_id(outbox_id, attempt),
                                  result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)

    def enqueue_deliveries(self, outbox_ids: list[int]) -> None:
        """``deliver_outbox`` for each id, in one Redis round trip (an announcement's batches).

        Raises:
            redis.RedisError: Redis is down (the sweeper sends due rows later).
        """
        if outbox_ids:
            self.conversation.enqueue_many([
                Queue.prepare_data(DELIVER_OUTBOX, (outbox_id,), job_id=outbox_job_id(outbox_id),
                                   result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)
                for outbox_id in outbox_ids])

    def enqueue_announcement(self, announcement_id: int) -> None:
        """``queue_announcement(announcement_id)`` on the upkeep queue: resolve a big
        audience and write its batches outside the web request. Raises redis.RedisError."""
        self.upkeep.enqueue(QUEUE_ANNOUNCEMENT, announcement_id,
                            job_id=announcement_job_id(announcement_id),
                            job_timeout=TALLY_TIMEOUT_S, result_ttl=RESULT_TTL_S,
                            failure_ttl=FAILURE_TTL_S)

    def enqueue_cluster_idea(self, idea_id: int) -> None:
        """``cluster_idea(idea_id)`` on the upkeep queue. Raises redis.RedisError."""
        self.upkeep.enqueue(CLUSTER_IDEA, idea_id, job_id=cluster_idea_job_id(idea_id),
                            result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)

    def enqueue_keywords(self, process_id: int, district: str) -> None:
        """``refresh_keywords(process_id, district)`` on the upkeep queue. Raises redis.RedisError."""
        self.upkeep.enqueue(REFRESH_KEYWORDS, process_id, district,
                            job_id=keywords_job_id(process_id, district),
                            result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)

    def enqueue_round_step(self, func: str, step: str, round_id: int) -> None:
        """A voting-round job (``workers.voting.*``) on the upkeep queue, with the tally timeout.

        Raises:
            redis.RedisError: Redis is down.
        """
        self.upkeep.enqueue(func, round_id, job_id=round_job_id(step, round_id),
                            job_timeout=TALLY_TIMEOUT_S, result_ttl=RESULT_TTL_S,
                            failure_ttl=FAILURE_TTL_S)
