"""Tests for pb.pabulib (the .pb reader/writer) and pb.tally (greedy and MES via pabutools).

The pabulib checks compare against pabutools run directly on each file in
../shared/data/pabulib: our reader + writer must give pabutools the same
election, and our reader + tally() must give the same winners, in the same
order, as pabutools' own parse_pabulib + the same rule with the same
parameters. Cases that take longer than about a minute are marked slow.
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path

import pytest
from pabutools.election import AdditiveSatisfaction, Cost_Sat
from pabutools.election.pabulib import parse_pabulib, parse_pabulib_from_string
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import lexico_tie_breaking

from pb.pabulib import PbFormatError, PbInstance, PbProject, PbVote, read_pb, write_pb
from pb.tally import TallyResult, UnsupportedVoteType, tally, tally_file

PABULIB = Path(os.environ.get("SIANG_PABULIB_DIR", Path(__file__).resolve().parents[2] / "shared/data/pabulib"))
ASSEN = "Netherlands_Assen_2024.pb"
MOKOTOW = "Poland_Warszawa_2021_Mokotow.pb"
CZESTOCHOWA = "Poland_Czestochowa_2024.pb"
KRAKOW = "Poland_Krakow_2023_Podgorze.pb"
ALL_FILES = [
    ASSEN,
    "France_Toulouse_2022.pb",
    "Hungary_Budapest_2024.pb",
    CZESTOCHOWA,
    KRAKOW,
    "Poland_Lodz_2022.pb",
    MOKOTOW,
    "Poland_Wroclaw_2015_150_-_500.pb",
]
# (file, rule) whose check takes over ~60 s: MES alone takes ~90 s on Mokotów
# and ~135 s on Budapest, ~30 s on Łódź (2 shared CPUs), and each check runs
# it twice (tally() and pabutools).
SLOW_CASES = {(MOKOTOW, "mes"), ("Hungary_Budapest_2024.pb", "mes"), ("Poland_Lodz_2022.pb", "mes")}

needs_data = pytest.mark.skipif(not PABULIB.is_dir(), reason=f"no pabulib data at {PABULIB}")


def _param(name: str, rule: str | None = None):
    marks = [needs_data]
    if (name, rule) in SLOW_CASES:
        # The same comparison with pabutools runs through the database path in
        # tests/test_voting_pabulib.py; running MES twice more here would add
        # ~10 minutes to CI for no extra coverage.
        marks.append(pytest.mark.skip(reason="MES on this instance is checked in "
                                             "tests/test_voting_pabulib.py"))
    values = (name,) if rule is None else (name, rule)
    return pytest.param(*values, marks=marks, id=name if rule is None else f"{name}-{rule}")


@cache
def _pabutools(name: str):
    """pabutools' own reading of a file: (instance, profile)."""
    return parse_pabulib(str(PABULIB / name))


def _election_as_pabutools_sees_it(instance, profile) -> tuple:
    """Everything pabutools keeps from a file, in comparable form.

    project_meta["cost"] is left out: it is the raw text of the cost column, and
    write_pb normalises "4000.0" to "4000" (the numeric cost is compared).
    """

    def ballot(b):
        if hasattr(b, "items"):
            content = tuple(sorted((p.name, v) for p, v in b.items()))
        elif type(b).__name__.endswith("OrdinalBallot"):
            content = tuple(p.name for p in b)
        else:
            content = tuple(sorted(p.name for p in b))
        return type(b).__name__, content, tuple(sorted(b.meta.items()))

    projects = sorted(
        (
            p.name,
            p.cost,
            sorted(p.categories),
            sorted(p.targets),
            sorted((k, str(v)) for k, v in instance.project_meta[p].items() if k != "cost"),
        )
        for p in instance
    )
    legal = {k: v for k, v in vars(profile).items() if k.startswith("legal_")}
    return (
        dict(instance.meta),
        instance.budget_limit,
        sorted(instance.categories),
        sorted(instance.targets),
        projects,
        [ballot(b) for b in profile],
        type(profile).__name__,
        legal,
    )


# --- pabulib reader and writer ------------------------------------------------


@pytest.mark.parametrize("name", [_param(n) for n in ALL_FILES])
def test_round_trip_gives_pabutools_the_same_election(name):
    instance = read_pb(PABULIB / name)
    text = write_pb(instance)

    assert read_pb(text) == instance
    assert _election_as_pabutools_sees_it(*parse_pabulib_from_string(text)) == (
        _election_as_pabutools_sees_it(*_pabutools(name))
    )


