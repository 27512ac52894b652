"""``siang bench webhook``: how fast Siang acknowledges LINE's webhook, beside bare Flask.

Signed text-message events are POSTed to ``/callback`` at rising rates
(open loop: requests leave on a fixed schedule whatever the answers do)
against Siang under gunicorn (2 workers) while a worker drains the queue,
and against a bare Flask endpoint that returns 200 under the same gunicorn
settings, in the same run. Then each is driven closed-loop (16 clients as
fast as they can) for its maximum throughput. Reported: achieved rate, p50
and p99 of the acknowledgement, errors, and Siang ÷ bare ratios.
Targets (issue 8): throughput ratio ≥ 0.5, p99 < 100 ms at 200 events/s.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from ulid import ULID

from siang.bench.common import finish, percentile_ms, print_table
from siang.bench.harness import SECRET, Harness, free_port

USERS = [f"U{n:032x}" for n in range(1, 201)]


def signed_body(n: int) -> tuple[bytes, str]:
    event = {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
             "webhookEventId": str(ULID()), "deliveryContext": {"isRedelivery": False},
             "source": {"type": "user", "userId": USERS[n % len(USERS)]},
             "replyToken": hashlib.md5(str(n).encode()).hexdigest(),
             "message": {"id": str(n), "type": "text", "quoteToken": "q",
                         "text": "ถนนหน้าซอยเป็นหลุมเป็นบ่อ ขอให้ซ่อมด่วน"}}
    body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, signature


class Loader:
    """Sends signed events and records (latency s, status)."""

    def __init__(self, url: str, threads: int = 32) -> None:
        self.url = url + "/callback"
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(threads)
        self.counter = itertools.count()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def one(self) -> tuple[float, int]:
        body, signature = signed_body(next(self.counter))
        started = time.perf_counter()
        try:
            status = self._session().post(
                self.url, data=body, timeout=10,
                headers={"X-Line-Signature": signature, "Content-Type": "application/json"}
            ).status_code
        except requests.RequestException:
            status = 0
        return time.perf_counter() - started, status

    def open_loop(self, rate: float, seconds: float) -> dict:
        """Requests on a fixed schedule of ``rate`` per second for ``seconds``."""
        n = int(rate * seconds)
        futures = []
        start = time.perf_counter()
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(self.pool.submit(self.one))
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - start
        return _summary(results, elapsed)

    def closed_loop(self, clients: int, seconds: float) -> dict:
        """``clients`` loops sending back to back for ``seconds``."""
        deadline = time.perf_counter() + seconds
        results: list[tuple[float, int]] = []
        lock = threading.Lock()

        def loop() -> None:
            mine = []
            while time.perf_counter() < deadline:
                mine.append(self.one())
            with lock:
                results.extend(mine)

        start = time.perf_counter()
        for f in [self.pool.submit(loop) for _ in range(clients)]:
            f.result()
        return _summary(results, time.perf_counter() - start)


def _summary(results: list[tuple[float, int]], elapsed: float) -> dict:
    ok = [lat for lat, status in results if status == 200]
    return {"sent": len(results), "ok": len(ok), "errors": len(results) - len(ok),
            "rate": len(ok) / elapsed if elapsed else 0.0,
            "p50_ms": percentile_ms(ok, 50), "p99_ms": percentile_ms(ok, 99)}


def run(options: dict) -> dict:
    rates = options.get("rates") or [50, 100, 200, 400]
    seconds = float(options.get("seconds") or 5)
    harness = Harness("webhook")
    try:
        harness.start_sim()
        siang_url = harness.start_web(workers=2)
        bare_url = harness.start_gunicorn("siang.bench.bare:app_factory()", free_port(), 2)
        harness.start_worker(1)
        loaders = {"bare flask": Loader(bare_url), "siang": Loader(siang_url)}
        for loader in loaders.values():  # warm up connections and code paths
            loader.open_loop(20, 1)
        rows, figures = [], {}
        for rate in rates:
            for name, loader in loaders.items():
                s = loader.open_loop(rate, seconds)
                rows.append([name, f"{rate}/s", s["sent"], s["errors"], s["rate"], s["p50_ms"],
                             s["p99_ms"]])
                figures[f"{name.split()[0]}_p99_ms_at_{rate}"] = round(s["p99_ms"], 1)
                figures[f"{name.split()[0]}_p50_ms_at_{rate}"] = round(s["p50_ms"], 1)
                figures[f"{name.split()[0]}_errors_at_{rate}"] = s["errors"]
        max_rates = {}
        for name, loader in loaders.items():
            s = loader.closed_loop(16, seconds)
            max_rates[name] = s["rate"]
            rows.append([name, "max (16 clients)", s["sent"], s["errors"], s["rate"], s["p50_ms"],
                         s["p99_ms"]])
        with harness.connect() as conn:
            stored = conn.execute("SELECT count(*) FROM webhook_events").fetchone()[0]
        print_table(["target", "offered", "sent", "errors", "ok/s", "p50 ms", "p99 ms"], rows)
        ratio = max_rates["siang"] / max_rates["bare flask"] if max_rates["bare flask"] else 0.0
        print(f"\nmax throughput: siang {max_rates['siang']:.0f}/s, bare flask "
              f"{max_rates['bare flask']:.0f}/s, ratio {ratio:.2f} (target ≥ 0.5); "
              f"events stored {stored:,}")
        figures.update({"siang_max_per_s": round(max_rates["siang"], 1),
                        "bare_max_per_s": round(max_rates["bare flask"], 1),
                        "throughput_ratio": round(ratio, 3), "events_stored": int(stored),
                        "seconds_per_step": seconds})
        return finish("webhook", figures)
    finally:
        harness.close()
