"""Announcements: staff tell residents about a project's progress, once each, through the outbox.

An announcement is composed as a draft (Thai text, optional English text,
optional Flex card about a project) with an audience:

* ``supporters``: residents who sent or supported an idea the project
  carries (its ideas, the ideas of its clusters, supports of its clusters);
* ``voters``: residents who cast a ballot in a voting round (issue 6);
* ``district``: residents who chose a district;
* ``all``: every follower of the Official Account.

Everyone must still follow the account, have given consent (the privacy
notice names project news as a purpose), not have erased their data nor
opted out of announcements.

Queuing (:func:`queue`) resolves the audience once into
``announcement_recipients`` (one row per resident: nobody is in two
batches) and writes the LINE calls as outbox rows: multicast batches of at
most 500 user ids (Messaging API limit), grouped by language, or one
broadcast when the announcement is Thai-only and its audience is every
follower Siang knows (nobody opted out, everyone consented): a broadcast
reaches every friend of the account, so it is used only when that is exactly
the audience (LINE also allows only a few broadcasts an hour). Each row gets its own ``X-Line-Retry-Key`` (a UUID column
default) when it is written, before any call; the sender
(``workers.delivery``) does the rest: 429 → back off, 5xx or timeout → same
key again, 409 on a retry → sent, a sender killed mid-call → the lease
expires and another sender retries with the same key.

Quiet hours: no announcement is pushed between 21:00 and 08:00 Bangkok
time unless it is marked urgent; it waits in the outbox (``not_before``)
until 08:00. The sender checks again right before each batch
(:func:`before_send`), so a batch that backs off into the night waits too,
and residents who unfollowed or opted out since queuing are dropped from
their batch before its first call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, districts, outbox
from pb import projects as project_rows
from pb.progress import PUBLIC_STATES, table_has
from pb.scope import Scope, ScopeError
from pb.thaidate import BANGKOK

AUDIENCES = ("supporters", "voters", "district", "all")
BATCH_SIZE = 500                       # LINE multicast: at most 500 user ids per call
QUIET_START = dt.time(21, 0)           # Bangkok time
QUIET_END = dt.time(8, 0)
TEXT_MAX = 4000                        # leaves room under LINE's 5,000 for nothing else added
Compose = Callable[[str], list[dict[str, Any]]]


class AnnouncementError(ValueError):
    """Bad announcement input or a step not allowed; nothing changed.

    Attributes:
        code: stable name (``admin.announcements.ERRORS`` has its text).
        values: values for the message.
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code, self.values = code, values


class AnnouncementConflict(Exception):
    """The announcement changed (or was queued) after this page was loaded."""


def clock() -> dt.datetime:
    """Now, timezone-aware. Tests replace it to run at a chosen hour."""
    return dt.datetime.now(dt.timezone.utc)


# --- quiet hours -----------------------------------------------------------------------

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


# --- drafts ------------------------------------------------------------------------------

@dataclass
class Draft:
    """What staff compose. ``send_at`` is timezone-aware (None: as soon as allowed)."""

    audience: str
    text_th: str
    text_en: str = ""
    project_id: int | None = None
    district: str | None = None
    round_id: int | None = None
    with_card: bool = False
    urgent: bool = False
    send_at: dt.datetime | None = None


@dataclass
class Announcement(Draft):
    id: int = 0
    state: str = "draft"
    method: str | None = None
    recipients: int = 0
    batches: int = 0
    not_before: dt.datetime | None = None
    version: int = 1
    created_by: int | None = None
    created_at: dt.datetime | None = None
    queued_at: dt.datetime | None = None
    project_title: str | None = None
    project_district: str | None = None
    author: str | None = None

    def draft(self) -> Draft:
        return Draft(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Draft)})

    round_district: str | None = None

    @property
    def district_scope(self) -> str | None:
        """The district the announcement is about (None: city-wide)."""
        if self.audience == "district":
            return self.district
        if self.audience == "supporters":
            return self.project_district
        if self.audience == "voters":
            return self.round_district
        return None