@needs_data
def test_reader_reads_the_assen_file():
    instance = read_pb(str(PABULIB / ASSEN))

    assert instance.budget == 100_000
    assert instance.vote_type == "approval"
    assert instance.meta["rule"] == "equalshares/add1"
    assert len(instance.projects) == 14 and len(instance.votes) == 84
    first = instance.projects[0]
    assert (first.project_id, first.cost, first.name) == ("3", 7200, "PopUp Podium")
    assert first.extra["votes"] == "43" and first.extra["selected"] == "1"
    vote = instance.votes[0]
    assert vote.voter_id == "vote01006bcf-62b6-435d-a0de-2966c3e75249"
    assert vote.project_ids == ("1", "2", "6", "9", "13")


SMALL = """\
META
key;value
description;Siang test round
country;Thailand
unit;Bangkok
instance;2026
num_projects;3
num_votes;3
budget;1000
vote_type;approval
currency;THB
PROJECTS
project_id;cost;votes;name
p1;600;2;"Shade for the ""Soi 5"" bus stop; phase 1"
p2;400.0;2;Bins
p3;700;1;Lights
VOTES
voter_id;vote;age
v1;p1,p2;34
v2;p1;
v3;p2,p3;61
"""


def test_reader_handles_quotes_bom_crlf_and_whole_number_costs(tmp_path):
    path = tmp_path / "small.pb"
    path.write_bytes(("\ufeff" + SMALL.replace("\n", "\r\n")).encode("utf-8"))

    for source in (path, str(path), SMALL):
        instance = read_pb(source)
        assert instance.projects[0].name == 'Shade for the "Soi 5" bus stop; phase 1'
        assert [p.cost for p in instance.projects] == [600, 400, 700]
        assert instance.votes[1] == PbVote("v2", ("p1",), {"age": ""})


def test_written_text_quotes_fields_as_pabutools_expects():
    text = write_pb(read_pb(SMALL))

    assert 'p1;600;2;"Shade for the ""Soi 5"" bus stop; phase 1"' in text
    instance, profile = parse_pabulib_from_string(text)
    assert {p.name: p.cost for p in instance} == {"p1": 600, "p2": 400, "p3": 700}
    assert sorted(sorted(p.name for p in b) for b in profile) == [["p1"], ["p1", "p2"], ["p2", "p3"]]


def _broken(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (_broken("v3;p2,p3;61", "v3;p2,p9;61"), 21, "unknown project 'p9'"),
        (_broken("v3;p2,p3;61", "v3;p2,p2;61"), 21, "twice"),
        (_broken("v2;p1;", "v1;p1;"), 20, "voter_id 'v1' given twice"),
        (_broken("p3;700;1;Lights", "p2;700;1;Lights"), 16, "project_id 'p2' given twice"),
        (_broken("p2;400.0;2;Bins", "p2;400.5;2;Bins"), 15, "not a whole"),
        (_broken("p2;400.0;2;Bins", "p2;lots;2;Bins"), 15, "not a number"),
        (_broken("p2;400.0;2;Bins", "p2;400;2;Bins;extra"), 15, "5 fields"),
        (_broken("budget;1000\n", ""), 16, "no 'budget'"),
        (_broken("vote_type;approval\n", ""), 16, "no 'vote_type'"),
        (_broken("VOTES\n", "VOTES;\n"), 17, "cost '' is not a number"),
        (_broken("PROJECTS\n", "VOTES\n"), 12, "section VOTES where PROJECTS was expected"),
        (_broken("META\n", "hello\nMETA\n"), 1, "must start with a META line"),
        (_broken("voter_id;vote;age", "voter;vote;age"), 18, "VOTES header must start with voter_id;vote"),
        (_broken("budget;1000", "budget;a lot"), 9, "budget 'a lot' is not a number"),
    ],
)
def test_malformed_files_raise_pb_format_error_with_the_line(text, line, words):
    with pytest.raises(PbFormatError) as caught:
        read_pb(text)

    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{line}: ")


def test_format_errors_without_a_line_and_with_the_path(tmp_path):
    path = tmp_path / "cut.pb"
    path.write_text(SMALL.split("VOTES")[0], encoding="utf-8")

    with pytest.raises(PbFormatError, match="no VOTES section") as caught:
        read_pb(path)
    assert caught.value.line is None and caught.value.source == str(path)
    with pytest.raises(PbFormatError, match="num_votes is 3 but there are 2 rows"):
        read_pb(_broken("v3;p2,p3;61\n", ""))


