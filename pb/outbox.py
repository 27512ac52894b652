"""The outbox: every message Siang sends is a row before the LINE call.

A sender claims a row with a lease, calls LINE, and records the outcome. A
worker killed mid-call leaves the row ``sending`` with an expired lease; the
sweeper hands it to another sender, which retries with the same
``X-Line-Retry-Key`` (LINE answers 409 if the first call went through).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

LEASE_S = 30


@dataclass
class OutboxRow:
    id: int
    kind: str
    resident_id: int | None
    reply_token: str | None
    recipients: list[str]
    messages: list[dict[str, Any]]
    retry_key: uuid.UUID
    state: str
    attempts: int
    webhook_event_id: str | None
    created_at: dt.datetime
    announcement_id: int | None = None   # a batch of a staff announcement (pb.announcements)


_COLUMNS = ("id, kind, resident_id, reply_token, recipients, messages, retry_key, state, "
            "attempts, webhook_event_id, created_at, announcement_id")


def add(conn: psycopg.Connection, *, kind: str, messages: list[dict[str, Any]],
        resident_id: int | None = None, reply_token: str | None = None,
        recipients: list[str] | None = None, webhook_event_id: str | None = None,
        not_before: dt.datetime | None = None, announcement_id: int | None = None) -> int:
    """Queue one LINE call (≤5 messages, LINE's limit per call); returns the row id."""
    if not 1 <= len(messages) <= 5:
        raise ValueError(f"a LINE call carries 1 to 5 messages, got {len(messages)}")
    row = conn.execute(
        """INSERT INTO outbox (kind, resident_id, reply_token, recipients, messages,
                               webhook_event_id, not_before, announcement_id)
           VALUES (%s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s) RETURNING id""",
        (kind, resident_id, reply_token, recipients or [], Jsonb(messages), webhook_event_id,
         not_before, announcement_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def claim(conn: psycopg.Connection, outbox_id: int, lease_s: float = LEASE_S) -> OutboxRow | None:
    """Take a row for sending under a lease of ``lease_s`` seconds; None if it is sent,
    failed, not yet due or held by another sender.

    ``attempts`` counts calls started: a row claimed with ``attempts > 0``
    and state ``sending`` means an earlier sender died mid-call. The lease
    must outlast one LINE call (its timeout), or two senders could overlap.
    """
    with conn.cursor(row_factory=class_row(OutboxRow)) as cur:
        cur.execute(
            f"""
            UPDATE outbox SET state = 'sending', attempts = attempts + 1,
                              lease_until = now() + make_interval(secs => %s)
             WHERE id = (SELECT id FROM outbox WHERE id = %s
                           AND ((state = 'pending' AND not_before <= now())
                                OR (state = 'sending' AND lease_until < now()))
                         FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}
            """,
            (lease_s, outbox_id),
        )
        return cur.fetchone()


def mark_sent(conn: psycopg.Connection, outbox_id: int, line_request_id: str | None) -> None:
    conn.execute(
        """UPDATE outbox SET state = 'sent', sent_at = now(), line_request_id = %s,
                             lease_until = NULL, error = NULL WHERE id = %s""",
        (line_request_id, outbox_id),
    )


def mark_retry(conn: psycopg.Connection, outbox_id: int, delay_s: float, error: str) -> None:
    """Back to pending, not before ``delay_s`` seconds (429, 5xx, timeout)."""
    conn.execute(
        """UPDATE outbox SET state = 'pending', lease_until = NULL, error = %s,
                             not_before = now() + make_interval(secs => %s) WHERE id = %s""",
        (error[:2000], delay_s, outbox_id),
    )


def mark_failed(conn: psycopg.Connection, outbox_id: int, error: str) -> None:
    conn.execute("UPDATE outbox SET state = 'failed', lease_until = NULL, error = %s WHERE id = %s",
                 (error[:2000], outbox_id))


def convert_to_push(conn: psycopg.Connection, outbox_id: int, user_id: str) -> None:
    """A reply whose token expired becomes a push to the same resident."""
    conn.execute(
        """UPDATE outbox SET kind = 'push', reply_token = NULL, recipients = ARRAY[%s]
            WHERE id = %s""",
        (user_id, outbox_id),
    )


def due(conn: psycopg.Connection, limit: int = 1000) -> list[tuple[int, int]]:
    """Rows ready to send now (pending past their back-off, or abandoned mid-send),
    each with its ``attempts``: (id, attempts).

    The sweeper names a retry's job after the attempt count, so a job left
    "started" in Redis by a worker killed mid-call does not block it.
    """
    rows = conn.execute(
        """SELECT id, attempts FROM outbox
            WHERE (state = 'pending' AND not_before <= now())
               OR (state = 'sending' AND lease_until < now())
            ORDER BY id LIMIT %s""",
        (limit,),
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]
