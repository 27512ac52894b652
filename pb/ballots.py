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
written (:func:`import_paper`) and then written in bulk.

In LINE, a resident's picks wait in ``ballot_drafts`` (changed by add and
remove postbacks, each change a new ``version``) until they confirm.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pb import audit, rounds
from pb.pabulib import PbVote
from pb.rounds import Round, RoundProject
from pb.scope import Scope


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
class Draft:
    """A resident's picks in progress (round_projects.id, in pick order)."""

    round_id: int
    resident_id: int
    picks: list[int]
    version: int
    saved_version: int | None


# --- checking ---------------------------------------------------------------------


def check_picks(found: Round, on_ballot: dict[int, RoundProject], picks: Sequence[int]) -> list[int]:
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
    problem = limit_problem(found, on_ballot, picks)
    if problem is not None:
        raise problem
    return picks


def limit_problem(found: Round, on_ballot: dict[int, RoundProject],
                  picks: Sequence[int]) -> BallotError | None:
    """The ballot type's limit that ``picks`` break, or None: approval over k,
    knapsack over the envelope (sum of costs, integer baht)."""
    if found.ballot_type == "approval" and found.max_picks is not None \
            and len(picks) > found.max_picks:
        return BallotError("too_many", k=found.max_picks, n=len(picks))
    if found.ballot_type == "knapsack":
        total = sum(on_ballot[p].cost_baht for p in picks)
        if total > found.budget_baht:
            return BallotError("over_budget", total=total, budget=found.budget_baht)
    return None


def check_window(found: Round | None, district: str | None, now: dt.datetime) -> Round:
    """Check that a resident of ``district`` may vote in ``found`` now.

    Raises:
        BallotError: ``no_round`` (missing, a draft, or a pabulib import),
            ``not_open_yet`` (opens_at), ``closed`` (closes_at), ``not_in_scope``
            (district: the round's).
    """
    if found is None or found.state == "draft" or found.origin != "siang":
        raise BallotError("no_round")
    if found.state != "open" or now >= found.closes_at:
        raise BallotError("closed", closes_at=found.closes_at)
    if now < found.opens_at:
        raise BallotError("not_open_yet", opens_at=found.opens_at)
    if district is None or (found.district is not None and found.district != district):
        raise BallotError("not_in_scope", district=found.district)
    return found


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
    found = rounds.load(conn, round_id, lock="key share")
    if source == "chat":
        check_window(found, district, _now(conn))
    elif found is None or found.state not in ("open", "closed", "tallied"):
        raise BallotError("paper_not_accepted")
    assert found is not None
    # Only the picked projects are read: a city-wide ballot may list hundreds.
    on_ballot = {p.id: p for p in rounds.projects_by_id(conn, round_id, list(picks))}
    picks = check_picks(found, on_ballot, picks)

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
            caller has checked them (:func:`check_paper`, ``pb.pabulib.read_pb``).
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
    found = rounds.load(conn, round_id)
    assert found is not None
    by_code = {p.code: p for p in rounds.projects_of(conn, round_id)}
    rows = []
    for vote in votes:
        points = _points(vote) if cumulative else [1] * len(vote.project_ids)
        if found.ballot_type == "knapsack":
            total = sum(by_code[c].cost_baht for c in vote.project_ids)
            if total > found.budget_baht:
                raise BallotError("over_budget", total=total, budget=found.budget_baht)
        rows.append((vote.voter_id, [(by_code[c].id, n) for c, n in zip(vote.project_ids, points)]))
    return insert_bulk(conn, round_id, rows, "pabulib")


def _points(vote: PbVote) -> list[int]:
    raw = vote.extra.get("points", "")
    given = [part.strip() for part in raw.split(",")] if raw else []
    if len(given) != len(vote.project_ids) or not all(part.isdigit() for part in given):
        raise ValueError(f"voter {vote.voter_id!r}: points {raw!r} do not match the vote")
    return [int(part) for part in given]


# --- drafts (picks in progress in LINE) ------------------------------------------------


def draft(conn: psycopg.Connection, round_id: int, resident_id: int) -> Draft | None:
    """The resident's picks in progress, row-locked until the transaction ends."""
    row = conn.execute(
        """SELECT round_id, resident_id, picks, version, saved_version FROM ballot_drafts
            WHERE round_id = %s AND resident_id = %s FOR UPDATE""",
        (round_id, resident_id)).fetchone()
    return Draft(int(row[0]), int(row[1]), [int(p) for p in row[2]], int(row[3]), row[4]) \
        if row else None


def start_draft(conn: psycopg.Connection, round_id: int, resident_id: int) -> Draft:
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
    found = draft(conn, round_id, resident_id)
    assert found is not None
    return found


def set_draft(conn: psycopg.Connection, current: Draft, picks: list[int]) -> Draft:
    """Replace the picks in progress (a new version)."""
    row = conn.execute(
        """UPDATE ballot_drafts SET picks = %s, version = version + 1, updated_at = now()
            WHERE round_id = %s AND resident_id = %s RETURNING version""",
        (picks, current.round_id, current.resident_id)).fetchone()
    assert row is not None
    return Draft(current.round_id, current.resident_id, list(picks), int(row[0]),
                 current.saved_version)


def mark_draft_saved(conn: psycopg.Connection, current: Draft) -> None:
    """Remember that the draft's current version is the ballot now."""
    conn.execute("UPDATE ballot_drafts SET saved_version = version WHERE round_id = %s "
                 "AND resident_id = %s", (current.round_id, current.resident_id))
    current.saved_version = current.version


# --- paper ballots --------------------------------------------------------------------

_SPLIT = re.compile(r"[\s;|/]+")
_HEADER_WORDS = {"voter_ref", "voter", "ref", "voter_id", "reference", "เลขที่", "ผู้ลงคะแนน",
                 "รหัสผู้ลงคะแนน"}