def test_points_must_match_the_vote():
    text = (
        _broken("vote_type;approval", "vote_type;cumulative")
        .replace("voter_id;vote;age", "voter_id;vote;points")
        .replace("v1;p1,p2;34", "v1;p1,p2;4,6")
        .replace("v2;p1;", "v2;p1;10")
        .replace("v3;p2,p3;61", "v3;p2,p3;5,5")
    )
    assert read_pb(text).votes[0].extra == {"points": "4,6"}

    with pytest.raises(PbFormatError, match="2 points for 1 projects") as caught:
        read_pb(text.replace("v2;p1;10", "v2;p1;3,7"))
    assert caught.value.line == 20


def test_write_rejects_instances_pabulib_cannot_hold():
    good = read_pb(SMALL)
    cases = [
        (PbInstance({"vote_type": "approval"}, [], []), "no 'budget'"),
        (PbInstance(good.meta, good.projects, good.votes[:2]), "num_votes"),
        (PbInstance(good.meta, good.projects, [*good.votes[:2], PbVote("v3", ("p7",))]), "unknown projects"),
        (PbInstance(good.meta, good.projects, [*good.votes[:2], PbVote("v1", ())]), "repeated"),
        (PbInstance(good.meta, [*good.projects[:2], PbProject("p3", 5, "two\nlines")], good.votes), "line break"),
    ]
    for instance, words in cases:
        with pytest.raises(PbFormatError, match=words):
            write_pb(instance)


def test_an_exported_siang_round_tallies_the_same_in_pabutools():
    projects = [PbProject(f"P{i:02d}", cost, f"Project {i}", {"votes": "0"}) for i, cost in enumerate([300, 500, 200, 400])]
    ballots = [("P00", "P01"), ("P01",), ("P02", "P03"), ("P01", "P03"), ()]
    instance = PbInstance(
        meta={
            "description": "Siang round",
            "country": "Thailand",
            "unit": "Bangkok",
            "instance": "2026",
            "num_projects": "4",
            "num_votes": str(len(ballots)),
            "budget": "900",
            "vote_type": "approval",
            "rule": "greedy",
            "currency": "THB",
        },
        projects=projects,
        votes=[PbVote(f"u{i}", b) for i, b in enumerate(ballots)],
    )

    pb_instance, profile = parse_pabulib_from_string(write_pb(instance))
    theirs = greedy_utilitarian_welfare(pb_instance, profile, sat_class=Cost_Sat)
    ours = tally([(p.project_id, p.cost) for p in projects], 900, ballots, "greedy", ballot_type="approval")

    assert ours.selected == tuple(p.name for p in theirs) == ("P01", "P03")


# --- tally against pabutools on real pabulib files ----------------------------


class _PointsTimesCost(AdditiveSatisfaction):
    """Reference copy of tally's cumulative utility, written against pabutools only."""

    def __init__(self, instance, profile, ballot):
        super().__init__(instance, profile, ballot, lambda i, p, b, project, pre: b.get(project, 0) * project.cost)


@cache  # shared with tests/test_voting_pabulib.py: one pabutools run per (file, rule) per session
def _pabutools_winners(name: str, rule: str) -> list[str]:
    """pabutools' parse_pabulib + the rule, straight on the file, as tally() documents it."""
    instance, profile = _pabutools(name)
    sat = _PointsTimesCost if instance.meta["vote_type"] in ("cumulative", "scoring") else Cost_Sat
    multiprofile = profile.as_multiprofile()  # same outcome, much faster on big files
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, multiprofile, sat_class=sat, tie_breaking=lexico_tie_breaking)
    else:
        step = max(1, math.ceil(instance.budget_limit / profile.num_ballots() / 100))
        outcome = method_of_equal_shares(
            instance, multiprofile, sat_class=sat, tie_breaking=lexico_tie_breaking, voter_budget_increment=step
        )
    return [p.name for p in outcome]


TALLIED = [f for f in ALL_FILES if f != KRAKOW]


