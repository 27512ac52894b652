"""Results of a voting round: the tally under both rules, the quorum, publication.

:func:`compute` reads the round's projects and every ballot (LINE and paper)
from the database, runs :func:`pb.tally.tally` (pabutools) under the
round's rule and, for comparison, under the other rule, and stores both
outcomes with their parameters in ``round_results``. Turnout is the number
of ballots of every source; the quorum (``pb.rounds.quorum_required``)
decides whether the results are valid (DESIGN.md: "not valid" until
turnout ≥ quorum). :func:`publish` makes them public: the round becomes
``published``, and when the quorum was met the chosen rule's winners
become ``selected`` projects and the others ``not_selected``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from pb import audit, clock, rounds, tally
from pb.rounds import Round, RoundError
from pb.scope import Scope, ScopeError


@dataclass
class RoundResult:
    """One rule's outcome for a round (a ``round_results`` row).

    Attributes:
        winners: ``round_projects.code`` of the funded projects, in selection order.
        votes: code → ballots supporting the project (every project, 0 included).
        points: code → points (cumulative rounds), else None.
        budget_used: total cost of the winners, integer baht (≤ the envelope).
        ballots: turnout, ballots of every source; ``ballots_chat`` / ``ballots_paper`` by source.
        electorate: consenting residents in scope at the tally (None for a pabulib import).
        quorum_required: ballots needed; ``quorum_met``: ``ballots >= quorum_required``.
        seconds: tally wall time, seconds.
    """

    round_id: int
    rule: str
    chosen: bool
    params: dict[str, Any]
    winners: list[str]
    votes: dict[str, int]
    points: dict[str, int] | None
    budget_used: int
    ballots: int
    ballots_chat: int
    ballots_paper: int
    electorate: int | None
    quorum_required: int
    quorum_met: bool
    seconds: float
    computed_at: dt.datetime
    published_at: dt.datetime | None


_COLUMNS = """round_id, rule, chosen, params, winners, votes, points, budget_used, ballots,
              ballots_chat, ballots_paper, electorate, quorum_required, quorum_met, seconds,
              computed_at, published_at"""


def tally_input(conn: psycopg.Connection, round_: Round
                ) -> tuple[list[tuple[str, int]], list[list[str]] | list[dict[str, int]]]:
    """The round as :func:`pb.tally.tally` takes it, read from the database.

    Returns:
        ([(code, cost in baht)] in ballot order, one entry per ballot: the
        picked codes, or code → points for a cumulative round). Empty
        ballots (possible in pabulib files) are kept: they count in turnout
        and in MES's per-voter share.
    """
    projects = [(p.code, p.cost_baht) for p in rounds.projects_of(conn, round_.id)]
    cumulative = round_.ballot_type == "cumulative"
    with conn.cursor() as cur:
        cur.execute(
            """SELECT coalesce(array_agg(rp.code ORDER BY rp.position) FILTER (WHERE rp.id IS NOT NULL), '{}'),
                      coalesce(array_agg(c.points ORDER BY rp.position) FILTER (WHERE rp.id IS NOT NULL), '{}')
                 FROM ballots b
                 LEFT JOIN ballot_choices c ON c.ballot_id = b.id
                 LEFT JOIN round_projects rp ON rp.id = c.round_project_id
                WHERE b.round_id = %s GROUP BY b.id""", (round_.id,))
        if cumulative:
            ballots: list = [dict(zip(codes, points)) for codes, points in cur]
        else:
            ballots = [list(codes) for codes, _points in cur]
    return projects, ballots


def compute(conn: psycopg.Connection, round_id: int, *, scope: Scope | None = None,
            rules: tuple[str, ...] | None = None,
            states: tuple[str, ...] = ("closed", "tallied")) -> dict[str, RoundResult]:
    """Tally a round under both rules and store the outcomes (replacing earlier ones).

    A closed round becomes ``tallied``; an open round cannot be tallied (its
    ballots still change), nor a published one (its results are final).
    Runs in the caller's transaction; MES on a city-wide round takes seconds
    to minutes, so the web admin enqueues it as a job.

    Args:
        scope: the staff member asking (audited); None for the close job.
        rules: the rules to run (default: the round's rule, then the other one).
        states: the round states in which to tally (``("closed",)``: only a first tally).

    Returns:
        rule → :class:`RoundResult` (the round's rule and the other one).

    Raises:
        RoundError("not_closed"): the round is a draft, open or published.
        ValueError: no such round.
    """
    round_ = rounds.load(conn, round_id, lock="update")
    if round_ is None:
        raise ValueError(f"no voting round {round_id}")
    if scope is not None and not scope.allows(round_.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    if round_.state not in ("closed", "tallied") or round_.state not in states:
        raise RoundError("not_closed")
    projects, ballots = tally_input(conn, round_)
    counts = _counts_by_source(conn, round_id)
    electorate = rounds.electorate(conn, round_.district) if round_.origin == "siang" else None
    required = rounds.quorum_required(round_, electorate)
    ballot_type = round_.ballot_type
    out: dict[str, RoundResult] = {}
    for rule in rules or (round_.rule, round_.other_rule()):
        started = time.perf_counter()
        result = tally.tally(projects, round_.budget_baht, ballots, rule, ballot_type=ballot_type,
                             mes_voter_budget_increment=round_.mes_increment if rule == "mes" else None)
        params = {**result.parameters, "rule": rule, "budget": round_.budget_baht,
                  "currency": round_.currency}
        if round_.max_picks is not None:
            params["max_picks"] = round_.max_picks
        row = RoundResult(
            round_id=round_id, rule=rule, chosen=rule == round_.rule, params=params,
            winners=list(result.selected), votes=dict(result.votes),
            points=dict(result.points) if result.points is not None else None,
            budget_used=result.budget_used, ballots=len(ballots), ballots_chat=counts["chat"],
            ballots_paper=counts["paper"], electorate=electorate, quorum_required=required,
            quorum_met=len(ballots) >= required, seconds=time.perf_counter() - started,
            computed_at=clock.now(), published_at=None)
        _store(conn, row)
        out[rule] = row
    conn.execute("UPDATE voting_rounds SET state = 'tallied', version = version + 1, "
                 "updated_at = now() WHERE id = %s AND state = 'closed'", (round_id,))
    if scope is not None and round_.rule in out:
        chosen = out[round_.rule]
        audit.record(conn, scope, "round.tally", "round", round_id, district=round_.district,
                     after={"rule": round_.rule, "winners": chosen.winners,
                            "ballots": chosen.ballots, "quorum_met": chosen.quorum_met})
    return out


def _counts_by_source(conn: psycopg.Connection, round_id: int) -> dict[str, int]:
    from pb import ballots

    return ballots.turnout(conn, round_id)


def _store(conn: psycopg.Connection, row: RoundResult) -> None:
    values = dataclasses.asdict(row)
    values["params"] = Jsonb(row.params)
    values["votes"] = Jsonb(row.votes)
    values["points"] = Jsonb(row.points) if row.points is not None else None
    columns = [c.strip() for c in _COLUMNS.split(",")]
    conn.execute(
        f"""INSERT INTO round_results ({', '.join(columns)})
            VALUES ({', '.join('%(' + c + ')s' for c in columns)})
            ON CONFLICT (round_id, rule) DO UPDATE SET
            {', '.join(f'{c} = EXCLUDED.{c}' for c in columns if c not in ('round_id', 'rule'))}""",
        values)


def of_round(conn: psycopg.Connection, round_id: int) -> dict[str, RoundResult]:
    """Stored results by rule (empty before the first tally)."""
    with conn.cursor(row_factory=class_row(RoundResult)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM round_results WHERE round_id = %s "
                    "ORDER BY chosen DESC, rule", (round_id,))
        return {r.rule: r for r in cur.fetchall()}


def publish(conn: psycopg.Connection, scope: Scope, round_id: int, version: int) -> RoundResult:
    """Tallied → published; audited. When the quorum was met, the chosen rule's
    winners become ``selected`` projects and the round's other projects
    ``not_selected`` (each audited as a ``project.transition``); when it was
    not, the results are published as not valid and projects stay as they are.

    Returns:
        the chosen rule's result.

    Raises:
        RoundError("not_tallied" | "stale_results"): no current tally (ballots
            were added after it: tally again first); RoundConflict; ScopeError.
    """
    round_ = rounds.lock_for_change(conn, scope, round_id, version)
    if round_.state != "tallied":
        raise RoundError("not_tallied")
    stored = of_round(conn, round_id)
    chosen = stored.get(round_.rule)
    if chosen is None:
        raise RoundError("not_tallied")
    if _counts_by_source(conn, round_id)["all"] != chosen.ballots:
        raise RoundError("stale_results")
    conn.execute("UPDATE voting_rounds SET state = 'published', published_at = now(), "
                 "version = version + 1, updated_at = now() WHERE id = %s", (round_id,))
    conn.execute("UPDATE round_results SET published_at = now() WHERE round_id = %s", (round_id,))
    moved: dict[str, list[int]] = {"selected": [], "not_selected": []}
    if chosen.quorum_met:
        winners = set(chosen.winners)
        for rp in rounds.projects_of(conn, round_id):
            if rp.project_id is None:
                continue
            new_state = "selected" if rp.code in winners else "not_selected"
            row = conn.execute(
                """UPDATE projects SET state = %s, version = version + 1, updated_at = now()
                    WHERE id = %s AND state = 'ready_for_vote' RETURNING district""",
                (new_state, rp.project_id)).fetchone()
            if row is not None:
                moved[new_state].append(rp.project_id)
                audit.record(conn, scope, "project.transition", "project", rp.project_id,
                             district=row[0], before={"state": "ready_for_vote"},
                             after={"state": new_state, "round": round_id})
    audit.record(conn, scope, "round.publish", "round", round_id, district=round_.district,
                 before={"state": "tallied"},
                 after={"state": "published", "rule": round_.rule, "winners": chosen.winners,
                        "quorum_met": chosen.quorum_met, **moved})
    return chosen


def public(conn: psycopg.Connection, round_id: int) -> tuple[Round, dict[str, RoundResult]] | None:
    """A published Siang round and its results, for the public page; None otherwise."""
    round_ = rounds.load(conn, round_id)
    if round_ is None or round_.state != "published" or round_.origin != "siang":
        return None
    return round_, of_round(conn, round_id)


# --- published rounds on the public progress page ------------------------------------------

@dataclass
class RoundInfo:
    """A published voting round whose winners the public progress page follows."""

    id: int
    title: str
    district: str | None       # None: city-wide
    winners: int               # winning Siang projects


def published_rounds(conn: psycopg.Connection) -> list[RoundInfo]:
    """Published rounds with their winners under the round's own rule, newest first."""
    with conn.cursor(row_factory=class_row(RoundInfo)) as cur:
        cur.execute(
            """SELECT v.id, v.title, v.district,
                      (SELECT count(*) FROM round_projects rp
                        WHERE rp.round_id = v.id AND rp.project_id IS NOT NULL
                          AND rp.code = ANY(rr.winners))::int AS winners
                 FROM voting_rounds v
                 JOIN round_results rr ON rr.round_id = v.id AND rr.chosen
                WHERE v.state = 'published'
                ORDER BY v.id DESC""")
        return cur.fetchall()


def round_info(conn: psycopg.Connection, round_id: int) -> RoundInfo | None:
    """A published round as :func:`published_rounds` lists it, or None."""
    return next((r for r in published_rounds(conn) if r.id == round_id), None)


def round_winners(conn: psycopg.Connection, round_id: int) -> list[int]:
    """Project ids a published round selected (its own rule's winners); [] otherwise."""
    rows = conn.execute(
        """SELECT rp.project_id FROM voting_rounds v
             JOIN round_results rr ON rr.round_id = v.id AND rr.chosen
             JOIN round_projects rp ON rp.round_id = v.id AND rp.code = ANY(rr.winners)
            WHERE v.id = %s AND v.state = 'published' AND rp.project_id IS NOT NULL
            ORDER BY array_position(rr.winners, rp.code)""", (round_id,)).fetchall()
    return [int(r[0]) for r in rows]
