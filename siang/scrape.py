"""What ``GET /metrics`` reads at scrape time: queue depths (Redis) and the outbox backlog
(PostgreSQL), as :class:`bot.metrics.Reading` gauges beside the counted metrics.

Read, not counted: they are true however many processes ran or restarted.
A source that does not answer within its timeout is reported as
``siang_scrape_source_up{source} 0`` and its gauges are left out (an alert
on that is better than a stale number).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import psycopg_pool
import redis

from pb import outbox
from bot import metrics
from workers.queues import QUEUE_NAMES

log = logging.getLogger(__name__)


def readings(state: Any) -> list[metrics.Reading]:
    """The scrape-time gauges for the web's shared state (``siang.app.AppState``)."""
    out: list[metrics.Reading] = []
    up: list[tuple[tuple[str, ...], float]] = []
    try:
        depths = tuple(((kind,), float(queue.count))
                       for kind, queue in zip(QUEUE_NAMES, state.queues.by_kind()))
        out.append(metrics.Reading(
            "siang_queue_depth", "Jobs waiting in each RQ queue (conversation, upkeep).",
            ("queue",), depths))
        up.append((("redis",), 1.0))
    except redis.RedisError as exc:
        log.warning("metrics: Redis did not answer (%s)", type(exc).__name__)
        up.append((("redis",), 0.0))
    try:
        with state.pool.connection(timeout=2) as conn:
            backlog = outbox.backlog(conn)
        kinds = ("reply", "push", "multicast", "broadcast")
        out.append(metrics.Reading(
            "siang_outbox_backlog", "Outbox rows LINE has not accepted yet, by kind and state "
            "(pending includes rows waiting for quiet hours or a back-off).", ("kind", "state"),
            tuple(((k, s), float(backlog.get((k, s), (0, 0.0))[0]))
                  for k in kinds for s in ("pending", "sending"))))
        out.append(metrics.Reading(
            "siang_outbox_oldest_seconds", "Age of the oldest unsent outbox row, by kind.",
            ("kind",), tuple(((k,), max((backlog.get((k, s), (0, 0.0))[1]
                                         for s in ("pending", "sending")), default=0.0))
                             for k in kinds)))
        up.append((("postgres",), 1.0))
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        log.warning("metrics: PostgreSQL did not answer (%s)", type(exc).__name__)
        up.append((("postgres",), 0.0))
    out.append(metrics.Reading("siang_scrape_source_up", "1 when the source answered this "
                               "scrape, 0 when it did not.", ("source",), tuple(up)))
    return out
