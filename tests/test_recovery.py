"""A conversation worker killed mid-job: its jobs are rescued at once, answered once (issue 14 #3).

The time it takes is measured by ``siang bench recovery``, not here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from rq.registry import StartedJobRegistry

from pb import outbox
from workers import heartbeat, sweeper
from workers.queues import CONVERSATION_QUEUE, event_job_id

IDEA = "ไฟส่องสว่างในซอยจันทน์ 18 ดับหลายดวง มืดมากตอนกลางคืน"


def _died_while_running(runtime, job_id: str, worker: str = "dead-worker") -> None:
    """Leave Redis as a worker killed mid-job leaves it: the job taken off the queue and
    recorded as started by ``worker``, whose heartbeat hash remains and alive key expired."""
    runtime.queue.remove(job_id)
    entry = f"{job_id}:exec-1"
    registry = StartedJobRegistry(queue=runtime.queue)
    runtime.redis.zadd(registry.key, {entry: time.time() + 240})
    runtime.redis.hset(f"rq:execution:{entry}", mapping={"worker_name": worker,
                                                         "created_at": time.time(),
                                                         "last_heartbeat": time.time()})
    runtime.redis.hset(f"rq:job:{job_id}", "status", "started")
    heartbeat.publish(runtime.redis, worker, queues=["conversation"], model="fake", warm=True)
    runtime.redis.delete(heartbeat.ALIVE_PREFIX + worker)


def _event_id(db, webhook_event_id: str) -> int:
    row = db.execute("SELECT id FROM webhook_events WHERE webhook_event_id = %s",
                     (webhook_event_id,)).fetchone()
    db.commit()
    return row[0]


def test_a_dead_workers_event_is_rescued_and_answered_once(chat, sim, db, runtime, work):
    nok = chat.onboarded("บางรัก")
    sent = sim.say(nok.user_id, IDEA)["event"]["webhookEventId"]
    event_id = _event_id(db, sent)
    _died_while_running(runtime, event_job_id(event_id))
    assert sweeper.rescue_orphans() == {"events": 1, "outbox": 0}
    assert sweeper.rescue_orphans() == {"events": 0, "outbox": 0}      # once
    assert StartedJobRegistry(queue=runtime.queue).get_job_ids(cleanup=False) == []
    work()
    replies = sim.messages(nok.user_id, since=nok.seen)
    assert len({r["request_id"] for r in replies}) == 1 and "ไอเดียเลขที่ 1" in str(replies)
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 1


def test_a_reply_left_mid_send_by_a_dead_worker_is_sent_once(chat, sim, db, runtime, work,
                                                               monkeypatch):
    from workers import jobs

    nok = chat.onboarded("บางรัก")

    def dies_mid_call(outbox_id: int) -> str:      # claimed, then the process was killed
        conn = runtime.connection()
        with conn.transaction():
            assert outbox.claim(conn, outbox_id, lease_s=300) is not None
        raise RuntimeError("killed")

    monkeypatch.setattr(jobs.delivery, "deliver", dies_mid_call)
    sent = sim.say(nok.user_id, IDEA)["event"]["webhookEventId"]
    work()
    monkeypatch.undo()
    assert sim.messages(nok.user_id, since=nok.seen) == []
    assert db.execute("SELECT state FROM outbox WHERE webhook_event_id = %s",
                      (sent,)).fetchone() == ("sending",)
    db.commit()
    _died_while_running(runtime, event_job_id(_event_id(db, sent)))
    assert sweeper.rescue_orphans() == {"events": 1, "outbox": 1}
    work()
    replies = sim.messages(nok.user_id, since=nok.seen)
    assert len({r["request_id"] for r in replies}) == 1
    assert db.execute("SELECT state, attempts FROM outbox WHERE webhook_event_id = %s",
                      (sent,)).fetchone() == ("sent", 2)


def test_a_silent_worker_that_still_holds_a_database_session_is_left_alone(chat, sim, db,
                                                                           runtime, settings):
    nok = chat.onboarded("บางรัก")
    sent = sim.say(nok.user_id, IDEA)["event"]["webhookEventId"]
    _died_while_running(runtime, event_job_id(_event_id(db, sent)), worker="slow-worker")
    with psycopg.connect(settings.database_url,
                         application_name=heartbeat.pg_application_name("slow-worker")):
        assert sweeper.rescue_orphans() == {"events": 0, "outbox": 0}
    deadline = time.monotonic() + 10     # its session is gone (the backend exits just after)
    while (counts := sweeper.rescue_orphans()) == {"events": 0, "outbox": 0}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert counts == {"events": 1, "outbox": 0}


@pytest.mark.slow
def test_a_worker_killed_with_sigkill_mid_job_the_reply_comes_once(stack, chat, sim, db, redis):
    """Two real workers; the one holding the idea's job is killed while it waits on LINE's
    loading-animation call; the other rescues the job. One reply, no timing asserted."""
    from linesim.state import Fault

    nok = chat.onboarded("บางรัก")
    env = {**os.environ, **stack["settings"].as_env(), "SIANG_EMBEDDER": "fake",
           "SIANG_LINE_LOADING_TIMEOUT_MS": "10000"}    # still in the slow call when killed
    workers = [subprocess.Popen([sys.executable, "-m", "siang.cli", "worker", "--queue",
                                 "conversation"], env=env, stdout=subprocess.DEVNULL)
               for _ in range(2)]
    platform = stack["sim_app"].extensions["linesim"]["platform"]
    try:
        deadline = time.monotonic() + 60
        while len([b for b in heartbeat.workers(redis) if b.warm]) < 2:
            assert time.monotonic() < deadline, "workers did not warm up"
            time.sleep(0.1)
        platform.set_faults([Fault(path_prefix="/v2/bot/chat/loading", status=None,
                                   delay_s=5.0)])
        sent = sim.say(nok.user_id, IDEA)["event"]["webhookEventId"]
        while platform.faults:                     # a worker is now inside the slow call
            assert time.monotonic() < deadline, "no worker took the idea"
            time.sleep(0.01)
        job_id = event_job_id(_event_id(db, sent))
        (entry,) = [e.decode() for e in redis.zrange(StartedJobRegistry(CONVERSATION_QUEUE, connection=redis).key, 0, -1)
                    if e.decode().startswith(job_id + ":")] or [None]
        name = redis.hget(f"rq:execution:{entry}", "worker_name").decode()
        (victim,) = [w for w in workers if w.pid == int(redis.hget(heartbeat.INFO_PREFIX + name,
                                                                   "pid"))]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        deadline = time.monotonic() + 60
        while not sim.messages(nok.user_id, since=nok.seen):
            assert time.monotonic() < deadline, "no reply after the worker was killed"
            time.sleep(0.05)
        time.sleep(3.0)                            # a twin would come now, if ever
        replies = sim.messages(nok.user_id, since=nok.seen)
        assert len({r["request_id"] for r in replies}) == 1
        assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 1
        db.commit()
    finally:
        platform.set_faults([])
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(20)


def test_conversation_job_ids_read_back():
    from workers.queues import (conversation_job, event_job_id, keywords_job_id,
                                outbox_job_id)

    assert conversation_job(event_job_id(7)) == ("event", 7)
    assert conversation_job(outbox_job_id(9, attempt=2)) == ("outbox", 9)
    assert conversation_job(keywords_job_id(1, "บางรัก")) is None
