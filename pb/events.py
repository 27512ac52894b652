"""Webhook events: every event LINE delivered, stored before anything else happens."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb


@dataclass
class WebhookEvent:
    id: int
    webhook_event_id: str
    event_type: str
    payload: dict[str, Any]
    is_redelivery: bool
    received_at: dt.datetime
    processed_at: dt.datetime | None
    attempts: int
    error: str | None


def event_key(raw: Any) -> tuple[str, str | None]:
    """The dedupe key of a raw event and, if the event is malformed, why.

    LINE gives every event a ``webhookEventId`` (ULID) that stays the same on
    redelivery (Messaging API docs, "Webhook redelivery"). An event without
    one is still stored, keyed by a hash of its bytes, and flagged.
    """
    if isinstance(raw, dict) and isinstance(raw.get("webhookEventId"), str) and raw["webhookEventId"]:
        return raw["webhookEventId"][:64], None
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"malformed-{digest[:40]}", "event has no webhookEventId"


def _without_nul(value: Any) -> Any:
    """JSON with NUL characters removed: PostgreSQL's jsonb cannot store U+0000."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def insert(conn: psycopg.Connection, raw: Any) -> int | None:
    """Store one raw event; returns its row id, or None when it was already stored.

    A malformed event (no id, not an object, no type) is stored with
    ``error`` set and ``processed_at`` now, so it is kept for staff to see
    and never retried.
    """
    raw = _without_nul(raw)
    key, error = event_key(raw)
    event_type = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(event_type, str) or not event_type:
        event_type, error = "invalid", error or "event has no type"
    redelivery = bool(isinstance(raw, dict) and isinstance(raw.get("deliveryContext"), dict)
                      and raw["deliveryContext"].get("isRedelivery") is True)
    row = conn.execute(
        """
        INSERT INTO webhook_events (webhook_event_id, event_type, payload, is_redelivery, error,
                                    processed_at)
        VALUES (%s, %s, %s, %s, %s, CASE WHEN %s::text IS NULL THEN NULL ELSE now() END)
        ON CONFLICT (webhook_event_id) DO NOTHING
        RETURNING id
        """,
        (key, event_type[:64], Jsonb(raw), redelivery, error, error),
    ).fetchone()
    if row is None or error is not None:
        return None
    return int(row[0])


def claim(conn: psycopg.Connection, event_id: int) -> WebhookEvent | None:
    """Lock an unprocessed event for this transaction, counting the attempt.

    Returns None when it is already processed or another worker holds it.
    """
    with conn.cursor(row_factory=class_row(WebhookEvent)) as cur:
        cur.execute(
            """
            UPDATE webhook_events SET attempts = attempts + 1
             WHERE id = (SELECT id FROM webhook_events
                          WHERE id = %s AND processed_at IS NULL
                          FOR UPDATE SKIP LOCKED)
            RETURNING *
            """,
            (event_id,),
        )
        return cur.fetchone()


def _redact(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without what a resident wrote (PDPA: keep ids and types only)."""
    redacted = dict(payload)
    message = redacted.get("message")
    if isinstance(message, dict):
        redacted["message"] = {k: v for k, v in message.items()
                               if k in ("id", "type", "contentProvider")}
    if isinstance(redacted.get("postback"), dict):
        redacted["postback"] = {"data": "[redacted]"}
    redacted.pop("replyToken", None)
    return redacted


def mark_processed(conn: psycopg.Connection, event: WebhookEvent, error: str | None = None) -> None:
    """Mark the event done; its text is dropped from the stored payload."""
    conn.execute(
        "UPDATE webhook_events SET processed_at = now(), error = %s, payload = %s WHERE id = %s",
        (error, Jsonb(_redact(event.payload)), event.id),
    )


def record_failure(conn: psycopg.Connection, event_id: int, error: str) -> None:
    """Count a failed attempt and keep its error (the event stays pending for a retry).

    The attempt's own transaction was rolled back, so this is what counts it
    towards ``workers.jobs.MAX_EVENT_ATTEMPTS``.
    """
    conn.execute("UPDATE webhook_events SET error = %s, attempts = attempts + 1 WHERE id = %s",
                 (error[:2000], event_id))


#: Namespace (first key) of the per-user advisory locks: "SIAN" as an int4.
USER_LOCK_NAMESPACE = 0x5349414E


def user_of(conn: psycopg.Connection, event_id: int) -> str | None:
    """The LINE user id in an event's ``source``, or None (no such event, no user)."""
    row = conn.execute("SELECT payload->'source'->>'userId' FROM webhook_events WHERE id = %s",
                       (event_id,)).fetchone()
    return row[0] if row and isinstance(row[0], str) and row[0] else None


def lock_user(conn: psycopg.Connection, line_user_id: str) -> None:
    """Wait for, then hold until the transaction ends, the right to handle this user's events.

    Unlike the resident row lock it also covers a user with no resident row
    yet (their first follow), so two workers never handle one user at once.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                 (USER_LOCK_NAMESPACE, line_user_id))


def is_processed(conn: psycopg.Connection, event_id: int) -> bool:
    row = conn.execute("SELECT processed_at IS NOT NULL FROM webhook_events WHERE id = %s",
                       (event_id,)).fetchone()
    return bool(row is None or row[0])


def oldest_pending_of_user(conn: psycopg.Connection, line_user_id: str) -> int | None:
    """The user's unprocessed event that happened first, or None.

    Order: LINE's event ``timestamp`` (ms when it happened; Messaging API,
    "Webhook Event Objects"), then arrival. LINE may deliver a user's
    webhooks concurrently and redeliver late, so arrival order alone is not
    the order the resident acted in.
    """
    row = conn.execute(
        """SELECT id FROM webhook_events
            WHERE processed_at IS NULL AND payload->'source'->>'userId' = %s
            ORDER BY CASE WHEN jsonb_typeof(payload->'timestamp') = 'number'
                          THEN (payload->>'timestamp')::numeric END NULLS LAST, id
            LIMIT 1""", (line_user_id,)).fetchone()
    return int(row[0]) if row else None


def pending_ids(conn: psycopg.Connection, older_than_s: float, limit: int = 1000) -> list[int]:
    """Ids of events not processed ``older_than_s`` seconds after they arrived."""
    rows = conn.execute(
        """SELECT id FROM webhook_events
            WHERE processed_at IS NULL AND received_at < now() - make_interval(secs => %s)
            ORDER BY id LIMIT %s""",
        (older_than_s, limit),
    ).fetchall()
    return [int(r[0]) for r in rows]