_DRAFT_FIELDS = [f.name for f in dataclasses.fields(Draft)]
_SELECT = f"""SELECT {', '.join('a.' + f for f in _DRAFT_FIELDS)}, a.id, a.state, a.method,
                     a.recipients, a.batches, a.not_before, a.version, a.created_by,
                     a.created_at, a.queued_at, p.title AS project_title,
                     p.district AS project_district, s.display_name AS author,
                     v.district AS round_district
                FROM announcements a
                LEFT JOIN projects p ON p.id = a.project_id
                LEFT JOIN voting_rounds v ON v.id = a.round_id
                LEFT JOIN staff s ON s.id = a.created_by"""


def voting_exists(conn: psycopg.Connection) -> bool:
    """Whether voting rounds and ballots exist yet (issue 6's tables)."""
    return table_has(conn, "ballots", ("round_id", "resident_id")) \
        and table_has(conn, "voting_rounds", ("id", "district"))


def round_district(conn: psycopg.Connection, round_id: int) -> tuple[bool, str | None]:
    """(found, district or None for city-wide) of a voting round."""
    if not voting_exists(conn):
        return False, None
    row = conn.execute("SELECT district FROM voting_rounds WHERE id = %s", (round_id,)).fetchone()
    return (row is not None), (row[0] if row else None)


def validate(conn: psycopg.Connection, scope: Scope, draft: Draft) -> Draft:
    """Clean and check a draft against the database and the staff member's scope.

    Officers reach only their districts' audiences; the whole city (all
    followers, a city-wide round) is for admins.

    Raises:
        AnnouncementError: ``text_required``, ``text_too_long``, ``bad_audience``,
            ``project_required``, ``bad_district``, ``round_required``,
            ``no_voting``, ``card_needs_project``, ``project_not_public``.
        ScopeError / ReadOnlyError: outside the staff member's scope.
    """
    text_th, text_en = draft.text_th.strip(), draft.text_en.strip()
    if not text_th:
        raise AnnouncementError("text_required")
    if len(text_th) > TEXT_MAX or len(text_en) > TEXT_MAX:
        raise AnnouncementError("text_too_long", limit=TEXT_MAX)
    if draft.audience not in AUDIENCES:
        raise AnnouncementError("bad_audience")
    project = None
    if draft.project_id is not None:
        project = project_rows.get(conn, scope, draft.project_id)   # ScopeError if outside
        scope.check(project.district, write=True)
    district = round_id = None
    if draft.audience == "supporters":
        if project is None:
            raise AnnouncementError("project_required")
    elif draft.audience == "district":
        if not draft.district or not districts.is_district(draft.district):
            raise AnnouncementError("bad_district")
        district = draft.district
        scope.check(district, write=True)
    elif draft.audience == "voters":
        if draft.round_id is None:
            raise AnnouncementError("round_required")
        found, round_area = round_district(conn, draft.round_id)
        if not found:
            raise AnnouncementError("no_voting" if not voting_exists(conn) else "round_required")
        scope.check(round_area, write=True)
        round_id = draft.round_id
    else:
        scope.check(None, write=True)                      # everyone: admins only
    if draft.with_card:
        if project is None:
            raise AnnouncementError("card_needs_project")
        if project.state not in PUBLIC_STATES:
            raise AnnouncementError("project_not_public")
    return dataclasses.replace(draft, text_th=text_th, text_en=text_en, district=district,
                               round_id=round_id)


def create(conn: psycopg.Connection, scope: Scope, draft: Draft) -> int:
    """Save a draft; returns its id (audited as ``announcement.create``)."""
    draft = validate(conn, scope, draft)
    row = conn.execute(
        f"""INSERT INTO announcements (created_by, {', '.join(_DRAFT_FIELDS)})
            VALUES (%(created_by)s, {', '.join('%(' + f + ')s' for f in _DRAFT_FIELDS)})
            RETURNING id""",
        {**dataclasses.asdict(draft), "created_by": scope.staff_id}).fetchone()
    assert row is not None
    announcement_id = int(row[0])
    audit.record(conn, scope, "announcement.create", "announcement", announcement_id,
                 district=_district_of(conn, draft), after=_audit_view(draft))
    return announcement_id