MAX_PAPER_ROWS = 300_000


@dataclass
class PaperProblem:
    """One refused line of a paper-ballot CSV.

    Attributes:
        line: 1-based line number in the file.
        voter_ref: the voter reference as written ("" when missing).
        code: ``no_voter_ref``, ``no_picks``, ``unknown_project``, ``duplicate_project``,
            ``too_many``, ``over_budget``, ``duplicate_in_file``, ``already_voted``.
        detail: the offending values (project codes, total baht, k), for staff.
    """

    line: int
    voter_ref: str
    code: str
    detail: str = ""


@dataclass
class PaperReport:
    """The validation report of a paper-ballot CSV; ``imported`` is 0 unless all lines passed."""

    rows: int = 0
    valid: int = 0
    imported: int = 0
    problems: list[PaperProblem] = field(default_factory=list)
    format_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.format_error is None and not self.problems and self.rows > 0

    def counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))


def parse_paper_csv(data: bytes | str) -> list[tuple[int, str, list[str]]]:
    """Read a paper-ballot CSV: voter reference, then project codes.

    The codes may be in one cell (separated by spaces, ``;``, ``|`` or ``/``)
    or one per cell. A first line whose first cell is ``voter_ref`` (or
    ``voter``, ``ref``, ``เลขที่``...) is a header. Blank lines are skipped.
    UTF-8 (with or without a byte-order mark); the delimiter is ``,`` if the
    first line has one, else tab, else ``;``.

    Returns:
        (line number, voter reference, project codes as written).

    Raises:
        ValueError: not UTF-8, or more than :data:`MAX_PAPER_ROWS` lines.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError("the file is not UTF-8 text") from None
    else:
        text = data.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
    out = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        if len(out) > MAX_PAPER_ROWS:
            raise ValueError(f"more than {MAX_PAPER_ROWS} lines")
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if not out and cells[0].lower() in _HEADER_WORDS:
            continue
        codes = [code for cell in cells[1:] for code in _SPLIT.split(cell) if code]
        out.append((reader.line_num, cells[0], codes))
    return out


def check_paper(conn: psycopg.Connection, found: Round, rows: list[tuple[int, str, list[str]]]
                ) -> PaperReport:
    """Validate parsed paper ballots against the round and the ballots already stored."""
    on_ballot = rounds.projects_of(conn, found.id)
    by_code = {p.code: p for p in on_ballot}
    by_id = {p.id: p for p in on_ballot}
    report = PaperReport(rows=len(rows))
    seen = Counter(ref for _line, ref, _codes in rows if ref)
    refs = sorted(seen)
    stored = {r[0] for r in conn.execute(
        "SELECT voter_ref FROM ballots WHERE round_id = %s AND voter_ref = ANY(%s)",
        (found.id, refs)).fetchall()} if refs else set()
    for line, ref, codes in rows:
        problem = None
        if not ref:
            problem = PaperProblem(line, ref, "no_voter_ref")
        elif len(ref) > 200:
            problem = PaperProblem(line, ref[:40], "no_voter_ref", "longer than 200 characters")
        elif seen[ref] > 1:
            problem = PaperProblem(line, ref, "duplicate_in_file")
        elif ref in stored:
            problem = PaperProblem(line, ref, "already_voted")
        elif not codes:
            problem = PaperProblem(line, ref, "no_picks")
        else:
            unknown = [c for c in codes if c not in by_code]
            if unknown:
                problem = PaperProblem(line, ref, "unknown_project", ", ".join(unknown[:10]))
            elif len(set(codes)) != len(codes):
                twice = sorted(c for c, n in Counter(codes).items() if n > 1)
                problem = PaperProblem(line, ref, "duplicate_project", ", ".join(twice))
            else:
                limit = limit_problem(found, by_id, [by_code[c].id for c in codes])
                if limit is not None:
                    detail = (f"{limit.values['n']} > k = {limit.values['k']}"
                              if limit.code == "too_many" else
                              f"{limit.values['total']:,} > {limit.values['budget']:,}")
                    problem = PaperProblem(line, ref, limit.code, detail)
        if problem is None:
            report.valid += 1
        else:
            report.problems.append(problem)
    return report


def import_paper(conn: psycopg.Connection, scope: Scope, round_id: int, data: bytes | str
                 ) -> PaperReport:
    """Check a paper-ballot CSV and, only if every line passes, cast all of it.

    All or nothing: a file with any problem writes nothing (the report lists
    each problem with its line); a good file's ballots are written with
    ``source='paper'`` (:func:`insert_bulk`) in the caller's transaction, and audited.

    Raises:
        BallotError("paper_not_accepted"): the round is a draft or published.
        ScopeError / ReadOnlyError: the round is outside the staff member's scope.
    """
    found = rounds.load(conn, round_id, lock="key share")
    if found is None or not scope.allows(found.district):
        from pb.scope import ScopeError

        raise ScopeError(f"no voting round {round_id} in scope")
    scope.check(found.district, write=True)
    if found.state not in ("open", "closed", "tallied") or found.origin != "siang":
        raise BallotError("paper_not_accepted")
    try:
        rows = parse_paper_csv(data)
    except ValueError as exc:
        return PaperReport(format_error=str(exc))
    report = check_paper(conn, found, rows)
    if not report.ok:
        return report
    by_code = {p.code: p.id for p in rounds.projects_of(conn, round_id)}
    report.imported = insert_bulk(conn, round_id, [(ref, [(by_code[c], 1) for c in codes])
                                                   for _line, ref, codes in rows], "paper")
    audit.record(conn, scope, "round.paper_import", "round", round_id, district=found.district,
                 after={"ballots": report.imported})
    return report
