"""``siang bench recovery``: 10 ``kill -9``s of a conversation worker mid-job (issue 14 #3).

Processes as in production: gunicorn (the webhook), two ``siang worker
--queue conversation`` processes (fake embedder: the time measured is the
recovery, not the model), the LINE emulator in this process. Ten onboarded
residents each send one idea; while the worker that took it is inside a
LINE call (the emulator holds the call for 5 s), that worker is killed with
SIGKILL and a replacement is started, as a process supervisor would.
Kills alternate between two points of the job:

* "loading": the loading-animation call, before the event's transaction
  (the event is still pending; its job is orphaned);
* "reply": the reply call, after the commit (the outbox row is ``sending``
  under its lease; the emulator would answer 500, so the reply was not given).

Measured from outside: the emulator's timestamp of the signed webhook it
sent → the emulator recording the bot's reply; also kill → reply. Target:
the answer within 5 s of the worker's death; duplicates (a resident given
the answer twice) must be 0. Prints a table, then one JSON line.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from typing import Any

from bot.messages import postback_data
from siang.bench.common import finish, print_table
from siang.bench.harness import Harness

KILLS = 10
HOLD_S = 5.0
TEXTS = ["ไฟส่องสว่างในซอยจันทน์ {k} ดับหลายดวง มืดมากตอนกลางคืน",
         "ขยะล้นถังหน้าตลาดซอย {k} ไม่มีคนเก็บมาสามวัน"]


def _wait(predicate, timeout_s: float, what: str, step_s: float = 0.005):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise RuntimeError(f"timed out waiting for {what}")


def _turn(sim, user: str, act) -> None:
    seen = sim.messages(user)
    since = seen[-1]["seq"] if seen else 0
    act(user)
    _wait(lambda: sim.messages(user, since=since), 30, "an onboarding answer", 0.02)


def _warm(redis_conn, n: int) -> None:
    from workers import heartbeat

    _wait(lambda: len([b for b in heartbeat.workers(redis_conn) if b.warm and b.alive]) >= n,
          120, f"{n} warm workers", 0.1)


def _victim(redis_conn, job_prefix: str) -> int:
    """The pid of the worker running the job whose id starts with ``job_prefix``."""
    from rq.registry import StartedJobRegistry

    from workers import heartbeat
    from workers.queues import CONVERSATION_QUEUE

    key = StartedJobRegistry(CONVERSATION_QUEUE, connection=redis_conn).key
    entry = _wait(lambda: next((e.decode() for e in redis_conn.zrange(key, 0, -1)
                                if e.decode().startswith(job_prefix)), None), 10, "the job")
    name = redis_conn.hget(f"rq:execution:{entry}", "worker_name").decode()
    return int(redis_conn.hget(heartbeat.INFO_PREFIX + name, "pid"))


def run(options: dict[str, Any]) -> dict[str, Any]:
    from linesim.client import SimClient
    from linesim.state import Fault
    from workers.queues import event_job_id

    h = Harness("recovery")
    try:
        sim = SimClient(h.start_sim())
        platform = h.sim_app.extensions["linesim"]["platform"]
        h.start_web(workers=2)
        procs = {p.pid: p for p in h.start_worker(2, queues=["conversation"])}
        redis_conn = h.redis()
        _warm(redis_conn, 2)
        users = [f"U{k:032x}" for k in range(1, KILLS + 1)]
        for user in users:
            _turn(sim, user, sim.follow)
            _turn(sim, user, lambda u: sim.tap(u, postback_data("consent", v="yes")))
            _turn(sim, user, lambda u: sim.say(u, "บางรัก"))
        rows = []
        for k, user in enumerate(users):
            point = "loading" if k % 2 == 0 else "reply"
            path = "/v2/bot/chat/loading" if point == "loading" else "/v2/bot/message/reply"
            platform.set_faults([Fault(path_prefix=path, status=None if point == "loading"
                                       else 500, delay_s=HOLD_S)])
            since = sim.messages(user)[-1]["seq"]
            sent = sim.say(user, TEXTS[k % 2].format(k=k + 1))
            webhook_at = sent["event"]["timestamp"] / 1000
            _wait(lambda: not platform.faults, 10, "the worker's LINE call")  # it is inside it
            with h.connect() as conn:
                event_id = conn.execute("SELECT id FROM webhook_events WHERE webhook_event_id = %s",
                                        (sent["event"]["webhookEventId"],)).fetchone()[0]
            pid = _victim(redis_conn, event_job_id(event_id) + ":")
            os.killpg(pid, signal.SIGKILL)
            killed_at = time.time()
            procs.pop(pid).wait(10)
            for proc in h.start_worker(1, queues=["conversation"]):   # the supervisor's restart
                procs[proc.pid] = proc
            replies = _wait(lambda: sim.messages(user, since=since), 60, "the reply", 0.002)
            rows.append({"kill": k + 1, "point": point, "webhook_to_reply_s": replies[0]["at"] - webhook_at,
                         "kill_to_reply_s": replies[0]["at"] - killed_at})
            _warm(redis_conn, 2)
        time.sleep(3.0)                  # a twin would arrive by now
        duplicates = 0   # LINE calls a resident received beyond the outbox rows sent to them
        with h.connect() as conn:
            for user in users:
                expected = conn.execute(
                    """SELECT count(*) FROM outbox o JOIN residents r ON r.id = o.resident_id
                        WHERE r.line_user_id = %s AND o.state = 'sent'""", (user,)).fetchone()[0]
                delivered = len({m["request_id"] for m in sim.messages(user)})
                duplicates += max(0, delivered - expected)
        webhook = [r["webhook_to_reply_s"] for r in rows]
        kill = [r["kill_to_reply_s"] for r in rows]
        print_table(["kill", "point", "webhook → reply s", "kill → reply s"],
                    [[r["kill"], r["point"], round(r["webhook_to_reply_s"], 2),
                      round(r["kill_to_reply_s"], 2)] for r in rows])
        figures = {"kills": len(rows), "p50_s": round(statistics.median(webhook), 2),
                   "max_s": round(max(webhook), 2),
                   "kill_to_reply_p50_s": round(statistics.median(kill), 2),
                   "kill_to_reply_max_s": round(max(kill), 2), "duplicates": duplicates,
                   "workers": 2, "embedder": "fake"}
        return finish("recovery", figures)
    finally:
        h.close()
