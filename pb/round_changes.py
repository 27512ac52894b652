"""Staff changes to voting rounds: create and edit drafts, open, close early.

Reads and the round types live in :mod:`pb.rounds`; this module holds the
checks on what staff type (:func:`validate`), the frozen ballot
(``round_projects``) and the audited state changes. Each change locks the
round (:func:`pb.rounds.lock_for_change`) and carries its ``version``.
Opening and closing are asked for in the request (:func:`request_step`) and
carried out by an upkeep job (:func:`carry_out_step`, issue 16).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

import psycopg

from pb import audit, clock, districts
from pb import staff as staff_rows
from pb.rounds import (BALLOT_TYPES, MAX_BUDGET_BAHT, MAX_PROJECTS, QUORUM_KINDS, RULES, Round,
                       RoundError, RoundFields, close_due, lock_for_change, projects_of)
from pb.scope import ReadOnlyError, Scope, ScopeError


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
    if fields.closes_at <= (now or clock.now()):
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
    by_id = {int(r[0]): r for r in rows}
    on_round = set()
    if round_id is not None:
        on_round = {int(r[0]) for r in conn.execute(
            "SELECT project_id FROM round_projects WHERE round_id = %s AND project_id IS NOT NULL",
            (round_id,)).fetchall()}
    out = []
    for project_id in fields.project_ids:
        row = by_id.get(project_id)
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


def update(conn: psycopg.Connection, scope: Scope, round_id: int, version: int,
           fields: RoundFields) -> None:
    """Edit a draft round (fields and projects); audited with before and after.

    Raises:
        RoundError("not_draft") or a validation error, RoundConflict, ScopeError.
    """
    round_ = lock_for_change(conn, scope, round_id, version)
    if round_.state != "draft" or round_.origin != "siang":
        raise RoundError("not_draft")
    fields = validate(fields, scope)
    if fields.district != round_.district:
        scope.check(round_.district, write=True)
    chosen = _check_projects(conn, scope, fields, round_id)
    before = round_.fields([r.project_id for r in projects_of(conn, round_id)
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


def open_round(conn: psycopg.Connection, scope: Scope, round_id: int, version: int | None
               ) -> Round:
    """Draft → open: ballots are taken from ``opens_at`` to ``closes_at``; audited.

    Checks again what could have changed since the draft was saved: at least one
    project, an envelope that fits the cheapest project, a closing time ahead.

    Raises:
        RoundError("not_draft" | "no_projects" | "envelope_too_small" | "closes_in_past"),
        RoundConflict, ScopeError, ReadOnlyError.
    """
    round_ = lock_for_change(conn, scope, round_id, version)
    if round_.state != "draft" or round_.origin != "siang":
        raise RoundError("not_draft")
    on_ballot = projects_of(conn, round_id)
    if not on_ballot:
        raise RoundError("no_projects")
    cheapest = min(p.cost_baht for p in on_ballot)
    if round_.budget_baht < cheapest:
        raise RoundError("envelope_too_small", cheapest=cheapest)
    if round_.closes_at <= clock.now():
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
    audit.record(conn, scope, "round.open", "round", round_id, district=round_.district,
                 before={"state": "draft"}, after={"state": "open",
                                                   "opens_at": round_.opens_at.isoformat(),
                                                   "closes_at": round_.closes_at.isoformat()})
    return round_


def close_now(conn: psycopg.Connection, scope: Scope, round_id: int, version: int | None
              ) -> None:
    """Staff end an open round early: ``closes_at`` becomes now, and it is closed."""
    round_ = lock_for_change(conn, scope, round_id, version)
    if round_.state != "open":
        raise RoundError("not_open")
    conn.execute("UPDATE voting_rounds SET closes_at = greatest(now(), opens_at + interval '1 second'), "
                 "version = version + 1, updated_at = now() WHERE id = %s", (round_id,))
    close_due(conn, round_id)
    audit.record(conn, scope, "round.close", "round", round_id, district=round_.district,
                 before={"state": "open", "closes_at": round_.closes_at.isoformat()},
                 after={"state": "closed"})


# --- opening and closing as upkeep jobs (issue 16) -------------------------------------------

STEPS = ("open", "close")


@dataclass
class StepRequest:
    """A staff request to open or close a round, waiting for its upkeep job, or the
    error the job met (``error``: a RoundError code and values; the request is then over)."""

    step: str | None
    requested_by: str | None
    requested_at: dt.datetime | None
    error: dict[str, Any] | None


def request_step(conn: psycopg.Connection, scope: Scope, round_id: int, version: int,
                 step: str) -> bool:
    """Ask the upkeep worker to open (draft → open) or close (open → closed) a round.

    The checks staff can act on are made now (state, scope, version); the change
    itself is :func:`carry_out_step` in ``workers.voting``, as this staff member.
    The version is not bumped: a repeated click asks again for the same thing.
    Audited as ``round.open_requested`` / ``round.close_requested``.

    Returns:
        True when recorded (the caller enqueues the job after the commit).

    Raises:
        RoundError("not_draft" | "not_open"), RoundConflict, ScopeError, ReadOnlyError.
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    round_ = lock_for_change(conn, scope, round_id, version)
    if step == "open" and (round_.state != "draft" or round_.origin != "siang"):
        raise RoundError("not_draft")
    if step == "close" and round_.state != "open":
        raise RoundError("not_open")
    conn.execute("""UPDATE voting_rounds SET step_requested = %s, step_requested_by = %s,
                           step_requested_at = now(), step_error = NULL WHERE id = %s""",
                 (step, scope.staff_id, round_id))
    audit.record(conn, scope, f"round.{step}_requested", "round", round_id,
                 district=round_.district, after={"step": step})
    return True


