"""``siang bench e2e``: a new idea's similar-idea reply, from webhook in to the emulator's inbox.

The database holds ``--ideas`` (default 100,000) stored ideas with vectors,
spread over Bangkok's 50 districts (2,000 per district at 100k), as in a
city-wide round. Their vectors are E5 vectors of real Traffy texts when a
cache from ``python -m nlp.corpus`` exists, otherwise synthetic unit
vectors around the E5 mean (the exact district search reads every vector
either way, so its cost is the same). Then residents send new ideas, one at
a time, through the emulator's signed webhook to gunicorn (2 workers) and a
worker with the real multilingual-E5-small model; the latency of each is
from the webhook POST leaving the emulator to the emulator recording the
bot's reply. Target (issue 8): p95 < 300 ms.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot.messages import postback_data
from nlp.clustering import mean_for
from pb.districts import THAI_NAMES
from siang.bench.common import finish, percentile_ms, print_table
from siang.bench.harness import Harness

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "traffy_sample" / "ideas_sample.csv"
MODEL = "multilingual-e5-small"


def _vectors(n: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    cache = sorted((REPO / "var" / "cache").glob("**/*.npy"))
    pieces = []
    for path in cache:
        array = np.load(path, mmap_mode="r")
        if array.ndim == 2 and array.shape[1] == 384:
            pieces.append(np.asarray(array, dtype=np.float32))
        if sum(len(p) for p in pieces) >= n:
            break
    if pieces:
        real = np.concatenate(pieces)
        picks = real[rng.integers(0, len(real), n)]
        return picks, f"E5 vectors of {len(real):,} Traffy texts (cache)"
    mean = mean_for(MODEL)
    noise = rng.normal(0, 0.03, size=(n, 384)).astype(np.float32)
    vectors = mean[None, :] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), "synthetic around the E5 mean"


def _load(harness: Harness, n: int) -> str:
    rng = np.random.default_rng(0)
    vectors, source = _vectors(n, rng)
    with harness.connect() as conn:
        process_id = conn.execute(
            "INSERT INTO processes (title, fiscal_year) VALUES ('bench', 2569) RETURNING id"
        ).fetchone()[0]
        with conn.cursor().copy("COPY ideas (process_id, district, text, normalised_text) "
                                "FROM STDIN") as copy:
            for k in range(n):
                text = f"ไอเดียเดิมหมายเลข {k}"
                copy.write_row((process_id, THAI_NAMES[k % 50], text, text))
        ids = [r[0] for r in conn.execute("SELECT id FROM ideas ORDER BY id").fetchall()]
        # Building the HNSW index once after the load is much faster than
        # maintaining it row by row during COPY.
        conn.execute("DROP INDEX IF EXISTS idea_embeddings_hnsw")
        buffer = io.StringIO()
        for idea_id, vector in zip(ids, vectors):
            buffer.write(f"{idea_id}\t{MODEL}\t[{','.join(f'{x:.6f}' for x in vector)}]\n")
        with conn.cursor().copy("COPY idea_embeddings (idea_id, model, embedding) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("CREATE INDEX idea_embeddings_hnsw ON idea_embeddings "
                     "USING hnsw (embedding vector_cosine_ops)")
        conn.execute("ANALYZE ideas")
        conn.execute("ANALYZE idea_embeddings")
    return source


def run(options: dict) -> dict:
    n_ideas = int(options.get("ideas") or 100_000)
    n_new = 60
    harness = Harness("e2e", embedder="e5")
    try:
        started = time.perf_counter()
        source = _load(harness, n_ideas)
        load_s = time.perf_counter() - started
        sim_url = harness.start_sim()
        harness.start_web(workers=2)
        harness.start_worker(1)
        from linesim.client import SimClient

        sim = SimClient(sim_url)
        with open(SAMPLE, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if 20 <= len(r["text"]) <= 300][:n_new + 10]
        users = [f"U{k:032x}" for k in range(1, 11)]
        for user, row in zip(users, rows):  # onboard ten residents
            sim.follow(user)
            sim.tap(user, postback_data("consent", v="yes"))
            sim.say(user, row["district"])
        time.sleep(2)
        for user in users:  # warm-up: the first encode pays for lazy initialisation
            sim.say(user, "ทดสอบระบบ")
        time.sleep(5)
        latencies = []
        for k, row in enumerate(tqdm(rows[:n_new], desc="ideas", unit="idea")):
            user = users[k % len(users)]
            seen = sim.messages(user)
            since = seen[-1]["seq"] if seen else 0
            sent_at = time.time()
            sim.say(user, row["text"])
            deadline = time.monotonic() + 30
            reply = None
            while reply is None and time.monotonic() < deadline:
                new = sim.messages(user, since=since)
                reply = new[0] if new else None
                if reply is None:
                    time.sleep(0.005)
            if reply is not None:
                latencies.append(float(reply["at"]) - sent_at)
            # the resident answers a similar-idea carousel so the next idea is fresh
            if reply is not None and reply["message"].get("type") == "flex":
                data = _send_as_new(reply["message"])
                if data:
                    sim.tap(user, data)
                    time.sleep(0.3)
        figures = {"ideas_stored": n_ideas, "vectors": source, "new_ideas": n_new,
                   "replied": len(latencies), "p50_ms": round(percentile_ms(latencies, 50), 1),
                   "p95_ms": round(percentile_ms(latencies, 95), 1),
                   "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
                   "load_s": round(load_s, 1)}
        print_table(["stored ideas", "new ideas", "replied", "p50 ms", "p95 ms", "max ms"],
                    [[n_ideas, n_new, len(latencies), figures["p50_ms"], figures["p95_ms"],
                      figures["max_ms"] or 0.0]])
        print(f"vectors: {source}; target p95 < 300 ms")
        return finish("e2e", figures)
    finally:
        harness.close()


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
