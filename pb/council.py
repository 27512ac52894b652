"""The district city council (สภาคนเมืองประจำเขต): councils, members, meetings (issue 18).

Each district office sets up one council committee of resident groups, which
meets at least once a month to coordinate residents, the district office and
the BMA (Bangkok 20-year plan, strategy 5.2). In Siang:

* a council per district (:func:`create_council`) with its members: name,
  group represented, term (dates shown to staff and residents in BE);
* meetings: date, place, agenda, minutes. Each meeting's call for
  questions is a ``processes`` row of kind ``council`` whose
  ``opens_at``/``closes_at`` is the question window; scheduling, opening
  the window, the agenda and publishing the minutes with a response per
  question group are :mod:`pb.council_meetings`;
* residents' questions, their grouping and supports, and who was told the
  responses are :mod:`pb.council_questions`.

The contract with the "what's open" list and the indicator panel (issue 18):
:func:`open_items`, :func:`indicator` (key ``council``: the district
established a council, i.e. a council with at least one member serving in the
fiscal year) and :func:`indicator_monthly` (key ``council_monthly``: the
council met in every month of the fiscal year up to today).

Every write takes a :class:`pb.scope.Scope` and is audited (:mod:`pb.audit`);
the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, districts
from pb.processes import Indicator, OpenItem
from pb.scope import Scope, ScopeError
from pb.thaidate import BANGKOK, BE_OFFSET, be_date

NAME_MAX = 200
PLACE_MAX = 300
AGENDA_MAX = 8000
MINUTES_MAX = 20000


class CouncilError(ValueError):
    """Bad council input or a step not allowed now; nothing changed.

    Attributes:
        code: stable name (``admin.council.ERRORS`` has the staff's text).
        values: values for the message.
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code, self.values = code, values


class CouncilConflict(Exception):
    """The meeting changed after this page was loaded (its version moved on)."""


@dataclass
class Council:
    id: int
    district: str
    name: str
    established_on: dt.date
    members: int = 0
    meetings: int = 0


@dataclass
class Member:
    id: int
    council_id: int
    name: str
    group_represented: str
    term_starts_on: dt.date
    term_ends_on: dt.date


@dataclass
class Meeting:
    """A council meeting with its question window (its ``processes`` row)."""

    id: int
    council_id: int
    process_id: int
    district: str
    council_name: str
    meets_at: dt.datetime
    place: str
    agenda: str
    minutes: str
    stage: str                      # the process's: draft, open, closed, published
    opens_at: dt.datetime
    closes_at: dt.datetime
    published_at: dt.datetime | None
    announcement_id: int | None
    version: int
    title: str = ""

    def window(self, now: dt.datetime) -> str:
        """``draft``, ``scheduled`` (open, not started), ``open``, ``closed`` or ``published``."""
        if self.stage in ("draft", "published"):
            return self.stage
        if self.stage == "open" and now < self.opens_at:
            return "scheduled"
        if self.stage == "open" and now < self.closes_at:
            return "open"
        return "closed"


# --- councils and members -------------------------------------------------------------------

_COUNCIL = """SELECT c.id, c.district, c.name, c.established_on,
                     (SELECT count(*) FROM council_members m WHERE m.council_id = c.id)::int AS members,
                     (SELECT count(*) FROM council_meetings g WHERE g.council_id = c.id)::int AS meetings
                FROM council_committees c"""


def required_text(value: str, limit: int, code: str) -> str:
    """``value`` stripped; CouncilError ``code`` when empty, ``too_long`` past ``limit``."""
    value = (value or "").strip()
    if not value:
        raise CouncilError(code)
    if len(value) > limit:
        raise CouncilError("too_long", limit=limit)
    return value


def create_council(conn: psycopg.Connection, scope: Scope, district: str, name: str,
                   established_on: dt.date) -> int:
    """Set up a district's council (one per district); returns its id.

    Audited as ``council.create``.

    Raises:
        CouncilError: ``bad_district``, ``name_required``, ``too_long``, ``exists``.
        ScopeError / ReadOnlyError: outside the staff member's scope.
    """
    if not districts.is_district(district):
        raise CouncilError("bad_district")
    scope.check(district, write=True)
    name = required_text(name, NAME_MAX, "name_required")
    row = conn.execute(
        """INSERT INTO council_committees (district, name, established_on, created_by)
           VALUES (%s, %s, %s, %s) ON CONFLICT (district) DO NOTHING RETURNING id""",
        (district, name, established_on, scope.staff_id)).fetchone()
    if row is None:
        raise CouncilError("exists")
    audit.record(conn, scope, "council.create", "council", int(row[0]), district=district,
                 after={"name": name, "established_on": established_on.isoformat()})
    return int(row[0])


def list_councils(conn: psycopg.Connection, scope: Scope) -> list[Council]:
    """The councils of the scope's districts, in district order (Thai)."""
    with conn.cursor(row_factory=class_row(Council)) as cur:
        cur.execute(f"{_COUNCIL} WHERE {scope.where('c.district')} ORDER BY c.district",
                    scope.params())
        return cur.fetchall()


def get_council(conn: psycopg.Connection, scope: Scope, council_id: int) -> Council:
    """Raises ScopeError when missing or outside the scope (both look the same)."""
    with conn.cursor(row_factory=class_row(Council)) as cur:
        cur.execute(f"{_COUNCIL} WHERE c.id = %(id)s AND {scope.where('c.district')}",
                    {**scope.params(), "id": council_id})
        found = cur.fetchone()
    if found is None:
        raise ScopeError(f"no council {council_id} in scope")
    return found


def council_of_district(conn: psycopg.Connection, district: str) -> Council | None:
    """A district's council, for the public page; None if it has none."""
    with conn.cursor(row_factory=class_row(Council)) as cur:
        cur.execute(f"{_COUNCIL} WHERE c.district = %s", (district,))
        return cur.fetchone()


def members(conn: psycopg.Connection, council_id: int) -> list[Member]:
    """A council's members, longest-serving first."""
    with conn.cursor(row_factory=class_row(Member)) as cur:
        cur.execute("""SELECT id, council_id, name, group_represented, term_starts_on, term_ends_on
                         FROM council_members WHERE council_id = %s
                        ORDER BY term_starts_on, id""", (council_id,))
        return cur.fetchall()


def add_member(conn: psycopg.Connection, scope: Scope, council_id: int, name: str,
               group_represented: str, term_starts_on: dt.date, term_ends_on: dt.date) -> int:
    """Add a member for a term; returns the member id (audited as ``council.member_add``).

    Raises:
        CouncilError: ``name_required``, ``group_required``, ``too_long``, ``bad_term``.
        ScopeError / ReadOnlyError.
    """
    council = get_council(conn, scope, council_id)
    scope.check(council.district, write=True)
    name = required_text(name, NAME_MAX, "name_required")
    group = required_text(group_represented, NAME_MAX, "group_required")
    if term_ends_on < term_starts_on:
        raise CouncilError("bad_term")
    row = conn.execute(
        """INSERT INTO council_members (council_id, name, group_represented, term_starts_on,
                                        term_ends_on) VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (council_id, name, group, term_starts_on, term_ends_on)).fetchone()
    assert row is not None
    audit.record(conn, scope, "council.member_add", "council", council_id,
                 district=council.district,
                 after={"name": name, "group": group, "term": f"{be_date(term_starts_on)}–"
                                                           f"{be_date(term_ends_on)}"})
    return int(row[0])


def remove_member(conn: psycopg.Connection, scope: Scope, council_id: int, member_id: int) -> None:
    """Remove a member entered by mistake (audited as ``council.member_remove``).

    Raises:
        ScopeError: the council or the member is missing or outside the scope.
    """
    council = get_council(conn, scope, council_id)
    scope.check(council.district, write=True)
    row = conn.execute("DELETE FROM council_members WHERE id = %s AND council_id = %s "
                       "RETURNING name", (member_id, council_id)).fetchone()
    if row is None:
        raise ScopeError(f"no member {member_id}")
    audit.record(conn, scope, "council.member_remove", "council", council_id,
                 district=council.district, before={"name": row[0]})


# --- meetings --------------------------------------------------------------------------------

_MEETING = """SELECT g.id, g.council_id, g.process_id, c.district, c.name AS council_name,
                     g.meets_at, g.place, g.agenda, g.minutes, p.stage, p.opens_at, p.closes_at,
                     g.published_at, g.announcement_id, g.version, p.title
                FROM council_meetings g
                JOIN council_committees c ON c.id = g.council_id
                JOIN processes p ON p.id = g.process_id"""


def meeting_title(district: str, meets_at: dt.datetime) -> str:
    """The Thai title of a meeting's call for questions (shown in "what's open")."""
    return f"ส่งคำถามถึงสภาคนเมืองเขต{district} ประชุมวันที่ {be_date(meets_at)}"


def meeting_title_en(district: str, meets_at: dt.datetime) -> str:
    """The English title of a meeting's call for questions."""
    local = meets_at.astimezone(BANGKOK)
    return (f"Questions for the {districts.ENGLISH_NAMES.get(district, district)} district "
            f"city council, meeting {local:%d/%m}/{local.year + BE_OFFSET}")


def meetings_of(conn: psycopg.Connection, council_id: int) -> list[Meeting]:
    """A council's meetings, latest first (the caller checked the council's scope)."""
    with conn.cursor(row_factory=class_row(Meeting)) as cur:
        cur.execute(f"{_MEETING} WHERE g.council_id = %s ORDER BY g.meets_at DESC, g.id DESC",
                    (council_id,))
        return cur.fetchall()


def get_meeting(conn: psycopg.Connection, scope: Scope, meeting_id: int) -> Meeting:
    """Raises ScopeError when missing or outside the scope."""
    with conn.cursor(row_factory=class_row(Meeting)) as cur:
        cur.execute(f"{_MEETING} WHERE g.id = %(id)s AND {scope.where('c.district')}",
                    {**scope.params(), "id": meeting_id})
        found = cur.fetchone()
    if found is None:
        raise ScopeError(f"no council meeting {meeting_id} in scope")
    return found


def meeting_of_process(conn: psycopg.Connection, process_id: int) -> Meeting | None:
    """The meeting whose call for questions is process ``process_id`` (no scope: the bot)."""
    with conn.cursor(row_factory=class_row(Meeting)) as cur:
        cur.execute(f"{_MEETING} WHERE g.process_id = %s", (process_id,))
        return cur.fetchone()


def public_meetings(conn: psycopg.Connection, council_id: int) -> list[Meeting]:
    """Meetings residents may see (not drafts), latest first."""
    return [g for g in meetings_of(conn, council_id) if g.stage != "draft"]


# --- what's open, and the BMA indicators ---------------------------------------------------

def open_window_of_district(conn: psycopg.Connection, district: str | None) -> list[Meeting]:
    """Meetings of ``district`` whose question window is open now, soonest closing first."""
    if district is None:
        return []
    with conn.cursor(row_factory=class_row(Meeting)) as cur:
        cur.execute(f"""{_MEETING} WHERE p.kind = 'council' AND p.stage = 'open'
                          AND p.district = %s AND p.opens_at <= now() AND now() < p.closes_at
                        ORDER BY p.closes_at, g.id""", (district,))
        return cur.fetchall()


def open_items(conn: psycopg.Connection, district: str | None) -> list[OpenItem]:
    """Council question windows a resident of ``district`` can send questions to now.

    Councils are per district: a resident with no district (None) gets none.
    Each item's postback (``a=council&c=ask&p=<process id>``) starts the
    question in chat (:mod:`bot.handlers.council`). Soonest closing first.
    """
    return [OpenItem(kind="council", id=g.process_id, title=g.title, closes_at=g.closes_at,
                     postback=f"a=council&c=ask&p={g.process_id}",
                     title_en=meeting_title_en(g.district, g.meets_at))
            for g in open_window_of_district(conn, district)]


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a Thai fiscal year (BE): 1 October to 30 September."""
    ce = fiscal_year - BE_OFFSET
    return dt.date(ce - 1, 10, 1), dt.date(ce, 9, 30)


def indicator(conn: psycopg.Connection, fiscal_year: int) -> Indicator:
    """Key ``council``: districts that established a council in fiscal year ``fiscal_year`` (BE).

    A district counts when its council was set up by the end of the year and
    at least one member's term overlaps the year (the BMA's "established a
    council committee of resident groups"; issue 18).

    detail: ``councils`` (with a member in the year), ``members`` (serving in
    the year), ``meetings`` (held in the year, up to now).
    """
    first, last = fiscal_year_bounds(fiscal_year)
    rows = conn.execute(
        """SELECT c.district, count(DISTINCT m.id)
             FROM council_committees c
             JOIN council_members m ON m.council_id = c.id
            WHERE c.established_on <= %(last)s
              AND m.term_starts_on <= %(last)s AND m.term_ends_on >= %(first)s
            GROUP BY c.district""", {"first": first, "last": last}).fetchall()
    held = conn.execute(
        """SELECT count(*) FROM council_meetings
            WHERE (meets_at AT TIME ZONE 'Asia/Bangkok')::date BETWEEN %s AND %s
              AND meets_at <= now()""", (first, last)).fetchone()
    return Indicator(key="council", districts_met=frozenset(r[0] for r in rows),
                     districts_total=len(districts.THAI_NAMES),
                     detail={"councils": len(rows), "members": sum(int(r[1]) for r in rows),
                             "meetings": int(held[0]) if held else 0})


def _months(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def indicator_monthly(conn: psycopg.Connection, fiscal_year: int,
                      today: dt.date | None = None) -> Indicator:
    """Key ``council_monthly``: districts whose council met in every month of the fiscal
    year ``fiscal_year`` (BE) up to today (this month included; the BMA's "meets at
    least once a month"). A year not started yet counts nobody.

    detail: ``months`` (counted so far), ``councils_meeting`` (met at least once).
    """
    first, last = fiscal_year_bounds(fiscal_year)
    today = today or dt.datetime.now(BANGKOK).date()
    months = _months(first, min(last, today)) if today >= first else []
    rows = conn.execute(
        """SELECT c.district, array_agg(DISTINCT to_char(g.meets_at AT TIME ZONE 'Asia/Bangkok',
                                                          'YYYY-MM'))
             FROM council_committees c JOIN council_meetings g ON g.council_id = c.id
            WHERE (g.meets_at AT TIME ZONE 'Asia/Bangkok')::date BETWEEN %s AND %s
              AND g.meets_at <= now()
            GROUP BY c.district""", (first, min(last, today))).fetchall()
    wanted = {f"{y:04d}-{m:02d}" for y, m in months}
    met = frozenset(d for d, seen in rows if wanted and wanted <= set(seen))
    return Indicator(key="council_monthly", districts_met=met,
                     districts_total=len(districts.THAI_NAMES),
                     detail={"months": len(months), "councils_meeting": len(rows)})