def step_request(conn: psycopg.Connection, round_id: int) -> StepRequest:
    """The pending request of a round (or the last one's error), for its page."""
    row = conn.execute(
        """SELECT r.step_requested, s.display_name, r.step_requested_at, r.step_error
             FROM voting_rounds r LEFT JOIN staff s ON s.id = r.step_requested_by
            WHERE r.id = %s""", (round_id,)).fetchone()
    if row is None:
        return StepRequest(None, None, None, None)
    return StepRequest(row[0], row[1], row[2], json.loads(row[3]) if row[3] else None)


def pending_steps(conn: psycopg.Connection) -> list[tuple[int, str]]:
    """(round id, step) of every request not yet carried out (the sweeper's catch-up)."""
    return [(int(r[0]), r[1]) for r in conn.execute(
        "SELECT id, step_requested FROM voting_rounds WHERE step_requested IS NOT NULL "
        "ORDER BY id").fetchall()]


def carry_out_step(conn: psycopg.Connection, round_id: int, step: str) -> str:
    """Carry out a pending request (in the upkeep job), as the staff member who made it.

    Idempotent: without a pending request for ``step`` it does nothing. A
    RoundError (the round changed meanwhile: e.g. its closing time passed) is
    kept in ``step_error`` for the page and the request is cleared.

    Returns:
        "done", "failed" or "none".
    """
    row = conn.execute("SELECT step_requested, step_requested_by FROM voting_rounds "
                       "WHERE id = %s FOR UPDATE", (round_id,)).fetchone()
    if row is None or row[0] != step:
        return "none"
    member = staff_rows.get(conn, int(row[1])) if row[1] is not None else None
    scope = member.scope() if member is not None else Scope.system()
    error = None
    try:
        with conn.transaction():
            if step == "open":
                open_round(conn, scope, round_id, None)
            else:
                close_now(conn, scope, round_id, None)
    except (RoundError, ScopeError, ReadOnlyError) as exc:
        error = json.dumps({"code": getattr(exc, "code", "not_allowed"),
                            "values": getattr(exc, "values", {})}, default=str)
    conn.execute("UPDATE voting_rounds SET step_requested = NULL, step_error = %s WHERE id = %s",
                 (error, round_id))
    return "failed" if error else "done"
