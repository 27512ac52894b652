"""Sending outbox rows to LINE, once.

Rules (Messaging API reference): a reply token is single use and valid for
about one minute; push, multicast and broadcast accept ``X-Line-Retry-Key``
and answer 409 when a request with that key was already accepted; 429 means
the rate limit was hit. Our policy:

* 2xx or 409 → sent.
* 429, 5xx, timeout → back to pending with exponential back-off (same retry key).
* a reply whose token expired (or was refused) → converted to a push with the
  row's retry key. Exception: a reply retried by a sender that replaced a
  crashed one, within the token's life, that LINE refuses as an invalid
  token: the first call used the token, so the message was delivered.
* other 4xx → failed, with LINE's message kept for staff.

Announcement batches (``pb.announcements``) get two more checks right
before their call (:func:`pb.announcement_delivery.before_send`): quiet hours
(21:00–08:00 Bangkok, unless urgent: back to pending until 08:00) and, on a
batch's first attempt, residents who unfollowed or opted out since queuing
are dropped from it.

The lease on a claimed row is three times the LINE call timeout (at least
10 s): a call cannot outlive it, and a sender killed mid-call is replaced
soon after.

Multicast and broadcast share one rate limit per channel across all
senders: after LINE answers 429 to any of them, every sender holds its next
such call for :data:`RATE_LIMIT_PAUSE_S` (a key in Redis), instead of each
finding the limit with its own 429. A bulk call answered 429 is tried again
at once after that pause, with the same retry key, while the claim's lease
leaves room (:data:`MAX_RATE_LIMITED_TRIES`), and only then backs off: a
2-second back-off and the sweeper's next pass used to leave the last batches
of a large announcement waiting while the limit had room.

A sender holds each claimed row's advisory lock (:func:`pb.outbox.hold`)
for as long as it works on it. PostgreSQL drops the lock when a killed
sender's connection closes, so its row is taken over at once (by the next
sender of the same announcement, or the sweeper), not when the lease ends.

Every call's answer is counted (``siang_line_deliveries_total``), and the
recipients of accepted calls (``siang_line_messages_total``, per Bangkok
day: LINE's quota counts recipients; replies are free).
"""

from __future__ import annotations

import logging
import time

import psycopg
import redis

from bot import metrics
from pb import announcement_delivery, announcements, clock, outbox
from workers import runtime

log = logging.getLogger(__name__)
REPLY_TOKEN_LIFE_S = 50  # LINE: "about one minute"; leave a margin for the call itself
MAX_BACKOFF_S = 300
MIN_LEASE_S = 10.0
RATE_LIMIT_PAUSE_S = 0.02     # after a 429, every sender waits this long before its next bulk call
#: Bulk calls one claim may make while LINE answers 429, if the lease leaves room.
MAX_RATE_LIMITED_TRIES = 50
#: Abandoned batches of the same announcement a sender takes over after each of its own.
TAKE_OVER_LIMIT = 4


def lease_s(line_timeout_s: float) -> float:
    """Seconds a sender holds a claimed row: 3 × the LINE call timeout, at least 10."""
    return max(MIN_LEASE_S, 3 * line_timeout_s)


def _pause_key(kind: str) -> str:
    return f"siang:line-429:{kind}"


def _wait_if_rate_limited(rt: runtime.Runtime, kind: str) -> None:
    """Sleep out the pause another sender started when LINE answered 429 (Redis down: go on)."""
    try:
        left_ms = rt.redis.pttl(_pause_key(kind))
    except redis.RedisError:
        return
    if left_ms and left_ms > 0:
        time.sleep(left_ms / 1000)


def _note_rate_limited(rt: runtime.Runtime, kind: str) -> None:
    try:
        rt.redis.set(_pause_key(kind), 1, px=int(RATE_LIMIT_PAUSE_S * 1000), nx=True)
    except redis.RedisError:
        pass


def backoff_s(attempts: int) -> float:
    """Seconds to wait before attempt ``attempts + 1``: 2, 4, 8, … capped at 5 minutes."""
    return float(min(2 ** max(attempts, 1), MAX_BACKOFF_S))


def _line_user_id(conn, resident_id: int | None) -> str | None:
    if resident_id is None:
        return None
    row = conn.execute("SELECT line_user_id FROM residents WHERE id = %s AND followed",
                       (resident_id,)).fetchone()
    return row[0] if row else None


def deliver(outbox_id: int) -> str:
    """Claim, send and record one outbox row; returns its new state (or "skipped").

    After an announcement batch, the sender also takes over batches of the
    same announcement that a dead sender left mid-call (at most
    :data:`TAKE_OVER_LIMIT`).
    """
    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        if not outbox.hold(conn, outbox_id):
            return "skipped"                 # a live sender works on it
        row = outbox.claim_held(conn, outbox_id, lease_s(rt.settings.line_timeout_s))
    try:
        state = "skipped" if row is None else _send(rt, conn, row)
    finally:
        _release(conn, outbox_id)
    if row is not None and row.announcement_id is not None and state != "skipped":
        with conn.transaction():
            orphans = outbox.abandoned(conn, row.announcement_id, limit=TAKE_OVER_LIMIT)
        for orphan_id, _attempts in orphans:
            if orphan_id != outbox_id:
                log.info("outbox %s: its sender died; taking it over", orphan_id)
                deliver(orphan_id)
    return state


