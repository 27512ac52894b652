"""``siang simulate``: one city through a whole PB cycle, with everything running together.

Stages, in order: residents join and send ideas (concurrently, each waiting for
the bot); the clusters settle; staff promote each district's largest clusters
to costed projects and open a round per district; residents vote (and change
their minds); staff import paper ballots, close, publish, report progress and
announce; then the invariants are checked and the report written. With
``faults`` the fault plan (``siang.simulate.faults``) runs throughout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psycopg

from siang.bench.common import percentile_ms
from siang.simulate import inputs, invariants, report, staff
from siang.simulate.clock import SimClock
from siang.simulate.faults import FaultPlan
from siang.simulate.residents import Actor, Intent, Stats

REPO = Path(__file__).resolve().parents[2]
PRESETS = {
    "small": {"districts": 3, "residents": 300, "ideas": 2000, "ballots": 1500},
    "city": {"districts": 50, "residents": 10_000, "ideas": 50_000, "ballots": 100_000},
}


@dataclasses.dataclass
class Options:
    districts: int = 3
    residents: int = 300
    ideas: int = 2000
    ballots: int = 1500
    faults: bool = False
    seed: int = 17
    embedder: str = "e5"
    workers: int = 2
    concurrency: int = 24           # residents acting at once
    projects_per_district: int = 8
    support_share: float = 0.3
    paper_share: float = 0.05
    opt_out_share: float = 0.05
    probe_share: float = 0.2        # ideas sent as fast as the workers take them: the sustained rate
    paced_share: float = 0.8        # the rest arrive at this share of the sustained rate


def _clock(run) -> SimClock:
    """The simulated clock, installed in the run's database before any process starts;
    the processes read it (``SIANG_CLOCK=database``)."""
    clock = SimClock(run.conninfo)
    clock.install()
    run.env["SIANG_CLOCK"] = "database"
    return clock


def _daytime(now: dt.datetime) -> dt.datetime:
    """The next 09:00 Bangkok time (quiet hours are 21:00–08:00)."""
    from pb.thaidate import BANGKOK

    local = now.astimezone(BANGKOK)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return (nine if nine > local else nine + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


def _people(options: Options, rng: random.Random) -> list[Intent]:
    """Residents spread over the districts in proportion to their ideas, each with a run of
    consecutive ideas of their district."""
    by_district = inputs.load_ideas(options.ideas, options.districts, options.seed)
    total = sum(len(v) for v in by_district.values())
    intents = []
    for district, ideas in by_district.items():
        n = max(1, round(options.residents * len(ideas) / max(1, total)))
        for k in range(n):
            part = ideas[k * len(ideas) // n:(k + 1) * len(ideas) // n]
            intents.append(Intent("U" + rng.randbytes(16).hex(), district, list(part)))
    return intents


class Pacer:
    """Open-loop arrivals: ideas start at ``rate`` per second on average, with exponential
    gaps (a Poisson process), whoever is free to send them. ``rate`` 0 means no pacing."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.rate:
            return
        with self.lock:
            self.next_at = max(self.next_at, time.monotonic() - 1.0) + self.rng.expovariate(self.rate)
            at = self.next_at
        time.sleep(max(0.0, at - time.monotonic()))


def _cpu_between(run, start_s: float, end_s: float) -> dict[str, float]:
    """CPU seconds each process used between two run times (``time.monotonic() - run.t0``)."""
    before = next((x["cpu"] for x in run.samples if x["t"] >= start_s), {})
    after = next((x["cpu"] for x in reversed(run.samples) if x["t"] <= end_s), {})
    return {k: round(v - before.get(k, 0.0), 1) for k, v in sorted(after.items())}


