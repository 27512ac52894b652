"""``POST /callback``: verify, record, enqueue, answer 200 (STYLE.md habit 2).

LINE wants a 2xx within 2 seconds and redelivers on failure
(Messaging API, "Receiving webhooks" and "Webhook redelivery"). So nothing
slow happens here: the raw events are committed to ``webhook_events`` first,
then their ids are enqueued. If Redis is down the events are still safe in
Postgres and the sweeper enqueues them later; if Postgres is down we answer
503 so that LINE redelivers.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import psycopg
import psycopg_pool
import redis
from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from linebot.v3.webhook import WebhookParser

from pb import events
from bot import metrics   # a leaf (tests/test_layout.py LEAF_MODULES)

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)
#: A request id given by a proxy in front (``X-Request-Id``) is kept when it looks like one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@bp.before_request
def _start() -> None:
    """Stamp the request: its start (for ``siang_webhook_ack_seconds``) and a request id
    that every log line of this request carries (``siang.logs``) and the answer returns."""
    g.webhook_started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]


@bp.after_request
def _acked(response: Response) -> Response:
    started = g.get("webhook_started")
    if started is not None:
        metrics.webhook_acked(response.status_code, time.perf_counter() - started)
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _reject_constant(name: str) -> None:
    """NaN and Infinity are not JSON (RFC 8259) and PostgreSQL's jsonb refuses them."""
    raise ValueError(f"{name} is not valid JSON")


@bp.post("/callback")
def callback():
    # The web process's shared state (``siang.app.AppState``), read by attribute
    # name so that this blueprint never imports the composition root.
    state = current_app.extensions["siang"]
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        abort(400, "missing X-Line-Signature")
    body = request.get_data(cache=False)  # 413 past MAX_CONTENT_LENGTH
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "body is not UTF-8")
    parser: WebhookParser = state.parser
    if not parser.signature_validator.validate(text, signature):
        abort(400, "invalid signature")
    try:
        payload = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        abort(400, "body is not JSON")
    raw_events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(raw_events, list):
        abort(400, "body has no events list")
    if not raw_events:
        return jsonify(status="ok", events=0)  # the console's verification call

    try:
        with state.pool.connection() as conn, conn.transaction():
            new_ids = [i for i in (events.insert(conn, raw) for raw in raw_events) if i is not None]
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
        log.error("webhook: database unavailable (%s); LINE will redeliver", type(exc).__name__)
        return jsonify(status="unavailable"), 503
    metrics.events_counted("stored", len(new_ids))
    log.info("webhook: %d event(s), %d new, stored as %s", len(raw_events), len(new_ids), new_ids)

    try:
        state.queues.enqueue_events(new_ids)
    except redis.RedisError as exc:
        log.warning("enqueue failed (%s); the sweeper will retry %d event(s)",
                    type(exc).__name__, len(new_ids))
    return jsonify(status="ok", events=len(raw_events), new=len(new_ids))
