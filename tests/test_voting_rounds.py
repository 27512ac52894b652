"""Voting rounds in the database: creating and opening them (bad input refused, nothing
half-written), one ballot per resident under 50 concurrent submissions, the quorum,
paper ballots, the jobs (open notice in multicast batches, close and tally through the
sweeper, result notice), publishing, and PDPA erasure."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from pb import ballots, erasure, paper_ballots, results, round_changes, rounds
from pb.scope import Scope, ScopeError
from tests.voting_support import (HOME, OTHER, SYSTEM, count, end_voting, fields, open_round,
                                  project, resident, round_project_ids)


@pytest.fixture
def three(db):
    return [project(db, "ซ่อมถนนซอย 5", 600_000), project(db, "ไฟส่องสว่างซอย 7", 500_000),
            project(db, "ลานกีฬาชุมชน", 300_000)]


def _refused(db, code: str, make) -> None:
    before = count(db, "SELECT count(*) FROM voting_rounds")
    with pytest.raises(rounds.RoundError) as caught:
        with db.transaction():
            make()
    db.rollback()
    assert caught.value.code == code
    assert count(db, "SELECT count(*) FROM voting_rounds") == before


# --- bad input -------------------------------------------------------------------------


def test_bad_rounds_are_refused_and_nothing_is_written(db, three):
    cases = [
        ("no_projects", fields([])),
        ("envelope_too_small", fields(three, budget=299_999)),
        ("max_picks_over_projects", fields(three, k=4)),
        ("bad_max_picks", fields(three, k=None)),
        ("closes_before_opens", fields(three, opens_in_s=100, closes_in_s=50)),
        ("closes_in_past", fields(three, opens_in_s=-100, closes_in_s=-50)),
        ("bad_quorum_percent", fields(three, quorum_kind="percent", quorum=101)),
        ("bad_quorum", fields(three, quorum=-1)),
        ("bad_budget", fields(three, budget=0)),
        ("project_other_district", fields(three, district=OTHER)),
        ("unknown_project", fields([*three, 99_999])),
    ]
    for code, values in cases:
        _refused(db, code, lambda: round_changes.create(db, SYSTEM, values))
    draft = project(db, "ยังไม่พร้อม", 100_000, state="draft")
    _refused(db, "project_not_ready", lambda: round_changes.create(db, SYSTEM, fields([draft])))
    assert count(db, "SELECT count(*) FROM round_projects") == 0


def test_a_round_with_no_projects_cannot_open(db, three):
    with db.transaction():
        round_id = round_changes.create(db, SYSTEM, fields(three))
        db.execute("DELETE FROM round_projects WHERE round_id = %s", (round_id,))
    with pytest.raises(rounds.RoundError) as caught:
        with db.transaction():
            round_changes.open_round(db, SYSTEM, round_id, 1)
    assert caught.value.code == "no_projects"
    assert rounds.load(db, round_id).state == "draft"
    db.rollback()


def test_a_project_is_on_one_active_round_only(db, three):
    open_round(db, three)
    _refused(db, "project_in_other_round", lambda: round_changes.create(db, SYSTEM, fields(three[:1])))


def test_officers_make_rounds_of_their_own_district_only(db, three):
    officer = Scope.for_staff(None, "officer", "officer", [OTHER])
    with pytest.raises(ScopeError):
        round_changes.create(db, officer, fields(three))
    db.rollback()
    mine = Scope.for_staff(None, "officer", "officer", [HOME])
    with pytest.raises(ScopeError):                      # city-wide needs every district
        round_changes.create(db, mine, fields(three, district=None))
    db.rollback()
    with db.transaction():
        round_id = round_changes.create(db, mine, fields(three))
    assert rounds.get(db, mine, round_id).district == HOME
    with pytest.raises(ScopeError):
        rounds.get(db, officer, round_id)
    db.rollback()


# --- casting ---------------------------------------------------------------------------


def _cast(url: str, round_id: int, picks: list[int], resident_id: int, barrier=None):
    with psycopg.connect(url) as conn:
        if barrier is not None:
            barrier.wait()
        with conn.transaction():
            return ballots.cast(conn, round_id, picks, resident_id=resident_id, district=HOME)


def test_fifty_concurrent_submissions_by_one_resident_leave_one_ballot(db, settings, three):
    round_id = open_round(db, three, k=2)
    rp = round_project_ids(db, round_id)
    alice = resident(db, "U" + "a" * 32)
    choices = [[rp[i % 3], rp[(i + 1) % 3]] for i in range(50)]
    barrier = threading.Barrier(50)
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(lambda picks: _cast(settings.database_url, round_id, picks,
                                                     alice, barrier), choices))

    assert count(db, "SELECT count(*) FROM ballots WHERE round_id = %s", round_id) == 1
    assert sum(o.created for o in outcomes) == 1
    assert len({o.ballot_id for o in outcomes}) == 1
    final = ballots.of_resident(db, round_id, alice)
    assert len(final.picks) == 2 and final.version == 1 + sum(o.changed and not o.created
                                                                for o in outcomes)
    assert count(db, "SELECT count(*) FROM ballot_choices") == 2
    db.rollback()


def test_fifty_concurrent_confirm_taps_through_the_webhook_leave_one_ballot(db, settings, sim,
                                                                          clean, three):
    """The same confirm postback, delivered 50 times at once (each its own webhook event),
    handled by workers in parallel: one ballot, one receipt."""
    from workers import jobs

    round_id = open_round(db, three, k=2)
    rp = round_project_ids(db, round_id)
    user = "U" + "b" * 32
    sim.set_profile(user, "บี", "th", following=True)
    bob = resident(db, user)
    with db.transaction():
        current = ballots.start_draft(db, round_id, bob)
        current = ballots.set_draft(db, current, rp[:2])
    db.commit()
    for _ in range(50):
        assert sim.tap(user, f"a=vote&c=ok&r={round_id}&v={current.version}")["status"] == 200
    event_ids = [r[0] for r in db.execute("SELECT id FROM webhook_events ORDER BY id").fetchall()]
    db.commit()
    assert len(event_ids) == 50
    barrier = threading.Barrier(10)

    def handle(chunk):
        barrier.wait()
        return [jobs.process_event(event_id) for event_id in chunk]
    with ThreadPoolExecutor(max_workers=10) as pool:
        done = [s for part in pool.map(handle, [event_ids[i::10] for i in range(10)]) for s in part]

    # A worker handles the resident's earlier pending events before its own (in order),
    # so some jobs find theirs already handled: every event is handled exactly once.
    assert set(done) <= {"done", "skipped"}
    assert count(db, "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL "
                     "AND error IS NULL") == 50
    assert count(db, "SELECT count(*) FROM outbox") == 50
    assert count(db, "SELECT count(*) FROM ballots") == 1
    assert count(db, "SELECT version FROM ballots") == 1
    texts = [m["message"].get("text", m["message"].get("altText", "")) for m in sim.messages(user)]
    assert sum("บันทึกการโหวตของคุณแล้วค่ะ" in t for t in texts) == 1
    assert sum("บันทึกการโหวตนี้ไว้แล้วค่ะ" in t for t in texts) == 49


@pytest.mark.parametrize(("picks", "code"), [
    ([], "no_picks"), ([999_999], "unknown_project"), ("dup", "duplicate_project"),
    ("three", "too_many"),
])
def test_bad_ballots_are_refused(db, three, picks, code):
    round_id = open_round(db, three, k=2)
    rp = round_project_ids(db, round_id)
    picks = {"dup": [rp[0], rp[0]], "three": rp}.get(picks, picks) if isinstance(picks, str) else picks
    alice = resident(db, "U" + "c" * 32)
    with pytest.raises(ballots.BallotError) as caught:
        ballots.cast(db, round_id, picks, resident_id=alice, district=HOME)
    db.rollback()
    assert caught.value.code == code
    assert count(db, "SELECT count(*) FROM ballots") == 0


def test_knapsack_ballots_over_budget_and_votes_after_close_are_refused(db, three):
    round_id = open_round(db, three, ballot_type="knapsack", budget=1_000_000)
    rp = round_project_ids(db, round_id)
    alice = resident(db, "U" + "d" * 32)
    with pytest.raises(ballots.BallotError) as caught:
        ballots.cast(db, round_id, rp[:2], resident_id=alice, district=HOME)
    assert caught.value.code == "over_budget" and caught.value.values["total"] == 1_100_000
    db.rollback()
    with db.transaction():
        ballots.cast(db, round_id, [rp[0], rp[2]], resident_id=alice, district=HOME)
    end_voting(db, round_id)
    with pytest.raises(ballots.BallotError) as caught:
        ballots.cast(db, round_id, [rp[2]], resident_id=alice, district=HOME)
    assert caught.value.code == "closed"
    db.rollback()
    assert ballots.of_resident(db, round_id, alice).picks == [rp[0], rp[2]]
    db.rollback()


def test_a_close_waits_for_a_ballot_being_cast(db, settings, three):
    round_id = open_round(db, three, k=2)
    rp = round_project_ids(db, round_id)
    alice = resident(db, "U" + "e" * 32)
    casting = psycopg.connect(settings.database_url)      # a transaction opens on first use
    ballots.cast(casting, round_id, rp[:1], resident_id=alice, district=HOME)
    closed = threading.Event()

    def close():
        with psycopg.connect(settings.database_url) as conn, conn.transaction():
            conn.execute("UPDATE voting_rounds SET closes_at = now() WHERE id = %s", (round_id,))
        end_voting_conn = psycopg.connect(settings.database_url)
        with end_voting_conn.transaction():
            rounds.close_due(end_voting_conn, round_id)
        end_voting_conn.close()
        closed.set()
    thread = threading.Thread(target=close)
    thread.start()
    assert not closed.wait(1.0)              # held by the ballot's FOR KEY SHARE
    casting.commit()
    casting.close()
    thread.join(10)
    assert closed.is_set()
    assert count(db, "SELECT count(*) FROM ballots") == 1
    assert rounds.load(db, round_id).state == "closed"
    db.rollback()


# --- tally, quorum, publish ---------------------------------------------------------------


def _vote(db, round_id: int, n: int, picks_of, district: str = HOME) -> None:
    rp = round_project_ids(db, round_id)
    for i in range(n):
        rid = resident(db, f"U{round_id:04d}{i:028d}", district)
        with db.transaction():
            ballots.cast(db, round_id, [rp[j] for j in picks_of(i)], resident_id=rid,
                         district=district)
    db.commit()


def test_quorum_not_met_gives_results_that_are_not_valid(db, clean, three):
    round_id = open_round(db, three, k=2, quorum=5)
    _vote(db, round_id, 3, lambda i: [0])
    end_voting(db, round_id)
    with db.transaction():
        stored = results.compute(db, round_id)
    assert set(stored) == {"greedy", "mes"}
    greedy = stored["greedy"]
    assert (greedy.ballots, greedy.quorum_required, greedy.quorum_met) == (3, 5, False)
    with db.transaction():
        results.publish(db, SYSTEM, round_id, rounds.load(db, round_id).version)
    states = {r[0] for r in db.execute("SELECT state FROM projects").fetchall()}
    assert states == {"ready_for_vote"}                   # nothing selected by an invalid vote
    db.commit()
    from workers import voting

    assert voting.notify_round_result(round_id) == 1
    assert voting.notify_round_result(round_id) == 0
    row = db.execute("SELECT kind, recipients, messages FROM outbox").fetchone()
    db.commit()
    assert row[0] == "multicast" and len(row[1]) == 3
    assert "มีผู้โหวต 3 คน ไม่ถึงจำนวนขั้นต่ำ 5 คน ผลโหวตรอบนี้จึงไม่นับค่ะ" in row[2][0]["text"]


def test_a_percent_quorum_counts_consenting_residents_in_scope(db, three):
    round_id = open_round(db, three, k=2, quorum_kind="percent", quorum="25")
    for i in range(5):
        resident(db, f"Uother{i:027d}", OTHER)               # out of scope: not counted
    _vote(db, round_id, 3, lambda i: [i % 3])                 # 3 voters of HOME
    for i in range(9):
        resident(db, f"Uhome{i:028d}", HOME)                  # 12 consenting in HOME
    end_voting(db, round_id)
    with db.transaction():
        stored = results.compute(db, round_id)
    assert (stored["greedy"].electorate, stored["greedy"].quorum_required,
            stored["greedy"].quorum_met) == (12, 3, True)
    db.commit()


def test_tally_stores_both_rules_and_publish_selects_the_winners(db):
    # 6 voters like A and B; 4 voters like only C. Greedy funds A and B; MES gives
    # the minority its share and funds C.
    ids = [project(db, "A", 400_000), project(db, "B", 400_000), project(db, "C", 400_000)]
    round_id = open_round(db, ids, k=3, budget=800_000, rule="mes")
    _vote(db, round_id, 10, lambda i: [0, 1] if i < 6 else [2])
    end_voting(db, round_id)
    with db.transaction():
        stored = results.compute(db, round_id, scope=SYSTEM)
    code = {n: str(pid) for n, pid in enumerate(ids)}
    assert sorted(stored["greedy"].winners) == sorted([code[0], code[1]])
    assert code[2] in stored["mes"].winners and stored["mes"].chosen
    assert stored["mes"].params["function"] == "pabutools.rules.method_of_equal_shares"
    assert stored["mes"].votes == {code[0]: 6, code[1]: 6, code[2]: 4}
    assert rounds.load(db, round_id).state == "tallied"
    db.commit()

    with db.transaction():
        results.publish(db, SYSTEM, round_id, rounds.load(db, round_id).version)
    states = dict(db.execute("SELECT id, state FROM projects").fetchall())
    assert states[ids[2]] == "selected"
    assert sorted(states.values()) == ["not_selected", "selected", "selected"]
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions.count("project.transition") == 3 and "round.publish" in actions
    db.commit()
    with pytest.raises(rounds.RoundError):
        with db.transaction():
            results.compute(db, round_id)             # published results are final
    db.rollback()


def test_publishing_stale_results_is_refused(db, three):
    round_id = open_round(db, three, k=2)
    _vote(db, round_id, 2, lambda i: [0])
    end_voting(db, round_id)
    with db.transaction():
        results.compute(db, round_id)
        paper_ballots.import_paper(db, SYSTEM, round_id, f"p1,{three[1]}\n")
    with pytest.raises(rounds.RoundError) as caught:
        with db.transaction():
            results.publish(db, SYSTEM, round_id, rounds.load(db, round_id).version)
    assert caught.value.code == "stale_results"
    db.rollback()


# --- paper ballots -------------------------------------------------------------------------


def test_paper_csv_is_checked_as_a_whole_and_counted_with_chat_ballots(db, three):
    round_id = open_round(db, three, ballot_type="knapsack", budget=1_000_000)
    a, b, c = (str(p) for p in three)
    bad = (f"voter_ref,projects\n"
           f"P001,{a} {c}\n"
           f"P002,{a};{b}\n"             # 1,100,000 > 1,000,000
           f"P003,999\n"                 # unknown project
           f"P004,{a} {a}\n"             # the same project twice
           f"P005\n"                     # no picks
           f"P001,{b}\n"                 # P001 twice in the file
           f",{b}\n")                    # no voter reference
    with db.transaction():
        report = paper_ballots.import_paper(db, SYSTEM, round_id, bad.encode())
    assert not report.ok and report.imported == 0 and report.rows == 7
    assert report.counts() == {"duplicate_in_file": 2, "over_budget": 1, "unknown_project": 1,
                               "duplicate_project": 1, "no_picks": 1, "no_voter_ref": 1}
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 6, 7, 8]
    assert count(db, "SELECT count(*) FROM ballots") == 0

    good = f"\ufeffP001;{a};{c}\nP002;{b}\n".encode()
    with db.transaction():
        report = paper_ballots.import_paper(db, SYSTEM, round_id, good)
    assert report.ok and report.imported == 2
    with db.transaction():
        again = paper_ballots.import_paper(db, SYSTEM, round_id, good)
    assert again.counts() == {"already_voted": 2} and again.imported == 0
    _vote(db, round_id, 1, lambda i: [2])
    end_voting(db, round_id)
    with db.transaction():
        stored = results.compute(db, round_id)
    assert (stored["greedy"].ballots, stored["greedy"].ballots_chat,
            stored["greedy"].ballots_paper) == (3, 1, 2)
    assert stored["greedy"].votes == {a: 1, b: 1, c: 2}
    db.commit()


def test_paper_ballots_over_k_are_reported(db, three):
    round_id = open_round(db, three, k=1)
    with db.transaction():
        report = paper_ballots.import_paper(db, SYSTEM, round_id, f"P1,{three[0]},{three[1]}\n")
    assert report.counts() == {"too_many": 1} and "2 > k = 1" in report.problems[0].detail
    db.rollback()


# --- jobs -----------------------------------------------------------------------------------


def test_open_notice_goes_out_in_multicast_batches_of_500_once(db, clean, three):
    from workers import voting

    round_id = open_round(db, three, k=2)
    db.execute(
        """INSERT INTO residents (line_user_id, district, language, consent_at)
           SELECT 'U' || lpad(n::text, 32, '0'), %s, CASE WHEN n %% 10 = 0 THEN 'en' ELSE 'th' END, now()
             FROM generate_series(1, 1150) n""", (HOME,))
    db.execute("""INSERT INTO residents (line_user_id, district, consent_at, announcements_opt_out)
                  VALUES ('Uoptout', %s, now(), true), ('Uelsewhere', %s, now(), false)""",
               (HOME, OTHER))
    db.execute("INSERT INTO residents (line_user_id, district) VALUES ('Unoconsent', %s)", (HOME,))
    db.commit()

    assert voting.notify_round_open(round_id) == 4                 # th: 1035 → 3; en: 115 → 1
    assert voting.notify_round_open(round_id) == 0                 # once
    rows = db.execute("SELECT kind, recipients, messages, retry_key FROM outbox ORDER BY id").fetchall()
    db.commit()
    assert [len(r[1]) for r in rows] == [115, 500, 500, 35]
    assert all(r[0] == "multicast" for r in rows) and len({r[3] for r in rows}) == 4
    everyone = [u for r in rows for u in r[1]]
    assert len(everyone) == len(set(everyone)) == 1150
    assert "Voting is open" in rows[0][2][0]["text"] and "เปิดโหวตแล้วค่ะ" in rows[1][2][0]["text"]
    assert rows[1][2][0]["quickReply"]["items"][0]["action"]["data"] == f"a=vote&c=open&r={round_id}"


def test_the_sweeper_closes_and_tallies_and_voters_hear_the_result(db, clean, work, sim, three):
    from workers import sweeper

    round_id = open_round(db, three, k=2)
    user = "U" + "f" * 32
    sim.set_profile(user, "เอฟ", "th", following=True)
    voter = resident(db, user)
    rp = round_project_ids(db, round_id)
    with db.transaction():
        ballots.cast(db, round_id, [rp[0]], resident_id=voter, district=HOME)
        db.execute("UPDATE voting_rounds SET closes_at = now() WHERE id = %s", (round_id,))
    db.commit()

    assert sweeper.sweep_once()["voting"] >= 1
    work()
    found = rounds.load(db, round_id)
    assert found.state == "tallied"
    db.commit()
    with db.transaction():
        results.publish(db, SYSTEM, round_id, found.version)
    assert sweeper.sweep_once()["voting"] == 1                     # the result notice
    work()
    texts = [m["message"].get("text", "") for m in sim.messages(user)]
    assert any("ผลโหวต" in t and "ซ่อมถนนซอย 5" in t and f"/results/{round_id}" in t for t in texts)
    assert sweeper.sweep_once()["voting"] == 0
    db.rollback()


def test_erasing_a_resident_unlinks_their_ballot_which_still_counts(db, three):
    round_id = open_round(db, three, k=2)
    alice = resident(db, "U" + "9" * 32)
    rp = round_project_ids(db, round_id)
    with db.transaction():
        ballots.cast(db, round_id, [rp[1]], resident_id=alice, district=HOME)
        ballots.start_draft(db, round_id, alice)
    with db.transaction():
        counts = erasure.erase(db, alice, "U" + "9" * 32, "delete")
    assert counts.ballots_unlinked == 1
    assert db.execute("SELECT resident_id, source FROM ballots").fetchall() == [(None, "chat")]
    assert count(db, "SELECT count(*) FROM ballot_drafts") == 0
    end_voting(db, round_id)
    with db.transaction():
        assert results.compute(db, round_id)["greedy"].votes[str(three[1])] == 1
    db.commit()
