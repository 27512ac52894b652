"""Ballots: one per resident (or paper voter) per voting round, and the picks in progress.

One ballot per resident per round is the database's job: ``ballots`` has
unique keys on (round, resident) and (round, voter reference). Casting
upserts the ballot row (``INSERT ... ON CONFLICT DO UPDATE``), which locks
it, so concurrent casts by one resident serialise and leave one ballot with
the last picks; the round row is held ``FOR KEY SHARE`` meanwhile, so a
close (``FOR UPDATE``) waits for ballots being cast and every later cast
sees the round closed. A resident may change their ballot until the round
closes (``version`` counts the changes).

A ballot is checked against the round: at least one pick, only the round's
projects, each once; approval: at most k picks; knapsack: total cost within
the envelope (integer baht). Paper and in-person ballots come in as a CSV
(voter reference, project codes), checked as a whole before anything is
written (:mod:`pb.paper_ballots`) and then written in bulk (:func:`insert_bulk`).

In LINE, a resident's picks wait in ``ballot_drafts`` (changed by add and
remove postbacks, each change a new ``version``) until they confirm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pb import rounds
from pb.rounds import Round, RoundProject


class BallotError(ValueError):
    """A ballot that cannot be cast; nothing was written.

    Codes: ``no_round``, ``not_open_yet``, ``closed``, ``not_in_scope``,
    ``no_picks``, ``unknown_project``, ``duplicate_project``, ``too_many``
    (over k), ``over_budget``, ``duplicate_voter``, ``paper_not_accepted``.

    Attributes:
        code: stable name (LINE catalog key ``vote_err_<code>``, admin message).
        values: values for the message (``k``, ``total``, ``budget``, ...).
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(f"{code} {values}" if values else code)
        self.code, self.values = code, values


@dataclass
class CastResult:
    """What a cast did.

    Attributes:
        ballot_id: the ballot's id (the receipt number residents see).
        version: 1 for a first ballot, +1 per change.
        created: a first ballot for this voter in this round.
        changed: the picks differ from what was stored (always True when created).
    """

    ballot_id: int
    version: int
    created: bool
    changed: bool


@dataclass
class Ballot:
    id: int
    round_id: int
    resident_id: int | None
    voter_ref: str | None
    source: str
    version: int
    cast_at: dt.datetime
    updated_at: dt.datetime
    picks: list[int] = field(default_factory=list)    # round_projects.id, in ballot order


@dataclass
class BallotDraft:
    """A resident's picks in progress (round_projects.id, in pick order)."""

    round_id: int
    resident_id: int
    picks: list[int]
    version: int
    saved_version: int | None


# --- checking ---------------------------------------------------------------------


def check_picks(round_: Round, on_ballot: dict[int, RoundProject], picks: Sequence[int]) -> list[int]:
    """Check a complete ballot against its round; returns the picks.

    Args:
        on_ballot: the round's projects by ``round_projects.id``.
        picks: ``round_projects.id`` of the chosen projects.

    Raises:
        BallotError: ``no_picks``, ``unknown_project`` (project), ``duplicate_project``,
            ``too_many`` (k, n), ``over_budget`` (total, budget; integer baht).
    """
    picks = list(picks)
    if not picks:
        raise BallotError("no_picks")
    for pick in picks:
        if pick not in on_ballot:
            raise BallotError("unknown_project", project=pick)
    if len(set(picks)) != len(picks):
        raise BallotError("duplicate_project")
    problem = limit_problem(round_, on_ballot, picks)
    if problem is not None:
        raise problem
    return picks


def limit_problem(round_: Round, on_ballot: dict[int, RoundProject],
                  picks: Sequence[int]) -> BallotError | None:
    """The ballot type's limit that ``picks`` break, or None: approval over k,
    knapsack over the envelope (sum of costs, integer baht)."""
    if round_.ballot_type == "approval" and round_.max_picks is not None \
            and len(picks) > round_.max_picks:
        return BallotError("too_many", k=round_.max_picks, n=len(picks))
    if round_.ballot_type == "knapsack":
        total = sum(on_ballot[p].cost_baht for p in picks)
        if total > round_.budget_baht:
            return BallotError("over_budget", total=total, budget=round_.budget_baht)
    return None


def check_window(round_: Round | None, district: str | None, now: dt.datetime) -> Round:
    """Check that a resident of ``district`` may vote in ``round_`` now.

    Raises:
        BallotError: ``no_round`` (missing, a draft, or a pabulib import),
            ``not_open_yet`` (opens_at), ``closed`` (closes_at), ``not_in_scope``
            (district: the round's).
    """
    if round_ is None or round_.state == "draft" or round_.origin != "siang":
        raise BallotError("no_round")
    if round_.state != "open" or now >= round_.closes_at:
        raise BallotError("closed", closes_at=round_.closes_at)
    if now < round_.opens_at:
        raise BallotError("not_open_yet", opens_at=round_.opens_at)
    if district is None or (round_.district is not None and round_.district != district):
        raise BallotError("not_in_scope", district=round_.district)
    return round_


