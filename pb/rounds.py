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
from psycopg.types.json import Jsonb

from pb import audit, districts
from pb.pabulib import PbInstance, PbProject, PbVote
from pb.scope import Scope, ScopeError

STATES = ("draft", "open", "closed", "tallied", "published")
BALLOT_TYPES = ("approval", "knapsack")          # offered to staff (cumulative: imports only)
RULES = ("greedy", "mes")
QUORUM_KINDS = ("ballots", "percent")
MAX_BUDGET_BAHT = 1_000_000_000_000
MAX_PROJECTS = 500
# pabulib vote_type → the round's ballot type (pb.tally.FILE_VOTE_TYPES reads them the same way).
PB_VOTE_TYPES = {"approval": "approval", "choose-1": "approval", "cumulative": "cumulative",
                 "scoring": "cumulative"}


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
    found = load(conn, round_id)
    if found is None or not scope.allows(found.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    return found


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


def quorum_required(found: Round, electorate_now: int | None) -> int:
    """Ballots needed for the results to count.

    ``ballots`` quorum: that number. ``percent``: ceil(percent x electorate / 100),
    electorate = consenting residents in scope (:func:`electorate`).
    """
    if found.quorum_kind == "ballots":
        return int(found.quorum_ballots or 0)
    share = decimal.Decimal(found.quorum_percent or 0) * decimal.Decimal(electorate_now or 0) / 100
    return int(math.ceil(share))


# --- staff changes --------------------------------------------------------------


def candidates(conn: psycopg.Connection, scope: Scope, district: str | None,
               include: list[int] = ()) -> list[tuple[int, str, str, int]]:
    """Projects staff may put on a round of ``district`` (None: city-wide): ready for
    the vote, costed, in the scope; plus ``include`` (already on the round).

    Returns:
        (project id, title, district, estimated cost in baht), by district then id.
    """
    rows = conn.execute(
        f"""SELECT id, title, district, estimated_cost_baht FROM projects
             WHERE ((state = 'ready_for_vote' AND estimated_cost_baht IS NOT NULL)
                    OR id = ANY(%(include)s))
               AND (%(d)s::text IS NULL OR district = %(d)s) AND {scope.where('district')}
             ORDER BY district, id""",
        {**scope.params(), "d": district, "include": list(include)}).fetchall()
    return [(int(i), t, d, int(c or 0)) for i, t, d, c in rows]


def validate(fields: RoundFields, scope: Scope, *, now: dt.datetime | None = None) -> RoundFields:
    """Clean and check what staff typed.

    Raises:
        RoundError: title, district, budget, ballot type, k, quorum, window or
            rule out of range (codes in ``admin.rounds.ERRORS``).
        ScopeError / ReadOnlyError: the district (or city-wide) is outside the scope.
    """
    title = " ".join(fields.title.split())
    if not title:
        raise RoundError("title_required")
    if len(title) > 200:
        raise RoundError("title_too_long", limit=200)
    if fields.district is not None and not districts.is_district(fields.district):
        raise RoundError("bad_district")
    scope.check(fields.district, write=True)
    if not isinstance(fields.budget_baht, int) or not 1 <= fields.budget_baht <= MAX_BUDGET_BAHT:
        raise RoundError("bad_budget")
    if fields.ballot_type not in BALLOT_TYPES:
        raise RoundError("bad_ballot_type")
    max_picks = fields.max_picks
    if fields.ballot_type == "approval":
        if max_picks is None or not 1 <= max_picks <= MAX_PROJECTS:
            raise RoundError("bad_max_picks")
    else:
        max_picks = None
    if fields.quorum_kind not in QUORUM_KINDS:
        raise RoundError("bad_quorum")
    try:
        quorum = decimal.Decimal(str(fields.quorum_value))
    except decimal.InvalidOperation:
        raise RoundError("bad_quorum") from None
    if fields.quorum_kind == "ballots":
        if quorum != quorum.to_integral_value() or not 0 <= quorum <= 100_000_000:
            raise RoundError("bad_quorum")
        quorum_value: decimal.Decimal | int = int(quorum)
    else:
        if not 0 <= quorum <= 100 or quorum != quorum.quantize(decimal.Decimal("0.01")):
            raise RoundError("bad_quorum_percent")
        quorum_value = quorum
    for moment in (fields.opens_at, fields.closes_at):
        if moment.tzinfo is None:
            raise ValueError("opening and closing times must be timezone-aware")
    if fields.closes_at <= fields.opens_at:
        raise RoundError("closes_before_opens")
    if fields.closes_at <= (now or dt.datetime.now(dt.timezone.utc)):
        raise RoundError("closes_in_past")
    if fields.rule not in RULES:
        raise RoundError("bad_rule")
    if fields.mes_increment is not None and not 1 <= fields.mes_increment <= 1_000_000:
        raise RoundError("bad_mes_increment")
    ids = list(dict.fromkeys(fields.project_ids))
    if not ids:
        raise RoundError("no_projects")
    if len(ids) > MAX_PROJECTS:
        raise RoundError("too_many_projects", limit=MAX_PROJECTS)
    return dataclasses.replace(fields, title=title, max_picks=max_picks,
                               quorum_value=quorum_value, project_ids=ids)


def _check_projects(conn: psycopg.Connection, scope: Scope, fields: RoundFields,
                    round_id: int | None) -> list[tuple[int, str, str, int, int]]:
    """Lock and check the chosen projects; (id, title, description, cost, process) each.

    Raises:
        RoundError: a project missing, out of scope or district, not ready for
            the vote, without a cost, from another process, or on another
            active round; the envelope smaller than every project; k larger
            than the number of projects.
    """
    rows = conn.execute(
        """SELECT id, title, description, estimated_cost_baht, process_id, district, state
             FROM projects WHERE id = ANY(%s) ORDER BY id FOR SHARE""",
        (fields.project_ids,)).fetchall()
    found = {int(r[0]): r for r in rows}
    on_round = set()
    if round_id is not None:
        on_round = {int(r[0]) for r in conn.execute(
            "SELECT project_id FROM round_projects WHERE round_id = %s AND project_id IS NOT NULL",
            (round_id,)).fetchall()}
    out = []
    for project_id in fields.project_ids:
        row = found.get(project_id)
        if row is None or not scope.allows(row[5]):
            raise RoundError("unknown_project", project=project_id)
        _id, title, description, cost, process_id, district, state = row
        if fields.district is not None and district != fields.district:
            raise RoundError("project_other_district", project=project_id, district=district)
        if state != "ready_for_vote" and project_id not in on_round:
            raise RoundError("project_not_ready", project=project_id)
        if cost is None:
            raise RoundError("project_without_cost", project=project_id)
        out.append((project_id, title, description, int(cost), int(process_id)))
    busy = conn.execute(
        """SELECT rp.project_id, r.id FROM round_projects rp JOIN voting_rounds r ON r.id = rp.round_id
            WHERE rp.project_id = ANY(%s) AND r.state IN ('open', 'closed', 'tallied')
              AND r.id IS DISTINCT FROM %s LIMIT 1""", (fields.project_ids, round_id)).fetchone()
    if busy:
        raise RoundError("project_in_other_round", project=int(busy[0]), round=int(busy[1]))
    if len({r[4] for r in out}) > 1:
        raise RoundError("different_process")
    cheapest = min(r[3] for r in out)
    if fields.budget_baht < cheapest:
        raise RoundError("envelope_too_small", cheapest=cheapest)
    if fields.max_picks is not None and fields.max_picks > len(out):
        raise RoundError("max_picks_over_projects", n=len(out))
    return out


def _store_projects(conn: psycopg.Connection, round_id: int,
                    chosen: list[tuple[int, str, str, int, int]]) -> None:
    conn.execute("DELETE FROM round_projects WHERE round_id = %s", (round_id,))
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO round_projects (round_id, project_id, code, title, description,
                                           cost_baht, position)
               VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            [(round_id, pid, str(pid), title, description, cost, n)
             for n, (pid, title, description, cost, _process) in enumerate(chosen)])