@pytest.mark.parametrize(("name", "rule"), [_param(n, r) for n in TALLIED for r in ("greedy", "mes")])
def test_tally_file_matches_pabutools_on_the_file(name, rule):
    ours = tally_file(str(PABULIB / name), rule)

    assert ours["selected"] == _pabutools_winners(name, rule)
    assert ours["rule"] == rule and ours["seconds"] > 0
    assert 0 < ours["budget_used"] <= ours["budget"]


@needs_data
@pytest.mark.parametrize("rule", ["greedy", "mes"])
def test_ordinal_files_are_refused(rule):
    with pytest.raises(UnsupportedVoteType, match="ordinal"):
        tally_file(str(PABULIB / KRAKOW), rule)


def _really_selected(name: str) -> set[str]:
    return {p.project_id for p in read_pb(PABULIB / name).projects if p.extra.get("selected") == "1"}


@needs_data
@pytest.mark.parametrize(
    ("name", "rule"),
    [
        (ASSEN, "mes"),  # Assen used MES with Add1 completion
        (MOKOTOW, "greedy"),  # META rule: greedy, approval
        (CZESTOCHOWA, "greedy"),  # META rule: greedy, by cumulative score
        # greedy-threshold (100 votes) and greedy-no-skip: plain greedy happens
        # to give the same projects here.
        ("Poland_Lodz_2022.pb", "greedy"),
        ("Poland_Wroclaw_2015_150_-_500.pb", "greedy"),
    ],
)
def test_tally_reproduces_the_real_outcome(name, rule):
    assert set(tally_file(str(PABULIB / name), rule)["selected"]) == _really_selected(name)


@needs_data
def test_default_mes_step_gives_add1_outcome_on_assen():
    instance = read_pb(PABULIB / ASSEN)
    args = ([(p.project_id, p.cost) for p in instance.projects], instance.budget, [v.project_ids for v in instance.votes])

    add1 = tally(*args, "mes", ballot_type="approval", mes_voter_budget_increment=1)
    default = tally(*args, "mes", ballot_type="approval")

    assert default.parameters["voter_budget_increment"] == 12  # ceil(100000 / 84 / 100)
    assert add1.parameters["voter_budget_increment"] == 1
    assert default.selected == add1.selected
    assert set(add1.selected) == _really_selected(ASSEN)


# --- small hand-made cases ----------------------------------------------------

RED_BLUE = [(pid, 100) for pid in ("r1", "r2", "r3", "b1", "b2", "b3")]
RED_BLUE_BALLOTS = [["r1", "r2", "r3"]] * 6 + [["b1", "b2", "b3"]] * 4


def test_greedy_takes_the_most_voted_projects_that_fit():
    result = tally(
        [("a", 600), ("b", 500), ("c", 400), ("d", 100)],
        1000,
        [["a", "b"], ["a", "c"], ["a", "b", "c"], ["b", "d"], ["c"]],
        "greedy",
        ballot_type="approval",
    )

    assert result.votes == {"a": 3, "b": 3, "c": 3, "d": 1}
    # a, b, c tie on 3 votes: "a" first; then b no longer fits, c does, d does not.
    assert result.selected == ("a", "c")
    assert result.budget_used == 1000
    assert isinstance(result, TallyResult) and result.seconds >= 0


def test_greedy_ties_go_to_the_smaller_id_as_a_string():
    result = tally([("9", 500), ("10", 500)], 500, [["9"], ["10"]], "greedy", ballot_type="approval")

    assert result.selected == ("10",)


def test_mes_ties_go_to_the_smaller_id_as_a_string():
    result = tally([("b", 10), ("a", 10)], 10, [["a", "b"]] * 3, "mes", ballot_type="approval")

    assert result.selected == ("a",)
    assert result.parameters["exhaustive"] is True


def test_mes_is_proportional_where_greedy_is_not():
    greedy = tally(RED_BLUE, 300, RED_BLUE_BALLOTS, "greedy", ballot_type="approval")
    mes = tally(RED_BLUE, 300, RED_BLUE_BALLOTS, "mes", ballot_type="approval", mes_voter_budget_increment=1)

    assert greedy.selected == ("r1", "r2", "r3")
    # 60% of voters get 2 of 3 projects, 40% get 1: the per-voter budget is
    # raised from 30 to 34 baht, where the outcome becomes exhaustive.
    assert mes.selected == ("r1", "r2", "b1")
    assert mes.budget_used == 300 and mes.parameters["exhaustive"] is True
    assert mes.parameters["completion"].startswith("budget increase")


