"""Start Siang's processes for a benchmark: a database of its own, gunicorn, a worker, the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

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

    def start_worker(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            proc = subprocess.Popen([sys.executable, "-m", "siang.cli", "worker"], env=self.env,
                                    start_new_session=True, stdout=subprocess.DEVNULL)
            self.procs.append(proc)
            started.append(proc)
        return started

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

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True)

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
