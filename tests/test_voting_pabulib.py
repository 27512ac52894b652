"""Every real pabulib instance through Siang's database path: import the .pb file as a
round, tally it from the stored ballots, and get the same winners as pabutools run
directly on the file (greedy and the Method of Equal Shares, where the ballot type
allows); export it back; an ordinal file is refused with nothing written.

MES on the three biggest approval files takes minutes (ours from the database; the
pabutools reference run is shared with tests/test_tally.py), so those cases are marked
slow; CI runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pb import ballots, results, round_io, rounds
from pb.pabulib import read_pb, write_pb
from pb.scope import ReadOnlyError, Scope, ScopeError

PABULIB = Path(os.environ.get("SIANG_PABULIB_DIR",
                              Path(__file__).resolve().parents[2] / "shared/data/pabulib"))
FILES = sorted(p.name for p in PABULIB.glob("*.pb")) if PABULIB.is_dir() else []


def _vote_type(name: str) -> str:
    """META vote_type, read without parsing the whole file."""
    with open(PABULIB / name, encoding="utf-8-sig") as handle:
        for line in handle:
            key, _, value = line.strip().partition(";")
            if key == "vote_type":
                return value.strip()
            if key == "PROJECTS":
                break
    return ""


ORDINAL = {name for name in FILES if _vote_type(name) == "ordinal"}
# (file, rule) whose check takes over a minute here (MES ~30–140 s per run).
SLOW = {("Poland_Warszawa_2021_Mokotow.pb", "mes"), ("Hungary_Budapest_2024.pb", "mes"),
        ("Poland_Lodz_2022.pb", "mes")}
SYSTEM = Scope.system()


def _cases():
    if not FILES:
        return [pytest.param("none", "greedy", marks=pytest.mark.skip(reason=f"no data at {PABULIB}"))]
    out = []
    for name in FILES:
        if name in ORDINAL:
            continue
        for rule in ("greedy", "mes"):
            marks = [pytest.mark.slow] if (name, rule) in SLOW else []
            out.append(pytest.param(name, rule, marks=marks, id=f"{name}-{rule}"))
    return out


def _pabutools_direct(name: str, rule: str) -> list[str]:
    """pabutools on the file itself (parse_pabulib, then the rule with pb.tally's documented
    parameters): tests/test_tally.py's reference, cached there, so a session that runs both
    modules runs pabutools once per (file, rule)."""
    from tests.test_tally import _pabutools_winners   # same folder: SIANG_PABULIB_DIR or ../shared

    return _pabutools_winners(name, rule)


def _import(db, name: str, rule: str) -> int:
    with db.transaction():
        round_id = round_io.import_pb(db, SYSTEM, read_pb(PABULIB / name), rule=rule)
    return round_id


@pytest.mark.parametrize(("name", "rule"), _cases())
def test_import_then_tally_from_the_database_matches_pabutools_on_the_file(db, name, rule):
    instance = read_pb(PABULIB / name)
    round_id = _import(db, name, rule)

    with db.transaction():
        stored = results.compute(db, round_id, rules=(rule,))
    ours = stored[rule]

    assert ours.winners == _pabutools_direct(name, rule)
    assert ours.ballots == len(instance.votes) and ours.quorum_met
    assert 0 < ours.budget_used <= instance.budget
    assert ours.params["rule"] == rule and ours.params["pabutools"]
    found = rounds.load(db, round_id)
    assert found.state == "tallied" and found.origin == "pabulib"
    # What is stored is what the tally was given: the file's projects and ballots.
    assert sum(ours.votes.values()) == sum(len(v.project_ids) for v in instance.votes)


@pytest.mark.parametrize("name", [n for n in FILES if n not in ORDINAL and
                                  os.path.getsize(PABULIB / n) < 1_000_000] or ["none"])
def test_export_gives_back_the_same_election(db, name):
    if name == "none":
        pytest.skip("no data")
    instance = read_pb(PABULIB / name)
    round_id = _import(db, name, "greedy")

    exported = round_io.export_pb(db, round_id)

    assert exported.meta == instance.meta
    assert [(p.project_id, p.cost, p.name) for p in exported.projects] == [
        (p.project_id, p.cost, p.name) for p in instance.projects]
    key = (lambda v: (v.voter_id, sorted(v.project_ids), v.extra.get("points", "")))
    if instance.vote_type in ("cumulative", "scoring"):
        # points follow the project order of the ballot, which the database keeps per project
        def key(v):
            return (v.voter_id, sorted(zip(v.project_ids, v.extra.get("points", "").split(","))))
    assert sorted(map(key, exported.votes)) == sorted(map(key, instance.votes))
    assert read_pb(write_pb(exported)).budget == instance.budget


@pytest.mark.parametrize("name", sorted(ORDINAL) or ["none"])
def test_an_ordinal_file_is_refused_and_nothing_is_written(db, name):
    if name == "none":
        pytest.skip("no ordinal file")
    with pytest.raises(rounds.RoundError) as caught:
        with db.transaction():
            round_io.import_pb(db, SYSTEM, read_pb(PABULIB / name))
    assert caught.value.code == "unsupported_vote_type"
    assert db.execute("SELECT count(*) FROM voting_rounds").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM ballots").fetchone()[0] == 0


def test_only_admins_import_pb_files(db):
    if not FILES:
        pytest.skip("no data")
    small = min((n for n in FILES if n not in ORDINAL), key=lambda n: os.path.getsize(PABULIB / n))
    officer = Scope.for_staff(1, "officer", "officer", ["บางรัก"])
    viewer = Scope.for_staff(2, "viewer", "viewer", [])
    with pytest.raises(ScopeError):
        round_io.import_pb(db, officer, read_pb(PABULIB / small))
    db.rollback()
    with pytest.raises(ReadOnlyError):
        round_io.import_pb(db, viewer, read_pb(PABULIB / small))
    db.rollback()


def test_an_imported_round_takes_no_chat_ballots(db):
    if not FILES:
        pytest.skip("no data")
    small = min((n for n in FILES if n not in ORDINAL), key=lambda n: os.path.getsize(PABULIB / n))
    round_id = _import(db, small, "greedy")
    first = rounds.projects_of(db, round_id)[0]
    with pytest.raises(ballots.BallotError) as caught:
        ballots.cast(db, round_id, [first.id], resident_id=1, district="บางรัก")
    assert caught.value.code == "no_round"
    db.rollback()
