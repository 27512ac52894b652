"""``create_app(settings)``: the whole web wiring in one place (STYLE.md habit 1).

The composition root: the only module that knows the webhook (``bot``), the
admin (``admin``) and the queues (``workers.queues``) at once. The blueprints
never import this module: they read :class:`AppState` from
``current_app.extensions["siang"]`` by attribute name (duck-typed), so the
imports run one way, ``siang`` → ``bot`` / ``admin`` → ``pb``.
"""

from __future__ import annotations

import dataclasses

from flask import Flask, jsonify
from linebot.v3.webhook import WebhookParser
from psycopg_pool import ConnectionPool
from rq import Queue

from bot.settings import Settings, SettingsError
from pb import db
from workers.queues import Queues


@dataclasses.dataclass
class AppState:
    """What the web process shares between requests, in ``app.extensions["siang"]``.

    The blueprints read these attributes by name; renaming one is a change of
    their contract: ``settings`` (admin), ``pool`` (webhook, admin),
    ``parser`` (webhook), ``queues`` (webhook, admin) and ``upkeep``
    (admin's voting-round jobs).
    """

    settings: Settings
    pool: ConnectionPool
    queues: Queues
    parser: WebhookParser

    @property
    def upkeep(self) -> Queue:
        """The upkeep queue (keywords, reclusters, voting-round jobs)."""
        return self.queues.upkeep


def check_web_settings(settings: Settings) -> None:
    """Refuse settings the web process cannot run with.

    Raises:
        SettingsError: ``SIANG_SECRET_KEY`` is empty. Every web worker (the
            Procfile runs two) must sign sessions and CSRF tokens with the
            same key, so none may make up its own.
    """
    if not settings.secret_key:
        raise SettingsError(
            "SIANG_SECRET_KEY must be set: the key that signs staff sessions, the same in "
            "every web process (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")


def create_app(settings: Settings) -> Flask:
    """Build the web app: the LINE webhook and the staff admin.

    ``settings.database_url`` and ``settings.redis_url`` must be concrete
    (the CLI resolves embedded servers first). Connections open lazily.

    Raises:
        SettingsError: ``settings.secret_key`` is empty (:func:`check_web_settings`).
        ValueError: ``database_url`` or ``redis_url`` is empty.
    """
    check_web_settings(settings)
    if not settings.database_url or not settings.redis_url:
        raise ValueError("create_app needs database_url and redis_url")
    import admin
    from bot.webhook import bp as webhook_bp

    # No app-wide static folder: the admin blueprint serves its own, and nothing
    # else is public (bot/static holds the rich-menu image uploaded to LINE).
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
    )
    if settings.clock == "database":          # siang simulate only (pb.clock)
        from pb import clock

        clock.use_database(settings.database_url)
    pool = db.make_pool(settings.database_url)
    pool.open(wait=False)
    app.extensions["siang"] = AppState(settings, pool, Queues.from_url(settings.redis_url),
                                       WebhookParser(settings.channel_secret))
    app.register_blueprint(webhook_bp)
    admin.init_app(app)

    @app.get("/metrics")
    def metrics_scrape():
        """Prometheus text: every Siang process's counts (``bot.metrics``) plus
        queue depths and the outbox backlog read now (``siang.scrape``)."""
        from siang.scrape import readings
        from bot import metrics

        body, content_type = metrics.render(readings(app.extensions["siang"]))
        return app.response_class(body, content_type=content_type)

    @app.get("/healthz")
    def healthz():
        """The web process is alive (nothing else is checked)."""
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        """200 when a message would be answered now, else 503 with the reason (siang.status)."""
        from siang.status import CHECK_TIMEOUT_S, readiness

        state = app.extensions["siang"]
        result = readiness(lambda: state.pool.connection(timeout=CHECK_TIMEOUT_S),
                           state.queues.redis)
        return jsonify(result.as_json()), (200 if result.ready else 503)

    return app