# --- casting ------------------------------------------------------------------------


def _now(conn: psycopg.Connection) -> dt.datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def cast(conn: psycopg.Connection, round_id: int, picks: Sequence[int], *,
         resident_id: int | None = None, district: str | None = None,
         voter_ref: str | None = None, source: str = "chat") -> CastResult:
    """Cast or replace one ballot, in the caller's transaction.

    Chat ballots (``resident_id`` and the resident's ``district``) are taken
    only while the round accepts them (:func:`check_window`); paper ballots
    (``voter_ref``) while it is open, closed or tallied, never twice for a reference.

    Args:
        picks: ``round_projects.id`` of the chosen projects.

    Returns:
        A :class:`CastResult`; an identical re-cast changes nothing (``changed`` False).

    Raises:
        BallotError: see :func:`check_window` and :func:`check_picks`;
            ``duplicate_voter`` (a paper reference already used),
            ``paper_not_accepted`` (round in draft or published).
        ValueError: neither or both of ``resident_id`` / ``voter_ref``, or an unknown source.
    """
    if source == "chat":
        if resident_id is None or voter_ref is not None:
            raise ValueError("a chat ballot has a resident and no voter reference")
    elif source in ("paper", "pabulib"):
        if voter_ref is None or resident_id is not None:
            raise ValueError("a paper ballot has a voter reference and no resident")
    else:
        raise ValueError(f"unknown ballot source {source!r}")
    round_ = rounds.load(conn, round_id, lock="key share")
    if source == "chat":
        check_window(round_, district, _now(conn))
    elif round_ is None or round_.state not in ("open", "closed", "tallied"):
        raise BallotError("paper_not_accepted")
    assert round_ is not None
    # Only the picked projects are read: a city-wide ballot may list hundreds.
    on_ballot = {p.id: p for p in rounds.projects_by_id(conn, round_id, list(picks))}
    picks = check_picks(round_, on_ballot, picks)

    if source == "chat":
        row = conn.execute(
            """INSERT INTO ballots (round_id, resident_id, source) VALUES (%s, %s, 'chat')
               ON CONFLICT (round_id, resident_id) DO UPDATE SET updated_at = ballots.updated_at
               RETURNING id, version, (xmax = 0)""", (round_id, resident_id)).fetchone()
    else:
        row = conn.execute(
            """INSERT INTO ballots (round_id, voter_ref, source) VALUES (%s, %s, %s)
               ON CONFLICT (round_id, voter_ref) DO NOTHING RETURNING id, version, true""",
            (round_id, voter_ref, source)).fetchone()
        if row is None:
            raise BallotError("duplicate_voter", voter_ref=voter_ref)
    ballot_id, version, created = int(row[0]), int(row[1]), bool(row[2])
    if not created:
        stored = {int(r[0]) for r in conn.execute(
            "SELECT round_project_id FROM ballot_choices WHERE ballot_id = %s",
            (ballot_id,)).fetchall()}
        if stored == set(picks):
            return CastResult(ballot_id, version, created=False, changed=False)
        version = int(conn.execute(
            "UPDATE ballots SET version = version + 1, updated_at = now() WHERE id = %s "
            "RETURNING version", (ballot_id,)).fetchone()[0])
        conn.execute("DELETE FROM ballot_choices WHERE ballot_id = %s", (ballot_id,))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO ballot_choices (ballot_id, round_project_id) VALUES (%s, %s)",
                        [(ballot_id, p) for p in picks])
    return CastResult(ballot_id, version, created=created, changed=True)


def of_resident(conn: psycopg.Connection, round_id: int, resident_id: int) -> Ballot | None:
    """The resident's ballot in a round, with its picks in ballot order, or None."""
    row = conn.execute(
        """SELECT b.id, b.round_id, b.resident_id, b.voter_ref, b.source, b.version, b.cast_at,
                  b.updated_at,
                  coalesce(array_agg(rp.id ORDER BY rp.position) FILTER (WHERE rp.id IS NOT NULL), '{}')
             FROM ballots b
             LEFT JOIN ballot_choices c ON c.ballot_id = b.id
             LEFT JOIN round_projects rp ON rp.id = c.round_project_id
            WHERE b.round_id = %s AND b.resident_id = %s GROUP BY b.id""",
        (round_id, resident_id)).fetchone()
    if row is None:
        return None
    return Ballot(*row[:8], picks=[int(p) for p in row[8]])


