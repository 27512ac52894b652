"""What a worker process holds for its lifetime: settings, the model, a connection.

``init()`` is called once by the worker entry point (or a test) before any
job runs; jobs take ids and reach the runtime through ``get()``. Nothing
here happens at import time.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import psycopg
import redis
from rq import Queue

from bot.line import LineClient
from bot.settings import Settings
from nlp.embedder import Embedder
from nlp.represent import Representation
from workers.queues import Queues


@dataclasses.dataclass
class Runtime:
    settings: Settings
    embedder: Embedder
    assign_threshold: float     # cosine between grouping vectors to join a cluster
    line: LineClient
    redis: redis.Redis
    queue: Queue                # conversation: events and outbox deliveries
    upkeep: Queue               # keywords, reclusters, voting-round jobs
    representation: Representation | None = None   # raw + text → grouping vector (issue 9)
    worker_name: str = ""       # RQ worker name; names this process's PostgreSQL sessions
    _local: threading.local = dataclasses.field(default_factory=threading.local)
    _conns: list[psycopg.Connection] = dataclasses.field(default_factory=list)

    @property
    def queues(self) -> list[Queue]:
        """Both queues, conversation first (the order a worker should take them in)."""
        return [self.queue, self.upkeep]

    def connection(self) -> psycopg.Connection:
        """This thread's connection (reopened if the server dropped it).

        In a worker its ``application_name`` is ``siang-worker:<RQ worker name>``:
        while the process lives, PostgreSQL lists a session under that name
        (the sweeper's rescue of a dead worker's jobs checks it).
        """
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            options = {}
            if self.worker_name:
                from workers.heartbeat import pg_application_name

                options["application_name"] = pg_application_name(self.worker_name)
            conn = psycopg.connect(self.settings.database_url, connect_timeout=5, **options)
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def embed(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One idea → (raw unit vector (dim,) float32, grouping unit vector (dim,) float32).

        ``dim`` is the embedder's (``Embedder.dim``; 384 for E5-small, the
        width of the database's vector columns).

        The grouping vector (:mod:`nlp.represent`) is what clustering and the
        similar-idea search compare; store both (``pb.ideas.store_embedding``).
        """
        from nlp.represent import for_embedder

        raw = self.embedder.encode([text])[0].astype(np.float32)
        rep = self.representation or for_embedder(self.embedder.name)
        return raw, rep.transform([text], raw[None, :])[0]

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
        self.line.close()


_runtime: Runtime | None = None


def init(settings: Settings, embedder: Embedder | None = None, *,
         worker_name: str = "") -> Runtime:
    """Load the embedder once and open the queue; returns the process runtime.

    ``worker_name`` (the RQ worker's) names the process's PostgreSQL sessions.
    """
    global _runtime
    from nlp import clustering
    from nlp.embedder import load_embedder
    from nlp.represent import for_embedder

    if settings.clock == "database":          # siang simulate only (pb.clock)
        from pb import clock

        clock.use_database(settings.database_url)
    if embedder is None:
        embedder = load_embedder(settings.embedder, settings.data_dir)
    queues = Queues.from_url(settings.redis_url)
    _runtime = Runtime(
        settings=settings,
        embedder=embedder,
        representation=for_embedder(embedder.name),
        assign_threshold=clustering.default_threshold(embedder.name),
        line=LineClient(settings),
        redis=queues.redis,
        queue=queues.conversation,
        upkeep=queues.upkeep,
        worker_name=worker_name,
    )
    return _runtime


def get() -> Runtime:
    """The runtime set by ``init``.

    Raises:
        RuntimeError: ``init`` was not called in this process.
    """
    if _runtime is None:
        raise RuntimeError("workers.runtime.init(settings) must run before jobs")
    return _runtime


def reset() -> None:
    global _runtime
    if _runtime is not None:
        _runtime.close()
    _runtime = None
