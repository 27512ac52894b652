"""Read and write the pabulib ``.pb`` format.

Pabulib (https://pabulib.org; Faliszewski et al., "Participatory Budgeting:
Data, Tools, and Analysis", IJCAI 2023) stores one participatory-budgeting
election per UTF-8 text file with three sections, each opened by a line
holding only its name and followed by a header line::

    META
    key;value
    budget;7147577
    vote_type;approval
    ...
    PROJECTS
    project_id;cost;votes;name;...
    498;140000;4303;Ratujemy staw przy Dolnej;...
    VOTES
    voter_id;vote;...
    37;7,8,88,579;...

Fields are ``;``-separated and CSV-quoted (``"a ""b"" c"``), exactly as
``pabutools.election.parse_pabulib`` reads them with :mod:`csv`; this module
reads them the same way, so a file that pabutools accepts reads the same here,
and :func:`write_pb` produces files that pabutools reads back to the same
instance, profile and metadata.

Values are kept as the strings found in the file (stripped of surrounding
whitespace, as pabutools does), except the fields the data model needs typed:
project ``cost`` (whole currency units, ``int``) and the ``vote`` list.
Currency is whatever ``META.currency`` says; Siang writes integer baht.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

__all__ = [
    "PbFormatError",
    "PbInstance",
    "PbProject",
    "PbVote",
    "read_pb",
    "write_pb",
]

SECTIONS = ("META", "PROJECTS", "VOTES")
# pabulib's spec lists more required META keys (country, unit, instance, ...);
# these two are the ones no tally can do without, and the ones pabutools needs.
REQUIRED_META = ("budget", "vote_type")


class PbFormatError(ValueError):
    """A ``.pb`` file (or an instance to be written) breaks the pabulib format.

    Attributes:
        line: 1-based line number in the file, or ``None`` when the problem is
            not tied to one line (a missing section, or an instance handed to
            :func:`write_pb`).
        source: the file path when one was read, else ``None``.
    """

    def __init__(self, message: str, line: int | None = None, source: str | None = None):
        self.message = message
        self.line = line
        self.source = source
        where = ":".join(str(part) for part in (source, line) if part is not None)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class PbProject:
    """One row of the PROJECTS section.

    Attributes:
        project_id: the ``project_id`` column, as text (pabulib ids are strings:
            ``"498"``, ``"BO.D13.4/23"``).
        cost: the ``cost`` column in whole currency units (baht for Siang).
        name: the ``name`` column (``""`` when the file has none).
        extra: every other column, header name -> text, in file order
            (``votes``, ``score``, ``selected``, ``category``, ...).
    """

    project_id: str
    cost: int
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class PbVote:
    """One row of the VOTES section: one voter's ballot.

    Attributes:
        voter_id: the ``voter_id`` column, as text.
        project_ids: the ``vote`` column split on ``,``; order is kept (it is a
            ranking for ``ordinal`` files). Empty for an empty ballot.
        extra: every other column, header name -> text, in file order. For
            ``cumulative`` and ``scoring`` files this holds ``points``, a
            ``,``-separated list parallel to ``project_ids``.
    """

    voter_id: str
    project_ids: tuple[str, ...]
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class PbInstance:
    """A whole pabulib election.

    Attributes:
        meta: the META section, key -> text, in file order. Must hold at least
            ``budget`` (whole currency units) and ``vote_type``.
        projects: the PROJECTS rows, in file order.
        votes: the VOTES rows, in file order.
    """

    meta: dict[str, str]
    projects: list[PbProject]
    votes: list[PbVote]

    @property
    def budget(self) -> int:
        """``META.budget`` in whole currency units. Raises PbFormatError if absent or fractional."""
        if "budget" not in self.meta:
            raise PbFormatError("META has no 'budget'")
        return _parse_whole(self.meta["budget"], "budget", None, None)

    @property
    def vote_type(self) -> str:
        """``META.vote_type`` (``approval``, ``choose-1``, ``cumulative``, ``scoring``, ``ordinal``)."""
        if "vote_type" not in self.meta:
            raise PbFormatError("META has no 'vote_type'")
        return self.meta["vote_type"]


def read_pb(source: str | os.PathLike[str]) -> PbInstance:
    """Parse a pabulib ``.pb`` file.

    Args:
        source: a path (``str`` or ``os.PathLike``) to a UTF-8 ``.pb`` file, or
            the text of one. A ``str`` that contains a line break is taken as
            the text; any other ``str`` as a path. A UTF-8 byte-order mark and
            CRLF line ends are accepted.

    Returns:
        The parsed instance. Project costs and ``META.budget`` are checked to be
        whole numbers (``"4000.0"`` is read as 4000).

    Raises:
        PbFormatError: with the 1-based line number, when a section is missing,
            out of order or lacks its header; a row has more fields than its
            header; META lacks ``budget`` or ``vote_type``; a cost or the budget
            is not a whole non-negative number; a project id or voter id is
            repeated; a vote names an unknown project or the same project twice;
            ``points`` does not match ``vote`` in length; or ``num_projects`` /
            ``num_votes`` disagree with the rows.
        OSError: when a path cannot be read.
    """
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        text, origin = source, None
    else:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            text, origin = handle.read(), os.fspath(source)
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Reader(text, origin).read()


def write_pb(instance: PbInstance) -> str:
    """Serialise an instance as pabulib ``.pb`` text (``\\n`` line ends).

    Column order: PROJECTS is ``project_id;cost``, then ``votes`` if any
    project has it, then ``name``, then the other ``extra`` keys in first-seen
    order; VOTES is ``voter_id;vote``, then the ``extra`` keys in first-seen
    order. A row lacking a column gets an empty field. Fields holding ``;`` or
    ``"`` are CSV-quoted, as pabulib and pabutools expect.

    Args:
        instance: the election. ``meta`` must hold ``budget`` and ``vote_type``.

    Returns:
        The file text; write it with ``encoding="utf-8"``.

    Raises:
        PbFormatError: (``line`` is ``None``) when ``budget`` or ``vote_type``
            is missing, ``num_projects`` / ``num_votes`` disagree with the rows,
            an id is repeated or empty, a vote names an unknown project, a cost
            is negative, or a value holds a line break (pabulib files are one
            record per line).
    """
    _check_for_writing(instance)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")

    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in instance.meta.items():
        writer.writerow([key, value])

    extra_keys = _union_keys(p.extra for p in instance.projects)
    columns = ["project_id", "cost"]
    if "votes" in extra_keys:
        columns.append("votes")
    columns.append("name")
    columns += [k for k in extra_keys if k not in columns]
    out.write("PROJECTS\n")
    writer.writerow(columns)
    for project in instance.projects:
        fixed = {"project_id": project.project_id, "cost": str(project.cost), "name": project.name}
        writer.writerow([fixed[c] if c in fixed else project.extra.get(c, "") for c in columns])

    vote_columns = ["voter_id", "vote"]
    vote_columns += [k for k in _union_keys(v.extra for v in instance.votes) if k not in vote_columns]
    out.write("VOTES\n")
    writer.writerow(vote_columns)
    for vote in instance.votes:
        fixed = {"voter_id": vote.voter_id, "vote": ",".join(vote.project_ids)}
        writer.writerow([fixed[c] if c in fixed else vote.extra.get(c, "") for c in vote_columns])
    return out.getvalue()


class _Reader:
    """One pass over the lines of a ``.pb`` text; keeps the line number for errors."""

    def __init__(self, text: str, origin: str | None):
        self.origin = origin
        self.rows = self._rows(text)
        self.line = 0

    def fail(self, message: str, line: int | None = None) -> PbFormatError:
        return PbFormatError(message, self.line if line is None else line, self.origin)

    def _rows(self, text: str) -> Iterator[tuple[int, list[str]]]:
        # csv over the split lines, as pabutools does, so quoting reads the same.
        reader = csv.reader(text.splitlines(), delimiter=";")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise PbFormatError(f"bad CSV quoting: {exc}", reader.line_num, self.origin) from None
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines are skipped, as in pabutools
            yield reader.line_num, [cell.strip() for cell in row]

    def read(self) -> PbInstance:
        meta: dict[str, str] = {}
        projects: list[PbProject] = []
        votes: list[PbVote] = []
        section_index = -1
        header: list[str] = []
        header_line = 0
        project_ids: set[str] = set()
        voter_ids: set[str] = set()

        for line, row in self.rows:
            self.line = line
            if len(row) == 1 and row[0].upper() in SECTIONS:
                name = row[0].upper()
                expected = SECTIONS[section_index + 1] if section_index + 1 < len(SECTIONS) else None
                if name != expected:
                    raise self.fail(f"section {name} where {expected or 'end of file'} was expected")
                section_index += 1
                if name == "VOTES":
                    self._check_meta(meta)
                header, header_line = self._header(name), self.line
                continue
            if section_index < 0:
                raise self.fail("the file must start with a META line")
            if len(row) > len(header):
                raise self.fail(f"{len(row)} fields but the header (line {header_line}) has {len(header)}")
            section = SECTIONS[section_index]
            if section == "META":
                if len(row) < 2:
                    raise self.fail("META rows are key;value")
                if row[0] in meta:
                    raise self.fail(f"META key {row[0]!r} given twice")
                if row[0] == "budget":
                    _parse_whole(row[1], "budget", self.line, self.origin)
                meta[row[0]] = row[1]
            elif section == "PROJECTS":
                project = self._project(header, row)
                if project.project_id in project_ids:
                    raise self.fail(f"project_id {project.project_id!r} given twice")
                project_ids.add(project.project_id)
                projects.append(project)
            else:
                vote = self._vote(header, row, project_ids)
                if vote.voter_id in voter_ids:
                    raise self.fail(f"voter_id {vote.voter_id!r} given twice")
                voter_ids.add(vote.voter_id)
                votes.append(vote)

        if section_index < len(SECTIONS) - 1:
            missing = SECTIONS[section_index + 1]
            raise PbFormatError(f"no {missing} section", None, self.origin)
        _check_counts(meta, projects, votes, self.origin)
        return PbInstance(meta=meta, projects=projects, votes=votes)

    def _header(self, section: str) -> list[str]:
        try:
            line, header = next(self.rows)
        except StopIteration:
            raise self.fail(f"{section} has no header line") from None
        self.line = line
        required = {"META": ("key",), "PROJECTS": ("project_id", "cost"), "VOTES": ("voter_id", "vote")}
        for position, column in enumerate(required[section]):
            if position >= len(header) or header[position] != column:
                raise self.fail(f"{section} header must start with {';'.join(required[section])}")
        if len(set(header)) != len(header):
            raise self.fail(f"{section} header repeats a column")
        return header

    def _check_meta(self, meta: dict[str, str]) -> None:
        for key in REQUIRED_META:
            if key not in meta:
                raise self.fail(f"META has no {key!r} (required before VOTES)")

    def _project(self, header: list[str], row: list[str]) -> PbProject:
        values = dict(zip(header, row))
        if not values.get("project_id"):
            raise self.fail("empty project_id")
        if "cost" not in values:
            raise self.fail("missing cost")
        cost = _parse_whole(values.pop("cost"), "cost", self.line, self.origin)
        project_id = values.pop("project_id")
        name = values.pop("name", "")
        return PbProject(project_id=project_id, cost=cost, name=name, extra=values)

    def _vote(self, header: list[str], row: list[str], project_ids: set[str]) -> PbVote:
        values = dict(zip(header, row))
        voter_id = values.pop("voter_id", "")
        if not voter_id:
            raise self.fail("empty voter_id")
        raw = values.pop("vote", "")
        # pabutools skips empty names, so "" is an empty ballot and "a,,b" is (a, b).
        chosen = tuple(part.strip() for part in raw.split(",") if part.strip())
        for project_id in chosen:
            if project_id not in project_ids:
                raise self.fail(f"vote names unknown project {project_id!r}")
        if len(set(chosen)) != len(chosen):
            raise self.fail("vote names the same project twice")
        points = values.get("points", "")
        if points and len(points.split(",")) != len(chosen):
            raise self.fail(f"{len(points.split(','))} points for {len(chosen)} projects")
        return PbVote(voter_id=voter_id, project_ids=chosen, extra=values)


def _parse_whole(text: str, what: str, line: int | None, origin: str | None) -> int:
    """Read a non-negative whole number; ``"4000.0"`` and ``"4000,0"`` pass, ``"12.5"`` fails."""
    try:
        number = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise PbFormatError(f"{what} {text!r} is not a number", line, origin) from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise PbFormatError(f"{what} {text!r} is not a whole non-negative amount", line, origin)
    return int(number)


def _check_counts(meta: dict[str, str], projects: list, votes: list, origin: str | None) -> None:
    for key, rows in (("num_projects", projects), ("num_votes", votes)):
        if key in meta and meta[key].strip() and meta[key].strip() != str(len(rows)):
            raise PbFormatError(f"META {key} is {meta[key]} but there are {len(rows)} rows", None, origin)


def _check_for_writing(instance: PbInstance) -> None:
    for key in REQUIRED_META:
        if key not in instance.meta:
            raise PbFormatError(f"META has no {key!r}")
    _parse_whole(instance.meta["budget"], "budget", None, None)
    _check_counts(instance.meta, instance.projects, instance.votes, None)
    project_ids: set[str] = set()
    for project in instance.projects:
        if not project.project_id or project.project_id in project_ids:
            raise PbFormatError(f"project_id {project.project_id!r} is empty or repeated")
        if project.cost < 0:
            raise PbFormatError(f"project {project.project_id!r} has a negative cost")
        if {"project_id", "cost", "name"} & project.extra.keys():
            raise PbFormatError(f"project {project.project_id!r}: extra repeats a fixed column")
        project_ids.add(project.project_id)
    voter_ids: set[str] = set()
    for vote in instance.votes:
        if not vote.voter_id or vote.voter_id in voter_ids:
            raise PbFormatError(f"voter_id {vote.voter_id!r} is empty or repeated")
        voter_ids.add(vote.voter_id)
        unknown = [p for p in vote.project_ids if p not in project_ids]
        if unknown:
            raise PbFormatError(f"voter {vote.voter_id!r} names unknown projects {unknown}")
        if {"voter_id", "vote"} & vote.extra.keys():
            raise PbFormatError(f"voter {vote.voter_id!r}: extra repeats a fixed column")
    texts = [*instance.meta, *instance.meta.values()]
    for project in instance.projects:
        texts += [project.project_id, project.name, *project.extra, *project.extra.values()]
    for vote in instance.votes:
        texts += [vote.voter_id, *vote.project_ids, *vote.extra, *vote.extra.values()]
    if any("\n" in t or "\r" in t for t in texts):
        raise PbFormatError("a value holds a line break")
    if any("," in p for p in project_ids):
        raise PbFormatError("a project_id holds ',' (votes list ids separated by ',')")


def _union_keys(dicts: Iterator[dict[str, str]]) -> list[str]:
    keys: dict[str, None] = {}
    for d in dicts:
        keys.update(dict.fromkeys(d))
    return list(keys)
