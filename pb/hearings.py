"""District public hearings (โครงการรับฟังความคิดเห็นของประชาชนเพื่อกำหนดนโยบายการพัฒนา
เชิงพื้นที่ของสำนักงานเขต, issue 18): staff ask, residents answer in LINE, staff publish.

One hearing is one ``processes`` row of kind ``hearing`` (migration 0016) plus its
``hearing_*`` tables (0017). Its area is one district (``processes.district``), a
district group (``processes.scope_districts``: :data:`pb.districts.DISTRICT_GROUPS`)
or the whole city (both NULL). Stages: ``draft`` → ``open`` (answers taken between
``opens_at`` and ``closes_at``; residents in the area invited through the outbox) →
``closed`` → ``published`` (a public summary; everyone who answered is told).

Staff changes check the :class:`pb.scope.Scope` (an officer must reach every district
of the area; a city-wide hearing is for admins), carry the hearing's ``version`` and
are audited (``hearing.create``, ``hearing.open``, ``hearing.close``,
``hearing.publish``). Answers and session registrations are :mod:`pb.hearing_answers`;
results and grouping :mod:`pb.hearing_results`; questions and form input
:mod:`pb.hearing_questions`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import announcement_delivery, audit, districts
from pb.hearing_outbox import Compose, answerers, invitees, notify
from pb.hearing_questions import HearingError, Question, QuestionDraft, SessionDraft
from pb.processes import Indicator, OpenItem, fiscal_year_be
from pb.scope import Scope, ScopeError
from pb.thaidate import BANGKOK

STAGES = ("draft", "open", "closed", "published")


class HearingConflict(Exception):
    """Another staff member changed the hearing after this page was loaded."""


@dataclass
class HearingFields:
    """What staff fill in.

    Attributes:
        area: a district's Thai name, ``group:<group name>`` (:data:`pb.districts.
            DISTRICT_GROUPS`) or ``city``.
        opens_on, closes_on: Bangkok dates; answers are taken from 00:00 of the
            first to the end of the last.
    """

    title: str
    area: str
    opens_on: dt.date
    closes_on: dt.date
    questions: list[QuestionDraft]
    title_en: str = ""
    intro: str = ""
    session: SessionDraft | None = None


@dataclass
class Hearing:
    id: int
    title: str
    district: str | None
    scope_districts: list[str] | None
    fiscal_year: int
    stage: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    created_by: int | None
    title_en: str
    intro: str
    summary: str
    invited_at: dt.datetime | None
    invited: int
    published_at: dt.datetime | None
    result_notice_at: dt.datetime | None
    version: int

    @property
    def districts(self) -> tuple[str, ...] | None:
        """The districts of the area, None for the whole city."""
        if self.scope_districts:
            return tuple(self.scope_districts)
        return (self.district,) if self.district else None

    @property
    def group(self) -> str | None:
        """The district group whose districts are exactly this hearing's, if any."""
        mine = set(self.scope_districts or ())
        return next((g for g, members in districts.DISTRICT_GROUPS.items()
                     if mine and set(members) == mine), None)

    def area_th(self) -> str:
        """The area in Thai: เขตบางรัก, กลุ่มกรุงธนใต้ (7 เขต), or กรุงเทพมหานคร."""
        if self.group:
            return f"กลุ่ม{self.group} ({len(self.scope_districts or ())} เขต)"
        if self.scope_districts:
            return ", ".join(f"เขต{d}" for d in self.scope_districts)
        return f"เขต{self.district}" if self.district else "กรุงเทพมหานคร"

    def area_en(self) -> str:
        if self.group:
            return f"{districts.GROUP_ENGLISH[self.group]} ({len(self.scope_districts or ())} districts)"
        if self.districts:
            return ", ".join(districts.ENGLISH_NAMES.get(d, d) for d in self.districts)
        return "Bangkok"

    def shown_stage(self, now: dt.datetime) -> str:
        """The stage staff see: an open hearing past its closing time is ``closed``,
        one whose window has not started ``scheduled``."""
        if self.stage != "open" or self.opens_at <= now < self.closes_at:
            return self.stage
        return "closed" if now >= self.closes_at else "scheduled"

    def accepting(self, now: dt.datetime) -> bool:
        """True while answers and registrations are taken."""
        return self.stage == "open" and self.opens_at <= now < self.closes_at

    def includes(self, district: str | None) -> bool:
        """True when a resident of ``district`` is in the area (city-wide: any district)."""
        area = self.districts
        return district is not None and (area is None or district in area)


_SELECT = """SELECT p.id, p.title, p.district, p.scope_districts, p.fiscal_year, p.stage,
                    p.opens_at, p.closes_at, p.created_by, h.title_en, h.intro, h.summary,
                    h.invited_at, h.invited, h.published_at, h.result_notice_at, h.version
               FROM processes p JOIN hearing_info h ON h.process_id = p.id
              WHERE p.kind = 'hearing'"""


def _area(area: str) -> tuple[str | None, list[str] | None]:
    """(district, scope_districts) of a form's area value.

    Raises:
        HearingError("bad_area").
    """
    if area == "city":
        return None, None
    if area.startswith("group:") and area[6:] in districts.DISTRICT_GROUPS:
        return None, list(districts.DISTRICT_GROUPS[area[6:]])
    if districts.is_district(area):
        return area, None
    raise HearingError("bad_area")


def check_write(scope: Scope, area: tuple[str, ...] | None) -> None:
    """Raise unless ``scope`` may change a hearing of ``area`` (every district of it;
    the whole city: admins only).

    Raises:
        ReadOnlyError, ScopeError.
    """
    if area is None:
        scope.check(None, write=True)
        return
    for district in area:
        scope.check(district, write=True)


def _visible(scope: Scope, hearing: Hearing) -> bool:
    area = hearing.districts
    if scope.districts is None:
        return True
    return area is not None and any(d in scope.districts for d in area)


def _window(opens_on: dt.date, closes_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(opens_on, dt.time(0, 0), tzinfo=BANGKOK)
    end = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BANGKOK)
    return start, end


def checked(scope: Scope, fields: HearingFields
            ) -> tuple[str, str | None, list[str] | None, dt.datetime, dt.datetime]:
    """Check staff input: (title, district, scope_districts, opens_at, closes_at). Raises
    HearingError (``title_required``, ``title_too_long``, ``bad_area``, ``bad_dates``,
    ``no_questions``, ``session_before_open``), ScopeError or ReadOnlyError (area)."""
    title = " ".join(fields.title.split())
    if not title:
        raise HearingError("title_required")
    if len(title) > 200 or len(fields.title_en) > 200 or len(fields.intro) > 2000:
        raise HearingError("title_too_long")
    district, scope_districts = _area(fields.area)
    check_write(scope, tuple(scope_districts) if scope_districts
                else ((district,) if district else None))
    if fields.closes_on < fields.opens_on:
        raise HearingError("bad_dates")
    if not fields.questions:
        raise HearingError("no_questions")
    opens_at, closes_at = _window(fields.opens_on, fields.closes_on)
    if fields.session is not None and not opens_at <= fields.session.starts_at:
        raise HearingError("session_before_open")
    return title, district, scope_districts, opens_at, closes_at


def insert_questions(conn: psycopg.Connection, hearing_id: int, fields: HearingFields) -> None:
    """Store the questions (positions from 1) and the optional session of ``fields``."""
    for position, question in enumerate(fields.questions, start=1):
        conn.execute(
            """INSERT INTO hearing_questions (process_id, position, kind, prompt, options)
               VALUES (%s, %s, %s, %s, %s)""",
            (hearing_id, position, question.kind, question.prompt, question.options))
    if fields.session is not None:
        conn.execute(
            "INSERT INTO hearing_sessions (process_id, place, starts_at, capacity) "
            "VALUES (%s, %s, %s, %s)",
            (hearing_id, fields.session.place, fields.session.starts_at, fields.session.capacity))


def create(conn: psycopg.Connection, scope: Scope, fields: HearingFields) -> int:
    """Save a draft hearing with its questions and optional session; returns its id.

    Audited as ``hearing.create``. The caller owns the transaction.

    Raises:
        HearingError, ScopeError, ReadOnlyError: see :func:`checked`.
    """
    title, district, scope_districts, opens_at, closes_at = checked(scope, fields)
    row = conn.execute(
        """INSERT INTO processes (kind, title, district, scope_districts, fiscal_year, stage,
                                  opens_at, closes_at, created_by)
           VALUES ('hearing', %s, %s, %s, %s, 'draft', %s, %s, %s) RETURNING id""",
        (title, district, scope_districts, fiscal_year_be(fields.opens_on), opens_at, closes_at,
         scope.staff_id)).fetchone()
    assert row is not None
    hearing_id = int(row[0])
    conn.execute("INSERT INTO hearing_info (process_id, title_en, intro) VALUES (%s, %s, %s)",
                 (hearing_id, fields.title_en.strip(), fields.intro.strip()))
    insert_questions(conn, hearing_id, fields)
    audit.record(conn, scope, "hearing.create", "hearing", hearing_id, district=district,
                 after={"title": title, "area": fields.area, "questions": len(fields.questions),
                        "opens_on": fields.opens_on.isoformat(),
                        "closes_on": fields.closes_on.isoformat(),
                        "session": fields.session is not None})
    return hearing_id


# --- reading ----------------------------------------------------------------------------


def load(conn: psycopg.Connection, hearing_id: int, *, lock: bool = False) -> Hearing | None:
    """A hearing by id, no scope check (LINE, the public page); None if missing."""
    with conn.cursor(row_factory=class_row(Hearing)) as cur:
        cur.execute(f"{_SELECT} AND p.id = %s" + (" FOR UPDATE OF p, h" if lock else ""),
                    (hearing_id,))
        return cur.fetchone()


def get(conn: psycopg.Connection, scope: Scope, hearing_id: int) -> Hearing:
    """A hearing the staff member may see (one of its districts is theirs).

    Raises:
        ScopeError: missing or outside the scope (both look the same: 404).
    """
    found = load(conn, hearing_id)
    if found is None or not _visible(scope, found):
        raise ScopeError(f"no hearing {hearing_id} in scope")
    return found


def list_hearings(conn: psycopg.Connection, scope: Scope, limit: int = 200) -> list[Hearing]:
    """Newest first, those the staff member may see."""
    with conn.cursor(row_factory=class_row(Hearing)) as cur:
        cur.execute(f"""{_SELECT} AND (%(scope_all)s
                         OR p.district = ANY(%(scope_districts)s)
                         OR p.scope_districts && %(scope_districts)s::text[])
                        ORDER BY p.id DESC LIMIT %(limit)s""", {**scope.params(), "limit": limit})
        return cur.fetchall()


def lock_for_change(conn: psycopg.Connection, scope: Scope, hearing_id: int,
                    version: int | None) -> Hearing:
    """Lock a hearing for a staff change: scope (every district), write permission, version.

    Raises:
        ScopeError, ReadOnlyError, HearingConflict.
    """
    conn.execute("SET LOCAL lock_timeout = '10s'")
    found = load(conn, hearing_id, lock=True)
    if found is None or not _visible(scope, found):
        raise ScopeError(f"no hearing {hearing_id} in scope")
    check_write(scope, found.districts)
    if version is not None and found.version != version:
        raise HearingConflict(hearing_id)
    return found


def now(conn: psycopg.Connection) -> dt.datetime:
    """The database's now() (what windows are compared with)."""
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


# --- steps --------------------------------------------------------------------------------


def _bump(conn: psycopg.Connection, hearing_id: int, **info: Any) -> None:
    sets = "".join(f", {name} = %({name})s" for name in info)
    conn.execute(f"UPDATE hearing_info SET version = version + 1{sets} WHERE process_id = %(id)s",
                 {**info, "id": hearing_id})


def open_(conn: psycopg.Connection, scope: Scope, hearing_id: int, version: int,
          compose: Compose, *, at: dt.datetime | None = None) -> tuple[int, list[int]]:
    """Draft → open, and invite the residents of the area through the outbox.

    The invitations go when the window opens, moved out of quiet hours (21:00–08:00
    Bangkok, :func:`pb.announcement_delivery.next_allowed`). Audited as ``hearing.open``.

    Returns:
        (residents invited, outbox ids to deliver after the commit).

    Raises:
        HearingError("not_draft", "closed_already"), HearingConflict, ScopeError,
        ReadOnlyError.
    """
    found = lock_for_change(conn, scope, hearing_id, version)
    if found.stage != "draft":
        raise HearingError("not_draft")
    current = at or now(conn)
    if found.closes_at <= current:
        raise HearingError("closed_already")
    conn.execute("UPDATE processes SET stage = 'open' WHERE id = %s", (hearing_id,))
    people = invitees(conn, found.districts)
    send_at = announcement_delivery.next_allowed(max(current, found.opens_at))
    ids = notify(conn, hearing_id, found.district, people, compose, send_at, "hearing_invite")
    _bump(conn, hearing_id, invited_at=current, invited=len(people))
    audit.record(conn, scope, "hearing.open", "hearing", hearing_id, district=found.district,
                 after={"invited": len(people), "not_before": send_at.isoformat()})
    return len(people), ids


def close(conn: psycopg.Connection, scope: Scope, hearing_id: int, version: int) -> None:
    """Open → closed now (no more answers). Audited as ``hearing.close``.

    Raises:
        HearingError("not_open"), HearingConflict, ScopeError, ReadOnlyError.
    """
    found = lock_for_change(conn, scope, hearing_id, version)
    if found.stage != "open":
        raise HearingError("not_open")
    conn.execute("UPDATE processes SET stage = 'closed', closes_at = least(closes_at, now()) "
                 "WHERE id = %s", (hearing_id,))
    _bump(conn, hearing_id)
    audit.record(conn, scope, "hearing.close", "hearing", hearing_id, district=found.district,
                 after={"stage": "closed"})


def publish(conn: psycopg.Connection, scope: Scope, hearing_id: int, version: int,
            summary: str, compose: Compose) -> tuple[int, list[int]]:
    """Publish the summary (``/hearings/<id>``) and tell everyone who answered, once.

    An open hearing is closed first. The notice waits for 08:00 in quiet hours.
    Audited as ``hearing.publish``.

    Returns:
        (residents told, outbox ids to deliver after the commit).

    Raises:
        HearingError("not_closable", "summary_too_long"), HearingConflict, ScopeError,
        ReadOnlyError.
    """
    found = lock_for_change(conn, scope, hearing_id, version)
    if found.stage not in ("open", "closed"):
        raise HearingError("not_closable")
    summary = summary.strip()
    if len(summary) > 20000:
        raise HearingError("summary_too_long")
    conn.execute("UPDATE processes SET stage = 'published', closes_at = least(closes_at, now()) "
                 "WHERE id = %s", (hearing_id,))
    people = answerers(conn, hearing_id)
    ids = notify(conn, hearing_id, found.district, people, compose, now(conn), "hearing_summary")
    conn.execute("UPDATE hearing_info SET published_at = now(), result_notice_at = now(), "
                 "published_by = %s WHERE process_id = %s", (scope.staff_id, hearing_id))
    _bump(conn, hearing_id, summary=summary)
    audit.record(conn, scope, "hearing.publish", "hearing", hearing_id, district=found.district,
                 after={"told": len(people), "summary_chars": len(summary)})
    return len(people), ids


# --- the contract with "what's open" and the indicator panel (issue 18) -------------------


def open_items(conn: psycopg.Connection, district: str | None) -> list[OpenItem]:
    """Hearings a resident of ``district`` can answer now, soonest closing first.

    ``district`` None (not chosen yet): city-wide hearings only. The postback
    ``a=hear&c=start&p=<id>`` starts answering (:mod:`bot.handlers.hearing`).
    """
    rows = conn.execute(
        """SELECT p.id, p.title, p.closes_at, h.title_en
             FROM processes p JOIN hearing_info h ON h.process_id = p.id
            WHERE p.kind = 'hearing' AND p.stage = 'open' AND p.opens_at <= now()
              AND (p.closes_at IS NULL OR p.closes_at > now())
              AND ((p.district IS NULL AND p.scope_districts IS NULL)
                   OR p.district = %(d)s OR %(d)s = ANY(p.scope_districts))
            ORDER BY p.closes_at NULLS LAST, p.id""", {"d": district}).fetchall()
    return [OpenItem("hearing", int(r[0]), r[1], r[2], f"a=hear&c=start&p={int(r[0])}",
                     r[3] or "") for r in rows]


def indicator(conn: psycopg.Connection, fiscal_year: int) -> Indicator:
    """BMA indicator: share of district offices that held a hearing in fiscal year
    ``fiscal_year`` (BE) where residents proposed directions for their area.

    A district meets it when a hearing of the year that is not a draft includes it in
    its area (a group's hearing counts for each district of the group; a city-wide
    one for all 50) and at least one resident answered it (issue 18 contract).
    detail: ``hearings`` held (not drafts), ``hearings_answered``, ``respondents``
    (distinct residents), ``answers``.
    """
    rows = conn.execute(
        """SELECT p.id, p.district, p.scope_districts,
                  (SELECT count(*) FROM hearing_answers a WHERE a.process_id = p.id),
                  (SELECT count(DISTINCT coalesce(a.resident_id, -a.id))
                     FROM hearing_answers a WHERE a.process_id = p.id)
             FROM processes p
            WHERE p.kind = 'hearing' AND p.stage <> 'draft' AND p.fiscal_year = %s""",
        (fiscal_year,)).fetchall()
    met: set[str] = set()
    answered = answers = respondents = 0
    for _id, district, scope_districts, n_answers, n_people in rows:
        answers += int(n_answers)
        respondents += int(n_people)
        if not n_answers:
            continue
        answered += 1
        met.update(scope_districts or ([district] if district else districts.THAI_NAMES))
    return Indicator("hearing", frozenset(met), len(districts.THAI_NAMES),
                     {"hearings": len(rows), "hearings_answered": answered,
                      "respondents": respondents, "answers": answers})


def questions_of(conn: psycopg.Connection, hearing_id: int) -> list[Question]:
    """The hearing's questions in order."""
    with conn.cursor(row_factory=class_row(Question)) as cur:
        cur.execute("SELECT id, process_id, position, kind, prompt, options FROM "
                    "hearing_questions WHERE process_id = %s ORDER BY position", (hearing_id,))
        return cur.fetchall()

