"""Each fault of ``siang simulate --faults`` against real processes (issue 17): nothing lost,
nothing doubled, every idea answered once.

One stack (gunicorn with 2 workers, 2 ``siang worker`` processes each with its sweeper,
the emulator redelivering like LINE) on a PostgreSQL and a Redis of this module's own.
Residents send ideas from threads, each waiting for the bot's answer before the next.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests

from siang.simulate.faults import FaultPlan
from tests.stack_support import Stack, stack_dir
from tests.stack_support import REPO

pytestmark = pytest.mark.slow
SWEEP_AFTER_S = 10
_offset = [0]


def real_ideas(n: int) -> list[str]:
    """The next ``n`` distinct real Bangkok reports of the demo sample (20–200 characters)."""
    import csv

    with open(REPO / "data" / "traffy_sample" / "ideas_sample.csv", encoding="utf-8") as f:
        texts = list(dict.fromkeys(r["text"].strip() for r in csv.DictReader(f)
                                   if 20 <= len(r["text"].strip()) <= 200))
    start = _offset[0]
    _offset[0] += n
    return texts[start:start + n]


def send_as_new(messages: list[dict]) -> str | None:
    """The "send as new idea" postback of a similar-ideas answer, if the answer is one."""
    found = re.findall(r'"data": "(a=sim&c=n&[^"]*)"', json.dumps(messages))
    return found[0] if found else None


@pytest.fixture(scope="module")
def stack():
    stack = Stack(stack_dir("faults"), workers=2, sweep_after_s=SWEEP_AFTER_S, line_timeout_s=2.0)
    stack.onboard()                        # the workers are warm
    yield stack
    stack.close()


class Stream:
    """``residents`` residents each sending ``per_resident`` ideas in a thread of their own."""

    def __init__(self, stack: Stack, tag: str, residents: int = 6, per_resident: int = 4) -> None:
        self.stack = stack
        self.users = [stack.onboard() for _ in range(residents)]
        ideas = real_ideas(residents * per_resident)
        self.texts = {u: ideas[k * per_resident:(k + 1) * per_resident]
                      for k, u in enumerate(self.users)}
        self.seen = {u: len(stack.answers(u)) for u in self.users}
        with stack.connect() as conn:
            self.first_event = conn.execute("SELECT coalesce(max(id), 0) FROM webhook_events"
                                            ).fetchone()[0]
        self.errors: list[BaseException] = []
        self.statuses: list[int | None] = []
        self._threads = [threading.Thread(target=self._one, args=(u,), daemon=True)
                         for u in self.users]

    def _one(self, user_id: str) -> None:
        sim = self.stack.sim
        try:
            for text in self.texts[user_id]:
                answer = self.stack.turn(user_id, lambda: self.statuses.append(
                    sim.say(user_id, text)["status"]), timeout_s=120)
                data = send_as_new([m["message"] for m in answer])
                if data:                   # like ideas exist: the resident sends it as new
                    self.stack.turn(user_id, lambda: self.statuses.append(
                        sim.tap(user_id, data)["status"]), timeout_s=120)
        except BaseException as exc:  # noqa: BLE001 - reported by join()
            self.errors.append(exc)

    def start(self) -> "Stream":
        for t in self._threads:
            t.start()
        return self

    def processed(self) -> int:
        with self.stack.connect() as conn:
            return conn.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT "
                                "NULL AND id > %s", (self.first_event,)).fetchone()[0]

    def join(self, timeout_s: float = 240) -> None:
        for t in self._threads:
            t.join(timeout_s)
        assert not self.errors, self.errors[0]

    def check(self) -> dict[str, int]:
        """Every idea stored once, every event answered by one outbox row sent once, and the
        emulator delivered exactly those messages (nothing twice)."""
        stack = self.stack
        stack.wait(stack.settled, 120, "every event processed and every reply sent")
        sent_texts = [t for texts in self.texts.values() for t in texts]
        with stack.connect() as conn:
            stored = dict(conn.execute("SELECT text, count(*) FROM ideas WHERE text = ANY(%s) "
                                       "GROUP BY text", (sent_texts,)).fetchall())
            turns = conn.execute(
                """SELECT e.webhook_event_id, count(o.id), coalesce(sum(jsonb_array_length(
                          o.messages)), 0), coalesce(bool_and(o.state = 'sent'), false),
                          count(*) FILTER (WHERE o.kind = 'push')
                     FROM webhook_events e LEFT JOIN outbox o
                          ON o.webhook_event_id = e.webhook_event_id
                    WHERE e.id > %s GROUP BY 1""", (self.first_event,)).fetchall()
        assert {t: stored.get(t, 0) for t in sent_texts} == {t: 1 for t in sent_texts}
        assert len(turns) == len(sent_texts)
        assert [t for t in turns if t[1] != 1 or not t[3]] == []
        delivered = sum(len(stack.answers(u)) - self.seen[u] for u in self.users)
        assert delivered == sum(t[2] for t in turns)
        return {"ideas": len(sent_texts), "pushes": sum(t[4] for t in turns)}


def test_a_conversation_worker_killed_mid_stream(stack):
    stream = Stream(stack, "kill").start()
    stack.wait(lambda: stream.processed() >= 4, 60, "some ideas handled")
    stack.kill_worker(0)
    time.sleep(1)
    stack.kill_worker(1)                  # both: every job under way dies with its worker
    stack.restart_worker(0)
    stack.restart_worker(1)
    stream.join()
    stream.check()


def test_redis_flushed_mid_stream(stack):
    import redis

    stream = Stream(stack, "flush").start()
    stack.wait(lambda: stream.processed() >= 4, 60, "some ideas handled")
    redis.Redis.from_url(stack.redis_url).flushall()
    stream.join()
    stream.check()
    assert all(p.poll() is None for p in stack.workers), "a worker died of the flush"


def test_line_answers_500_429_and_slow_answers_past_the_timeout(stack):
    stack.sim.set_fault_mix(p500=0.1, p429=0.1, p_slow=0.1, slow_s=stack.line_timeout_s + 1,
                            seed=5)
    try:
        stream = Stream(stack, "line").start()
        stream.join()
        injected = stack.sim.fault_mix()["injected"]
    finally:
        stack.sim.set_fault_mix()
    assert min(injected.values()) > 0, injected
    stream.check()


def test_postgres_stopped_and_started_mid_stream(stack):
    stream = Stream(stack, "pg").start()
    stack.wait(lambda: stream.processed() >= 4, 60, "some ideas handled")
    stack.stop_postgres()
    time.sleep(3)
    stack.start_postgres()
    stream.join()
    stream.check()
    assert None not in stream.statuses and set(stream.statuses) <= {200, 503}
    # A restart while no resident writes: once the server is back, the web's pooled
    # connections (opened before it went down) are not handed out dead: no 503 (an event
    # lost when LINE's redelivery is off), no admin error.
    for _ in range(6):
        stack.sim.follow(stack.user())
    stack.stop_postgres()
    time.sleep(1)
    stack.start_postgres()
    followed = []
    for _ in range(8):
        user_id = stack.user()
        # 200; or, while the pool reconnects with back-off, 503 or no answer within the
        # emulator's timeout: LINE (the emulator) redelivers those.
        assert stack.sim.follow(user_id)["status"] in (200, 503, None)
        followed.append(user_id)
    ready = f"http://127.0.0.1:{stack.h.web_port}/readyz"
    stack.wait(lambda: all(requests.get(ready, timeout=10).status_code == 200
                           for _ in range(4)), 120, "the web ready again")
    for _ in range(4):          # once it is ready, no dead pooled connection is handed out
        user_id = stack.user()
        assert stack.sim.follow(user_id)["status"] == 200
        followed.append(user_id)
    stack.wait(lambda: all(stack.answers(u) for u in followed), 120, "every follow answered")
    stack.wait(stack.settled, 120, "every event processed and every reply sent")
    assert len({len(stack.answers(u)) for u in followed}) == 1     # each welcomed exactly once
    for _ in range(8):
        assert requests.get(f"http://127.0.0.1:{stack.h.web_port}/readyz", timeout=5
                            ).status_code == 200


def test_the_fault_plan_runs_every_fault_and_records_it(stack):
    stack.t0 = time.monotonic()
    plan = FaultPlan(stack, enabled=True, kill_every_s=4, flush_redis_at_s=6,
                     restart_postgres_at_s=9, pg_down_s=2)
    plan.start()
    stream = Stream(stack, "plan", residents=4, per_resident=4).start()
    stack.wait(lambda: {"kill-worker", "flush-redis", "start-postgres"}
               <= {e["kind"] for e in plan.events}, 60, "every fault")
    plan.stop()
    stream.join()
    stream.check()
    kinds = [e["kind"] for e in plan.events]
    assert kinds.count("flush-redis") == 1 and kinds.count("stop-postgres") == 1
    assert "fault-error" not in kinds, plan.events
    assert plan.count >= kinds.count("kill-worker") + 3
    assert all(e["at_s"] >= 0 for e in plan.events)
