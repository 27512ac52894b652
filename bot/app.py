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
QUEUE_NAME = "siang"


def event_job_id(event_id: int) -> str:
    """The stable RQ job id of ``process_event(event_id)``: enqueuing twice keeps one job."""
    return f"event-{event_id}"


@dataclasses.dataclass
class AppState:
    """What the web process shares between requests (in ``app.extensions["siang"]``)."""

    settings: Settings
    pool: ConnectionPool
    redis: redis.Redis
    queue: Queue
    parser: WebhookParser

    def enqueue_event(self, event_id: int) -> None:
        """Enqueue ``process_event``; if Redis is down the sweeper will do it later."""
        try:
            self.queue.enqueue("workers.jobs.process_event", event_id,
                               job_id=event_job_id(event_id), result_ttl=60,
                               failure_ttl=86400)
        except redis.RedisError as exc:
            log.warning("enqueue failed (%s); the sweeper will retry event %s",
                        type(exc).__name__, event_id)


def make_queue(redis_url: str) -> tuple[redis.Redis, Queue]:
    connection = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    return connection, Queue(QUEUE_NAME, connection=connection)


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
    connection, queue = make_queue(settings.redis_url)
    app.extensions["siang"] = AppState(settings, pool, connection, queue,
                                       WebhookParser(settings.channel_secret))

    import admin
    from bot.webhook import bp as webhook_bp

    app.register_blueprint(webhook_bp)
    admin.init_app(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
