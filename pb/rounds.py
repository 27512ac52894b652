"""Voting rounds (BMA PB stage 3, ลงความคิดเห็น): the envelope, the ballot, the quorum, the window.

A round puts projects that are ready for the vote before the residents of
one district, or of the whole city, with a budget envelope in integer baht.
Ballot types (as in Decidim and Stanford PB):

* ``approval``: pick at most ``max_picks`` (k) projects;
* ``knapsack``: pick any set whose total cost fits the envelope (Goel et
  al., "Knapsack Voting for Participatory Budgeting", ACM TEAC 2019);
* ``cumulative``: points per project; only for rounds imported from a
  pabulib ``.pb`` file, never offered in LINE.

The quorum is a number of ballots or a percentage of the consenting
residents in scope (DESIGN.md "Voting and tallying"): results are "not
valid" until turnout reaches it. The tally rule is ``greedy`` or ``mes``
(:mod:`pb.tally`, pabutools).

States: draft → open → closed → tallied → published. Only a draft is
edited; ``open`` takes ballots between ``opens_at`` and ``closes_at``
(before ``opens_at`` it is "scheduled"); the close job moves it to
``closed`` at ``closes_at`` and the tally to ``tallied``; staff publish.
Projects are frozen into ``round_projects`` (title, description, cost)
when the round is saved, so a later edit of a project never changes a
ballot residents already saw. Every staff change is audited and carries
the round's ``version`` (optimistic concurrency, as for projects).

This module holds the round types and reads, the lock for a change and the
jobs' state steps (close, notice claims); staff changes are
:mod:`pb.round_changes`, pabulib import and export :mod:`pb.round_io`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb.scope import Scope, ScopeError

STATES = ("draft", "open", "closed", "tallied", "published")
BALLOT_TYPES = ("approval", "knapsack")          # offered to staff (cumulative: imports only)
RULES = ("greedy", "mes")
QUORUM_KINDS = ("ballots", "percent")
MAX_BUDGET_BAHT = 1_000_000_000_000
MAX_PROJECTS = 500


class RoundError(ValueError):
    """Bad round data or a step not allowed now; nothing changed.

    Attributes:
        code: stable name the admin translates (``admin.rounds.ERRORS``).
        values: values for that message.
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(f"{code} {values}" if values else code)
        self.code, self.values = code, values


class RoundConflict(Exception):
    """Another staff member changed the round after this one loaded it."""

    def __init__(self, round_id: int) -> None:
        super().__init__(f"voting round {round_id} changed")
        self.round_id = round_id


@dataclass
class RoundFields:
    """What staff fill in. Money is integer baht; times are timezone-aware.

    Attributes:
        project_ids: ``projects.id`` of the projects on the ballot, in ballot order.
        quorum_value: ballots (``quorum_kind="ballots"``, a whole number) or a
            percentage 0–100 of consenting residents in scope (``"percent"``).
        mes_increment: MES completion step, baht per voter per step; None =
            pb.tally's default (1% of the initial share), 1 = exact Add1.
    """

    title: str
    district: str | None
    budget_baht: int
    ballot_type: str
    max_picks: int | None
    quorum_kind: str
    quorum_value: decimal.Decimal | int
    opens_at: dt.datetime
    closes_at: dt.datetime
    rule: str
    project_ids: list[int] = field(default_factory=list)
    mes_increment: int | None = None

    def as_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["opens_at"] = self.opens_at.isoformat()
        out["closes_at"] = self.closes_at.isoformat()
        out["quorum_value"] = str(self.quorum_value)
        return out


