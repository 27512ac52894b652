"""``siang bench e2e``: a new idea's similar-idea reply, from webhook in to the emulator's inbox.

The database holds ``--ideas`` (default 100,000) stored ideas with their raw
E5 and grouping vectors: the 62,400 Traffy Fondue reports of the dev split
in their real districts, repeated to reach 100k (about 2,000 per district,
several thousand in the busiest), as in a city-wide round; without the dev
file, the 2,000-row sample in the repository, repeated. The processes are
the Procfile's: gunicorn (2 workers), a conversation worker and an upkeep
worker, both with the real multilingual-E5-small model.

Ten residents are onboarded (follow, consent, district: one turn at a time,
as a person waits for each answer) and warmed up with one idea each. Then
they send 60 real reports, one at a time; when the bot answers with a
similar-idea carousel the resident taps "send as new" (waiting for that
answer too), so each report is a fresh idea. The latency of each is from
the webhook POST leaving the emulator to the emulator recording the bot's
reply, split into stages from the RQ job's timestamps. Target (issue 8):
p95 < 300 ms.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot.messages import postback_data
from siang.bench.common import finish, percentile_ms, print_table
from siang.bench.harness import Harness

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "traffy_sample" / "ideas_sample.csv"
MODEL = "multilingual-e5-small"


def _stored_ideas(n: int, exclude: set[str], data_dir: Path
                  ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, str]:
    """n stored ideas: (texts, districts (n,) str, raw (n, 384), grouping (n, 384), source).

    Real Traffy Fondue reports with their cached E5 vectors (``nlp.corpus``;
    embedded and cached on first use) when the dev file is present,
    otherwise the 2,000-row sample in the repository, embedded now. Rows are
    repeated, in their own districts, until there are ``n``; rows whose id
    is in ``exclude`` (the new ideas the bench sends) are left out.
    Grouping vectors come from the shipped projection, as the worker makes them.
    """
    from nlp.corpus import DEV_CSV, dev_with_vectors
    from nlp.embedder import load_embedder
    from nlp.represent import for_embedder

    if DEV_CSV.exists():
        corpus, raw = dev_with_vectors()
        ids, texts, districts = corpus.ids, corpus.texts, corpus.districts
        source = f"{len(texts):,} Traffy Fondue reports (dev), E5 vectors from the cache"
    else:
        with open(SAMPLE, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        ids = np.array([r["id"] for r in rows])
        texts = [r["text"] for r in rows]
        districts = np.array([r["district"] for r in rows])
        raw = load_embedder("e5", data_dir).encode(texts, batch_size=32)
        source = f"{len(texts):,} sample reports, embedded now"
    keep = np.flatnonzero([i not in exclude for i in ids])
    picks = keep[np.arange(n) % len(keep)]
    grouping = for_embedder(MODEL).transform([texts[i] for i in keep], raw[keep])
    grouping = grouping[np.arange(n) % len(keep)]
    return [texts[i] for i in picks], districts[picks], raw[picks], grouping, source


def _load(harness: Harness, n: int, exclude: set[str]) -> str:
    texts, districts, raw, grouping, source = _stored_ideas(n, exclude, harness.settings.data_dir)
    with harness.connect() as conn:
        process_id = conn.execute(
            "INSERT INTO processes (title, fiscal_year) VALUES ('bench', 2569) RETURNING id"
        ).fetchone()[0]
    harness.copy_ideas(process_id, texts, districts, raw, grouping)
    return source


def run(options: dict) -> dict:
    n_ideas = int(options.get("ideas") or 100_000)
    n_new = 60
    harness = Harness("e2e", embedder="e5")
    try:
        with open(SAMPLE, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if 20 <= len(r["text"]) <= 300][:n_new + 10]
        started = time.perf_counter()
        source = _load(harness, n_ideas, {r["id"] for r in rows})
        load_s = time.perf_counter() - started
        sim_url = harness.start_sim()
        harness.start_web(workers=2)
        workers = [*harness.start_worker(1, queues=["conversation"]),    # the Procfile's worker
                   *harness.start_worker(1, queues=["upkeep", "conversation"])]  # and upkeep
        from linesim.client import SimClient

        sim = SimClient(sim_url)
        users = [f"U{k:032x}" for k in range(1, 11)]
        for user, row in zip(users, rows):  # onboard ten residents, one turn at a time
            _turn(sim, user, lambda u: sim.follow(u))
            _turn(sim, user, lambda u: sim.tap(u, postback_data("consent", v="yes")))
            _turn(sim, user, lambda u, d=row["district"]: sim.say(u, d))
        for user, row in zip(users, rows[n_new:]):  # warm-up: lazy initialisation, first queries
            _answer_carousel(sim, user, _turn(sim, user, lambda u, t=row["text"]: sim.say(u, t))[1])
        latencies = []
        timeline: list[tuple[str, float, float]] = []   # (webhookEventId, sent, replied), epoch s
        kinds = {"similar-idea carousel": 0, "idea received": 0, "other": 0}
        for k, row in enumerate(tqdm(rows[:n_new], desc="ideas", unit="idea")):
            user = users[k % len(users)]
            sent_at = time.time()
            sent, replies = _turn(sim, user, lambda u, t=row["text"]: sim.say(u, t))
            if not replies:
                continue
            latencies.append(float(replies[0]["at"]) - sent_at)
            timeline.append((sent["event"]["webhookEventId"], sent_at, float(replies[0]["at"])))
            kinds[_kind(replies)] += 1
            # the resident answers a similar-idea carousel so the next idea is fresh
            _answer_carousel(sim, user, replies)
        stages = _stages(harness, timeline)
        worker_rss = [round(harness.rss_mb(w)) for w in workers]
        figures = {"ideas_stored": n_ideas, "vectors": source, "new_ideas": n_new,
                   "replied": len(latencies), "p50_ms": round(percentile_ms(latencies, 50), 1),
                   "p95_ms": round(percentile_ms(latencies, 95), 1),
                   "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
                   "load_s": round(load_s, 1), "stages": stages, "replies": kinds,
                   "worker_rss_mb": worker_rss}
        print_table(["stored ideas", "new ideas", "replied", "p50 ms", "p95 ms", "max ms"],
                    [[n_ideas, n_new, len(latencies), figures["p50_ms"], figures["p95_ms"],
                      figures["max_ms"] or 0.0]])
        print()
        print_table(["stage", "p50 ms", "p95 ms", "max ms"],
                    [[name, *(v[k] for k in ("p50_ms", "p95_ms", "max_ms"))]
                     for name, v in stages.items()])
        print("replies: " + ", ".join(f"{v} {k}" for k, v in kinds.items()))
        print(f"worker resident memory: conversation {worker_rss[0]} MB, upkeep {worker_rss[1]} MB")
        print(f"vectors: {source}; target p95 < 300 ms")
        return finish("e2e", figures)
    finally:
        harness.close()


def _turn(sim, user: str, act, timeout_s: float = 30) -> tuple[dict, list[dict]]:
    """One resident turn: ``act(user)`` (a SimClient call), then wait for the bot's reply.

    Returns:
        (the emulator's answer to the action, the messages of the bot's first
        reply or push after it; empty if none came within ``timeout_s``).
    """
    seen = sim.messages(user)
    since = seen[-1]["seq"] if seen else 0
    sent = act(user)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        new = sim.messages(user, since=since)
        if new:
            time.sleep(0.02)   # the rest of the same reply call
            return sent, sim.messages(user, since=since)
        time.sleep(0.005)
    return sent, []


def _kind(replies: list[dict]) -> str:
    if any(_send_as_new(r["message"]) for r in replies):
        return "similar-idea carousel"
    if any("ได้รับไอเดีย" in str(r["message"].get("text", "")) for r in replies):
        return "idea received"
    return "other"


def _answer_carousel(sim, user: str, replies: list[dict]) -> None:
    """Tap "send as new" on a similar-idea carousel, if the reply has one, and wait."""
    for reply in replies:
        data = _send_as_new(reply["message"])
        if data:
            _turn(sim, user, lambda u: sim.tap(u, data))
            return


def _stages(harness: Harness, timeline: list[tuple[str, float, float]]) -> dict:
    """Where each idea's time went, from its RQ job's timestamps.

    Stages: "webhook" (POST sent → event stored and enqueued), "queue wait"
    (enqueued → a worker started the job), "job" (started → the emulator
    recorded the reply: claim, embedding, search, the reply built, committed
    and the reply call). RQ keeps a finished job for its ``result_ttl`` (60 s),
    so this runs right after the ideas. All clocks are this machine's.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from workers.queues import event_job_id

    with harness.connect() as conn:
        ids = dict(conn.execute("SELECT webhook_event_id, id FROM webhook_events").fetchall())
    redis_conn = harness.redis()
    parts: dict[str, list[float]] = {"webhook": [], "queue wait": [], "job": []}
    for webhook_event_id, sent, replied in timeline:
        try:
            job = Job.fetch(event_job_id(ids[webhook_event_id]), connection=redis_conn)
        except (KeyError, NoSuchJobError):   # not stored, or expired: left out of the breakdown
            continue
        if job.enqueued_at is None or job.started_at is None:
            continue
        enqueued, started = (_epoch(job.enqueued_at), _epoch(job.started_at))
        parts["webhook"].append(enqueued - sent)
        parts["queue wait"].append(started - enqueued)
        parts["job"].append(replied - started)
    return {name: {"p50_ms": round(percentile_ms(s, 50), 1), "p95_ms": round(percentile_ms(s, 95), 1),
                   "max_ms": round(max(s) * 1000, 1) if s else float("nan"), "n": len(s)}
            for name, s in parts.items()}


def _epoch(moment: dt.datetime) -> float:
    """RQ's UTC datetimes (naive in some versions) as epoch seconds."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp()


def _send_as_new(message: dict) -> str | None:
    """The postback data of the "ส่งเป็นไอเดียใหม่" button in a Flex message, if any."""
    stack = [message]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("type") == "postback" and \
                    "ใหม่" in str(action.get("label", "")):
                return action.get("data")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None
