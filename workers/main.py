"""``siang worker``: load the model once, then work the RQ queue.

A ``SimpleWorker`` runs jobs in this process (no fork per job): the model
is loaded once and stays warm, and PyTorch's thread pool is never forked.
The sweeper runs in a thread beside it.
"""

from __future__ import annotations

import logging
import threading

from rq import SimpleWorker

from bot.settings import Settings
from workers import runtime, sweeper

log = logging.getLogger(__name__)


def run(settings: Settings, *, burst: bool = False, with_sweeper: bool = True) -> None:
    """Work the queue until stopped (or until it is empty, with ``burst``)."""
    rt = runtime.init(settings)
    rt.embedder.encode(["warm up"])  # first call pays for lazy initialisation
    stop = threading.Event()
    thread = None
    if with_sweeper:
        thread = threading.Thread(target=sweeper.run_forever, args=(stop,), daemon=True,
                                  name="sweeper")
        thread.start()
    try:
        worker = SimpleWorker([rt.queue], connection=rt.redis)
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
    finally:
        stop.set()
        runtime.reset()
