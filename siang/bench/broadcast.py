"""``siang bench broadcast --recipients 100000``: one announcement to 100k residents, the hard way.

Through the LINE emulator with its multicast rate limit on, injected 429s,
and one worker killed with ``kill -9`` halfway through (a replacement starts
at once, as a process supervisor would). The announcement goes to every
follower; 1% of them opted out, so it is sent as multicast batches of 500
(a broadcast would reach them too). Two ``siang worker`` processes send.

As staff do it: "Send" (``pb.announcement_queue.start``: check, count,
store the messages) and then the ``queue_announcement`` job on the upkeep
queue, which writes the batches chunk by chunk while the workers already
send the first ones.

Measured from the emulator's own record of what each simulated user
received: messages delivered, duplicates (users who got it twice; must be
0), missing (recipients who never got it; must be 0), opted-out residents
reached (must be 0), seconds from Send to the last batch accepted, and the
achieved multicast rate as a share of the emulator's limit: over the whole
run, and over the sending span (first call to last batch accepted). The last
line is the JSON summary.

With ``--recipients 1000000`` (anything from :data:`QUEUE_ONLY_FROM` up) it
measures the queuing alone: one worker on the upkeep queue runs the job and
the batches are left unsent (at 20 calls/s they would take 100 s, and the
emulator would hold a million users).

Options: ``--recipients N`` (default 100,000), ``--rates R`` the emulator's
multicast limit in requests per second (default 20, so that the limit, not
the senders, sets the pace).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections import Counter
from typing import Any

from pb import announcement_queue
from pb import announcements as ann
from pb.scope import Scope
from siang.bench.common import Stopwatch, finish, print_table
from siang.bench.harness import Harness

MULTICAST = "/v2/bot/message/multicast"
DEFAULT_RECIPIENTS = 100_000
DEFAULT_LIMIT = 20.0          # multicast requests per second in the emulator
INJECTED_429 = 10
QUEUE_ONLY_FROM = 1_000_000   # recipients: measure the queuing job only
OPTED_OUT_SHARE = 0.01
TEXT = "ประกาศ: โครงการซ่อมถนนซอยประชาอุทิศ 45 คืบหน้าแล้ว 60% ค่ะ"


def user_id(n: int) -> str:
    return f"U{n:032x}"


def _populate(h: Harness, recipients: int, opted_out: int, *, emulator: bool = True) -> None:
    """Simulated LINE friends in the emulator and the matching residents in the database."""
    if emulator:
        platform = h.sim_app.extensions["linesim"]["platform"]
        with platform.lock:
            for n in range(1, recipients + opted_out + 1):
                user = platform.user(user_id(n))
                user.following = user.ever_followed = True
    now = dt.datetime.now(dt.timezone.utc)
    with h.connect() as conn:
        with conn.cursor().copy("COPY residents (line_user_id, district, consent_at, "
                                "announcements_opt_out) FROM STDIN") as copy:
            for n in range(1, recipients + opted_out + 1):
                copy.write_row((user_id(n), "ทุ่งครุ", now, n > recipients))


def _send(h: Harness) -> tuple[int, float]:
    """Staff press Send (urgent: the bench may run in quiet hours): returns (announcement
    id, seconds the request's work took), then the queuing job is enqueued."""
    from workers.queues import Queues

    scope = Scope.system()
    with h.connect() as conn, Stopwatch() as watch:
        conn.autocommit = False
        with conn.transaction():
            announcement_id = ann.create(conn, scope, ann.AnnouncementDraft(
                audience="all", text_th=TEXT, urgent=True))
            announcement_queue.start(conn, scope, announcement_id, 1,
                                     lambda language: [{"type": "text", "text": TEXT}])
    queues = Queues.from_url(h.settings.redis_url)
    queues.enqueue_announcement(announcement_id)
    queues.redis.close()
    return announcement_id, watch.seconds


def _wait_for_workers(h: Harness, n: int, timeout_s: float = 180) -> None:
    """Until ``n`` workers have registered with RQ (model loaded, warmed up, listening):
    the clock must not time their start-up."""
    from rq import Worker

    connection = h.redis()
    deadline = time.monotonic() + timeout_s
    while Worker.count(connection=connection) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    connection.close()


def _queued(h: Harness, announcement_id: int) -> tuple[str, int, int]:
    with h.connect() as conn:
        state, queued, batches = conn.execute(
            "SELECT state, queued_count, batches FROM announcements WHERE id = %s",
            (announcement_id,)).fetchone()
    return state, int(queued), int(batches)


def _queue_only(h: Harness, recipients: int, opted_out: int) -> dict[str, Any]:
    """The 1M mode: populate, Send, and time the job until the announcement is queued."""
    with Stopwatch() as setup:
        _populate(h, recipients, opted_out, emulator=False)
        with h.connect() as conn:
            conn.execute("ANALYZE residents")
    h.start_worker(1, queues=("upkeep",))
    _wait_for_workers(h, 1)                      # the worker is up before the clock starts
    start = time.perf_counter()
    announcement_id, send_s = _send(h)
    while _queued(h, announcement_id)[0] == "queuing" and time.perf_counter() - start < 600:
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    state, queued, batches = _queued(h, announcement_id)
    print_table(["figure", "value"], [
        ("recipients (followers minus opted out)", recipients),
        ("opted out, skipped", opted_out),
        ("Send: check, count, store messages, s", round(send_s, 2)),
        ("Send → job finished queuing, s", round(seconds, 2)),
        ("residents queued", queued),
        ("batches (multicast, ≤500 each)", batches),
        ("residents queued per second", round(queued / seconds) if seconds else 0),
        ("setup (residents), s", round(setup.seconds, 1)),
    ])
    return finish("broadcast", {
        "recipients": recipients, "mode": "queue-only", "state": state,
        "residents_queued": queued, "batches": batches, "send_request_s": round(send_s, 3),
        "queue_job_s": round(seconds, 2)})


def _progress(h: Harness, announcement_id: int) -> dict[str, int]:
    with h.connect() as conn:
        rows = conn.execute("SELECT state, count(*) FROM outbox WHERE announcement_id = %s "
                            "GROUP BY state", (announcement_id,)).fetchall()
    return {state: int(n) for state, n in rows}


def run(options: dict[str, Any]) -> dict[str, Any]:
    recipients = int(options.get("recipients") or DEFAULT_RECIPIENTS)
    limit = float((options.get("rates") or [DEFAULT_LIMIT])[0])
    opted_out = max(1, int(recipients * OPTED_OUT_SHARE))
    h = Harness("broadcast")
    try:
        with h.redis() as connection:    # the bench's own Redis: no workers of an earlier run
            connection.flushdb()
        h.start_sim(rate_limits={MULTICAST: limit})
        if recipients >= QUEUE_ONLY_FROM:
            return _queue_only(h, recipients, opted_out)
        platform = h.sim_app.extensions["linesim"]["platform"]
        with Stopwatch() as setup:
            _populate(h, recipients, opted_out)
        batches = -(-recipients // 500)
        from linesim.state import Fault

        platform.set_faults([Fault(path_prefix=MULTICAST, status=429, count=INJECTED_429)])
        workers = h.start_worker(2)
        _wait_for_workers(h, 2)                  # both workers listen before the clock starts
        start = time.perf_counter()
        announcement_id, send_s = _send(h)
        queue_s = None
        killed_at = None
        deadline = start + 600
        while time.perf_counter() < deadline:
            state = _progress(h, announcement_id)
            done = state.get("sent", 0) + state.get("failed", 0)
            if queue_s is None and _queued(h, announcement_id)[0] == "queued":
                queue_s = time.perf_counter() - start
            if killed_at is None and done >= batches // 2:
                os.killpg(workers[0].pid, signal.SIGKILL)   # kill -9 mid-send
                workers[0].wait(10)
                killed_at = time.perf_counter() - start
                h.start_worker(1)                  # the replacement a supervisor starts
            if done == batches:
                break
            time.sleep(0.05)
        with h.connect() as conn:
            first, last, failed, attempts = conn.execute(
                """SELECT min(sent_at), max(sent_at), count(*) FILTER (WHERE state <> 'sent'),
                          sum(attempts) FROM outbox WHERE announcement_id = %s""",
                (announcement_id,)).fetchone()
        seconds = time.perf_counter() - start
        with platform.lock:
            counts = Counter(entry["user_id"] for entries in platform.messages_by_user.values()
                             for entry in entries if entry["via"] == "multicast")
            statuses = Counter(c["status"] for c in platform.calls if c["path"] == MULTICAST)
        audience = [user_id(n) for n in range(1, recipients + 1)]
        missing = sum(1 for u in audience if counts[u] == 0)
        duplicates = sum(1 for u in audience if counts[u] > 1)
        opted_reached = sum(1 for n in range(recipients + 1, recipients + opted_out + 1)
                            if counts[user_id(n)])
        delivered = sum(counts.values())
        rate = batches / seconds if seconds else 0.0
        with platform.lock:
            first_call = min((c["at"] for c in platform.calls if c["path"] == MULTICAST),
                             default=None)
            last_ok = max((c["at"] for c in platform.calls
                           if c["path"] == MULTICAST and c["status"] == 200), default=None)
        send_span = (last_ok - first_call) if first_call and last_ok else 0.0
        span_rate = batches / send_span if send_span else 0.0
        print_table(["figure", "value"], [
            ("recipients (followers minus opted out)", recipients),
            ("opted out, skipped", opted_out),
            ("batches (multicast, ≤500 each)", batches),
            ("Send: check, count, store messages, s", round(send_s, 2)),
            ("Send → job finished queuing, s", round(queue_s or 0.0, 2)),
            ("emulator multicast limit, requests/s", limit),
            ("injected 429s", INJECTED_429),
            ("calls: 200 / 409 / 429", f"{statuses.get(200, 0)} / {statuses.get(409, 0)} / "
                                       f"{statuses.get(429, 0)}"),
            ("call attempts (outbox)", int(attempts or 0)),
            ("worker killed (kill -9) at, s", round(killed_at or 0.0, 2)),
            ("messages delivered", delivered),
            ("duplicates", duplicates),
            ("missing", missing),
            ("opted-out residents reached", opted_reached),
            ("batches not sent", int(failed or 0)),
            ("seconds, enqueue → all batches sent", round(seconds, 2)),
            ("first call → last batch accepted, s", round(send_span, 2)),
            ("achieved batches/s (whole run)", round(rate, 2)),
            ("achieved share of the limit (whole run)", round(rate / limit, 3)),
            ("achieved share of the limit (sending span)", round(span_rate / limit, 3)),
            ("messages/s", round(delivered / seconds, 1) if seconds else 0.0),
            ("setup (users + residents), s", round(setup.seconds, 1)),
        ])
        return finish("broadcast", {
            "recipients": recipients, "messages_delivered": delivered,
            "duplicates": duplicates, "missing": missing, "opted_out_reached": opted_reached,
            "seconds": round(seconds, 2), "batches": batches,
            "rate_limit_per_s": limit, "achieved_rate_share": round(rate / limit, 3),
            "sending_span_rate_share": round(span_rate / limit, 3),
            "send_request_s": round(send_s, 3), "queue_job_s": round(queue_s or 0.0, 2),
            "injected_429": INJECTED_429, "worker_killed": killed_at is not None})
    finally:
        h.close()
