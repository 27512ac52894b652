"""The processes of one simulated city, started as an operator starts them.

Servers: the embedded PostgreSQL and Redis under ``var/simulate/<run>/`` (or
``DATABASE_URL``/``REDIS_URL``: then a database of the run's own is made on
that server), migrated by :func:`siang.services.bring_up`. Processes: the
Procfile's lines (:func:`siang.up.read_procfile`, the environment of
:func:`siang.up.child_env`): ``web`` (gunicorn), ``worker`` ×N (conversation,
each with its sweeper), ``upkeep`` and ``linesim`` (the LINE emulator), each
logging to ``logs/<name>.log``. A sampler thread records each process's
resident memory and the queue depths once a second.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import requests

from bot.settings import Settings
from siang.bench.harness import Harness, free_port
from siang.services import EmbeddedServices, bring_up
from siang.up import PROCFILE, child_env, local_settings, read_procfile

REPO = Path(__file__).resolve().parents[2]
ADMIN_USER = "simadmin"
CALLS_EVERY_S = 30              # the sampler copies the emulator's new calls this often


class Run:
    """One simulation's servers and processes, stopped by :meth:`close`.

    Attributes (the fault plan's contract): ``worker_procs`` (conversation
    workers' Popen), ``redis_url``, ``conninfo``, ``emulator`` (a
    :class:`linesim.client.SimClient`), ``t0`` (``time.monotonic()`` at start);
    methods :meth:`restart_worker`, :meth:`stop_postgres`, :meth:`start_postgres`.
    """

    def __init__(self, run_dir: Path, *, embedder: str = "e5", workers: int = 2) -> None:
        self.run_dir = run_dir
        self.log_dir = run_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.t0 = time.monotonic()
        models = run_dir / "models"
        if not models.exists():      # the packaged model, shared with the demo
            (REPO / "var" / "models").mkdir(parents=True, exist_ok=True)
            models.symlink_to(REPO / "var" / "models")
        self.port, self.sim_port = free_port(), free_port()
        self.admin_password = secrets.token_urlsafe(12)
        base = Settings(data_dir=run_dir, embedder=embedder,
                        database_url=os.environ.get("DATABASE_URL", ""),
                        redis_url=os.environ.get("REDIS_URL", ""),
                        public_base_url=f"http://127.0.0.1:{self.port}",
                        channel_secret=os.environ.get("LINE_CHANNEL_SECRET", ""),
                        channel_access_token=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", ""))
        self.external_db = bool(base.database_url)
        if self.external_db:          # a database of this run's own on the given server
            name = "siang_sim_" + run_dir.name.replace("-", "_").lower()
            with psycopg.connect(base.database_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {name}")
            base = base.replace(database_url=psycopg.conninfo.make_conninfo(
                base.database_url, dbname=name))
        settings, emulated = local_settings(base, self.sim_port)
        if not emulated:
            raise RuntimeError("siang simulate runs against the LINE emulator: unset "
                               "LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN")
        self.services: EmbeddedServices = bring_up(settings, prepare_model=embedder != "fake")
        self.settings = self.services.settings
        self.conninfo = self.settings.database_url
        self.line_timeout_s = self.settings.line_timeout_s
        self.redis_url = self.settings.redis_url
        self.env = child_env(self.settings, self.port, self.sim_port)
        self.commands = read_procfile(PROCFILE)
        self.procs: dict[str, subprocess.Popen] = {}
        self.worker_procs: list[subprocess.Popen] = []
        self.n_workers = workers
        self.web_url = f"http://127.0.0.1:{self.port}"
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.emulator = None
        self.peak_rss_mb: dict[str, float] = {}
        self.cpu_s: dict[str, float] = {}     # CPU seconds per process (name: its tree)
        self._cpu_seen: dict[str, tuple[int, float, float]] = {}   # name -> (pid, cpu, before it)
        self.samples: list[dict] = []         # {t, queues: {name: depth}}
        self._calls: list[dict] = []          # the emulator's call record, copied as it grows
        self._calls_lock = threading.Lock()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # --- processes -----------------------------------------------------------------------

    def _spawn(self, name: str, line: str) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(["/bin/sh", "-c", "exec " + self.commands[line]], env=self.env,
                                cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        with self._lock:
            self.procs[name] = proc
        return proc

    def start(self) -> None:
        """Start the Procfile's processes and wait until the web answers, the emulator is
        up and a conversation worker has its model loaded (``/readyz``)."""
        from linesim.client import SimClient

        self._spawn("linesim", "linesim")
        self._spawn("web", "web")
        for i in range(self.n_workers):
            self.worker_procs.append(self._spawn(f"worker{i + 1}", "worker"))
        self._spawn("upkeep", "upkeep")
        Harness.wait_http(self.web_url + "/healthz", self.procs["web"], timeout_s=120)
        Harness.wait_http(self.sim_url + "/_sim/limits", self.procs["linesim"], timeout_s=60)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if requests.get(self.web_url + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.25)
        self.emulator = SimClient(self.sim_url, timeout_s=30)
        threading.Thread(target=self._sample, daemon=True, name="sampler").start()

    def restart_worker(self, i: int) -> None:
        """Start conversation worker ``i`` again (after the fault plan killed it)."""
        old = self.worker_procs[i]
        if old.poll() is None:
            os.killpg(old.pid, signal.SIGKILL)
            old.wait(10)
        self.worker_procs[i] = self._spawn(f"worker{i + 1}", "worker")

    def stop_postgres(self) -> bool:
        """Stop the embedded PostgreSQL (fast shutdown); False with an external one."""
        server = self.services.pg_server
        if server is None:
            return False
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        return True

    def start_postgres(self) -> bool:
        """Start the embedded PostgreSQL again; False with an external one."""
        server = self.services.pg_server
        if server is None:
            return False
        from pgserver._commands import pg_ctl

        socket_dir = psycopg.conninfo.conninfo_to_dict(server.get_uri()).get("host")
        pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
               pgdata=server.pgdata, user=server.system_user)
        return True

    def check(self) -> None:
        """Raise if a process other than a (restartable) conversation worker has exited."""
        for name, proc in list(self.procs.items()):
            if not name.startswith("worker") and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see "
                                   f"{self.log_dir / (name + '.log')}")

    # --- measurements -------------------------------------------------------------------

    def _sample(self) -> None:
        import redis

        from workers.queues import QUEUE_NAMES

        conn = redis.Redis.from_url(self.redis_url, socket_timeout=1)
        while not self._stop.wait(1.0):
            with self._lock:
                procs = dict(self.procs)
            for name, proc in procs.items():
                key = "worker" if name.startswith("worker") else name
                rss, cpu = Harness.usage(proc.pid)
                self.peak_rss_mb[key] = max(self.peak_rss_mb.get(key, 0.0), rss)
                self._count_cpu(name, proc.pid, cpu)
            for name, pid in self._server_pids().items():
                rss, cpu = Harness.usage(pid)
                if cpu:
                    self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), rss)
                self._count_cpu(name, pid, cpu)
            self.cpu_s["simulator"] = sum(os.times()[:2])
            try:
                queues = {kind: int(conn.llen(f"rq:queue:{name}"))
                          for kind, name in QUEUE_NAMES.items()}
            except (redis.RedisError, OSError):
                queues = {}
            self.samples.append({"t": time.monotonic() - self.t0, "queues": queues,
                                 "cpu": dict(self.cpu_s)})
            if len(self.samples) % CALLS_EVERY_S == 0:   # one sample a second
                try:
                    self._copy_new_calls()
                except Exception:  # noqa: BLE001 - the next tick or the final read tries again
                    pass

    def _copy_new_calls(self) -> None:
        with self._calls_lock:
            since = self._calls[-1]["seq"] if self._calls else 0
            self._calls.extend(self.emulator.all_calls(since=since))

    def calls(self) -> list[dict]:
        """The emulator's whole call record since the run began.

        The emulator keeps only its last ``linesim.state.MAX_CALLS`` calls (a city run
        makes more: 167,000 replies, 50,000 loading animations, pushes), so the sampler
        copies new calls every ``CALLS_EVERY_S`` seconds and this reads the rest.
        """
        self._copy_new_calls()
        with self._calls_lock:
            return list(self._calls)

    def _count_cpu(self, name: str, pid: int, cpu: float) -> None:
        """Add up CPU seconds per name across restarts (a killed worker, a restarted
        PostgreSQL): a new pid starts from what the old ones had used."""
        if not cpu:
            return
        old_pid, old_cpu, before = self._cpu_seen.get(name, (pid, 0.0, 0.0))
        if old_pid != pid:
            before += old_cpu
        self._cpu_seen[name] = (pid, cpu, before)
        self.cpu_s[name] = before + cpu

    def _server_pids(self) -> dict[str, int]:
        """The embedded PostgreSQL's postmaster and Redis server pids (none for external ones)."""
        pids = {}
        server = self.services.pg_server
        if server is not None:
            try:
                pids["postgres"] = int((Path(server.pgdata) / "postmaster.pid").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        redis_server = self.services.redis
        pid = getattr(redis_server, "pid", None)
        if isinstance(pid, int) and pid > 0:
            pids["redis"] = pid
        return pids

    def close(self) -> None:
        """Stop every process, then the servers (and the run's database on an external server)."""
        self._stop.set()
        with self._lock:
            procs = list(self.procs.values())
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.services.stop()