def _release(conn, outbox_id: int) -> None:
    try:
        if conn.info.transaction_status != 0:
            conn.rollback()
        with conn.transaction():
            outbox.release(conn, outbox_id)
    except psycopg.Error:
        pass                                 # a closed connection has dropped the lock already


def _send(rt: runtime.Runtime, conn, row: outbox.OutboxRow) -> str:
    """Send a claimed row and record the outcome; returns its new state."""
    recipients = list(row.recipients)
    if row.announcement_id is not None:
        with conn.transaction():
            decision = announcement_delivery.before_send(conn, row, announcements.clock())
        if decision.action == "deferred":
            return "pending"
        if decision.action == "empty":
            return "sent"
        recipients = decision.recipients
    age_s = (clock.now() - row.created_at).total_seconds()   # created_at: the database's now()
    retry_key = str(row.retry_key)

    if row.kind == "reply" and row.reply_token and age_s < REPLY_TOKEN_LIFE_S:
        outcome = rt.line.reply(row.reply_token, row.messages)
        if outcome.invalid_reply_token and row.attempts > 1:
            metrics.line_delivery("reply", outcome.status, 0)
            with conn.transaction():
                outbox.mark_sent(conn, row.id, None)
            return "sent"
        if not outcome.invalid_reply_token:
            metrics.line_delivery("reply", outcome.status, 1)
            return _record(conn, row.id, row.attempts, outcome)
        metrics.line_delivery("reply", outcome.status, 0)
    if row.kind == "reply":
        with conn.transaction():
            user_id = _line_user_id(conn, row.resident_id)
            if user_id is None:
                outbox.mark_failed(conn, row.id, "resident unfollowed or erased")
                return "failed"
            outbox.convert_to_push(conn, row.id, user_id)
        outcome = rt.line.push(user_id, row.messages, retry_key)
        metrics.line_delivery("push", outcome.status, 1)
    elif row.kind == "push":
        outcome = rt.line.push(row.recipients[0], row.messages, retry_key)
        metrics.line_delivery("push", outcome.status, 1)
    else:
        outcome = _send_bulk(rt, conn, row, recipients, retry_key)
    return _record(conn, row.id, row.attempts, outcome)


def _send_bulk(rt: runtime.Runtime, conn, row: outbox.OutboxRow, recipients: list[str],
               retry_key: str):
    """A multicast or broadcast call; on 429, pause with every sender and call again with
    the same retry key while the lease leaves room for one more call."""
    reach = len(recipients) if row.kind == "multicast" else _broadcast_reach(conn, row)
    lease = lease_s(rt.settings.line_timeout_s)
    for tries in range(1, MAX_RATE_LIMITED_TRIES + 1):
        _wait_if_rate_limited(rt, row.kind)
        if row.kind == "multicast":
            outcome = rt.line.multicast(recipients, row.messages, retry_key)
        else:
            outcome = rt.line.broadcast(row.messages, retry_key)
        metrics.line_delivery(row.kind, outcome.status, reach)
        if outcome.status != 429:
            return outcome
        _note_rate_limited(rt, row.kind)
        if tries < MAX_RATE_LIMITED_TRIES:
            with conn.transaction():          # the next call counts, under a renewed lease
                outbox.count_attempt(conn, row.id, lease)
    return outcome


def _broadcast_reach(conn, row: outbox.OutboxRow) -> int:
    """Recipients a broadcast counts against the quota: the announcement's audience
    (LINE does not say how many friends it reached)."""
    if row.announcement_id is None:
        return 0
    with conn.transaction():
        found = conn.execute("SELECT recipients FROM announcements WHERE id = %s",
                             (row.announcement_id,)).fetchone()
    return int(found[0]) if found else 0


def _record(conn, outbox_id: int, attempts: int, outcome) -> str:
    with conn.transaction():
        if outcome.ok or outcome.already_accepted:
            outbox.mark_sent(conn, outbox_id, outcome.request_id)
            return "sent"
        if outcome.retryable:
            delay = backoff_s(attempts)
            log.info("outbox %s: LINE answered %s, retrying in %.0f s", outbox_id,
                     outcome.status, delay)
            outbox.mark_retry(conn, outbox_id, delay, f"{outcome.status}: {outcome.error}")
            return "pending"
        log.warning("outbox %s failed: LINE answered %s", outbox_id, outcome.status)
        outbox.mark_failed(conn, outbox_id, f"{outcome.status}: {outcome.error}")
        return "failed"
