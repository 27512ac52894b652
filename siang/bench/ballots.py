"""``siang bench ballots``: ballots cast through the chat path, then the tally, on a real instance.

The largest pabulib instance in ``../shared/data/pabulib`` whose ballots a
resident could cast in LINE (approval or choose-1; by number of voters) is
turned into a Siang round: its projects become city-wide projects ready
for the vote (costs as in the file), the round is opened, one consenting
resident is made per voter, and every ballot is cast with
:func:`pb.ballots.cast`, the function the LINE confirm step calls, each in
its own transaction with the resident's row locked first (as the worker
does for an event), from several threads. Then the round is closed and
tallied from the database under greedy and the Method of Equal Shares
(:func:`pb.results.compute`, pabutools). Reported: ballots/s, per-ballot
p50/p99, tally seconds per rule, and whether the winners match
``pb.tally.tally_file`` on the file itself (mapped back to the file's
project ids; ties may break differently because the ids differ).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from pb import ballots, results, round_changes, rounds
from pb.districts import THAI_NAMES
from pb.pabulib import PbInstance, read_pb
from pb.scope import Scope
from siang.bench.common import finish, percentile_ms, print_table
from siang.bench.harness import Harness

PABULIB = Path(__file__).resolve().parents[3] / "shared" / "data" / "pabulib"
CHAT_VOTE_TYPES = ("approval", "choose-1")
THREADS = 4


def largest_instance(directory: Path) -> Path:
    """The .pb file with the most voters among those residents could vote in LINE.

    Raises:
        FileNotFoundError: no such file in ``directory``.
    """
    best: tuple[int, Path] | None = None
    for path in sorted(directory.glob("*.pb")):
        meta: dict[str, str] = {}
        with open(path, encoding="utf-8-sig") as handle:
            for line in handle:
                key, _, value = line.strip().partition(";")
                if key == "PROJECTS":
                    break
                meta[key] = value
        if meta.get("vote_type") in CHAT_VOTE_TYPES and meta.get("num_votes", "").isdigit():
            votes = int(meta["num_votes"])
            if best is None or votes > best[0]:
                best = (votes, path)
    if best is None:
        raise FileNotFoundError(f"no approval or choose-1 .pb file in {directory}")
    return best[1]


def make_round(conn: psycopg.Connection, instance: PbInstance
               ) -> tuple[int, dict[str, int], dict[str, str]]:
    """A city-wide Siang round holding the instance's projects; returns (round id,
    file project id → round_projects.id, round project code → file project id)."""
    from pb import processes

    with conn.transaction():
        process_id = processes.current_id(conn)
        ids = []
        for n, project in enumerate(instance.projects):
            row = conn.execute(
                """INSERT INTO projects (process_id, title, description, district,
                                         estimated_cost_baht, fiscal_year, state)
                   VALUES (%s, %s, %s, %s, %s, 2569, 'ready_for_vote') RETURNING id""",
                (process_id, (project.name or project.project_id)[:200], project.name[:5000],
                 THAI_NAMES[n % len(THAI_NAMES)], project.cost)).fetchone()
            ids.append(int(row[0]))
        k = 1 if instance.vote_type == "choose-1" else int(instance.meta.get("max_length") or len(ids))
        now = dt.datetime.now(dt.timezone.utc)
        fields = rounds.RoundFields(
            title=" ".join(instance.meta.get(key, "") for key in ("unit", "instance")).strip()[:200]
            or "bench", district=None, budget_baht=instance.budget, ballot_type="approval",
            max_picks=min(k, len(ids)), quorum_kind="ballots", quorum_value=0,
            opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(days=1),
            rule="greedy", project_ids=ids)
        round_id = round_changes.create(conn, Scope.system(), fields)
        round_changes.open_round(conn, Scope.system(), round_id, 1)
        on_ballot = rounds.projects_of(conn, round_id)
    return (round_id, {p.project_id: rp.id for p, rp in zip(instance.projects, on_ballot)},
            {rp.code: p.project_id for p, rp in zip(instance.projects, on_ballot)})


def make_residents(conn: psycopg.Connection, n: int) -> list[tuple[int, str]]:
    """``n`` consenting residents spread over the 50 districts: (id, district)."""
    with conn.transaction():
        rows = conn.execute(
            """INSERT INTO residents (line_user_id, district, consent_at)
               SELECT 'Ubench' || lpad(i::text, 27, '0'), (%s::text[])[1 + i %% 50], now()
                 FROM generate_series(1, %s) i RETURNING id, district""",
            (list(THAI_NAMES), n)).fetchall()
    return [(int(r[0]), r[1]) for r in rows]


def cast_all(url: str, round_id: int, work: list[tuple[int, str, list[int]]],
             threads: int) -> tuple[list[float], int]:
    """Cast every ballot through the chat path; returns (seconds per ballot, refused)."""
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()

    def worker(part: list[tuple[int, str, list[int]]]) -> None:
        nonlocal refused
        mine: list[float] = []
        bad = 0
        with psycopg.connect(url) as conn:
            for resident_id, district, picks in part:
                started = time.perf_counter()
                try:
                    with conn.transaction():
                        conn.execute("SELECT id FROM residents WHERE id = %s FOR UPDATE",
                                     (resident_id,))
                        ballots.cast(conn, round_id, picks, resident_id=resident_id,
                                     district=district, source="chat")
                except ballots.BallotError:
                    bad += 1
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            refused += bad

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [work[i::threads] for i in range(threads)]))
    return latencies, refused


def run(options: dict) -> dict:
    directory = Path(os.environ.get("SIANG_PABULIB_DIR", PABULIB))
    path = largest_instance(directory)
    instance = read_pb(path)
    limit = options.get("ballots") or len(instance.votes)
    votes = instance.votes[:limit]
    harness = Harness("ballots")
    try:
        with harness.connect() as conn:
            conn.autocommit = False
            round_id, by_code, file_of = make_round(conn, instance)
            people = make_residents(conn, len(votes))
        work = [(rid, district, [by_code[c] for c in vote.project_ids])
                for (rid, district), vote in zip(people, votes)]
        print(f"{path.name}: {len(instance.projects)} projects, casting {len(work):,} ballots "
              f"with {THREADS} threads", flush=True)
        started = time.perf_counter()
        latencies, refused = cast_all(harness.database_url, round_id, work, THREADS)
        cast_s = time.perf_counter() - started
        figures_by_rule = {}
        with harness.connect() as conn:
            conn.autocommit = False
            with conn.transaction():
                conn.execute("UPDATE voting_rounds SET closes_at = now() WHERE id = %s", (round_id,))
            with conn.transaction():
                rounds.close_due(conn, round_id)
            for rule in ("greedy", "mes"):
                t0 = time.perf_counter()
                with conn.transaction():
                    out = results.compute(conn, round_id, rules=(rule,))[rule]
                figures_by_rule[rule] = (out, time.perf_counter() - t0)
            stored = ballots.turnout(conn, round_id)["all"]
        same = {}
        if limit == len(instance.votes):
            from pb.tally import tally_file

            for rule, (out, _s) in figures_by_rule.items():
                theirs = tally_file(str(path), rule)["selected"]
                ours = [file_of[c] for c in out.winners]
                same[rule] = sorted(ours) == sorted(theirs)
        rows = [["cast (chat path)", f"{len(work):,}", f"{cast_s:.1f}", f"{len(work) / cast_s:,.0f}",
                 f"{percentile_ms(latencies, 50):.2f}", f"{percentile_ms(latencies, 99):.2f}"]]
        for rule, (out, seconds) in figures_by_rule.items():
            rows.append([f"tally {rule}", f"{out.ballots:,}", f"{seconds:.1f}",
                         f"winners {len(out.winners)}", f"pabutools {out.seconds:.1f} s",
                         "same as file" if same.get(rule) else
                         ("differs from file" if rule in same else "")])
        print_table(["step", "ballots", "seconds", "rate", "p50 ms / detail", "p99 ms / check"], rows)
        figures = {
            "instance": path.name, "projects": len(instance.projects), "ballots": len(work),
            "stored": stored, "refused": refused, "threads": THREADS,
            "cast_seconds": round(cast_s, 3), "ballots_per_s": round(len(work) / cast_s, 1),
            "cast_p50_ms": round(percentile_ms(latencies, 50), 3),
            "cast_p99_ms": round(percentile_ms(latencies, 99), 3),
            "tally_greedy_s": round(figures_by_rule["greedy"][1], 3),
            "tally_mes_s": round(figures_by_rule["mes"][1], 3),
            "winners_greedy": len(figures_by_rule["greedy"][0].winners),
            "winners_mes": len(figures_by_rule["mes"][0].winners),
            "same_as_file": same or None,
        }
    finally:
        harness.close()
    return finish("ballots", figures)
