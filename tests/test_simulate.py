"""``siang simulate --preset small --faults``: one city through the whole PB cycle, as CI runs it.

The CLI runs in a subprocess with its own embedded PostgreSQL and Redis (not the
test's), the Procfile's processes and the LINE emulator; the test reads the JSON
line it prints last and checks the issue's invariants (issue 17).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from siang.simulate.inputs import PABULIB, TRAFFY_DEV

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not TRAFFY_DEV.exists() or not any(PABULIB.glob("*.pb")),
                                 reason="needs ../shared/data (Traffy dev, pabulib)")]

FIELDS = ("residents", "ideas_sent", "ideas_stored", "lost", "duplicated", "supports", "clusters",
          "projects", "rounds", "ballots_sent", "ballots_counted", "tallies_equal_pabutools",
          "announcements_delivered", "announcement_duplicates", "reply_p50_ms", "reply_p95_ms",
          "reply_p99_ms", "replies_free", "pushes_paid", "faults_injected", "seconds",
          "peak_rss_mb")


def test_small_preset_with_faults_keeps_every_invariant():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "LINE_CHANNEL_SECRET",
                        "LINE_CHANNEL_ACCESS_TOKEN", "SIANG_DATA_DIR")}
    embedder = os.environ.get("SIANG_SIMULATE_EMBEDDER", "fake")
    done = subprocess.run([sys.executable, "-m", "siang.cli", "simulate", "--preset", "small",
                           "--faults", "--embedder", embedder],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=2700)          # 21 min measured on a loaded 2-core box
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(figures) == FIELDS
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["ideas_stored"] > 0 and figures["ideas_sent"] == 2000
    assert figures["tallies_equal_pabutools"] is True
    assert figures["announcement_duplicates"] == 0 and figures["announcements_delivered"] > 0
    assert figures["rounds"] == 3 and figures["ballots_counted"] > 0
    assert figures["faults_injected"] > 0
    assert figures["pushes_paid"] <= 0.01 * (figures["replies_free"] + figures["pushes_paid"]) + 1
    extra = json.loads(done.stdout.strip().splitlines()[-2])   # how the figures were measured
    assert 0 < extra["paced_ideas_per_s"] < extra["sustained_ideas_per_s"] * 1.2
    assert {"web", "postgres", "linesim", "simulator"} <= set(extra["idea_stage_cpu_s"])


def test_approval_sets_reuse_real_voters_sets_within_the_district_and_the_limit():
    import random

    from siang.simulate import inputs

    instance = inputs.approval_instance()
    costs = [50_000 * (n + 1) for n in range(8)]
    pool = inputs.approval_pool(instance, inputs.by_cost_rank(instance, costs), k=3)
    drawn = inputs.approval_sets(pool, 200, random.Random(1))
    assert len(drawn) == 200 and all(drawn)
    assert all(len(s) == len(set(s)) <= 3 and set(s) <= set(range(8)) for s in drawn)
    assert len({tuple(s) for s in drawn}) > 5          # real voters differ
