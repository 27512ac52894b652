"""/healthz, /readyz and ``siang status``: ready only once a warm conversation worker reports
(issue 14 #4, issue 19 item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import redis as redis_lib
from click.testing import CliRunner

from pb import db as pbdb
from siang import status
from workers import heartbeat


def _readyz(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def test_readyz_turns_ready_only_when_a_warm_conversation_worker_reports(client, redis):
    assert client.get("/healthz").status_code == 200
    code, body = _readyz(client)
    assert code == 503 and body["status"] == "not ready"
    assert "no conversation worker with its model loaded" in body["reason"]
    assert body["checks"] | {"warm_workers": 0} == {"postgres": True, "migrations": True,
                                                     "redis": True, "warm_workers": 0}
    heartbeat.publish(redis, "loading", queues=["conversation"], model="fake", warm=False)
    heartbeat.publish(redis, "upkeep-only", queues=["upkeep"], model="fake", warm=True)
    assert _readyz(client)[0] == 503           # still loading; the other takes no conversation
    heartbeat.publish(redis, "loading", queues=["conversation"], model="fake", warm=True)
    code, body = _readyz(client)
    assert code == 200 and body == {"status": "ready", "reason": "",
                                    "checks": {"postgres": True, "migrations": True,
                                               "redis": True, "warm_workers": 1}}


def test_a_worker_silent_for_30_s_is_not_counted(client, redis):
    heartbeat.publish(redis, "w1", queues=["conversation", "upkeep"], model="fake", warm=True)
    assert _readyz(client)[0] == 200
    redis.hset(heartbeat.INFO_PREFIX + "w1", "time", heartbeat.redis_now(redis) - 31)
    code, body = _readyz(client)
    assert code == 503 and "last 30 s" in body["reason"]


def test_readyz_says_migrations_are_behind(client, redis, monkeypatch):
    heartbeat.publish(redis, "w1", queues=["conversation"], model="fake", warm=True)
    real = pbdb.load_migrations()
    monkeypatch.setattr(pbdb, "load_migrations",
                        lambda: [*real, pbdb.Migration(9999, "9999_future", "", "")])
    code, body = _readyz(client)
    assert code == 503 and body["checks"]["migrations"] is False
    assert body["reason"] == "migrations not applied: 9999"


def test_readiness_when_redis_does_not_answer(settings):
    import psycopg

    down = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    result = status.readiness(lambda: psycopg.connect(settings.database_url), down)
    assert not result.ready and result.reason.startswith("Redis does not answer")
    assert result.checks["postgres"] is True and result.checks["redis"] is False


def test_siang_status_prints_the_backlog_and_exits_1_until_ready(settings, redis, chat):
    from siang.cli import main

    nok = chat.resident()
    nok.sim.say(nok.user_id, "ยังไม่มีใครทำงาน")      # stored, queued, nobody works it
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "SIANG_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("NOT READY: no conversation worker")
    assert "conversation" in result.output and "webhook_events_pending" in result.output
    heartbeat.publish(redis, "w1", queues=["conversation"], model="fake", warm=True)
    result = CliRunner().invoke(main, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    import json

    out = json.loads(result.output)
    assert out["status"] == "ready" and out["queues"]["conversation"]["queued"] == 1
    assert out["backlog"]["webhook_events_pending"] == 1
    assert [w["name"] for w in out["workers"]] == ["w1"] and out["workers"][0]["alive"]


def test_a_real_worker_makes_readyz_ready_and_withdraws_on_stop(stack, client, redis):
    env = {**os.environ, **stack["settings"].as_env(), "SIANG_EMBEDDER": "fake"}
    worker = subprocess.Popen([sys.executable, "-m", "siang.cli", "worker", "--queue",
                               "conversation"], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _readyz(client)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _readyz(client)[0] == 200
        (beat,) = heartbeat.workers(redis)
        assert beat.pid == worker.pid and beat.warm and beat.queues == ("conversation",)
        assert beat.model == "fake-trigram-384" and beat.alive
    finally:
        worker.terminate()
        worker.wait(20)
    assert heartbeat.workers(redis) == [] and _readyz(client)[0] == 503
