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

import psycopg
import psycopg_pool
import redis
from flask import Blueprint, abort, current_app, jsonify, request
from linebot.v3.webhook import WebhookParser

from pb import events

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


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

    try:
        state.queues.enqueue_events(new_ids)
    except redis.RedisError as exc:
        log.warning("enqueue failed (%s); the sweeper will retry %d event(s)",
                    type(exc).__name__, len(new_ids))
    return jsonify(status="ok", events=len(raw_events), new=len(new_ids))
