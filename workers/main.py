"""``siang worker``: load the model once, then work the RQ queue.

A ``SimpleWorker`` runs jobs in this process (no fork per job): the model
is loaded once and stays warm, and PyTorch's thread pool is never forked.
The sweeper runs in a thread beside it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from rq import SimpleWorker

from bot.settings import Settings
from workers import runtime, sweeper
from workers.queues import QUEUE_KINDS

log = logging.getLogger(__name__)


WARM_UP_TEXT = "ถนนหน้าซอยเป็นหลุมเป็นบ่อ ขอให้ซ่อมด่วนค่ะ"


def warm_up(rt: runtime.Runtime) -> None:
    """Pay every lazy first-call cost of the idea path before taking jobs.

    The model's first run, the grouping projection, and the Thai tokenisers
    (pythainlp's dictionary trie, the word-list tokenizer) each load on first
    use; a worker's first idea otherwise took 1.2–1.6 s (``siang bench e2e``).
    """
    from nlp.thai import tokenize
    from pb.abuse import abusive_words

    rt.embed(WARM_UP_TEXT)
    abusive_words(WARM_UP_TEXT)
    tokenize(WARM_UP_TEXT)


def run(settings: Settings, *, burst: bool = False, with_sweeper: bool = True,
        queues: Sequence[str] = QUEUE_KINDS) -> None:
    """Work the queues until stopped (or until they are empty, with ``burst``).

    Args:
        queues: "conversation" (webhook events, outbox deliveries) and/or
            "upkeep" (keywords, reclusters, voting-round jobs), in the order
            RQ should take them: it always takes the first non-empty one.

    Raises:
        ValueError: for an unknown queue name.
    """
    unknown = set(queues) - set(QUEUE_KINDS)
    if unknown or not queues:
        raise ValueError(f"unknown queue(s) {sorted(unknown)}; expected conversation, upkeep")
    rt = runtime.init(settings)
    warm_up(rt)
    stop = threading.Event()
    thread = None
    if with_sweeper:
        thread = threading.Thread(target=sweeper.run_forever, args=(stop,), daemon=True,
                                  name="sweeper")
        thread.start()
    try:
        by_kind = {"conversation": rt.queue, "upkeep": rt.upkeep}
        worker = SimpleWorker([by_kind[q] for q in queues], connection=rt.redis)
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
    finally:
        stop.set()
        runtime.reset()
