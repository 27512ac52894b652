"""Tally a voting round with pabutools: greedy by votes, or the Method of Equal Shares.

The rules themselves are pabutools' (https://github.com/pbvoting/pabutools,
pinned to 1.2.3 in pyproject.toml); this module only turns Siang's plain data
(project ids, integer baht, ballots as lists of project ids) into a pabutools
``Instance`` and profile, picks the rule's parameters, and reports the result.

Rules (``rule=``):

``"greedy"``
    Greedy by number of votes within the budget, skipping any project that no
    longer fits: what BMA and most cities use. This is
    ``pabutools.rules.greedy_utilitarian_welfare`` with ``Cost_Sat``: with cost
    satisfaction a project's welfare per baht is (votes x cost) / cost = votes,
    so the greedy order is the approval score. (With ``Cardinality_Sat`` it would
    be votes per baht instead, which is not what cities do.) Cost satisfaction is
    also the utility of knapsack voting (Goel et al., "Knapsack Voting for
    Participatory Budgeting", ACM TEAC 2019), so the same rule serves both
    ballot types.

``"mes"``
    The Method of Equal Shares (Peters, Pierczyński, Skowron, "Proportional
    participatory budgeting with additive utilities", NeurIPS 2021), as
    ``pabutools.rules.method_of_equal_shares`` with ``Cost_Sat`` (cost
    utilities: a voter's utility for an approved project is its cost, as on
    equalshares.net), and completed by pabutools' own iterated variant
    (``voter_budget_increment``): the per-voter budget starts at
    budget / number of ballots, and is raised by a fixed step, rerunning MES,
    until the outcome is exhaustive (no further supported project fits) or the
    next outcome would overspend the real budget, in which case the last
    outcome that fitted is kept. With a step of 1 currency unit this is
    "Add1", the completion pabulib names ``equalshares/add1``. The default step
    here is 1% of the initial equal share, rounded up to a whole baht (at least
    1). Add1 needs one MES run per currency unit per voter: 735 s on the
    12,933-voter Warszawa Mokotów file against 56 s with 1% steps (6 PLN), and
    Budapest (34,551 HUF per voter) is out of reach. 1% steps bound the number
    of runs (~100 per doubling of the per-voter budget), and gave the same
    winning set as Add1 on Assen (the city's real MES outcome), Toulouse,
    Częstochowa and Mokotów (Łódź and Wrocław have shares under 100, so their
    step is 1 = Add1); the selection order can differ. Pass
    ``mes_voter_budget_increment=1`` for exact Add1. The outcome may leave money
    unspent; this module does not add a greedy top-up afterwards.

Eligibility: only projects with at least one vote (positive points for
cumulative ballots) can be funded; pabutools' greedy would otherwise hand
leftover money to projects nobody voted for, and MES never funds them anyway.

Ties: both rules break ties with pabutools' ``lexico_tie_breaking``, i.e. in
favour of the project id that sorts first as a Python string (``"10"`` before
``"9"``, so zero-pad numeric ids if numeric order is wanted). For greedy a tie
is an equal number of votes; for MES an equal price per unit of utility
(affordability). Ties are broken, not reported: ``TallyResult.votes`` shows
equal counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Literal

from pabutools.election import (
    AdditiveSatisfaction,
    ApprovalBallot,
    ApprovalMultiProfile,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeMultiProfile,
    CumulativeProfile,
    Instance,
    Project,
)
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import lexico_tie_breaking

from pb.pabulib import read_pb

__all__ = [
    "BallotType",
    "Rule",
    "TallyResult",
    "UnsupportedVoteType",
    "tally",
    "tally_file",
]

Rule = Literal["greedy", "mes"]
BallotType = Literal["approval", "knapsack", "choose-1", "cumulative"]
RULES: tuple[str, ...] = ("greedy", "mes")
BALLOT_TYPES: tuple[str, ...] = ("approval", "knapsack", "choose-1", "cumulative")
# pabulib vote_type -> how tally_file reads the ballots. "ordinal" and anything
# else are refused: pabutools has no greedy-by-score or MES for rankings, and
# turning ranks into points (Kraków's 3-2-1) would be our own rule.
FILE_VOTE_TYPES: dict[str, BallotType] = {
    "approval": "approval",
    "choose-1": "choose-1",
    "cumulative": "cumulative",
    "scoring": "cumulative",
}


class UnsupportedVoteType(ValueError):
    """A pabulib file's ``vote_type`` has no rule here (``ordinal``, or unknown)."""


