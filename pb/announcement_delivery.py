"""When an announcement's batches may go: quiet hours and the sender's last checks.

No announcement is pushed between 21:00 and 08:00 Bangkok time unless it is
marked urgent (:func:`send_time` at queuing, :func:`before_send` again right
before each batch's LINE call, so a batch that backs off into the night
waits too); residents who left since queuing are dropped from their batch
before its first call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from pb import outbox
from pb.thaidate import BANGKOK

QUIET_START = dt.time(21, 0)           # Bangkok time
QUIET_END = dt.time(8, 0)


def in_quiet_hours(at: dt.datetime) -> bool:
    """True from 21:00 to 08:00 Bangkok time (``at`` must be timezone-aware)."""
    local = at.astimezone(BANGKOK).time()
    return local >= QUIET_START or local < QUIET_END


def next_allowed(at: dt.datetime) -> dt.datetime:
    """``at`` itself outside quiet hours, else the next 08:00 in Bangkok."""
    if not in_quiet_hours(at):
        return at
    local = at.astimezone(BANGKOK)
    day = local.date() if local.time() < QUIET_END else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_END, tzinfo=BANGKOK)


def send_time(urgent: bool, send_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When an announcement's batches may first go: the chosen time (or now), moved
    to 08:00 when it falls in quiet hours, unless urgent."""
    start = max(now, send_at) if send_at else now
    return start if urgent else next_allowed(start)


@dataclass
class SendDecision:
    """What the sender does with a claimed batch: ``send`` (to ``recipients``),
    ``deferred`` (quiet hours; back to pending until 08:00) or ``empty`` (everyone left)."""

    action: str
    recipients: list[str]


def before_send(conn: psycopg.Connection, row: outbox.OutboxRow, now: dt.datetime
                ) -> SendDecision:
    """Last checks on a claimed announcement batch, right before its LINE call.

    * Not urgent and in quiet hours: back to pending until 08:00 (the claim's
      attempt is given back: no call was made).
    * First attempt of a multicast: residents who unfollowed, erased their
      data or opted out since queuing are dropped from the batch (their
      ``announcement_recipients.dropped_at`` is set). Only on the first
      attempt: a retry must carry what the first call carried, with the same
      retry key.

    The caller owns the transaction.
    """
    urgent_row = conn.execute("SELECT urgent FROM announcements WHERE id = %s",
                              (row.announcement_id,)).fetchone()
    urgent = bool(urgent_row and urgent_row[0])
    if not urgent and in_quiet_hours(now):
        conn.execute(
            """UPDATE outbox SET state = 'pending', lease_until = NULL,
                      attempts = greatest(attempts - 1, 0), not_before = %s,
                      error = 'quiet hours: waits until 08:00' WHERE id = %s""",
            (next_allowed(now), row.id))
        return SendDecision("deferred", [])
    if row.kind != "multicast" or row.attempts != 1:
        return SendDecision("send", list(row.recipients))
    conn.execute(
        """UPDATE announcement_recipients ar SET dropped_at = now()
             FROM residents r
            WHERE ar.outbox_id = %s AND r.id = ar.resident_id AND ar.dropped_at IS NULL
              AND (NOT r.followed OR r.erased_at IS NOT NULL OR r.line_user_id IS NULL
                   OR r.announcements_opt_out)""", (row.id,))
    kept = [r[0] for r in conn.execute(
        """SELECT r.line_user_id FROM announcement_recipients ar
             JOIN residents r ON r.id = ar.resident_id
            WHERE ar.outbox_id = %s AND ar.dropped_at IS NULL ORDER BY ar.resident_id""",
        (row.id,)).fetchall()]
    if len(kept) != len(row.recipients):
        conn.execute("UPDATE outbox SET recipients = %s WHERE id = %s", (kept, row.id))
    if not kept:
        outbox.mark_sent(conn, row.id, None)
        conn.execute("UPDATE outbox SET error = 'no recipients left' WHERE id = %s", (row.id,))
        return SendDecision("empty", [])
    return SendDecision("send", kept)
