"""Siang as an operator runs it, for the fault and clock tests: gunicorn, ``siang worker``
processes and the LINE emulator, on a PostgreSQL and a Redis of the test's own
(``siang.bench.harness``), so that they can be stopped, flushed and killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bot.messages import postback_data
from linesim.client import SimClient
from siang.bench.harness import Harness

HOME = "บางรัก"
REPO = Path(__file__).resolve().parents[1]


def stack_dir(name: str) -> Path:
    """A fresh folder for a stack's own servers under ``var/test-stacks`` (the embedded
    PostgreSQL runs as the ``pgserver`` user, who cannot enter pytest's private tmp dirs)."""
    import shutil

    path = REPO / "var" / "test-stacks" / f"{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class Stack:
    """Web (gunicorn), ``workers`` conversation+upkeep workers and the emulator.

    Args:
        data_dir: where this stack's own PostgreSQL and Redis live.
        workers: worker processes (each also runs the sweeper).
        clock: install ``siang.simulate.clock.SimClock`` and run every process with
            ``SIANG_CLOCK=database``.
        sweep_after_s: ``SIANG_SWEEP_AFTER_S``.
    """

    def __init__(self, data_dir: Path, *, workers: int = 2, clock: bool = False,
                 sweep_after_s: int = 30, line_timeout_s: float = 5.0) -> None:
        self.h = Harness("stack", data_dir=data_dir, embedder="fake")
        if clock:
            from siang.simulate.clock import SimClock

            self.clock = SimClock(self.h.database_url)
            self.clock.install()
            self.h.settings = self.h.settings.replace(clock="database")
        self.h.settings = self.h.settings.replace(sweep_after_s=sweep_after_s,
                                                  line_timeout_s=line_timeout_s)
        self.sim = SimClient(self.h.start_sim(redeliver=True), timeout_s=30)
        self.h.start_web(workers=2)
        self.workers: list[subprocess.Popen] = self.h.start_worker(workers)
        self._users = 0

    @property
    def database_url(self) -> str:
        return self.h.database_url

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.h.database_url, autocommit=True)

    def restart_worker(self, i: int) -> None:
        """Start worker ``i`` again (after it was killed)."""
        self.workers[i] = self.h.start_worker(1)[0]

    # --- the fault plan's contract (siang.simulate.faults) -------------------------------
    @property
    def worker_procs(self) -> list[subprocess.Popen]:
        return self.workers

    @property
    def redis_url(self) -> str:
        return self.h.settings.redis_url

    @property
    def emulator(self) -> SimClient:
        return self.sim

    @property
    def line_timeout_s(self) -> float:
        return self.h.settings.line_timeout_s

    def stop_postgres(self) -> bool:
        """Stop this stack's PostgreSQL (immediate: sessions cut as a crash would)."""
        from pgserver._commands import pg_ctl

        server = self.h.services.pg_server
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)
        return True

    def start_postgres(self) -> bool:
        self.h.services.pg_server.ensure_postgres_running()
        return True

    def kill_worker(self, i: int) -> None:
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(10)

    def user(self) -> str:
        self._users += 1
        user_id = f"U{os.getpid():08x}{self._users:024x}"
        self.sim.set_profile(user_id, "ทดสอบ", "th")
        return user_id

    def wait(self, done: Callable[[], Any], timeout_s: float = 60, what: str = "") -> Any:
        """Poll ``done`` every 0.2 s until it is truthy; its value. Raises AssertionError."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = done()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"not within {timeout_s} s: {what or done}")

    def answers(self, user_id: str) -> list[dict[str, Any]]:
        return self.sim.messages(user_id)

    def turn(self, user_id: str, act: Callable[[], dict], timeout_s: float = 60) -> list[dict]:
        """The user acts and waits for the bot's answer (its first new message)."""
        before = len(self.answers(user_id))
        act()
        self.wait(lambda: len(self.answers(user_id)) > before, timeout_s, "the bot's answer")
        return self.answers(user_id)[before:]

    def onboard(self, district: str = HOME, timeout_s: float = 60) -> str:
        """A resident who followed, consented and chose a district, each step answered."""
        user_id = self.user()
        self.turn(user_id, lambda: self.sim.follow(user_id), timeout_s)
        self.turn(user_id, lambda: self.sim.tap(user_id, postback_data("consent", v="yes")),
                  timeout_s)
        self.turn(user_id, lambda: self.sim.say(user_id, district), timeout_s)
        return user_id

    def settled(self) -> bool:
        """No webhook event unprocessed and no outbox row waiting."""
        with self.connect() as conn:
            events = conn.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                                  ).fetchone()[0]
            waiting = conn.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', "
                                   "'sending')").fetchone()[0]
        return events == 0 and waiting == 0

    def close(self) -> None:
        import shutil

        self.h.close()
        shutil.rmtree(self.h.services.settings.data_dir, ignore_errors=True)