@dataclass(frozen=True)
class TallyResult:
    """The outcome of one tally.

    Attributes:
        rule: ``"greedy"`` or ``"mes"``.
        selected: funded project ids, in the order the rule selected them
            (deterministic: ties are broken by project id, see the module doc).
        votes: project id -> number of ballots supporting it, for every project
            (0 included), in the order the projects were given.
        budget: the budget envelope, integer baht.
        budget_used: total cost of ``selected``, integer baht (<= ``budget``).
        parameters: how the rule was run, for the record: ``ballot_type``,
            ``satisfaction``, ``tie_breaking``, ``pabutools`` version, and for
            MES ``completion``, ``voter_budget_increment`` (baht per voter per
            step) and ``exhaustive`` (whether no further supported project
            fits the money left).
        seconds: wall time of the tally (profile building plus rule), seconds.
        points: for cumulative ballots, project id -> total points; else None.
    """

    rule: Rule
    selected: tuple[str, ...]
    votes: Mapping[str, int]
    budget: int
    budget_used: int
    parameters: Mapping[str, object]
    seconds: float
    points: Mapping[str, int] | None = field(default=None)


def tally(
    projects: Sequence[tuple[str, int]],
    budget: int,
    ballots: Sequence[Sequence[str]] | Sequence[Mapping[str, int]],
    rule: Rule,
    *,
    ballot_type: BallotType,
    mes_voter_budget_increment: int | None = None,
) -> TallyResult:
    """Compute the funded projects of a voting round.

    Args:
        projects: ``(project_id, cost)`` pairs; ids are unique non-empty
            strings, costs non-negative integer baht.
        budget: the budget envelope, non-negative integer baht.
        ballots: one entry per ballot. For ``approval``, ``knapsack`` and
            ``choose-1``: the approved project ids (order ignored; may be
            empty). For ``cumulative``: a mapping project id -> points
            (non-negative int; 0 counts as not supporting).
        rule: ``"greedy"`` (greedy by votes, pabutools
            ``greedy_utilitarian_welfare`` with ``Cost_Sat``) or ``"mes"``
            (Method of Equal Shares, Peters, Pierczyński & Skowron NeurIPS 2021,
            pabutools ``method_of_equal_shares`` with ``Cost_Sat`` and budget
            increase completion). See the module docstring for both rules,
            the completion, eligibility and tie-breaking.
        ballot_type: ``approval`` (pick any projects; a max-picks limit is the
            ballot form's job), ``knapsack`` (picks must fit the budget; checked
            here), ``choose-1`` (at most one pick; checked here), or
            ``cumulative`` (points; utility of a project = points x cost, the
            cumulative analogue of ``Cost_Sat``, so greedy orders by total
            points, as cities using points do).
        mes_voter_budget_increment: MES only: baht added to each voter's share
            per completion step. ``None`` (default): 1% of the initial share
            budget / len(ballots), rounded up, at least 1. ``1``: exact Add1.

    Returns:
        A :class:`TallyResult`. With no ballots, or a budget smaller than every
        supported project, nothing is selected.

    Raises:
        ValueError: unknown rule or ballot type; a repeated or empty project
            id; a negative or non-integer cost or budget; a ballot that is a
            bare string, names an unknown project or one project twice; a
            knapsack ballot over budget; a choose-1 ballot with several picks;
            negative or non-integer points; a non-positive increment.
    """
    started = time.perf_counter()
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, not {rule!r}")
    if ballot_type not in BALLOT_TYPES:
        raise ValueError(f"ballot_type must be one of {BALLOT_TYPES}, not {ballot_type!r}")
    if mes_voter_budget_increment is not None and (
        not _is_int(mes_voter_budget_increment) or mes_voter_budget_increment < 1
    ):
        raise ValueError("mes_voter_budget_increment must be a positive int (baht)")
    costs = _check_projects(projects, budget)
    if ballot_type == "cumulative":
        support = [_cumulative_ballot(i, b, costs) for i, b in enumerate(ballots)]
    else:
        support = [_approval_ballot(i, b, costs, budget, ballot_type) for i, b in enumerate(ballots)]

    votes = dict.fromkeys(costs, 0)
    points: dict[str, int] | None = dict.fromkeys(costs, 0) if ballot_type == "cumulative" else None
    for ballot in support:
        for project_id, weight in ballot.items():
            votes[project_id] += 1
            if points is not None:
                points[project_id] += weight

    # Only supported projects enter the pabutools instance (see "Eligibility").
    pb_projects = {pid: Project(pid, cost) for pid, cost in costs.items() if votes[pid] > 0}
    instance = Instance(pb_projects.values(), budget_limit=budget)
    satisfaction = Cost_Sat if ballot_type != "cumulative" else _CostPointsSat
    parameters: dict[str, object] = {
        "ballot_type": ballot_type,
        "satisfaction": "Cost_Sat" if satisfaction is Cost_Sat else "points x cost (AdditiveSatisfaction)",
        "tie_breaking": "lexico_tie_breaking (smallest project id as a string wins)",
        "pabutools": version("pabutools"),
    }
    increment = mes_voter_budget_increment or _default_increment(budget, len(support))
    if rule == "greedy":
        parameters["function"] = "pabutools.rules.greedy_utilitarian_welfare"
    else:
        parameters |= {
            "function": "pabutools.rules.method_of_equal_shares",
            "completion": "budget increase (voter_budget_increment); 'add1' when the step is 1",
            "voter_budget_increment": increment,
        }

    selected: list[Project] = []
    if pb_projects:  # no ballot, or no project with a vote: nothing to fund
        # Identical ballots are grouped (a pabutools multiprofile): same outcome, much faster.
        profile = _profile(instance, pb_projects, support, ballot_type).as_multiprofile()
        selected = _run_rule(rule, instance, profile, satisfaction, increment)
    if rule == "mes":
        parameters["exhaustive"] = instance.is_exhaustive(selected)
    selected_ids = tuple(p.name for p in selected)
    return TallyResult(
        rule=rule,
        selected=selected_ids,
        votes=votes,
        budget=budget,
        budget_used=sum(costs[pid] for pid in selected_ids),
        parameters=parameters,
        seconds=time.perf_counter() - started,
        points=points,
    )