def turnout(conn: psycopg.Connection, round_id: int) -> dict[str, int]:
    """Ballots in a round by source: ``{"chat": n, "paper": n, "pabulib": n, "all": n}``."""
    counts = dict.fromkeys(("chat", "paper", "pabulib"), 0)
    for source, n in conn.execute(
            "SELECT source, count(*) FROM ballots WHERE round_id = %s GROUP BY source",
            (round_id,)).fetchall():
        counts[source] = int(n)
    counts["all"] = sum(counts.values())
    return counts


def voters_to_tell(conn: psycopg.Connection, round_id: int) -> list[tuple[str, str]]:
    """(LINE user id, language) of residents who voted in LINE and can still be
    reached: linked (not erased or withdrawn), following, consenting."""
    rows = conn.execute(
        """SELECT r.line_user_id, r.language FROM ballots b JOIN residents r ON r.id = b.resident_id
            WHERE b.round_id = %s AND b.source = 'chat' AND r.followed AND r.erased_at IS NULL
              AND r.consent_at IS NOT NULL AND r.line_user_id IS NOT NULL
            ORDER BY r.id""", (round_id,)).fetchall()
    return [(r[0], r[1]) for r in rows]


def insert_bulk(conn: psycopg.Connection, round_id: int,
                ballots: Sequence[tuple[str, Sequence[tuple[int, int]]]], source: str) -> int:
    """Write checked ballots in bulk with COPY (paper CSVs, .pb files).

    Args:
        ballots: (voter reference, [(round_projects.id, points), ...]) each; the
            caller has checked them (``pb.paper_ballots.check_paper``, ``pb.pabulib.read_pb``).
        source: ``paper`` or ``pabulib``.

    Returns:
        ballots written.

    Raises:
        psycopg.errors.UniqueViolation: a voter reference already in the round
            (written meanwhile by another import); the caller's transaction is void.
    """
    if source not in ("paper", "pabulib"):
        raise ValueError(f"bulk ballots are paper or pabulib, not {source!r}")
    ids = [int(r[0]) for r in conn.execute(
        "SELECT nextval('ballots_id_seq') FROM generate_series(1, %s)", (len(ballots),)).fetchall()]
    with conn.cursor() as cur:
        with cur.copy("COPY ballots (id, round_id, voter_ref, source) FROM STDIN") as copy:
            for ballot_id, (ref, _choices) in zip(ids, ballots):
                copy.write_row((ballot_id, round_id, ref, source))
        with cur.copy("COPY ballot_choices (ballot_id, round_project_id, points) FROM STDIN") as copy:
            for ballot_id, (_ref, choices) in zip(ids, ballots):
                for round_project_id, points in choices:
                    copy.write_row((ballot_id, round_project_id, points))
    return len(ballots)


# --- drafts (picks in progress in LINE) ------------------------------------------------


def draft(conn: psycopg.Connection, round_id: int, resident_id: int) -> BallotDraft | None:
    """The resident's picks in progress, row-locked until the transaction ends."""
    row = conn.execute(
        """SELECT round_id, resident_id, picks, version, saved_version FROM ballot_drafts
            WHERE round_id = %s AND resident_id = %s FOR UPDATE""",
        (round_id, resident_id)).fetchone()
    return BallotDraft(int(row[0]), int(row[1]), [int(p) for p in row[2]], int(row[3]), row[4]) \
        if row else None


def start_draft(conn: psycopg.Connection, round_id: int, resident_id: int) -> BallotDraft:
    """The picks in progress, started from the resident's ballot (if any) when there are none."""
    existing = draft(conn, round_id, resident_id)
    if existing is not None:
        return existing
    ballot = of_resident(conn, round_id, resident_id)
    picks = ballot.picks if ballot else []
    conn.execute(
        """INSERT INTO ballot_drafts (round_id, resident_id, picks, version, saved_version)
           VALUES (%s, %s, %s, 1, %s) ON CONFLICT DO NOTHING""",
        (round_id, resident_id, picks, 1 if ballot else None))
    started = draft(conn, round_id, resident_id)
    assert started is not None
    return started


def set_draft(conn: psycopg.Connection, current: BallotDraft, picks: list[int]) -> BallotDraft:
    """Replace the picks in progress (a new version)."""
    row = conn.execute(
        """UPDATE ballot_drafts SET picks = %s, version = version + 1, updated_at = now()
            WHERE round_id = %s AND resident_id = %s RETURNING version""",
        (picks, current.round_id, current.resident_id)).fetchone()
    assert row is not None
    return BallotDraft(current.round_id, current.resident_id, list(picks), int(row[0]),
                 current.saved_version)


def mark_draft_saved(conn: psycopg.Connection, current: BallotDraft) -> None:
    """Remember that the draft's current version is the ballot now."""
    conn.execute("UPDATE ballot_drafts SET saved_version = version WHERE round_id = %s "
                 "AND resident_id = %s", (current.round_id, current.resident_id))
    current.saved_version = current.version