def test_mes_keeps_the_last_outcome_that_fits():
    # Two equal groups want different projects that each cost the whole budget:
    # raising the shares until one is affordable makes both affordable at once,
    # which overspends, so MES with completion funds nothing.
    result = tally([("a", 10), ("b", 10)], 10, [["a"], ["b"]] * 2, "mes", ballot_type="approval")

    assert result.selected == ()
    assert result.parameters["exhaustive"] is False


@pytest.mark.parametrize("rule", ["greedy", "mes"])
def test_budget_smaller_than_every_project_selects_nothing(rule):
    result = tally(RED_BLUE, 99, RED_BLUE_BALLOTS, rule, ballot_type="approval")

    assert result.selected == () and result.budget_used == 0
    assert result.votes["r1"] == 6 and result.votes["b1"] == 4


@pytest.mark.parametrize("rule", ["greedy", "mes"])
@pytest.mark.parametrize("ballot_type", ["approval", "knapsack", "choose-1", "cumulative"])
def test_an_empty_ballot_set_selects_nothing(rule, ballot_type):
    result = tally(RED_BLUE, 300, [], rule, ballot_type=ballot_type)

    assert result.selected == ()
    assert set(result.votes.values()) == {0}


@pytest.mark.parametrize("rule", ["greedy", "mes"])
def test_projects_without_votes_are_never_funded(rule):
    result = tally([("a", 10), ("b", 10), ("c", 10)], 100, [["a"], [], ["a"]], rule, ballot_type="approval")

    assert result.selected == ("a",)
    assert result.budget_used == 10


def test_knapsack_and_choose_1_ballots_are_checked():
    with pytest.raises(ValueError, match="ballot 1: knapsack picks cost more than the budget 150"):
        tally([("a", 100), ("b", 100)], 150, [["a"], ["a", "b"]], "greedy", ballot_type="knapsack")
    with pytest.raises(ValueError, match="ballot 0: a choose-1 ballot names 2 projects"):
        tally([("a", 100), ("b", 100)], 150, [["a", "b"]], "greedy", ballot_type="choose-1")

    knapsack = tally([("a", 100), ("b", 50), ("c", 60)], 150, [["a", "b"], ["b", "c"], ["a"]], "greedy", ballot_type="knapsack")
    assert knapsack.selected == ("a", "b")


def test_cumulative_greedy_orders_by_points():
    # "a" has more supporters, "b" more points: cities using points fund "b".
    ballots = [{"a": 1, "b": 9}, {"a": 2}, {"a": 1, "c": 9}, {"b": 5, "c": 0}]
    result = tally([("a", 60), ("b", 60), ("c", 30)], 100, ballots, "greedy", ballot_type="cumulative")

    assert result.points == {"a": 4, "b": 14, "c": 9}
    assert result.votes == {"a": 3, "b": 2, "c": 1}
    assert result.selected == ("b", "c")


@pytest.mark.parametrize(
    ("projects", "budget", "ballots", "kwargs", "words"),
    [
        ([("a", 1)], 1, [["z"]], {}, "ballot 0: unknown project 'z'"),
        ([("a", 1)], 1, [["a", "a"]], {}, "names a project twice"),
        ([("a", 1)], 1, ["a"], {}, "expected a sequence of project ids"),
        ([("a", 1), ("a", 2)], 1, [], {}, "given twice"),
        ([("a", 1.5)], 1, [], {}, "cost must be a non-negative int"),
        ([("a", -1)], 1, [], {}, "cost must be a non-negative int"),
        ([("a", 1)], -5, [], {}, "budget must be a non-negative int"),
        ([("a", 1)], 1, [], {"rule": "borda"}, "rule must be one of"),
        ([("a", 1)], 1, [], {"ballot_type": "ranked"}, "ballot_type must be one of"),
        ([("a", 1)], 1, [], {"mes_voter_budget_increment": 0}, "must be a positive int"),
        ([("a", 1)], 1, [{"a": -1}], {"ballot_type": "cumulative"}, "non-negative int"),
        ([("a", 1)], 1, [["a"]], {"ballot_type": "cumulative"}, "maps project id -> points"),
    ],
)
def test_bad_input_raises_value_error(projects, budget, ballots, kwargs, words):
    arguments = {"rule": "greedy", "ballot_type": "approval"} | kwargs
    rule = arguments.pop("rule")
    with pytest.raises(ValueError, match=words):
        tally(projects, budget, ballots, rule, **arguments)