def tally_file(path: str, rule: Rule) -> dict[str, object]:
    """Tally a pabulib ``.pb`` file, for ``siang pb tally FILE.pb --rule greedy|mes``.

    The file is read with :func:`pb.pabulib.read_pb` and tallied with
    :func:`tally` (default MES step). ``META.vote_type`` decides the ballots:

    * ``approval``: approval ballots (``max_length`` etc. are not re-checked).
    * ``choose-1``: approval ballots with at most one pick.
    * ``cumulative`` and ``scoring``: the ``points`` column as cumulative
      points (utility = points x cost), so greedy orders by total score.
    * ``ordinal`` and anything else: refused with :class:`UnsupportedVoteType`.

    Costs and budget are in the file's currency (``META.currency``), whole units.

    Args:
        path: path to the ``.pb`` file.
        rule: ``"greedy"`` or ``"mes"``.

    Returns:
        ``{"selected": [project ids in selection order], "rule": rule,
        "seconds": tally wall time incl. reading the file, "budget": int,
        "budget_used": int, "vote_type": str, "parameters": dict}``.

    Raises:
        pb.pabulib.PbFormatError: the file is malformed.
        UnsupportedVoteType: see above.
        ValueError: as :func:`tally` (e.g. an unknown rule).
        OSError: the file cannot be read.
    """
    started = time.perf_counter()
    pb = read_pb(path)
    vote_type = pb.vote_type
    if vote_type not in FILE_VOTE_TYPES:
        raise UnsupportedVoteType(
            f"{path}: vote_type {vote_type!r} is not supported "
            f"(supported: {', '.join(FILE_VOTE_TYPES)})"
        )
    ballot_type = FILE_VOTE_TYPES[vote_type]
    if ballot_type == "cumulative":
        ballots: list = [_points_of(path, v.voter_id, v.project_ids, v.extra) for v in pb.votes]
    else:
        ballots = [v.project_ids for v in pb.votes]
    result = tally(
        [(p.project_id, p.cost) for p in pb.projects],
        pb.budget,
        ballots,
        rule,
        ballot_type=ballot_type,
    )
    return {
        "selected": list(result.selected),
        "rule": result.rule,
        "seconds": time.perf_counter() - started,
        "budget": result.budget,
        "budget_used": result.budget_used,
        "vote_type": vote_type,
        "parameters": dict(result.parameters),
    }


class _CostPointsSat(AdditiveSatisfaction):
    """Utility of a project = points given x cost: ``Cost_Sat`` weighted by cumulative points."""

    def __init__(self, instance: Instance, profile: CumulativeMultiProfile, ballot: CumulativeBallot):
        super().__init__(instance, profile, ballot, _cost_points)


