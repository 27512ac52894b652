"""Paper and in-person ballots: a CSV checked as a whole, then cast in bulk.

The CSV lists a voter reference and the project codes picked on paper
(:func:`parse_paper_csv`); every line is checked against the round and the
ballots already stored (:func:`check_paper`), and only a file with no problem
is written (:func:`import_paper`, ``source='paper'``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from pb import audit, rounds
from pb.ballots import BallotError, insert_bulk, limit_problem
from pb.rounds import Round
from pb.scope import Scope, ScopeError

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


def check_paper(conn: psycopg.Connection, round_: Round, rows: list[tuple[int, str, list[str]]]
                ) -> PaperReport:
    """Validate parsed paper ballots against the round and the ballots already stored."""
    on_ballot = rounds.projects_of(conn, round_.id)
    by_code = {p.code: p for p in on_ballot}
    by_id = {p.id: p for p in on_ballot}
    report = PaperReport(rows=len(rows))
    seen = Counter(ref for _line, ref, _codes in rows if ref)
    refs = sorted(seen)
    stored = {r[0] for r in conn.execute(
        "SELECT voter_ref FROM ballots WHERE round_id = %s AND voter_ref = ANY(%s)",
        (round_.id, refs)).fetchall()} if refs else set()
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
                limit = limit_problem(round_, by_id, [by_code[c].id for c in codes])
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
    round_ = rounds.load(conn, round_id, lock="key share")
    if round_ is None or not scope.allows(round_.district):
        raise ScopeError(f"no voting round {round_id} in scope")
    scope.check(round_.district, write=True)
    if round_.state not in ("open", "closed", "tallied") or round_.origin != "siang":
        raise BallotError("paper_not_accepted")
    try:
        rows = parse_paper_csv(data)
    except ValueError as exc:
        return PaperReport(format_error=str(exc))
    report = check_paper(conn, round_, rows)
    if not report.ok:
        return report
    by_code = {p.code: p.id for p in rounds.projects_of(conn, round_id)}
    report.imported = insert_bulk(conn, round_id, [(ref, [(by_code[c], 1) for c in codes])
                                                   for _line, ref, codes in rows], "paper")
    audit.record(conn, scope, "round.paper_import", "round", round_id, district=round_.district,
                 after={"ballots": report.imported})
    return report