class Db:
    """The simulator's own reads of the database, reconnecting after PostgreSQL restarts."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.conn: psycopg.Connection | None = None

    def execute(self, query, params=None):
        for attempt in range(60):
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
                return self.conn.execute(query, params)
            except psycopg.OperationalError:
                self.conn = None
                time.sleep(1.0)
        raise RuntimeError("the database stayed unreachable for a minute")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _settle(conn, run, timeout_s: float = 900) -> None:
    """Wait until every stored event is processed and every active idea clustered."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run.check()
        row = conn.execute(
            """SELECT (SELECT count(*) FROM webhook_events WHERE processed_at IS NULL),
                      (SELECT count(*) FROM ideas i WHERE status = 'active' AND NOT EXISTS
                          (SELECT 1 FROM cluster_members m WHERE m.idea_id = i.id)),
                      (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending'))"""
        ).fetchone()
        if not any(row):
            return
        time.sleep(1.0)
    raise RuntimeError(f"the city did not settle in {timeout_s:.0f} s (pending events, "
                       f"unclustered ideas, outbox): {tuple(row)}")


def simulate(options: Options) -> int:
    """Run the cycle; prints progress, the report's path and the JSON line last.
    Returns 0 when every invariant holds, 1 otherwise."""
    from pb import staff as staff_rows
    from pb import db as pbdb
    from siang.simulate.run import ADMIN_USER, Run

    # An operator's kill (SIGTERM) stops the city's processes and servers too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(options.seed)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = (REPO / "var" / "simulate" / f"{stamp}-{secrets.token_hex(2)}").absolute()
    started = time.monotonic()
    intents = _people(options, rng)
    costs_pool = inputs.pabulib_costs()
    approvals = inputs.approval_instance()
    print(f"siang simulate: {len(intents)} residents, {sum(len(i.ideas) for i in intents)} ideas "
          f"in {options.districts} districts; run folder {run_dir}", flush=True)
    run = Run(run_dir, embedder=options.embedder, workers=options.workers)
    plan = None
    plan_running = False
    try:
        clock = _clock(run)
        with pbdb.connection(run.conninfo) as conn, conn.transaction():
            staff_rows.ensure(conn, username=ADMIN_USER, display_name="เจ้าหน้าที่จำลอง",
                              password=run.admin_password, role="admin")
        run.start()
        clock.set(_daytime(clock.now()))      # quiet hours end at 08:00
        now = clock.now
        plan = FaultPlan(run, enabled=options.faults)
        plan.start()
        plan_running = True
        print(f"processes up after {time.monotonic() - started:.0f} s", flush=True)
        stats = Stats()
        sims = [type(run.emulator)(run.sim_url, timeout_s=30) for _ in range(options.concurrency)]

        # --- stage 1: residents join and send ideas --------------------------------------
        pacer = Pacer(0.0, options.seed)

        def ideas_of(k: int, it: Intent) -> None:
            actor = Actor(sims[k % len(sims)], it, stats)
            r = random.Random(options.seed * 1_000_003 + k)
            actor.onboard()
            if r.random() < options.opt_out_share:
                actor.opt_out()
            for idea in it.ideas:
                pacer.wait()
                actor.send_idea(idea, r, options.support_share)

        def send_all(part: list[tuple[int, Intent]]) -> tuple[int, float, int]:
            """Ideas sent, seconds taken, latencies recorded before (to slice the stage)."""
            first, t = len(stats.latencies), time.monotonic()
            with ThreadPoolExecutor(options.concurrency) as pool:
                list(pool.map(lambda a: ideas_of(*a), part))
            return sum(len(i.ideas) for _, i in part), time.monotonic() - t, first

        t_ideas = time.monotonic()
        ideas_of(0, intents[0])             # one resident alone: the single-idea rate
        single_rate = len(intents[0].ideas) / max(1e-9, time.monotonic() - t_ideas)
        rest = list(enumerate(intents))[1:]
        n_total = sum(len(i.ideas) for i in intents)
        cut, sent = 0, 0                    # the probe: the first probe_share of the ideas
        while cut < len(rest) and sent < options.probe_share * n_total:
            sent += len(rest[cut][1].ideas)
            cut += 1
        probe_ideas, probe_s, _ = send_all(rest[:cut])
        sustained = probe_ideas / max(1e-9, probe_s)
        pacer.rate = options.paced_share * sustained
        print(f"ideas: {probe_ideas} at full speed in {probe_s:.0f} s: sustained "
              f"{sustained:.1f} ideas/s; the rest arrive at {pacer.rate:.1f}/s", flush=True)
        paced_ideas, paced_s, paced_from = send_all(rest[cut:])
        paced_latencies = [lat for _, lat in stats.latencies[paced_from:]]
        idea_seconds = time.monotonic() - t_ideas
        idea_cpu = _cpu_between(run, t_ideas - run.t0, time.monotonic() - run.t0)
        n_sent = sum(len(i.ideas) for i in intents)
        print(f"ideas: {n_sent} sent in {idea_seconds:.0f} s; paced part {paced_ideas} at "
              f"{paced_ideas / max(1e-9, paced_s):.1f} ideas/s, reply p95 "
              f"{percentile_ms(paced_latencies, 95):.0f} ms", flush=True)
        conn = Db(run.conninfo)
        _settle(conn, run, timeout_s=max(900.0, 0.05 * n_sent))

        # --- stage 2: staff review and cost projects, open rounds -----------------------
        browser = staff.Browser(run.web_url, ADMIN_USER, run.admin_password)
        districts = list(dict.fromkeys(i.district for i in intents))
        plans: list[staff.DistrictRound] = []
        for district in districts:
            clusters = staff.cluster_ids(browser, district, options.projects_per_district)
            if len(clusters) < 2:
                continue
            costs: list[int] = []
            while len(costs) < len(clusters):       # unique within a district: bubbles by cost
                cost = int(rng.choice(costs_pool))
                if cost not in costs:
                    costs.append(cost)
            plans.append(staff.promote(browser, district, clusters, costs, now()))
        voters_of = Counter(i.district for i in intents)
        for p in plans:
            staff.create_round(browser, p, now(), quorum=max(1, voters_of[p.district] // 4))

        def state(round_id: int) -> str:
            return conn.execute("SELECT state FROM voting_rounds WHERE id = %s",
                                (round_id,)).fetchone()[0]

        for p in plans:
            staff.wait_state(browser, p.round_id, ("open",), state)
        print(f"{len(plans)} rounds open ({sum(len(p.project_ids) for p in plans)} projects)",
              flush=True)

        # --- stage 3: the vote ---------------------------------------------------------
        n_paper = round(options.ballots * options.paper_share)
        n_chat = options.ballots - n_paper
        by_plan = {p.district: p for p in plans}
        voters = [i for i in intents if i.district in by_plan]
        confirms = {id(i): n_chat // len(voters) + (1 if k < n_chat % len(voters) else 0)
                    for k, i in enumerate(voters)}
        pools = {p.district: inputs.approval_pool(approvals, inputs.by_cost_rank(approvals, p.costs),
                                                  p.k) for p in plans}

        def vote_of(k: int, it: Intent) -> None:
            p = by_plan[it.district]
            r = random.Random(options.seed * 7_000_003 + k)
            actor = Actor(sims[k % len(sims)], it, stats)
            cost_of = dict(enumerate(p.costs))
            for _ in range(confirms[id(it)]):
                for _try in range(20):        # a change of mind is a different set
                    picks = inputs.approval_sets(pools[p.district], 1, r)[0]
                    if sorted(picks) != it.ballot:
                        break
                else:
                    picks = [j for j in range(len(p.costs)) if j not in (it.ballot or [])][:1]
                actor.vote(picks, cost_of)

        t_vote = time.monotonic()
        with ThreadPoolExecutor(options.concurrency) as pool:
            list(pool.map(lambda a: vote_of(*a), enumerate(voters)))
        vote_seconds = time.monotonic() - t_vote
        vote_cpu = _cpu_between(run, t_vote - run.t0, time.monotonic() - run.t0)
        ballots_sent = sum(i.confirms for i in voters)
        print(f"votes: {ballots_sent} confirmed in {vote_seconds:.0f} s", flush=True)

        # --- stage 4: paper, close, tally, publish, report, announce --------------------
        paper_refs = 0
        for n, p in enumerate(plans):
            share = n_paper // len(plans) + (1 if n < n_paper % len(plans) else 0)
            rows = [(f"P{p.round_id}-{j:05d}", s) for j, s in enumerate(
                inputs.approval_sets(pools[p.district], share, rng))]
            staff.import_paper(browser, p, rows)
            paper_refs += len(rows)
        for p in plans:
            staff.close(browser, p)
        for p in plans:
            staff.wait_state(browser, p.round_id, ("tallied",), state)
            staff.publish(browser, p)
        exported = {p.round_id: staff.export_pb(browser, p) for p in plans}
        selected = [r[0] for r in conn.execute(
            "SELECT id FROM projects WHERE state = 'selected' ORDER BY id").fetchall()]
        for project_id in selected:
            staff.progress_report(browser, project_id, now(), rng)
        announcement_ids = [staff.announce(browser, d, f"ข่าวโครงการเขต{d}: ผลโหวตประกาศแล้ว "
                                           f"ขอบคุณทุกเสียงค่ะ (#{n})")
                            for n, d in enumerate(p.district for p in plans)]
        plan.stop()
        plan_running = False
        _settle(conn, run)
        time.sleep(2.0)

        # --- invariants, figures, report --------------------------------------------------
        calls = run.calls()
        checks = [invariants.ideas_once(conn, intents), invariants.supports_once(conn, intents),
                  invariants.ballots_once(conn, intents, plans),
                  invariants.tallies_equal(conn, plans, exported),
                  invariants.announcements_once(conn, calls, announcement_ids),
                  invariants.answers_once(conn, calls, intents), invariants.within_limits(calls)]
        merged: dict = {}
        for c in checks:
            merged.update(c.figures)
        kinds = dict(conn.execute(
            """SELECT CASE WHEN kind = 'reply' THEN 'reply'
                           WHEN webhook_event_id IS NOT NULL THEN 'paid' ELSE 'notice' END, count(*)
                 FROM outbox WHERE state = 'sent' GROUP BY 1""").fetchall())
        clusters = conn.execute("SELECT count(*) FROM clusters WHERE size > 0").fetchone()[0]
        all_lat = [lat for _, lat in stats.latencies]
        figures = {
            "residents": len(intents), "ideas_sent": merged["ideas_sent"],
            "ideas_stored": merged["ideas_stored"], "lost": merged["lost"],
            "duplicated": merged["duplicated"], "supports": merged["supports"],
            "clusters": int(clusters), "projects": sum(len(p.project_ids) for p in plans),
            "rounds": len(plans), "ballots_sent": ballots_sent + paper_refs,
            "ballots_counted": merged["ballots_counted"],
            "tallies_equal_pabutools": merged["tallies_equal_pabutools"],
            "announcements_delivered": merged["announcements_delivered"],
            "announcement_duplicates": merged["announcement_duplicates"],
            "reply_p50_ms": round(percentile_ms(all_lat, 50), 1),
            "reply_p95_ms": round(percentile_ms(all_lat, 95), 1),
            "reply_p99_ms": round(percentile_ms(all_lat, 99), 1),
            "replies_free": int(kinds.get("reply", 0)), "pushes_paid": int(kinds.get("paid", 0)),
            "faults_injected": plan.count,
            "seconds": round(time.monotonic() - started, 1),
            "peak_rss_mb": {k: round(v) for k, v in sorted(run.peak_rss_mb.items())},
        }
        extra = {"run": run_dir.name, "idea_stage_s": round(idea_seconds, 1),
                 "ideas_per_s": round(n_sent / idea_seconds, 2),
                 "sustained_ideas_per_s": round(sustained, 2),
                 "paced_ideas_per_s": round(paced_ideas / max(1e-9, paced_s), 2),
                 "idea_stage_p95_ms": round(percentile_ms(paced_latencies, 95), 1),
                 "idea_stage_p50_ms": round(percentile_ms(paced_latencies, 50), 1),
                 "idea_stage_cpu_s": idea_cpu,
                 "vote_stage_s": round(vote_seconds, 1), "vote_stage_cpu_s": vote_cpu, "notices_sent": int(kinds.get("notice", 0)),
                 "redelivered": stats.redelivered, "vote_problems": stats.vote_problems, "staff_requests": browser.requests,
                 "single_resident_ideas_per_s": round(single_rate, 2),
                 "rate_ratio": round(sustained / single_rate, 2) if single_rate else None,
                 "cpu_s": {k: round(v) for k, v in sorted(run.cpu_s.items())},
                 "fault_events": plan.events}
        charts = _charts(conn, run, intents, plans, stats, plan, kinds)
        charts["cpu_ideas"] = sorted(idea_cpu.items(), key=lambda kv: -kv[1])
        report.write(run_dir / "report.html", {**figures, **extra}, charts, checks)
        (run_dir / "samples.json").write_text(json.dumps(   # for a closer look afterwards
            {"queues": run.samples, "latencies": stats.latencies, "t0_epoch": time.time()
             - (time.monotonic() - run.t0), "stages": {"ideas": [t_ideas - run.t0, idea_seconds],
                                                        "vote": [t_vote - run.t0, vote_seconds]}}))
        for c in checks:
            print(f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}", flush=True)
        print(f"report: {run_dir / 'report.html'}", flush=True)
        print(json.dumps(extra, ensure_ascii=False, default=str), flush=True)
        print(json.dumps(figures, ensure_ascii=False), flush=True)
        conn.close()
        return 0 if all(c.ok for c in checks) else 1
    finally:
        if plan is not None and plan_running:
            try:
                plan.stop()
            except Exception:  # noqa: BLE001 - stopping is best effort at the end
                pass
        run.close()


def _charts(conn, run, intents, plans, stats, plan, kinds) -> dict:
    ideas = Counter()
    for i in intents:
        ideas[i.district] += len(i.ideas)
    sizes = Counter(int(r[0]) for r in conn.execute(
        "SELECT size FROM clusters WHERE size > 0").fetchall())
    turnout, quorum = [], []
    for p in plans:
        row = conn.execute("SELECT (SELECT count(*) FROM ballots WHERE round_id = %s), quorum_ballots "
                           "FROM voting_rounds WHERE id = %s", (p.round_id, p.round_id)).fetchone()
        turnout.append((p.district, float(row[0])))
        quorum.append((p.district, float(row[1] or 0)))
    t0 = time.time() - (time.monotonic() - run.t0)
    latency = sorted((sent - t0, lat * 1000) for sent, lat in stats.latencies)
    if len(latency) > 400:           # one point per bucket: the bucket's 95th percentile
        buckets = np.array_split(np.array(latency), 400)
        latency = [(float(b[:, 0].mean()), float(np.percentile(b[:, 1], 95))) for b in buckets]
    queues = {name: [(s["t"], s["queues"].get(name, 0)) for s in run.samples]
              for name in ("conversation", "upkeep")}
    return {"ideas_per_district": sorted(ideas.items(), key=lambda kv: -kv[1]),
            "cluster_sizes": [(str(k), float(v)) for k, v in sorted(sizes.items())[:40]],
            "turnout": turnout, "quorum": quorum, "latency": latency,
            "fault_marks": [e["at_s"] for e in plan.events],
            "queues": queues,
            "answers": [("free replies", float(kinds.get("reply", 0))),
                        ("paid pushes", float(kinds.get("paid", 0))),
                        ("notices + announcements", float(kinds.get("notice", 0)))]}