def update(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int,
           draft: Draft) -> None:
    """Edit a draft (only drafts can change).

    Raises:
        AnnouncementError("not_draft"), AnnouncementConflict, validation errors, ScopeError.
    """
    current = _lock(conn, scope, announcement_id, version)
    if current.state != "draft":
        raise AnnouncementError("not_draft")
    draft = validate(conn, scope, draft)
    conn.execute(
        f"""UPDATE announcements SET {', '.join(f + ' = %(' + f + ')s' for f in _DRAFT_FIELDS)},
                   version = version + 1, updated_at = now() WHERE id = %(id)s""",
        {**dataclasses.asdict(draft), "id": announcement_id})
    audit.record(conn, scope, "announcement.update", "announcement", announcement_id,
                 district=_district_of(conn, draft), before=_audit_view(current.draft()),
                 after=_audit_view(draft))


def _audit_view(draft: Draft) -> dict[str, Any]:
    out = dataclasses.asdict(draft)
    out["send_at"] = draft.send_at.isoformat() if draft.send_at else None
    return out


def _district_of(conn: psycopg.Connection, draft: Draft) -> str | None:
    if draft.audience == "district":
        return draft.district
    if draft.project_id is not None:
        row = conn.execute("SELECT district FROM projects WHERE id = %s",
                           (draft.project_id,)).fetchone()
        return row[0] if row else None
    return None


def _visible(scope: Scope) -> str:
    """SQL: the announcement is in the scope (officers: their districts' ones: to a
    district, about a project, or to the voters of a round of theirs)."""
    return (f"(%(scope_all)s OR (a.audience = 'district' AND {scope.where('a.district')}) "
            f"OR (a.audience = 'voters' AND a.round_id IN (SELECT v.id FROM voting_rounds v "
            f"WHERE {scope.where('v.district')})) "
            f"OR (a.audience NOT IN ('district', 'voters') AND a.project_id IS NOT NULL "
            f"AND {scope.where('p.district')}))")


def get(conn: psycopg.Connection, scope: Scope, announcement_id: int) -> Announcement:
    """Raises ScopeError when missing or outside the scope (both look the same)."""
    with conn.cursor(row_factory=class_row(Announcement)) as cur:
        cur.execute(f"{_SELECT} WHERE a.id = %(id)s AND {_visible(scope)}",
                    {**scope.params(), "id": announcement_id})
        row = cur.fetchone()
    if row is None:
        raise ScopeError(f"no announcement {announcement_id} in scope")
    return row


def list_announcements(conn: psycopg.Connection, scope: Scope, limit: int = 100
                       ) -> list[Announcement]:
    """Newest first, within the scope."""
    with conn.cursor(row_factory=class_row(Announcement)) as cur:
        cur.execute(f"{_SELECT} WHERE {_visible(scope)} ORDER BY a.id DESC LIMIT %(limit)s",
                    {**scope.params(), "limit": limit})
        return cur.fetchall()


def _lock(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int
          ) -> Announcement:
    conn.execute("SET LOCAL lock_timeout = '5s'")
    conn.execute("SELECT 1 FROM announcements WHERE id = %s FOR UPDATE", (announcement_id,))
    current = get(conn, scope, announcement_id)
    if current.version != version:
        raise AnnouncementConflict(announcement_id)
    return current


# --- the audience ------------------------------------------------------------------------

_FOLLOWING = "r.followed AND r.erased_at IS NULL AND r.line_user_id IS NOT NULL"
_REACHABLE = f"{_FOLLOWING} AND r.consent_at IS NOT NULL"


def _audience_ids_sql(conn: psycopg.Connection, audience: str) -> str:
    """SQL selecting the audience's resident ids (``resident_id``), before the filters."""
    if audience == "supporters":
        return """
            WITH idea_ids AS (
                SELECT idea_id FROM project_ideas WHERE project_id = %(project)s
                UNION
                SELECT m.idea_id FROM cluster_members m
                  JOIN project_clusters pc ON pc.cluster_id = m.cluster_id
                 WHERE pc.project_id = %(project)s)
            SELECT i.resident_id FROM ideas i JOIN idea_ids x ON x.idea_id = i.id
             WHERE i.status IN ('active', 'merged') AND i.resident_id IS NOT NULL
            UNION
            SELECT s.resident_id FROM supports s JOIN idea_ids x ON x.idea_id = s.idea_id
             WHERE s.resident_id IS NOT NULL
            UNION
            SELECT s.resident_id FROM supports s
              JOIN project_clusters pc ON pc.cluster_id = s.cluster_id
             WHERE pc.project_id = %(project)s AND s.resident_id IS NOT NULL"""
    if audience == "voters":
        if not voting_exists(conn):
            raise AnnouncementError("no_voting")
        return ("SELECT b.resident_id FROM ballots b WHERE b.round_id = %(round)s "
                "AND b.resident_id IS NOT NULL")
    if audience == "district":
        return "SELECT r.id AS resident_id FROM residents r WHERE r.district = %(district)s"
    return "SELECT r.id AS resident_id FROM residents r"


