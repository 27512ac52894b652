"""``siang up``: one set of embedded servers, the Procfile's processes, a clean Ctrl-C (issue 19).

Starts ``siang up`` on free ports in a fresh data directory with the fake
embedder and no LINE credentials (so the emulator stands in), has a
resident follow through the emulator (web → Redis → worker → PostgreSQL →
reply), then sends SIGINT and checks that every process, PostgreSQL and
Redis stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import redis
import requests

from linesim.client import SimClient

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout_s: float, what: str, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"siang up ended ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        try:
            found = predicate()
            if found:
                return found
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} not within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_up_runs_the_procfile_on_one_set_of_services_and_stops_on_ctrl_c():
    # Not under pytest's 0700 tmp: the embedded PostgreSQL runs as its own system user.
    data_dir = Path(tempfile.mkdtemp(prefix="siang-up-"))
    data_dir.chmod(0o755)
    port, sim_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LINE_", "SIANG_", "DATABASE_URL", "REDIS_URL"))}
    env |= {"SIANG_DATA_DIR": str(data_dir / "var"), "SIANG_EMBEDDER": "fake"}
    log = data_dir / "up.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "siang.cli", "up", "--port", str(port),
                                 "--sim-port", str(sim_port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok, 180,
              "the web answered", proc, log)
        sim = SimClient(f"http://127.0.0.1:{sim_port}")
        _wait(lambda: requests.get(f"http://127.0.0.1:{sim_port}/chat", timeout=2).ok, 60,
              "the emulator answered", proc, log)
        user = "U" + "7" * 32
        sim.follow(user)
        _wait(lambda: sim.texts(user), 90, "the worker replied to a follow", proc, log)

        children = psutil.Process(proc.pid).children(recursive=True)
        by_cmd = " ".join(" ".join(c.cmdline()) for c in children)
        for name in ("gunicorn", "worker --queue conversation", "--queue upkeep", "linesim"):
            assert name in by_cmd, name
        web = next(c for c in children if "gunicorn" in " ".join(c.cmdline()))
        redis_url = web.environ()["REDIS_URL"]
        assert redis_url.startswith("unix://")
        # Every process got the same servers through its environment.
        workers = [c for c in children if "--queue" in c.cmdline()]
        assert len(workers) >= 2
        for child in workers:
            assert child.environ().get("REDIS_URL") == redis_url
        redis_pid = redis.Redis.from_url(redis_url).info("server")["process_id"]
        postmaster = data_dir / "var" / "pg" / "postmaster.pid"
        pg_pid = int(postmaster.read_text().split()[0])

        os.kill(proc.pid, signal.SIGINT)        # Ctrl-C
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
        deadline = time.monotonic() + 15
        pids = [c.pid for c in children] + [redis_pid, pg_pid]
        while time.monotonic() < deadline and not all(_gone(p) for p in pids):
            time.sleep(0.2)
        left = [p for p in pids if not _gone(p)]
        assert not left, f"still running: {left}\n{log.read_text()[-3000:]}"
        assert not postmaster.exists()
        said = log.read_text()
        assert "web " in said and "| " in said                 # prefixed lines
        assert "embedded services stopped" in said
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)