@dataclass
class Round:
    id: int
    process_id: int | None
    origin: str
    title: str
    district: str | None
    budget_baht: int
    currency: str
    ballot_type: str
    max_picks: int | None
    quorum_kind: str
    quorum_ballots: int | None
    quorum_percent: decimal.Decimal | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    rule: str
    mes_increment: int | None
    state: str
    meta: dict[str, Any]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    open_notice_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    result_notice_at: dt.datetime | None

    @property
    def city_wide(self) -> bool:
        return self.district is None

    @property
    def quorum_value(self) -> decimal.Decimal | int:
        return self.quorum_ballots if self.quorum_kind == "ballots" else self.quorum_percent

    def other_rule(self) -> str:
        return "mes" if self.rule == "greedy" else "greedy"

    def accepting(self, now: dt.datetime) -> bool:
        """True while chat ballots are taken: open, and ``opens_at <= now < closes_at``."""
        return self.state == "open" and self.opens_at <= now < self.closes_at

    def fields(self, project_ids: list[int]) -> RoundFields:
        return RoundFields(title=self.title, district=self.district, budget_baht=self.budget_baht,
                           ballot_type=self.ballot_type, max_picks=self.max_picks,
                           quorum_kind=self.quorum_kind, quorum_value=self.quorum_value,
                           opens_at=self.opens_at, closes_at=self.closes_at, rule=self.rule,
                           project_ids=project_ids, mes_increment=self.mes_increment)


@dataclass
class RoundProject:
    """A project as it stands on a round's ballot.

    Attributes:
        id: ``round_projects.id`` (what postbacks and ballot choices name).
        code: the id used on paper ballots, in ``.pb`` files and by the tally.
        cost_baht: integer baht (the file's currency for a pabulib import).
    """

    id: int
    round_id: int
    project_id: int | None
    code: str
    title: str
    description: str
    cost_baht: int
    position: int
    extra: dict[str, Any] = field(default_factory=dict)


_COLUMNS = """id, process_id, origin, title, district, budget_baht, currency, ballot_type, max_picks,
              quorum_kind, quorum_ballots, quorum_percent, opens_at, closes_at, rule,
              mes_increment, state, meta, version, created_at, updated_at, open_notice_at,
              closed_at, published_at, result_notice_at"""
_PROJECT_COLUMNS = "id, round_id, project_id, code, title, description, cost_baht, position, extra"


# --- reading ------------------------------------------------------------------


