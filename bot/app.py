"""``create_app(settings)``: the whole web wiring in one place (STYLE.md habit 1)."""

from __future__ import annotations

import dataclasses
import logging
import secrets

import redis
from flask import Flask, jsonify
from linebot.v3.webhook import WebhookParser
from psycopg_pool import ConnectionPool
from rq import Queue

from bot.settings import Settings
from pb import db

log = logging.getLogger(__name__)
#: Resident-facing work: webhook events and outbox deliveries. A reply waits on it.
CONVERSATION_QUEUE = "siang"
#: Staff and housekeeping work that may take seconds: cluster keywords, reclusters,
#: voting-round notices and tallies. Kept off the conversation queue so that a
#: resident's reply never waits behind it (``siang bench e2e``).
UPKEEP_QUEUE = "siang-upkeep"


def event_job_id(event_id: int) -> str:
    """The stable RQ job id of ``process_event(event_id)``: enqueuing twice keeps one job."""
    return f"event-{event_id}"


@dataclasses.dataclass
class AppState:
    """What the web process shares between requests (in ``app.extensions["siang"]``)."""

    settings: Settings
    pool: ConnectionPool
    redis: redis.Redis
    queue: Queue                # CONVERSATION_QUEUE
    upkeep: Queue               # UPKEEP_QUEUE
    parser: WebhookParser

    def enqueue_events(self, event_ids: list[int]) -> None:
        """Enqueue ``process_event`` for each id, in order, in one Redis round trip.

        If Redis is down the events wait in PostgreSQL and the sweeper
        enqueues them later.
        """
        if not event_ids:
            return
        try:
            self.queue.enqueue_many([
                Queue.prepare_data("workers.jobs.process_event", (event_id,),
                                   job_id=event_job_id(event_id), result_ttl=60, failure_ttl=86400)
                for event_id in event_ids])
        except redis.RedisError as exc:
            log.warning("enqueue failed (%s); the sweeper will retry %d event(s)",
                        type(exc).__name__, len(event_ids))


def make_queues(redis_url: str) -> tuple[redis.Redis, Queue, Queue]:
    """The Redis connection (2 s timeouts) and the conversation and upkeep queues."""
    connection = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    return (connection, Queue(CONVERSATION_QUEUE, connection=connection),
            Queue(UPKEEP_QUEUE, connection=connection))


def create_app(settings: Settings) -> Flask:
    """Build the web app: the LINE webhook and the staff admin.

    ``settings.database_url`` and ``settings.redis_url`` must be concrete
    (the CLI resolves embedded servers first). Connections open lazily.
    """
    if not settings.database_url or not settings.redis_url:
        raise ValueError("create_app needs database_url and redis_url")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
    )
    pool = db.make_pool(settings.database_url)
    pool.open(wait=False)
    connection, queue, upkeep = make_queues(settings.redis_url)
    app.extensions["siang"] = AppState(settings, pool, connection, queue, upkeep,
                                       WebhookParser(settings.channel_secret))

    import admin
    from bot.webhook import bp as webhook_bp

    app.register_blueprint(webhook_bp)
    admin.init_app(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