def _cost_points(
    instance: Instance, profile: CumulativeMultiProfile, ballot: CumulativeBallot, project: Project, precomputed: dict
) -> int:
    return ballot.get(project, 0) * project.cost


def _run_rule(
    rule: Rule,
    instance: Instance,
    profile: ApprovalMultiProfile | CumulativeMultiProfile,
    satisfaction: type[AdditiveSatisfaction],
    increment: int,
) -> list[Project]:
    """The pabutools call itself; returns the funded projects in selection order."""
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(
            instance, profile, sat_class=satisfaction, tie_breaking=lexico_tie_breaking
        )
    else:
        outcome = method_of_equal_shares(
            instance,
            profile,
            sat_class=satisfaction,
            tie_breaking=lexico_tie_breaking,
            voter_budget_increment=increment,
        )
    return list(outcome)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _default_increment(budget: int, n_ballots: int) -> int:
    if n_ballots == 0:
        return 1
    return max(1, math.ceil(budget / n_ballots / 100))


def _check_projects(projects: Sequence[tuple[str, int]], budget: int) -> dict[str, int]:
    if not _is_int(budget) or budget < 0:
        raise ValueError(f"budget must be a non-negative int (baht), not {budget!r}")
    costs: dict[str, int] = {}
    for project_id, cost in projects:
        if not isinstance(project_id, str) or not project_id:
            raise ValueError(f"project ids must be non-empty strings, not {project_id!r}")
        if project_id in costs:
            raise ValueError(f"project id {project_id!r} given twice")
        if not _is_int(cost) or cost < 0:
            raise ValueError(f"project {project_id!r}: cost must be a non-negative int (baht), not {cost!r}")
        costs[project_id] = cost
    return costs


def _approval_ballot(
    index: int, ballot: Sequence[str], costs: Mapping[str, int], budget: int, ballot_type: str
) -> dict[str, int]:
    if isinstance(ballot, (str, bytes)) or isinstance(ballot, Mapping):
        raise ValueError(f"ballot {index}: expected a sequence of project ids, not {ballot!r}")
    picks = list(ballot)
    _check_ids(index, picks, costs)
    if ballot_type == "choose-1" and len(picks) > 1:
        raise ValueError(f"ballot {index}: a choose-1 ballot names {len(picks)} projects")
    if ballot_type == "knapsack" and sum(costs[p] for p in picks) > budget:
        raise ValueError(f"ballot {index}: knapsack picks cost more than the budget {budget}")
    return dict.fromkeys(picks, 1)


def _cumulative_ballot(index: int, ballot: Mapping[str, int], costs: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(ballot, Mapping):
        raise ValueError(f"ballot {index}: a cumulative ballot maps project id -> points, not {ballot!r}")
    _check_ids(index, list(ballot), costs)
    for project_id, given in ballot.items():
        if not _is_int(given) or given < 0:
            raise ValueError(f"ballot {index}: points for {project_id!r} must be a non-negative int")
    return {p: given for p, given in ballot.items() if given > 0}


def _check_ids(index: int, picks: list, costs: Mapping[str, int]) -> None:
    for project_id in picks:
        if project_id not in costs:
            raise ValueError(f"ballot {index}: unknown project {project_id!r}")
    if len(set(picks)) != len(picks):
        raise ValueError(f"ballot {index}: names a project twice")


def _profile(
    instance: Instance, pb_projects: Mapping[str, Project], support: list[dict[str, int]], ballot_type: str
) -> ApprovalProfile | CumulativeProfile:
    if ballot_type == "cumulative":
        return CumulativeProfile(
            [CumulativeBallot({pb_projects[p]: n for p, n in b.items()}) for b in support],
            instance=instance,
        )
    return ApprovalProfile([ApprovalBallot(pb_projects[p] for p in b) for b in support], instance=instance)


def _points_of(path: str, voter_id: str, project_ids: tuple[str, ...], extra: Mapping[str, str]) -> dict[str, int]:
    raw = extra.get("points", "")
    given = [part.strip() for part in raw.split(",")] if raw else []
    if len(given) != len(project_ids) or not all(part.isdigit() for part in given):
        raise ValueError(f"{path}: voter {voter_id!r}: points {raw!r} do not match vote {list(project_ids)}")
    return {p: int(n) for p, n in zip(project_ids, given)}
