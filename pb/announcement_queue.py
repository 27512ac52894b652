"""Queuing a staff announcement into outbox batches, and cancelling it.

:func:`queue` resolves the audience once into ``announcement_recipients``
(one row per resident: nobody is in two batches) and writes the LINE calls
as outbox rows (multicast batches of at most 500 user ids by language, or
one broadcast); :mod:`workers.delivery` sends them. Drafts and the audience
are :mod:`pb.announcements`; quiet hours :mod:`pb.announcement_delivery`.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import announcements, audit, outbox
from pb.announcement_delivery import send_time
from pb.scope import Scope


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def queue(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int,
          compose: announcements.Compose, *, now: dt.datetime | None = None,
          batch_size: int = announcements.BATCH_SIZE) -> list[int]:
    """Resolve the audience and write the outbox batches; audited as ``announcement.queue``.

    Args:
        version: the draft version the staff member previewed (a second
            click, or an edit meanwhile, is :class:`pb.announcements.AnnouncementConflict`).
        compose: language ("th"/"en") → the LINE messages (1–5) for it.
        now: the current time (tests pass a fixed one).
        batch_size: user ids per multicast (≤500, LINE's limit).

    Returns:
        outbox ids due now, to enqueue after commit; empty when the batches
        wait for 08:00 or a chosen time (the sweeper sends them when due).

    Raises:
        AnnouncementError (``not_draft``, ``no_recipients``, validation),
        AnnouncementConflict (both :mod:`pb.announcements`), ScopeError, ReadOnlyError.
    """
    if not 1 <= batch_size <= announcements.BATCH_SIZE:
        raise ValueError(f"batch size must be 1 to {announcements.BATCH_SIZE}")
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
        method, recipients = "broadcast", count.reachable
        outbox_ids.append(outbox.add(conn, kind="broadcast", messages=compose("th"),
                                     not_before=not_before, announcement_id=announcement_id))
    else:
        method = "multicast"
        rows = conn.execute(
            f"""SELECT CASE WHEN r.language = 'en' AND %(has_en)s THEN 'en' ELSE 'th' END
                       AS language, r.id, r.line_user_id
                  FROM residents r
                 WHERE r.id IN (SELECT resident_id FROM
                                ({announcements.audience_ids_sql(draft.audience)}) ids)
                   AND NOT r.announcements_opt_out AND {announcements.REACHABLE_SQL}
                 ORDER BY 1 DESC, r.id""",
            {**announcements.audience_params(draft),
             "has_en": bool(draft.text_en) or draft.with_card}
        ).fetchall()
        recipients = len(rows)
        by_language: dict[str, list[tuple[int, str]]] = {}
        for language, resident_id, line_user_id in rows:
            by_language.setdefault(language, []).append((int(resident_id), line_user_id))
        members_of: list[int] = []
        languages: list[str] = []
        batch_of: list[int] = []
        for language, members in by_language.items():
            messages = compose(language)
            for chunk in _chunks(members, batch_size):
                outbox_id = outbox.add(conn, kind="multicast", messages=messages,
                                       recipients=[user for _rid, user in chunk],
                                       not_before=not_before, announcement_id=announcement_id)
                outbox_ids.append(outbox_id)
                members_of += [rid for rid, _user in chunk]
                languages += [language] * len(chunk)
                batch_of += [outbox_id] * len(chunk)
        # One row per resident (the primary key): nobody can be in two batches.
        conn.execute(
            """INSERT INTO announcement_recipients (announcement_id, resident_id, language,
                                                    outbox_id)
               SELECT %s, t.resident_id, t.language, t.outbox_id
                 FROM unnest(%s::bigint[], %s::text[], %s::bigint[])
                      AS t(resident_id, language, outbox_id)""",
            (announcement_id, members_of, languages, batch_of))
    conn.execute(
        """UPDATE announcements SET state = 'queued', method = %s, recipients = %s, batches = %s,
                  not_before = %s, queued_at = now(), queued_by = %s, version = version + 1,
                  updated_at = now() WHERE id = %s""",
        (method, recipients, len(outbox_ids), not_before, scope.staff_id, announcement_id))
    audit.record(conn, scope, "announcement.queue", "announcement", announcement_id,
                 district=current.district_scope,
                 after={"method": method, "recipients": recipients, "batches": len(outbox_ids),
                        "not_before": not_before.isoformat(), "urgent": draft.urgent,
                        "opted_out_skipped": count.opted_out})
    return outbox_ids if not_before <= now else []


def cancel(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int) -> int:
    """Stop a queued announcement's batches that have not started; returns how many.

    A batch already being sent finishes (LINE may have accepted it).
    Audited as ``announcement.cancel``.

    Raises:
        AnnouncementError("not_queued"), AnnouncementConflict, ScopeError.
    """
    current = announcements.lock_for_change(conn, scope, announcement_id, version)
    scope.check(current.district_scope, write=True)
    if current.state != "queued":
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
