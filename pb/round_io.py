"""Pabulib I/O for voting rounds: a ``.pb`` instance in as a round, a round out as one.

The file format itself (reading and writing ``.pb`` text) is :mod:`pb.pabulib`;
this module maps an instance onto ``voting_rounds``, ``round_projects`` and
``ballots`` and back (http://pabulib.org/format).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import psycopg
from psycopg.types.json import Jsonb

from pb import audit, ballots, clock
from pb.ballots import BallotError
from pb.pabulib import PbInstance, PbProject, PbVote
from pb.rounds import MAX_BUDGET_BAHT, RoundError, load, projects_of
from pb.scope import Scope

# pabulib vote_type → the round's ballot type (pb.tally.FILE_VOTE_TYPES reads them the same way).
PB_VOTE_TYPES = {"approval": "approval", "choose-1": "approval", "cumulative": "cumulative",
                 "scoring": "cumulative"}




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
    now = clock.now()
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
        n_ballots = insert_pabulib(conn, round_id, instance.votes,
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
    round_ = load(conn, round_id)
    if round_ is None:
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
    cumulative = round_.ballot_type == "cumulative"
    if round_.origin == "pabulib":
        meta = dict(round_.meta)
        meta["num_votes"] = str(len(rows))
        projects = [PbProject(p.code, p.cost_baht, p.title, dict(p.extra)) for p in on_ballot]
        out_votes = []
        for r in rows:
            extra = {"points": ",".join(str(x) for x in r[4])} if cumulative else {}
            out_votes.append(PbVote(r[2] or f"b{r[0]}", tuple(r[3]), extra))
        return PbInstance(meta=meta, projects=projects, votes=out_votes)
    meta = {
        "description": round_.title,
        "country": "Thailand",
        "unit": "Bangkok",
        "subunit": round_.district or "",
        "instance": str(round_.id),
        "num_projects": str(len(on_ballot)),
        "num_votes": str(len(rows)),
        "budget": str(round_.budget_baht),
        "vote_type": "approval",
        "rule": "greedy" if round_.rule == "greedy" else "equalshares",
        "date_begin": round_.opens_at.strftime("%d.%m.%Y"),
        "date_end": round_.closes_at.strftime("%d.%m.%Y"),
        "currency": "THB",
        "language": "th",
    }
    if round_.ballot_type == "approval" and round_.max_picks:
        meta["max_length"] = str(round_.max_picks)
    if round_.ballot_type == "knapsack":
        meta["max_sum_cost"] = str(round_.budget_baht)
    projects = [PbProject(p.code, p.cost_baht, " ".join(p.title.split()),
                          {"votes": str(totals[p.code])}) for p in on_ballot]
    out_votes = [PbVote(str(n), tuple(r[3]),
                        {"voting_method": "internet" if r[1] == "chat" else "paper"})
                 for n, r in enumerate(rows, start=1)]
    return PbInstance(meta=meta, projects=projects, votes=out_votes)


def insert_pabulib(conn: psycopg.Connection, round_id: int, votes: Iterable[PbVote], *,
                   cumulative: bool) -> int:
    """Write a .pb file's ballots (``source='pabulib'``, voter_ref = ``voter_id``).

    The reader (``pb.pabulib.read_pb``) has already refused unknown projects,
    repeated projects and repeated voters; knapsack limits are checked here.

    Returns:
        ballots written.

    Raises:
        BallotError("over_budget"): a knapsack round's ballot over the envelope.
        ValueError: cumulative points that are not whole numbers.
    """
    round_ = load(conn, round_id)
    assert round_ is not None
    by_code = {p.code: p for p in projects_of(conn, round_id)}
    rows = []
    for vote in votes:
        points = _points(vote) if cumulative else [1] * len(vote.project_ids)
        if round_.ballot_type == "knapsack":
            total = sum(by_code[c].cost_baht for c in vote.project_ids)
            if total > round_.budget_baht:
                raise BallotError("over_budget", total=total, budget=round_.budget_baht)
        rows.append((vote.voter_id, [(by_code[c].id, n) for c, n in zip(vote.project_ids, points)]))
    return ballots.insert_bulk(conn, round_id, rows, "pabulib")


def _points(vote: PbVote) -> list[int]:
    raw = vote.extra.get("points", "")
    given = [part.strip() for part in raw.split(",")] if raw else []
    if len(given) != len(vote.project_ids) or not all(part.isdigit() for part in given):
        raise ValueError(f"voter {vote.voter_id!r}: points {raw!r} do not match the vote")
    return [int(part) for part in given]
