"""Benchmarks: ``siang bench NAME``. Each prints a table and ends with one JSON line.

The table below is the registry (explicit, no discovery): name → module
with a ``run(options: dict) -> dict`` function returning the figures.
"""

from __future__ import annotations

BENCHES: dict[str, str] = {
    "webhook": "siang.bench.webhook",
    "e2e": "siang.bench.e2e",                # issue 8: similar-idea reply at 100k ideas
    "ballots": "siang.bench.ballots",        # issue 6: chat-path ballots and the tally
    "broadcast": "siang.bench.broadcast",    # issue 7: an announcement to 100k residents
    "clustering": "siang.bench.clustering",  # issue 9: grouping quality on Traffy rows
    "similar": "siang.bench.similar",        # issue 9: similar-idea precision and latency
    "recovery": "siang.bench.recovery",      # issue 14 #3: answers after a worker's kill -9
}