def _quorum_columns(fields: RoundFields) -> tuple[int | None, decimal.Decimal | None]:
    if fields.quorum_kind == "ballots":
        return int(fields.quorum_value), None
    return None, decimal.Decimal(str(fields.quorum_value))


def create(conn: psycopg.Connection, scope: Scope, fields: RoundFields) -> int:
    """Save a draft round with its projects (frozen: title, description, cost); audited.

    Raises:
        RoundError, ScopeError, ReadOnlyError (see :func:`validate`, :func:`_check_projects`).
    """
    fields = validate(fields, scope)
    chosen = _check_projects(conn, scope, fields, None)
    quorum_ballots, quorum_percent = _quorum_columns(fields)
    row = conn.execute(
        """INSERT INTO voting_rounds (process_id, title, district, budget_baht, ballot_type,
                                      max_picks, quorum_kind, quorum_ballots, quorum_percent,
                                      opens_at, closes_at, rule, mes_increment, created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (chosen[0][4], fields.title, fields.district, fields.budget_baht, fields.ballot_type,
         fields.max_picks, fields.quorum_kind, quorum_ballots, quorum_percent, fields.opens_at,
         fields.closes_at, fields.rule, fields.mes_increment, scope.staff_id)).fetchone()
    assert row is not None
    round_id = int(row[0])
    _store_projects(conn, round_id, chosen)
    audit.record(conn, scope, "round.create", "round", round_id, district=fields.district,
                 after={**fields.as_json(), "state": "draft"})
    return round_id


def lock_for_change(conn: psycopg.Connection, scope: Scope, round_id: int, version: int | None
                    ) -> Round:
    """Lock a round for a staff change; checks scope, write permission and version.

    Raises:
        ScopeError, ReadOnlyError, RoundConflict (``version`` given and different).
    """
    conn.execute("SET LOCAL lock_timeout = '10s'")
    found = load(conn, round_id, lock="update")
    if found is None or not scope.allows(found.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    scope.check(found.district, write=True)
    if version is not None and found.version != version:
        raise RoundConflict(round_id)
    return found


def update(conn: psycopg.Connection, scope: Scope, round_id: int, version: int,
           fields: RoundFields) -> None:
    """Edit a draft round (fields and projects); audited with before and after.

    Raises:
        RoundError("not_draft") or a validation error, RoundConflict, ScopeError.
    """
    found = lock_for_change(conn, scope, round_id, version)
    if found.state != "draft" or found.origin != "siang":
        raise RoundError("not_draft")
    fields = validate(fields, scope)
    if fields.district != found.district:
        scope.check(found.district, write=True)
    chosen = _check_projects(conn, scope, fields, round_id)
    before = found.fields([r.project_id for r in projects_of(conn, round_id)
                           if r.project_id is not None]).as_json()
    after = fields.as_json()
    quorum_ballots, quorum_percent = _quorum_columns(fields)
    conn.execute(
        """UPDATE voting_rounds SET title = %s, district = %s, budget_baht = %s, ballot_type = %s,
                  max_picks = %s, quorum_kind = %s, quorum_ballots = %s, quorum_percent = %s,
                  opens_at = %s, closes_at = %s, rule = %s, mes_increment = %s,
                  process_id = %s, version = version + 1, updated_at = now()
            WHERE id = %s""",
        (fields.title, fields.district, fields.budget_baht, fields.ballot_type, fields.max_picks,
         fields.quorum_kind, quorum_ballots, quorum_percent, fields.opens_at, fields.closes_at,
         fields.rule, fields.mes_increment, chosen[0][4], round_id))
    _store_projects(conn, round_id, chosen)
    changed = sorted(k for k in after if after[k] != before.get(k))
    audit.record(conn, scope, "round.update", "round", round_id, district=fields.district,
                 before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})


def open_round(conn: psycopg.Connection, scope: Scope, round_id: int, version: int) -> Round:
    """Draft → open: ballots are taken from ``opens_at`` to ``closes_at``; audited.

    Checks again what could have changed since the draft was saved: at least one
    project, an envelope that fits the cheapest project, a closing time ahead.

    Raises:
        RoundError("not_draft" | "no_projects" | "envelope_too_small" | "closes_in_past"),
        RoundConflict, ScopeError, ReadOnlyError.
    """
    found = lock_for_change(conn, scope, round_id, version)
    if found.state != "draft" or found.origin != "siang":
        raise RoundError("not_draft")
    on_ballot = projects_of(conn, round_id)
    if not on_ballot:
        raise RoundError("no_projects")
    cheapest = min(p.cost_baht for p in on_ballot)
    if found.budget_baht < cheapest:
        raise RoundError("envelope_too_small", cheapest=cheapest)
    if found.closes_at <= dt.datetime.now(dt.timezone.utc):
        raise RoundError("closes_in_past")
    busy = conn.execute(
        """SELECT rp.project_id, r.id FROM round_projects rp
             JOIN round_projects mine ON mine.project_id = rp.project_id AND mine.round_id = %s
             JOIN voting_rounds r ON r.id = rp.round_id
            WHERE r.id <> %s AND r.state IN ('open', 'closed', 'tallied') LIMIT 1""",
        (round_id, round_id)).fetchone()
    if busy:
        raise RoundError("project_in_other_round", project=int(busy[0]), round=int(busy[1]))
    conn.execute("UPDATE voting_rounds SET state = 'open', version = version + 1, "
                 "updated_at = now() WHERE id = %s", (round_id,))
    audit.record(conn, scope, "round.open", "round", round_id, district=found.district,
                 before={"state": "draft"}, after={"state": "open",
                                                   "opens_at": found.opens_at.isoformat(),
                                                   "closes_at": found.closes_at.isoformat()})
    return found


def close_now(conn: psycopg.Connection, scope: Scope, round_id: int, version: int) -> None:
    """Staff end an open round early: ``closes_at`` becomes now, and it is closed."""
    found = lock_for_change(conn, scope, round_id, version)
    if found.state != "open":
        raise RoundError("not_open")
    conn.execute("UPDATE voting_rounds SET closes_at = greatest(now(), opens_at + interval '1 second'), "
                 "version = version + 1, updated_at = now() WHERE id = %s", (round_id,))
    close_due(conn, round_id)
    audit.record(conn, scope, "round.close", "round", round_id, district=found.district,
                 before={"state": "open", "closes_at": found.closes_at.isoformat()},
                 after={"state": "closed"})


def close_due(conn: psycopg.Connection, round_id: int) -> bool:
    """Open → closed once ``closes_at`` has passed; in-progress picks are dropped.

    The round row is locked FOR UPDATE, which waits for ballots being cast
    (they hold FOR KEY SHARE) to commit; any later cast sees the round closed.

    Returns:
        True if the round was closed now, False if it was not due or not open.
    """
    found = load(conn, round_id, lock="update")
    if found is None or found.state != "open":
        return False
    row = conn.execute("SELECT now() >= %s", (found.closes_at,)).fetchone()
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


# --- pabulib ----------------------------------------------------------------------


def import_pb(conn: psycopg.Connection, scope: Scope, instance: PbInstance, *,
              title: str | None = None, rule: str = "greedy", with_ballots: bool = True,
              state: str = "closed") -> int:
    """Create a round from a pabulib instance (origin ``pabulib``, no process, never
    shown to residents), with its ballots unless ``with_ballots`` is False.

    The META, project columns and voter ids are kept so :func:`export_pb` writes
    the instance back. ``vote_type`` ``approval`` and ``choose-1`` become approval
    ballots (k = ``max_length``, 1 for choose-1, none if absent), ``cumulative`` and
    ``scoring`` cumulative ballots; ``max_sum_cost`` equal to the budget makes an
    approval file a knapsack round. Ballots are written as ``source='pabulib'``
    with the file's ``voter_id`` as their reference.

    Args:
        state: ``closed`` (ready to tally) or ``open`` (a benchmark casts ballots).

    Raises:
        RoundError("unsupported_vote_type" | "no_projects" | "bad_budget" |
            "envelope_too_small" | "bad_project_code"), ReadOnlyError.
    """
    scope.check(None, write=True)     # imported rounds are city-wide: admins only
    vote_type = instance.vote_type
    if vote_type not in PB_VOTE_TYPES:
        raise RoundError("unsupported_vote_type", vote_type=vote_type)
    if not instance.projects:
        raise RoundError("no_projects")
    budget = instance.budget
    if not 1 <= budget <= MAX_BUDGET_BAHT:
        raise RoundError("bad_budget")
    if budget < min(p.cost for p in instance.projects):
        raise RoundError("envelope_too_small", cheapest=min(p.cost for p in instance.projects))
    if any(len(p.project_id) > 100 or "," in p.project_id for p in instance.projects):
        raise RoundError("bad_project_code")
    ballot_type = PB_VOTE_TYPES[vote_type]
    max_picks = None
    if vote_type == "choose-1":
        max_picks = 1
    elif ballot_type == "approval" and instance.meta.get("max_length", "").strip().isdigit():
        max_picks = max(1, int(instance.meta["max_length"]))
    if ballot_type == "approval" and instance.meta.get("max_sum_cost", "").strip() == str(budget):
        ballot_type, max_picks = "knapsack", None
    name = title or " ".join(instance.meta.get(k, "") for k in ("country", "unit", "instance",
                                                                 "subunit")).strip()
    name = (name or "pabulib instance")[:200]
    now = dt.datetime.now(dt.timezone.utc)
    opens_at = now - dt.timedelta(days=1)
    closes_at = now - dt.timedelta(seconds=1) if state == "closed" else now + dt.timedelta(days=30)
    row = conn.execute(
        """INSERT INTO voting_rounds (origin, title, district, budget_baht, currency, ballot_type,
                                      max_picks, quorum_kind, quorum_ballots, opens_at,
                                      closes_at, rule, state, meta, created_by, closed_at)
           VALUES ('pabulib', %s, NULL, %s, %s, %s, %s, 'ballots', 0, %s, %s, %s, %s, %s, %s,
                   CASE WHEN %s = 'closed' THEN now() END)
           RETURNING id""",
        (name, budget, (instance.meta.get("currency") or "THB")[:10], ballot_type, max_picks,
         opens_at, closes_at, rule, state, Jsonb(instance.meta), scope.staff_id, state)).fetchone()
    assert row is not None
    round_id = int(row[0])
    with conn.cursor() as cur:
        with cur.copy("COPY round_projects (round_id, code, title, cost_baht, position, extra) "
                      "FROM STDIN") as copy:
            for n, project in enumerate(instance.projects):
                copy.write_row((round_id, project.project_id, project.name[:500], project.cost,
                                n, Jsonb(project.extra)))
    n_ballots = 0
    if with_ballots:
        from pb import ballots

        n_ballots = ballots.insert_pabulib(conn, round_id, instance.votes,
                                           cumulative=ballot_type == "cumulative")
    audit.record(conn, scope, "round.import_pb", "round", round_id,
                 after={"title": name, "vote_type": vote_type, "projects": len(instance.projects),
                        "ballots": n_ballots, "budget": budget})
    return round_id


def export_pb(conn: psycopg.Connection, round_id: int) -> PbInstance:
    """A round and its ballots as a pabulib instance (``pb.pabulib.write_pb`` writes it).

    Siang rounds are written with ``vote_type`` ``approval`` (``max_length`` = k;
    knapsack: ``max_sum_cost`` = the envelope), currency THB, each ballot's
    ``voter_id`` an opaque number (never a resident or LINE id) and a
    ``voting_method`` column (internet for LINE, paper). An imported round is
    written back with its own META, columns and voter ids.

    Raises:
        ValueError: no such round.
    """
    found = load(conn, round_id)
    if found is None:
        raise ValueError(f"no voting round {round_id}")
    on_ballot = projects_of(conn, round_id)
    rows = conn.execute(
        """SELECT b.id, b.source, b.voter_ref,
                  coalesce(array_agg(rp.code ORDER BY rp.position) FILTER (WHERE rp.id IS NOT NULL), '{}'),
                  coalesce(array_agg(c.points ORDER BY rp.position) FILTER (WHERE rp.id IS NOT NULL), '{}')
             FROM ballots b
             LEFT JOIN ballot_choices c ON c.ballot_id = b.id
             LEFT JOIN round_projects rp ON rp.id = c.round_project_id
            WHERE b.round_id = %s GROUP BY b.id ORDER BY b.id""", (round_id,)).fetchall()
    totals = dict.fromkeys((p.code for p in on_ballot), 0)
    for r in rows:
        for code in r[3]:
            totals[code] += 1
    cumulative = found.ballot_type == "cumulative"
    if found.origin == "pabulib":
        meta = dict(found.meta)
        meta["num_votes"] = str(len(rows))
        projects = [PbProject(p.code, p.cost_baht, p.title, dict(p.extra)) for p in on_ballot]
        out_votes = []
        for r in rows:
            extra = {"points": ",".join(str(x) for x in r[4])} if cumulative else {}
            out_votes.append(PbVote(r[2] or f"b{r[0]}", tuple(r[3]), extra))
        return PbInstance(meta=meta, projects=projects, votes=out_votes)
    meta = {
        "description": found.title,
        "country": "Thailand",
        "unit": "Bangkok",
        "subunit": found.district or "",
        "instance": str(found.id),
        "num_projects": str(len(on_ballot)),
        "num_votes": str(len(rows)),
        "budget": str(found.budget_baht),
        "vote_type": "approval",
        "rule": "greedy" if found.rule == "greedy" else "equalshares",
        "date_begin": found.opens_at.strftime("%d.%m.%Y"),
        "date_end": found.closes_at.strftime("%d.%m.%Y"),
        "currency": "THB",
        "language": "th",
    }
    if found.ballot_type == "approval" and found.max_picks:
        meta["max_length"] = str(found.max_picks)
    if found.ballot_type == "knapsack":
        meta["max_sum_cost"] = str(found.budget_baht)
    projects = [PbProject(p.code, p.cost_baht, " ".join(p.title.split()),
                          {"votes": str(totals[p.code])}) for p in on_ballot]
    out_votes = [PbVote(str(n), tuple(r[3]),
                        {"voting_method": "internet" if r[1] == "chat" else "paper"})
                 for n, r in enumerate(rows, start=1)]
    return PbInstance(meta=meta, projects=projects, votes=out_votes)
