"""Start Siang's processes for a benchmark: a database of its own, gunicorn, a worker, the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import psycopg
import requests
from werkzeug.serving import make_server

from bot.settings import Settings
from pb import db as pbdb
from siang.services import EmbeddedServices, start_embedded

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Harness:
    """Everything a bench needs, stopped by ``close()``.

    Args:
        name: the bench name; its database is ``siang_bench_<name>``, created fresh.
        data_dir: where the embedded servers live (default ``var/bench``).
        embedder: the worker's embedder ("fake" or "e5").
    """

    def __init__(self, name: str, data_dir: Path | None = None, embedder: str = "fake") -> None:
        data_dir = (data_dir or Path("var") / "bench" / name).absolute()  # one server per bench
        base = Settings(channel_secret=SECRET, channel_access_token=TOKEN, data_dir=data_dir,
                        database_url=os.environ.get("DATABASE_URL", ""),
                        redis_url=os.environ.get("REDIS_URL", ""), embedder=embedder)
        self.services: EmbeddedServices = start_embedded(base)
        admin_url = self.services.settings.database_url
        self.db_name = f"siang_bench_{name}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.db_name}")
        self.database_url = psycopg.conninfo.make_conninfo(admin_url, dbname=self.db_name)
        with pbdb.connection(self.database_url) as conn:
            pbdb.upgrade(conn)
        self.sim_port = free_port()
        self.web_port = free_port()
        self.settings = self.services.settings.replace(
            database_url=self.database_url,
            line_api_base=f"http://127.0.0.1:{self.sim_port}",
            line_data_api_base=f"http://127.0.0.1:{self.sim_port}",
            admin_password="bench", secret_key="bench")
        self.procs: list[subprocess.Popen] = []
        self._servers = []
        self.sim_app = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.settings.as_env()}

    def start_sim(self, **options) -> str:
        """The LINE emulator in a thread of this process; returns its URL."""
        import logging

        from linesim.app import create_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.sim_app = create_app(SECRET, TOKEN, f"http://127.0.0.1:{self.web_port}/callback",
                                  **options)
        server = make_server("127.0.0.1", self.sim_port, self.sim_app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return f"http://127.0.0.1:{self.sim_port}"

    def start_gunicorn(self, target: str, port: int, workers: int = 2, threads: int = 4) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
            env=self.env, start_new_session=True)
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        self.wait_http(url + "/healthz", proc)
        return url

    def start_web(self, workers: int = 2) -> str:
        return self.start_gunicorn("siang.wsgi:app_from_env()", self.web_port, workers)

    def start_worker(self, count: int = 1, queues: Sequence[str] = ()) -> list[subprocess.Popen]:
        """``count`` worker processes on ``queues`` (default: both, conversation first)."""
        started = []
        options = [arg for q in queues for arg in ("--queue", q)]
        for _ in range(count):
            proc = subprocess.Popen([sys.executable, "-m", "siang.cli", "worker", *options],
                                    env=self.env,
                                    start_new_session=True, stdout=subprocess.DEVNULL)
            self.procs.append(proc)
            started.append(proc)
        return started

    @staticmethod
    def rss_mb(proc: subprocess.Popen) -> float:
        """Resident memory of a started process and its children, in MB (0 if it exited)."""
        return Harness.usage(proc.pid)[0]

    @staticmethod
    def usage(pid: int) -> tuple[float, float]:
        """Resident memory (MB) and CPU seconds (user + system, with reaped children's) of a
        process and its children; (0, 0) if it exited."""
        import psutil

        try:
            parent = psutil.Process(pid)
            rss = cpu = 0.0
            for p in [parent, *parent.children(recursive=True)]:
                times = p.cpu_times()
                rss += p.memory_info().rss / 2**20
                cpu += times.user + times.system + times.children_user + times.children_system
            return rss, cpu
        except psutil.NoSuchProcess:
            return 0.0, 0.0

    @staticmethod
    def wait_http(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"process for {url} exited with {proc.returncode}")
            try:
                requests.get(url, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not come up in {timeout_s} s")

    def redis(self):
        """A Redis client for the bench's queues."""
        import redis

        return redis.Redis.from_url(self.settings.redis_url)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True)

    def copy_ideas(self, process_id: int, texts: Sequence[str], districts: Sequence[str],
                   raw: np.ndarray, grouping: np.ndarray,
                   model: str = "multilingual-e5-small") -> None:
        """Bulk-load stored ideas and their vectors with binary COPY, then ANALYZE.

        Args:
            texts, districts: n idea texts (cut to 2,000 characters) and district names.
            raw: (n, 384) float32 raw embedder vectors.
            grouping: (n, 384) float32 grouping vectors (``nlp.represent``).
        """
        from pgvector.psycopg import register_vector

        with self.connect() as conn:
            register_vector(conn)
            start = conn.execute("SELECT coalesce(max(id), 0) FROM ideas").fetchone()[0]
            with conn.cursor().copy("COPY ideas (id, process_id, district, text, normalised_text,"
                                    " source) FROM STDIN") as copy:
                for k, (text, district) in enumerate(zip(texts, districts)):
                    text = text[:2000]
                    copy.write_row((start + k + 1, process_id, district, text, text.lower(), "import"))
            with conn.cursor().copy("COPY idea_embeddings (idea_id, model, embedding, grouping) "
                                    "FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "text", "vector", "vector"])
                for k in range(len(texts)):
                    copy.write_row((start + k + 1, model, raw[k], grouping[k]))
            conn.execute("SELECT setval('ideas_id_seq', (SELECT max(id) FROM ideas))")
            conn.execute("ANALYZE ideas")
            conn.execute("ANALYZE idea_embeddings")

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for server in self._servers:
            server.shutdown()
        with psycopg.connect(self.services.settings.database_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        self.services.stop()
