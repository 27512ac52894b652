"""``siang simulate --faults``: what breaks while the city runs (issue 17).

The plan, from a background thread, measured from ``run.t0``:

* every :attr:`FaultPlan.kill_every_s` (60 s) a conversation worker is killed
  with SIGKILL (the next one each time) and started again;
* once, Redis is flushed (every queued job and heartbeat gone);
* once, PostgreSQL is stopped for :attr:`FaultPlan.pg_down_s` seconds and
  started again (skipped, and recorded why, when the run uses an external
  server: ``DATABASE_URL`` set);
* from :meth:`FaultPlan.start` to :meth:`FaultPlan.stop`, the LINE emulator
  answers 1 % of Messaging API calls with 500, 1 % with 429 and 0.5 % slowly,
  after the client's timeout (``linesim.state.FaultMix``, seeded).

What the run needs from ``run`` (``siang.simulate.run.Run``): ``worker_procs``
(the conversation workers' ``subprocess.Popen``), ``restart_worker(i)``,
``redis_url``, ``emulator`` (``linesim.client.SimClient``), ``stop_postgres()``
and ``start_postgres()`` (which return False, or do nothing, for a server that
is not the run's own), ``t0`` (``time.monotonic()`` at the start) and,
optionally, ``line_timeout_s``.

Each fault is an event ``{"kind", "at_s", "detail"}`` in :attr:`FaultPlan.events`;
the report marks them on the latency chart.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: Emulator faults per Messaging API call (issue 17).
P500, P429, P_SLOW = 0.01, 0.01, 0.005


class FaultPlan:
    """Faults injected into a running simulation.

    Args:
        run: the simulation (see the module doc for what it must offer).
        enabled: False makes every method a no-op (a run without ``--faults``).
        kill_every_s: seconds between worker kills (the first after one period).
        flush_redis_at_s, restart_postgres_at_s: when the one-off faults happen,
            seconds after ``run.t0``.
        pg_down_s: how long PostgreSQL stays down.
        seed: the emulator's fault draws.
    """

    def __init__(self, run: Any, *, enabled: bool, kill_every_s: float = 60.0,
                 flush_redis_at_s: float = 45.0, restart_postgres_at_s: float = 100.0,
                 pg_down_s: float = 5.0, seed: int = 17) -> None:
        self.run = run
        self.enabled = enabled
        self.kill_every_s = kill_every_s
        self.flush_redis_at_s = flush_redis_at_s
        self.restart_postgres_at_s = restart_postgres_at_s
        self.pg_down_s = pg_down_s
        self.seed = seed
        self.events: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # --- the record -------------------------------------------------------------------
    def _note(self, kind: str, detail: str) -> None:
        at_s = round(time.monotonic() - self.run.t0, 3)
        with self._lock:
            self.events.append({"kind": kind, "at_s": at_s, "detail": detail})
        log.warning("fault at %.1f s: %s (%s)", at_s, kind, detail)

    @property
    def count(self) -> int:
        """Faults injected: the plan's own (skipped ones not counted) and the emulator's."""
        with self._lock:
            own = sum(1 for e in self.events if not e["kind"].endswith("-skipped"))
            emulator = sum(e.get("injected", 0) for e in self.events
                           if e["kind"] == "line-faults")
        return own - sum(1 for e in self.events if e["kind"] == "line-faults") + emulator

    # --- start and stop ---------------------------------------------------------------
    def start(self) -> None:
        """Turn on the emulator's fault mix and start the schedule's thread."""
        if not self.enabled:
            return
        timeout_s = float(getattr(self.run, "line_timeout_s", 5.0))
        self.run.emulator.set_fault_mix(p500=P500, p429=P429, p_slow=P_SLOW,
                                        slow_s=timeout_s + 1.0, seed=self.seed)
        self._thread = threading.Thread(target=self._schedule, daemon=True, name="faults")
        self._thread.start()

    def stop(self) -> None:
        """Stop the schedule (waiting for a fault under way), turn the emulator's faults
        off and record how many it injected."""
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        injected = self.run.emulator.fault_mix().get("injected", {})
        self.run.emulator.set_fault_mix()
        with self._lock:
            self.events.append({"kind": "line-faults",
                                "at_s": round(time.monotonic() - self.run.t0, 3),
                                "detail": ", ".join(f"{k}: {v}" for k, v in injected.items()),
                                "injected": int(sum(injected.values()))})

    # --- the faults -------------------------------------------------------------------
    def _schedule(self) -> None:
        next_kill = self.kill_every_s
        flushed = restarted = False
        kills = 0
        while not self._stop.wait(0.2):
            elapsed = time.monotonic() - self.run.t0
            try:
                if elapsed >= next_kill:
                    next_kill += self.kill_every_s
                    self.kill_worker(kills % max(len(self.run.worker_procs), 1))
                    kills += 1
                if not flushed and elapsed >= self.flush_redis_at_s:
                    flushed = True
                    self.flush_redis()
                if not restarted and elapsed >= self.restart_postgres_at_s:
                    restarted = True
                    self.restart_postgres()
            except Exception as exc:  # noqa: BLE001 - a failed fault is recorded, the run goes on
                self._note("fault-error", f"{type(exc).__name__}: {exc}")

    def kill_worker(self, i: int) -> None:
        """SIGKILL conversation worker ``i`` (its process group), then start it again."""
        procs = self.run.worker_procs
        if not procs:
            self._note("kill-worker-skipped", "no conversation worker")
            return
        proc = procs[i]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self._note("kill-worker", f"worker {i} (pid {proc.pid}) killed with SIGKILL")
        self.run.restart_worker(i)

    def flush_redis(self) -> None:
        """``FLUSHALL`` on the run's Redis: queued jobs, registries, heartbeats gone."""
        import redis

        conn = redis.Redis.from_url(self.run.redis_url)
        try:
            conn.flushall()
        finally:
            conn.close()
        self._note("flush-redis", "FLUSHALL")

    def restart_postgres(self) -> None:
        """Stop PostgreSQL, wait :attr:`pg_down_s`, start it again (if it is the run's own)."""
        if not self.run.stop_postgres():       # False: an external server (DATABASE_URL)
            self._note("restart-postgres-skipped",
                       "DATABASE_URL is set: the server is not the run's to stop")
            return
        self._note("stop-postgres", f"down for {self.pg_down_s:.0f} s")
        time.sleep(self.pg_down_s)
        self.run.start_postgres()
        self._note("start-postgres", "accepting connections again")