def load(conn: psycopg.Connection, round_id: int, *, lock: str | None = None) -> Round | None:
    """A round by id with no scope check (jobs, LINE, the public page); None if missing.

    Args:
        lock: ``"update"`` (state changes: close, tally, publish) or
            ``"key share"`` (a ballot being cast: blocks a concurrent close
            until it commits, never another ballot).
    """
    suffix = {None: "", "update": " FOR UPDATE", "key share": " FOR KEY SHARE"}[lock]
    with conn.cursor(row_factory=class_row(Round)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM voting_rounds WHERE id = %s{suffix}", (round_id,))
        return cur.fetchone()


def get(conn: psycopg.Connection, scope: Scope, round_id: int) -> Round:
    """A round the staff member may see.

    Raises:
        ScopeError: missing, or its district (or city-wide) is outside the scope.
    """
    round_ = load(conn, round_id)
    if round_ is None or not scope.allows(round_.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    return round_


def list_rounds(conn: psycopg.Connection, scope: Scope, *, limit: int = 200) -> list[Round]:
    """Newest first; city-wide rounds only for staff who reach every district."""
    with conn.cursor(row_factory=class_row(Round)) as cur:
        cur.execute(
            f"""SELECT {_COLUMNS} FROM voting_rounds
                 WHERE (%(scope_all)s OR district = ANY(%(scope_districts)s))
                 ORDER BY id DESC LIMIT %(limit)s""", {**scope.params(), "limit": limit})
        return cur.fetchall()


def projects_of(conn: psycopg.Connection, round_id: int) -> list[RoundProject]:
    """The round's projects in ballot order."""
    with conn.cursor(row_factory=class_row(RoundProject)) as cur:
        cur.execute(f"SELECT {_PROJECT_COLUMNS} FROM round_projects WHERE round_id = %s "
                    "ORDER BY position", (round_id,))
        return cur.fetchall()


def projects_by_id(conn: psycopg.Connection, round_id: int, ids: list[int]) -> list[RoundProject]:
    """The round's projects among ``ids`` (``round_projects.id``); others are left out."""
    with conn.cursor(row_factory=class_row(RoundProject)) as cur:
        cur.execute(f"SELECT {_PROJECT_COLUMNS} FROM round_projects WHERE round_id = %s "
                    "AND id = ANY(%s) ORDER BY position", (round_id, ids))
        return cur.fetchall()


def open_for(conn: psycopg.Connection, district: str) -> list[Round]:
    """Rounds a resident of ``district`` can vote in now: open, in the window, their
    district's or city-wide; oldest closing first."""
    with conn.cursor(row_factory=class_row(Round)) as cur:
        cur.execute(
            f"""SELECT {_COLUMNS} FROM voting_rounds
                 WHERE state = 'open' AND origin = 'siang' AND opens_at <= now()
                   AND closes_at > now() AND (district IS NULL OR district = %s)
                 ORDER BY closes_at, id""", (district,))
        return cur.fetchall()


def upcoming_for(conn: psycopg.Connection, district: str) -> Round | None:
    """The next scheduled round (open, not started yet) for ``district``, if any."""
    with conn.cursor(row_factory=class_row(Round)) as cur:
        cur.execute(
            f"""SELECT {_COLUMNS} FROM voting_rounds
                 WHERE state = 'open' AND origin = 'siang' AND opens_at > now()
                   AND (district IS NULL OR district = %s)
                 ORDER BY opens_at, id LIMIT 1""", (district,))
        return cur.fetchone()


def recently_closed_for(conn: psycopg.Connection, district: str) -> Round | None:
    """The round of ``district`` (or city-wide) that closed last, if any."""
    with conn.cursor(row_factory=class_row(Round)) as cur:
        cur.execute(
            f"""SELECT {_COLUMNS} FROM voting_rounds
                 WHERE origin = 'siang' AND state <> 'draft' AND closes_at <= now()
                   AND (district IS NULL OR district = %s)
                 ORDER BY closes_at DESC, id DESC LIMIT 1""", (district,))
        return cur.fetchone()


def due_to_notify(conn: psycopg.Connection) -> list[int]:
    """Open rounds whose window has started and whose residents were not told yet."""
    return [int(r[0]) for r in conn.execute(
        """SELECT id FROM voting_rounds WHERE state = 'open' AND origin = 'siang'
              AND open_notice_at IS NULL AND opens_at <= now() AND closes_at > now()
            ORDER BY id""").fetchall()]


def due_to_close(conn: psycopg.Connection) -> list[int]:
    """Open rounds past their closing time (the close job tallies them)."""
    return [int(r[0]) for r in conn.execute(
        "SELECT id FROM voting_rounds WHERE state = 'open' AND closes_at <= now() ORDER BY id"
    ).fetchall()]


def due_to_tally(conn: psycopg.Connection) -> list[int]:
    """Siang rounds closed but not tallied yet (a tally job that was never enqueued or died)."""
    return [int(r[0]) for r in conn.execute(
        "SELECT id FROM voting_rounds WHERE state = 'closed' AND origin = 'siang' ORDER BY id"
    ).fetchall()]


def due_to_tell_result(conn: psycopg.Connection) -> list[int]:
    """Published rounds whose voters were not told the result yet."""
    return [int(r[0]) for r in conn.execute(
        """SELECT id FROM voting_rounds WHERE state = 'published' AND origin = 'siang'
              AND result_notice_at IS NULL ORDER BY id""").fetchall()]


def electorate(conn: psycopg.Connection, district: str | None) -> int:
    """Consenting residents in scope now (a percent quorum's base): following, not
    erased, with a district (any district for a city-wide round)."""
    row = conn.execute(
        """SELECT count(*) FROM residents
            WHERE consent_at IS NOT NULL AND erased_at IS NULL AND followed
              AND district IS NOT NULL AND (%(d)s::text IS NULL OR district = %(d)s)""",
        {"d": district}).fetchone()
    return int(row[0]) if row else 0


def quorum_required(round_: Round, electorate_now: int | None) -> int:
    """Ballots needed for the results to count.

    ``ballots`` quorum: that number. ``percent``: ceil(percent x electorate / 100),
    electorate = consenting residents in scope (:func:`electorate`).
    """
    if round_.quorum_kind == "ballots":
        return int(round_.quorum_ballots or 0)
    share = decimal.Decimal(round_.quorum_percent or 0) * decimal.Decimal(electorate_now or 0) / 100
    return int(math.ceil(share))



def lock_for_change(conn: psycopg.Connection, scope: Scope, round_id: int, version: int | None
                    ) -> Round:
    """Lock a round for a staff change; checks scope, write permission and version.

    Raises:
        ScopeError, ReadOnlyError, RoundConflict (``version`` given and different).
    """
    conn.execute("SET LOCAL lock_timeout = '10s'")
    round_ = load(conn, round_id, lock="update")
    if round_ is None or not scope.allows(round_.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    scope.check(round_.district, write=True)
    if version is not None and round_.version != version:
        raise RoundConflict(round_id)
    return round_


def close_due(conn: psycopg.Connection, round_id: int) -> bool:
    """Open → closed once ``closes_at`` has passed; in-progress picks are dropped.

    The round row is locked FOR UPDATE, which waits for ballots being cast
    (they hold FOR KEY SHARE) to commit; any later cast sees the round closed.

    Returns:
        True if the round was closed now, False if it was not due or not open.
    """
    round_ = load(conn, round_id, lock="update")
    if round_ is None or round_.state != "open":
        return False
    row = conn.execute("SELECT now() >= %s", (round_.closes_at,)).fetchone()
    if not row or not row[0]:
        return False
    conn.execute("UPDATE voting_rounds SET state = 'closed', closed_at = now(), "
                 "version = version + 1, updated_at = now() WHERE id = %s", (round_id,))
    conn.execute("DELETE FROM ballot_drafts WHERE round_id = %s", (round_id,))
    return True


def mark_open_notice(conn: psycopg.Connection, round_id: int) -> bool:
    """Claim the "voting is open" notice of a round; False if already sent (or not due)."""
    row = conn.execute(
        """UPDATE voting_rounds SET open_notice_at = now()
            WHERE id = %s AND state = 'open' AND open_notice_at IS NULL AND origin = 'siang'
              AND opens_at <= now() AND closes_at > now() RETURNING id""", (round_id,)).fetchone()
    return row is not None


def mark_result_notice(conn: psycopg.Connection, round_id: int) -> bool:
    """Claim the result notice of a published round; False if already sent."""
    row = conn.execute(
        """UPDATE voting_rounds SET result_notice_at = now()
            WHERE id = %s AND state = 'published' AND result_notice_at IS NULL
              AND origin = 'siang' RETURNING id""", (round_id,)).fetchone()
    return row is not None


def residents_in_scope(conn: psycopg.Connection, district: str | None) -> list[tuple[str, str]]:
    """(LINE user id, language) of residents to tell a round opened: consenting,
    following, not opted out of news, with a district in scope; by resident id."""
    rows = conn.execute(
        """SELECT line_user_id, language FROM residents
            WHERE consent_at IS NOT NULL AND erased_at IS NULL AND followed
              AND line_user_id IS NOT NULL AND NOT announcements_opt_out
              AND district IS NOT NULL AND (%(d)s::text IS NULL OR district = %(d)s)
            ORDER BY id""", {"d": district}).fetchall()
    return [(r[0], r[1]) for r in rows]
