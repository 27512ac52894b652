"""``GET /metrics``: every metric of docs/OPERATIONS.md "Metrics" is there with a non-zero
value after a few residents' events, a failing event, a multicast answered 429 then 200,
a job left waiting and an unsent outbox row; and multiprocess mode adds up the counts
of several processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pb import outbox
from bot import metrics

#: name of a sample → labels that must be among its non-zero samples (None: any labels).
EXPECTED = {
    "siang_webhook_ack_seconds_count": {"status": "200"},
    "siang_webhook_ack_seconds_bucket": None,
    "siang_events_total": None,
    "siang_job_seconds_count": {"kind": "process_event"},
    "siang_reply_latency_seconds_count": None,
    "siang_line_deliveries_total": {"kind": "multicast", "status": "429"},
    "siang_line_messages_total": {"kind": "multicast"},
    "siang_embed_seconds_count": None,
    "siang_queue_depth": {"queue": "upkeep"},
    "siang_outbox_backlog": {"kind": "push", "state": "pending"},
    "siang_outbox_oldest_seconds": {"kind": "push"},
    "siang_scrape_source_up": {"source": "postgres"},
}


def scrape(client) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples, name: str, **labels: str) -> float:
    return sum(v for got, v in samples.get(name, []) if all(got.get(k) == w
                                                            for k, w in labels.items()))


def test_every_metric_has_a_non_zero_value_after_some_traffic(chat, client, sim, clean, work, db,
                                                              monkeypatch):
    before = scrape(client)
    alice = chat.onboarded("บางรัก")
    alice.say("ขอให้ซ่อมทางเท้าหน้าตลาดที่พังหลายจุดค่ะ")          # an idea: embedded, replied

    from workers import jobs
    real = jobs.dispatch
    monkeypatch.setattr(jobs, "dispatch", lambda ctx: (_ for _ in ()).throw(RuntimeError("x")))
    sim.say(alice.user_id, "ข้อความที่ทำให้เกิดข้อผิดพลาด")            # this attempt fails
    work()
    monkeypatch.setattr(jobs, "dispatch", real)

    with db.transaction():
        bulk = outbox.add(db, kind="multicast", recipients=[alice.user_id],
                          messages=[{"type": "text", "text": "ประกาศค่ะ"}])
        outbox.add(db, kind="push", recipients=[alice.user_id],
                   messages=[{"type": "text", "text": "ภายหลังค่ะ"}],
                   not_before=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    db.commit()
    sim.set_faults([{"path_prefix": "/v2/bot/message/multicast", "status": 429, "count": 1}])
    clean.queue.enqueue("workers.jobs.deliver_outbox", bulk, job_id=f"outbox-{bulk}")
    work()
    clean.upkeep.enqueue("time.sleep", 0, job_id="metrics-test-waiting")   # left in the queue

    after = scrape(client)
    missing = []
    for name, labels in EXPECTED.items():
        grown = value(after, name, **(labels or {})) - value(before, name, **(labels or {}))
        now = value(after, name, **(labels or {}))
        gauge = name in ("siang_queue_depth", "siang_outbox_backlog", "siang_outbox_oldest_seconds",
                         "siang_scrape_source_up")
        if (now if gauge else grown) <= 0:
            missing.append((name, labels))
    assert missing == []
    for outcome in ("stored", "processed", "failed"):
        assert value(after, "siang_events_total", outcome=outcome) > value(
            before, "siang_events_total", outcome=outcome), outcome
    assert value(after, "siang_line_deliveries_total", kind="multicast", status="200") > value(
        before, "siang_line_deliveries_total", kind="multicast", status="200")
    today = dt.datetime.now(metrics.BANGKOK).date().isoformat()
    assert value(after, "siang_line_messages_total", kind="reply", day=today) > 0


def test_status_classes():
    assert [metrics.status_class(s) for s in (200, 202, 400, 401, 409, 429, 500, 503, 0)] == [
        "200", "200", "4xx", "4xx", "409", "429", "5xx", "5xx", "network"]


def test_bad_webhook_requests_are_counted_by_status(client):
    before = scrape(client)
    assert client.post("/callback", data="{}").status_code == 400    # no signature
    after = scrape(client)
    assert value(after, "siang_webhook_ack_seconds_count", status="400") == value(
        before, "siang_webhook_ack_seconds_count", status="400") + 1


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot import metrics
    metrics.setup(Path(sys.argv[1]))
    metrics.events_counted("stored", int(sys.argv[2]))
    metrics.line_delivery("push", 200, 1)
    print("counted", flush=True)
    sys.stdin.readline()          # stay alive until told
""")


def test_multiprocess_mode_adds_up_every_process(tmp_path, monkeypatch):
    """Two processes count into one folder (as gunicorn's workers and ``siang worker`` do);
    one render sums them, also after they ended. A fresh start empties a folder whose
    writers have all ended; a process starting while another lives keeps every file."""
    import os

    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    folder = tmp_path / "metrics"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = []
    for n in (2, 3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n)], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "counted"
        writers.append(proc)
    for proc in writers:
        proc.communicate("\n", timeout=30)
        assert proc.returncode == 0
    assert len(list(folder.glob("*.db"))) >= 2
    monkeypatch.setattr(metrics, "_multiproc_dir", folder)
    body, _type = metrics.render()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(body.decode()) for s in f.samples}
    assert samples[("siang_events_total", (("outcome", "stored"),))] == 5
    assert sum(v for (name, labels), v in samples.items()
               if name == "siang_line_messages_total") == 2
    assert metrics.wipe_if_stale(folder) is True          # both writers have ended
    assert list(folder.glob("*.db")) == []


def test_setup_refuses_once_metrics_count_in_memory(monkeypatch, tmp_path):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    import prometheus_client  # noqa: F401  (imported: this process counts in memory)

    with pytest.raises(RuntimeError):
        metrics.setup(tmp_path)
