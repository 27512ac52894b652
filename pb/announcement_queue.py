"""Queuing a staff announcement into outbox batches, and cancelling it.

Queuing has two halves. :func:`start` runs in the staff member's request:
it checks the draft, counts the audience (N), stores the composed messages
per language and marks the announcement ``queuing`` (or, for a broadcast,
writes its one outbox row at once). :func:`write_chunk` runs in the
``queue_announcement`` job on the upkeep queue (``workers.jobs``), again and
again: each call resolves the next :data:`CHUNK` residents of the audience
in id order and writes them as outbox rows (multicast batches of at most
500 user ids by language) and ``announcement_recipients`` rows (one per
resident: nobody is in two batches), then moves the cursor and the progress
("queued n of N") in the same transaction, so a killed job resumes where the
last commit left it. :func:`queue` does both halves in one transaction (the
tests, small tools). :mod:`workers.delivery` sends the batches. Drafts and
the audience are :mod:`pb.announcements`; quiet hours :mod:`pb.announcement_delivery`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import psycopg
from psycopg.types.json import Jsonb

from pb import announcements, audit, multicast, outbox
from pb.announcement_delivery import send_time
from pb.scope import Scope

#: Residents resolved and written per transaction of the queuing job (20 batches of 500):
#: small enough that the first batches go out within a fraction of a second.
CHUNK = 10_000
#: The queuing job's first chunk: the first batches reach the senders at once.
FIRST_CHUNK = 1_000


def start(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int,
          compose: announcements.Compose, *, now: dt.datetime | None = None) -> list[int]:
    """Send pressed: check, count, store the messages; audited as ``announcement.queue``.

    A multicast announcement becomes ``queuing`` with ``audience_size`` = N;
    the caller enqueues the ``queue_announcement`` job after commit. A
    broadcast (one call, no audience to resolve) is written at once.

    Args:
        version: the draft version the staff member previewed (a second
            click, or an edit meanwhile, is :class:`pb.announcements.AnnouncementConflict`).
        compose: language ("th"/"en") → the LINE messages (1–5) for it.
        now: the current time (tests pass a fixed one).

    Returns:
        outbox ids due now (a broadcast's), to enqueue after commit; else empty.

    Raises:
        AnnouncementError (``not_draft``, ``no_recipients``, validation),
        AnnouncementConflict (both :mod:`pb.announcements`), ScopeError, ReadOnlyError.
    """
    now = now or announcements.clock()
    current = announcements.lock_for_change(conn, scope, announcement_id, version)
    if current.state != "draft":
        raise announcements.AnnouncementError("not_draft")
    draft = announcements.validate(conn, scope, current.draft())
    not_before = send_time(draft.urgent, draft.send_at, now)
    count = announcements.count_audience(conn, draft)
    if count.reachable == 0:
        raise announcements.AnnouncementError("no_recipients", opted_out=count.opted_out)
    outbox_ids: list[int] = []
    if count.broadcast:
        method, state, messages = "broadcast", "queued", {"th": compose("th")}
        outbox_ids.append(outbox.add(conn, kind="broadcast", messages=messages["th"],
                                     not_before=not_before, announcement_id=announcement_id))
    else:
        method, state = "multicast", "queuing"
        languages = ["th"] + (["en"] if draft.text_en or draft.with_card else [])
        messages = {language: compose(language) for language in languages}
    conn.execute(
        """UPDATE announcements SET state = %s, method = %s, recipients = %s, batches = %s,
                  audience_size = %s, messages = %s, not_before = %s, queued_at = now(),
                  queued_by = %s, version = version + 1, updated_at = now() WHERE id = %s""",
        (state, method, count.reachable if state == "queued" else 0, len(outbox_ids),
         count.reachable, Jsonb(messages), not_before, scope.staff_id, announcement_id))
    audit.record(conn, scope, "announcement.queue", "announcement", announcement_id,
                 district=current.district_scope,
                 after={"method": method, "recipients": count.reachable,
                        "not_before": not_before.isoformat(), "urgent": draft.urgent,
                        "opted_out_skipped": count.opted_out})
    return outbox_ids if not_before <= now else []


@dataclasses.dataclass
class Chunk:
    """What one :func:`write_chunk` did: outbox ids due now (to enqueue after commit),
    residents written, and whether the announcement is now fully queued."""

    due: list[int]
    written: int
    finished: bool


def _residents_sql(audience: str) -> str:
    """The next chunk of the audience, reachable and not opted out, in resident id order.
    Every follower and a district filter ``residents`` directly (a 1M-row semi-join per
    chunk would cost more than the chunk); supporters and voters go through their ids."""
    where = ""
    if audience == "district":
        where = "AND r.district = %(district)s"
    elif audience != "all":
        where = (f"AND r.id IN (SELECT resident_id FROM "
                 f"({announcements.audience_ids_sql(audience)}) ids)")
    return f"""SELECT CASE WHEN r.language = 'en' AND %(has_en)s THEN 'en' ELSE 'th' END,
                      r.id, r.line_user_id
                 FROM residents r
                WHERE r.id > %(after)s {where}
                  AND NOT r.announcements_opt_out AND {announcements.REACHABLE_SQL}
                ORDER BY r.id LIMIT %(chunk)s"""


def write_chunk(conn: psycopg.Connection, announcement_id: int, *, chunk: int = CHUNK,
                batch_size: int = announcements.BATCH_SIZE,
                now: dt.datetime | None = None) -> Chunk:
    """Resolve and write the next ``chunk`` residents of a ``queuing`` announcement.

    The caller owns the transaction (one per chunk). The announcement row is
    locked first, so two runs of the job take turns and never write a
    resident twice. When a chunk comes back short the announcement becomes
    ``queued`` with its final ``recipients`` and ``batches``.

    Returns:
        :class:`Chunk`; nothing written and ``finished`` when the announcement
        is not ``queuing`` (done already, or cancelled by staff meanwhile).
    """
    if not 1 <= batch_size <= announcements.BATCH_SIZE:
        raise ValueError(f"batch size must be 1 to {announcements.BATCH_SIZE}")
    now = now or announcements.clock()
    row = conn.execute(
        """SELECT state, audience, project_id, round_id, district, text_en <> '' OR with_card,
                  messages, not_before, queued_through, queued_count, batches
             FROM announcements WHERE id = %s FOR UPDATE""", (announcement_id,)).fetchone()
    if row is None or row[0] != "queuing":
        return Chunk([], 0, True)
    (_state, audience, project_id, round_id, district, has_en, messages, not_before,
     after, queued, batches) = row
    rows = conn.execute(_residents_sql(audience), {
        "project": project_id, "round": round_id, "district": district, "has_en": has_en,
        "after": after, "chunk": chunk}).fetchall()
    batches_written = multicast.write(
        conn, rows, messages.__getitem__, address=lambda row: (row[2], row[0]),
        not_before=not_before, announcement_id=announcement_id, batch_size=batch_size)
    outbox_ids = multicast.ids(batches_written)
    members_of = [int(row[1]) for b in batches_written for row in b.members]
    languages = [b.language for b in batches_written for _row in b.members]
    batch_of = [b.outbox_id for b in batches_written for _row in b.members]
    # One row per resident (the primary key): nobody can be in two batches.
    conn.execute(
        """INSERT INTO announcement_recipients (announcement_id, resident_id, language, outbox_id)
           SELECT %s, t.resident_id, t.language, t.outbox_id
             FROM unnest(%s::bigint[], %s::text[], %s::bigint[])
                  AS t(resident_id, language, outbox_id)""",
        (announcement_id, members_of, languages, batch_of))
    finished = len(rows) < chunk
    queued += len(rows)
    conn.execute(
        """UPDATE announcements SET queued_through = %s, queued_count = %s, batches = %s,
                  recipients = CASE WHEN %s THEN %s ELSE recipients END,
                  state = CASE WHEN %s THEN 'queued' ELSE state END, updated_at = now()
            WHERE id = %s""",
        (max(members_of, default=after), queued, batches + len(outbox_ids), finished, queued,
         finished, announcement_id))
    return Chunk(outbox_ids if not_before <= now else [], len(rows), finished)


def queue(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int,
          compose: announcements.Compose, *, now: dt.datetime | None = None,
          batch_size: int = announcements.BATCH_SIZE) -> list[int]:
    """:func:`start` and every :func:`write_chunk` in the caller's one transaction.

    For tests and small tools; the admin's Send leaves the chunks to the job.

    Returns:
        outbox ids due now, to enqueue after commit; empty when the batches
        wait for 08:00 or a chosen time (the sweeper sends them when due).

    Raises:
        as :func:`start`.
    """
    now = now or announcements.clock()
    due = start(conn, scope, announcement_id, version, compose, now=now)
    while True:
        done = write_chunk(conn, announcement_id, batch_size=batch_size, now=now)
        due += done.due
        if done.finished:
            return due


def stalled(conn: psycopg.Connection, older_than_s: float = 30) -> list[int]:
    """Announcements still ``queuing`` whose job wrote nothing for ``older_than_s``
    seconds (its worker died): the sweeper enqueues their job again."""
    return [int(r[0]) for r in conn.execute(
        """SELECT id FROM announcements WHERE state = 'queuing'
              AND updated_at < now() - make_interval(secs => %s) ORDER BY id""",
        (older_than_s,)).fetchall()]


def cancel(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int) -> int:
    """Stop a queued announcement's batches that have not started; returns how many.

    A batch already being sent finishes (LINE may have accepted it).
    Audited as ``announcement.cancel``.

    Raises:
        AnnouncementError("not_queued"), AnnouncementConflict, ScopeError.
    """
    current = announcements.lock_for_change(conn, scope, announcement_id, version)
    scope.check(current.district_scope, write=True)
    if current.state not in ("queued", "queuing"):
        raise announcements.AnnouncementError("not_queued")
    rows = conn.execute(
        """UPDATE outbox SET state = 'failed', error = 'cancelled by staff', lease_until = NULL
            WHERE id IN (SELECT id FROM outbox WHERE announcement_id = %s AND state = 'pending'
                         FOR UPDATE SKIP LOCKED)
           RETURNING id""", (announcement_id,)).fetchall()
    conn.execute("UPDATE announcements SET state = 'cancelled', version = version + 1, "
                 "updated_at = now() WHERE id = %s", (announcement_id,))
    audit.record(conn, scope, "announcement.cancel", "announcement", announcement_id,
                 district=current.district_scope, after={"batches_cancelled": len(rows)})
    return len(rows)