def _audience_params(draft: Draft) -> dict[str, Any]:
    return {"audience": draft.audience, "project": draft.project_id, "round": draft.round_id,
            "district": draft.district}


@dataclass
class AudienceCount:
    """How many an announcement would reach now, and who is left out (for the preview)."""

    reachable: int
    opted_out: int
    english: int
    broadcast: bool


def count_audience(conn: psycopg.Connection, draft: Draft) -> AudienceCount:
    """Count the audience as :func:`queue` would resolve it now."""
    row = conn.execute(
        f"""WITH ids AS ({_audience_ids_sql(conn, draft.audience)})
            SELECT count(*) FILTER (WHERE NOT r.announcements_opt_out),
                   count(*) FILTER (WHERE r.announcements_opt_out),
                   count(*) FILTER (WHERE NOT r.announcements_opt_out AND r.language = 'en')
              FROM residents r WHERE r.id IN (SELECT resident_id FROM ids) AND {_REACHABLE}""",
        _audience_params(draft)).fetchone()
    reachable, opted_out, english = (int(v) for v in row)
    broadcast = False
    if draft.audience == "all" and opted_out == 0 and not draft.text_en:
        followers = conn.execute(f"SELECT count(*) FROM residents r WHERE {_FOLLOWING}"
                                 ).fetchone()
        broadcast = int(followers[0]) == reachable      # nobody a broadcast should skip
    return AudienceCount(reachable, opted_out, english, broadcast)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def queue(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int,
          compose: Compose, *, now: dt.datetime | None = None,
          batch_size: int = BATCH_SIZE) -> list[int]:
    """Resolve the audience and write the outbox batches; audited as ``announcement.queue``.

    Args:
        version: the draft version the staff member previewed (a second
            click, or an edit meanwhile, is :class:`AnnouncementConflict`).
        compose: language ("th"/"en") → the LINE messages (1–5) for it.
        now: the current time (tests pass a fixed one).
        batch_size: user ids per multicast (≤500, LINE's limit).

    Returns:
        outbox ids due now, to enqueue after commit; empty when the batches
        wait for 08:00 or a chosen time (the sweeper sends them when due).

    Raises:
        AnnouncementError (``not_draft``, ``no_recipients``, validation),
        AnnouncementConflict, ScopeError, ReadOnlyError.
    """
    if not 1 <= batch_size <= BATCH_SIZE:
        raise ValueError(f"batch size must be 1 to {BATCH_SIZE}")
    now = now or clock()
    current = _lock(conn, scope, announcement_id, version)
    if current.state != "draft":
        raise AnnouncementError("not_draft")
    draft = validate(conn, scope, current.draft())
    not_before = send_time(draft.urgent, draft.send_at, now)
    count = count_audience(conn, draft)
    if count.reachable == 0:
        raise AnnouncementError("no_recipients", opted_out=count.opted_out)
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
                                ({_audience_ids_sql(conn, draft.audience)}) ids)
                   AND NOT r.announcements_opt_out AND {_REACHABLE}
                 ORDER BY 1 DESC, r.id""",
            {**_audience_params(draft), "has_en": bool(draft.text_en) or draft.with_card}
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
    current = _lock(conn, scope, announcement_id, version)
    scope.check(current.district_scope, write=True)
    if current.state != "queued":
        raise AnnouncementError("not_queued")
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


# --- sending (called by workers.delivery) ---------------------------------------------------

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


# --- delivery statistics for staff ------------------------------------------------------------

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
