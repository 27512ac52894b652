"""Delivery statistics of an announcement for staff, from its outbox rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg


@dataclass
class Stats:
    """Delivery of one announcement so far (from its outbox rows).

    ``delivered`` counts recipients in batches LINE accepted (for a
    broadcast, the followers it was meant for: LINE does not say).
    ``retries`` counts calls beyond the first of each batch (429, 5xx,
    timeouts, a sender that died).
    """

    batches: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    recipients: int = 0
    delivered: int = 0
    dropped: int = 0
    failed_recipients: int = 0
    retries: int = 0
    waiting_until: dt.datetime | None = None
    first_sent_at: dt.datetime | None = None
    last_sent_at: dt.datetime | None = None
    last_error: str | None = None

    @property
    def done(self) -> bool:
        return self.batches > 0 and self.pending == 0 and self.sending == 0

    @property
    def percent(self) -> int:
        """Share of batches finished (sent or failed), 0–100."""
        return round(100 * (self.sent + self.failed) / self.batches) if self.batches else 0


def stats(conn: psycopg.Connection, announcement_id: int) -> Stats:
    """Delivery statistics of one announcement (any state)."""
    out = Stats()
    method_row = conn.execute("SELECT method, recipients FROM announcements WHERE id = %s",
                              (announcement_id,)).fetchone()
    broadcast = bool(method_row and method_row[0] == "broadcast")
    out.recipients = int(method_row[1]) if method_row else 0
    for state, n, people, attempts, started, first, last, waiting in conn.execute(
            """SELECT state, count(*), coalesce(sum(cardinality(recipients)), 0),
                      coalesce(sum(attempts), 0), count(*) FILTER (WHERE attempts > 0),
                      min(sent_at), max(sent_at), min(not_before)
                 FROM outbox WHERE announcement_id = %s GROUP BY state""",
            (announcement_id,)).fetchall():
        setattr(out, state, int(n))
        out.batches += int(n)
        out.retries += int(attempts) - int(started)
        if state == "sent":
            out.delivered = out.recipients if broadcast else int(people)
            out.first_sent_at, out.last_sent_at = first, last
        elif state == "failed":
            out.failed_recipients = int(people)
        elif state == "pending":
            out.waiting_until = waiting
    dropped = conn.execute("SELECT count(*) FROM announcement_recipients "
                           "WHERE announcement_id = %s AND dropped_at IS NOT NULL",
                           (announcement_id,)).fetchone()
    out.dropped = int(dropped[0]) if dropped else 0
    err = conn.execute("""SELECT error FROM outbox WHERE announcement_id = %s AND error IS NOT NULL
                           ORDER BY id DESC LIMIT 1""", (announcement_id,)).fetchone()
    out.last_error = err[0] if err else None
    return out


def recipients_of(conn: psycopg.Connection, announcement_id: int) -> list[int]:
    """Resident ids an announcement was queued for (not dropped), ascending."""
    return [int(r[0]) for r in conn.execute(
        "SELECT resident_id FROM announcement_recipients WHERE announcement_id = %s "
        "AND dropped_at IS NULL ORDER BY resident_id", (announcement_id,)).fetchall()]
