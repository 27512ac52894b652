"""``siang worker``: load the model once, then work the RQ queue.

A ``SimpleWorker`` runs jobs in this process (no fork per job): the model
is loaded once and stays warm, and PyTorch's thread pool is never forked.
The sweeper runs in a thread beside it, and so does the heartbeat
(:mod:`workers.heartbeat`): "loading" from the start, "warm" once the
model has answered, which is when the worker starts taking jobs. The web's
``/readyz``, ``siang status`` and the demo read it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence

from rq import SimpleWorker

from bot.settings import Settings
from workers import heartbeat, runtime, sweeper
from workers.queues import QUEUE_KINDS, connect

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
    name = uuid.uuid4().hex               # the RQ worker name, known before the model loads
    beat = heartbeat.Heartbeat(connect(settings.redis_url), name, queues=queues,
                               model=settings.embedder).start()
    stop = threading.Event()
    try:
        rt = runtime.init(settings, worker_name=name)
        warm_up(rt)
        beat.model = rt.embedder.name
        beat.touch = lambda: _touch(rt)
        if with_sweeper:
            threading.Thread(target=sweeper.run_forever, args=(stop,), daemon=True,
                             name="sweeper").start()
        by_kind = {"conversation": rt.queue, "upkeep": rt.upkeep}
        worker = SimpleWorker([by_kind[q] for q in queues], connection=rt.redis, name=name)
        beat.set_warm()
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
    finally:
        stop.set()
        beat.stop()
        runtime.reset()


def _touch(rt: runtime.Runtime) -> None:
    """Keep the heartbeat thread's PostgreSQL session (named after the worker) open."""
    conn = rt.connection()
    with conn.transaction():
        conn.execute("SELECT 1")
