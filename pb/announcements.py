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

Queuing (:func:`pb.announcement_queue.queue`) resolves the audience once into
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
(:func:`pb.announcement_delivery.before_send`), so a batch that backs off into the night waits too,
and residents who unfollowed or opted out since queuing are dropped from
their batch before its first call.

Quiet hours and the sender's last checks are :mod:`pb.announcement_delivery`;
delivery statistics for staff :mod:`pb.announcement_stats`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, clock as pb_clock, districts
from pb import projects as project_rows
from pb.progress import PUBLIC_STATES
from pb.scope import Scope, ScopeError

AUDIENCES = ("supporters", "voters", "district", "all")
BATCH_SIZE = 500                       # LINE multicast: at most 500 user ids per call
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
    """Now, timezone-aware (:func:`pb.clock.now`: the simulated clock in ``siang simulate``).
    Tests replace it to run at a chosen hour."""
    return pb_clock.now()


# --- drafts ------------------------------------------------------------------------------

@dataclass
class AnnouncementDraft:
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
class Announcement(AnnouncementDraft):
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
    audience_size: int = 0          # N counted when Send was pressed
    queued_count: int = 0           # residents the queuing job has written into batches

    @property
    def queued_percent(self) -> int:
        """Share of the audience written into batches so far, 0–100 (100 once ``queued``)."""
        if self.state != "queuing":
            return 100
        return min(99, 100 * self.queued_count // self.audience_size) if self.audience_size else 0

    def draft(self) -> AnnouncementDraft:
        return AnnouncementDraft(**{f.name: getattr(self, f.name)
                                    for f in dataclasses.fields(AnnouncementDraft)})

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


_DRAFT_FIELDS = [f.name for f in dataclasses.fields(AnnouncementDraft)]
_SELECT = f"""SELECT {', '.join('a.' + f for f in _DRAFT_FIELDS)}, a.id, a.state, a.method,
                     a.recipients, a.batches, a.not_before, a.version, a.created_by,
                     a.created_at, a.queued_at, p.title AS project_title,
                     p.district AS project_district, s.display_name AS author,
                     v.district AS round_district, a.audience_size, a.queued_count
                FROM announcements a
                LEFT JOIN projects p ON p.id = a.project_id
                LEFT JOIN voting_rounds v ON v.id = a.round_id
                LEFT JOIN staff s ON s.id = a.created_by"""


def round_district(conn: psycopg.Connection, round_id: int) -> tuple[bool, str | None]:
    """(exists, district or None for city-wide) of a voting round."""
    row = conn.execute("SELECT district FROM voting_rounds WHERE id = %s", (round_id,)).fetchone()
    return (row is not None), (row[0] if row else None)


def validate(conn: psycopg.Connection, scope: Scope, draft: AnnouncementDraft) -> AnnouncementDraft:
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
        exists, round_area = round_district(conn, draft.round_id)
        if not exists:
            raise AnnouncementError("round_required")
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


def create(conn: psycopg.Connection, scope: Scope, draft: AnnouncementDraft) -> int:
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
           draft: AnnouncementDraft) -> None:
    """Edit a draft (only drafts can change).

    Raises:
        AnnouncementError("not_draft"), AnnouncementConflict, validation errors, ScopeError.
    """
    current = lock_for_change(conn, scope, announcement_id, version)
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


def _audit_view(draft: AnnouncementDraft) -> dict[str, Any]:
    out = dataclasses.asdict(draft)
    out["send_at"] = draft.send_at.isoformat() if draft.send_at else None
    return out


def _district_of(conn: psycopg.Connection, draft: AnnouncementDraft) -> str | None:
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


def lock_for_change(conn: psycopg.Connection, scope: Scope, announcement_id: int, version: int
          ) -> Announcement:
    conn.execute("SET LOCAL lock_timeout = '5s'")
    conn.execute("SELECT 1 FROM announcements WHERE id = %s FOR UPDATE", (announcement_id,))
    current = get(conn, scope, announcement_id)
    if current.version != version:
        raise AnnouncementConflict(announcement_id)
    return current


# --- the audience ------------------------------------------------------------------------

_FOLLOWING = "r.followed AND r.erased_at IS NULL AND r.line_user_id IS NOT NULL"
REACHABLE_SQL = f"{_FOLLOWING} AND r.consent_at IS NOT NULL"


def audience_ids_sql(audience: str) -> str:
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
        return ("SELECT b.resident_id FROM ballots b WHERE b.round_id = %(round)s "
                "AND b.resident_id IS NOT NULL")
    if audience == "district":
        return "SELECT r.id AS resident_id FROM residents r WHERE r.district = %(district)s"
    return "SELECT r.id AS resident_id FROM residents r"


def audience_params(draft: AnnouncementDraft) -> dict[str, Any]:
    """The parameters :func:`audience_ids_sql` names, from a draft."""
    return {"audience": draft.audience, "project": draft.project_id, "round": draft.round_id,
            "district": draft.district}


@dataclass
class AudienceCount:
    """How many an announcement would reach now, and who is left out (for the preview)."""

    reachable: int
    opted_out: int
    english: int
    broadcast: bool


def count_audience(conn: psycopg.Connection, draft: AnnouncementDraft) -> AudienceCount:
    """Count the audience as :func:`queue` would resolve it now."""
    row = conn.execute(
        f"""WITH ids AS ({audience_ids_sql(draft.audience)})
            SELECT count(*) FILTER (WHERE NOT r.announcements_opt_out),
                   count(*) FILTER (WHERE r.announcements_opt_out),
                   count(*) FILTER (WHERE NOT r.announcements_opt_out AND r.language = 'en')
              FROM residents r WHERE r.id IN (SELECT resident_id FROM ids) AND {REACHABLE_SQL}""",
        audience_params(draft)).fetchone()
    reachable, opted_out, english = (int(v) for v in row)
    broadcast = False
    if draft.audience == "all" and opted_out == 0 and not draft.text_en:
        followers = conn.execute(f"SELECT count(*) FROM residents r WHERE {_FOLLOWING}"
                                 ).fetchone()
        broadcast = int(followers[0]) == reachable      # nobody a broadcast should skip
    return AudienceCount(reachable, opted_out, english, broadcast)
