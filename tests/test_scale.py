"""Two web processes and two workers against one PostgreSQL and one Redis (issue 8, scale-out).

Each event is delivered to both web processes (as a LINE redelivery might
land on another machine); both workers drain the one queue. Every idea is
stored once and every event answered once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from siang.bench.harness import free_port
from tests.test_webhook import sign, text_event

DISTINCT_IDEAS = [
    "ถนนหน้าซอยเป็นหลุมลึก", "ไฟส่องสว่างในสวนดับทั้งแถว", "ขยะล้นถังหน้าตลาดสด",
    "น้ำท่วมขังใต้ทางด่วนทุกครั้งที่ฝนตก", "ทางเท้าแตกร้าวหน้าโรงพยาบาล", "สายไฟห้อยต่ำเกือบถึงพื้น",
    "สุนัขจรจัดไล่กัดเด็กนักเรียน", "เสียงดังจากร้านเหล้าตอนตีสอง", "ต้นไม้ใหญ่ล้มขวางถนน",
    "คลองมีผักตบชวาเต็มไปหมด", "ป้ายรถเมล์ไม่มีหลังคากันฝน", "สะพานลอยบันไดชำรุด",
]


@pytest.mark.slow
def test_two_web_processes_and_two_workers_share_the_work(stack, clean, db):
    settings = stack["settings"]
    users = [f"U{k:032x}" for k in range(9000, 9006)]
    for user in users:  # consenting residents with a district, as after onboarding
        db.execute("INSERT INTO residents (line_user_id, district, consent_at) "
                   "VALUES (%s, 'บางรัก', now())", (user,))
    db.commit()
    env = {**os.environ, **settings.as_env(), "SIANG_EMBEDDER": "fake"}
    procs, webs = [], []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
                 "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                 "siang.wsgi:app_from_env()"], env=env, start_new_session=True))
            webs.append(f"http://127.0.0.1:{port}")
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "siang.cli", "worker"], env=env,
                                          start_new_session=True, stdout=subprocess.DEVNULL))
        for web in webs:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(web + "/healthz", timeout=1)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, f"{web} did not start"
                    time.sleep(0.2)
        n = 48
        for k in range(n):
            event = text_event(f"01SCALE{k:019d}", f"{DISTINCT_IDEAS[k % 12]} (จุด {k})")
            event["source"]["userId"] = users[k % len(users)]
            for web in (webs[k % 2], webs[(k + 1) % 2]):  # the same event through both machines
                body = ('{"destination": "Ubot", "events": [%s]}'
                        % json.dumps(event, ensure_ascii=False)).encode()
                response = requests.post(web + "/callback", data=body, timeout=10,
                                         headers={"X-Line-Signature": sign(body),
                                                  "Content-Type": "application/json"})
                assert response.status_code == 200
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pending = db.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"
                                 ).fetchone()[0]
            db.commit()
            if pending == 0:
                break
            time.sleep(0.3)
        assert db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == n
        assert pending == 0
        per_event = db.execute("SELECT count(*) FROM outbox GROUP BY webhook_event_id").fetchall()
        assert len(per_event) == n and all(c == 1 for (c,) in per_event)
        # Each event became one idea, or one pending similar-idea choice: never two ideas.
        ideas = db.execute("SELECT count(*), count(DISTINCT webhook_event_id) FROM ideas"
                           ).fetchone()
        assert ideas[0] == ideas[1]
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(15)
