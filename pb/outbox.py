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
    return _claim(conn, outbox_id, lease_s, "state = 'sending' AND lease_until < now()")


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
    "started" in Redis by a worker killed mid-call does not block it. A row
    whose sender died is due at once: no live sender holds its lock (:func:`hold`).
    """
    rows = conn.execute(
        f"""SELECT o.id, o.attempts FROM outbox o
            WHERE (o.state = 'pending' AND o.not_before <= now())
               OR (o.state = 'sending' AND (o.lease_until < now() OR {_UNHELD}))
            ORDER BY o.id LIMIT %s""",
        (limit,),
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


#: Namespace (first key) of the per-row sender locks: "OUTB" as an int4.
SENDER_LOCK_NAMESPACE = 0x4F555442


def _lock_key(outbox_id: int) -> int:
    return outbox_id % 2**31        # the second key of a two-key advisory lock is an int4


def hold(conn: psycopg.Connection, outbox_id: int) -> bool:
    """Take the row's sender lock for this session, without waiting; False if a live
    sender holds it.

    A session-level advisory lock: it outlives the claim's transaction and
    PostgreSQL drops it the moment the sender's connection closes, so a
    sender killed mid-call frees its row at once, not when its lease runs
    out (:func:`claim` ``abandoned_ok``; the lease stays for a sender whose
    machine vanished without closing its connection). Release it with
    :func:`release` after recording the outcome.
    """
    row = conn.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)",
                       (SENDER_LOCK_NAMESPACE, _lock_key(outbox_id))).fetchone()
    return bool(row and row[0])


def release(conn: psycopg.Connection, outbox_id: int) -> None:
    """Give back the row's sender lock taken with :func:`hold`."""
    conn.execute("SELECT pg_advisory_unlock(%s::int, %s::int)",
                 (SENDER_LOCK_NAMESPACE, _lock_key(outbox_id)))


#: SQL: no live sender holds the row ``o``'s sender lock (its sender died, or never took one).
_UNHELD = f"""NOT EXISTS (
    SELECT 1 FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = {SENDER_LOCK_NAMESPACE}::bigint::oid
       AND l.objid = mod(o.id, 2147483648)::oid)"""


def claim_held(conn: psycopg.Connection, outbox_id: int, lease_s: float = LEASE_S
               ) -> OutboxRow | None:
    """:func:`claim` for a sender that holds the row's lock (:func:`hold`): a row left
    ``sending`` is taken at once, lease or not, because no live sender holds it."""
    return _claim(conn, outbox_id, lease_s, "state = 'sending'")


def _claim(conn: psycopg.Connection, outbox_id: int, lease_s: float, sending: str
           ) -> OutboxRow | None:
    """Take a due row, or one ``sending`` that matches the SQL condition ``sending``
    (a constant of this module, never user input)."""
    with conn.cursor(row_factory=class_row(OutboxRow)) as cur:
        cur.execute(
            f"""
            UPDATE outbox SET state = 'sending', attempts = attempts + 1,
                              lease_until = now() + make_interval(secs => %s)
             WHERE id = (SELECT id FROM outbox WHERE id = %s
                           AND ((state = 'pending' AND not_before <= now())
                                OR ({sending}))
                         FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}
            """,
            (lease_s, outbox_id),
        )
        return cur.fetchone()


def abandoned(conn: psycopg.Connection, announcement_id: int | None = None,
              limit: int = 100) -> list[tuple[int, int]]:
    """Rows left ``sending`` by a sender that died (no live sender holds their lock),
    optionally of one announcement: (id, attempts)."""
    where = "o.announcement_id = %s AND " if announcement_id is not None else ""
    params = ((announcement_id,) if announcement_id is not None else ()) + (limit,)
    rows = conn.execute(
        f"""SELECT o.id, o.attempts FROM outbox o
             WHERE {where} o.state = 'sending' AND {_UNHELD}
             ORDER BY o.id LIMIT %s""", params).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def backlog(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[int, float]]:
    """Rows not yet sent, by (kind, state: pending or sending): (count, age of the oldest
    in seconds). Pending rows waiting for a later ``not_before`` (quiet hours, a chosen
    time, a back-off) are included: the backlog is what LINE has not yet accepted."""
    rows = conn.execute(
        """SELECT kind, state, count(*),
                  coalesce(extract(epoch FROM now() - min(created_at)), 0)
             FROM outbox WHERE state IN ('pending', 'sending') GROUP BY kind, state""").fetchall()
    return {(str(k), str(s)): (int(n), float(age)) for k, s, n, age in rows}


def release_abandoned(conn: psycopg.Connection, outbox_ids: list[int],
                      event_ids: list[int]) -> list[tuple[int, int]]:
    """End the lease of rows a dead sender held, so another claims them now.

    ``outbox_ids`` are rows whose ``deliver_outbox`` job died; ``event_ids``
    are ``webhook_events`` row ids whose ``process_event`` job died after its
    commit, while sending the replies it wrote. Only rows still ``sending``
    are touched. Safe for exactly-once: a retried reply finds its token used
    (``workers.delivery`` then counts it sent), a push or multicast carries
    its ``X-Line-Retry-Key`` (409).

    Returns:
        (id, attempts) of the rows freed, and of the ``outbox_ids`` rows
        still ``pending`` (their job died before claiming them).
    """
    rows = conn.execute(
        """WITH freed AS (
             UPDATE outbox SET lease_until = now()
              WHERE state = 'sending'
                AND (id = ANY(%s) OR webhook_event_id IN (
                       SELECT webhook_event_id FROM webhook_events WHERE id = ANY(%s)))
             RETURNING id, attempts)
           SELECT id, attempts FROM freed
           UNION SELECT id, attempts FROM outbox WHERE id = ANY(%s) AND state = 'pending'
           ORDER BY id""",
        (list(outbox_ids), list(event_ids), list(outbox_ids)),
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def count_attempt(conn: psycopg.Connection, outbox_id: int, lease_s: float = LEASE_S) -> None:
    """One more call of a claimed row, made by the same sender (a 429 tried again at
    once): count it in ``attempts`` and renew the lease for the next call."""
    conn.execute(
        """UPDATE outbox SET attempts = attempts + 1,
                             lease_until = now() + make_interval(secs => %s)
            WHERE id = %s AND state = 'sending'""", (lease_s, outbox_id))
