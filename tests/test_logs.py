"""Structured logs (siang/logs.py): JSON lines with request and job ids for correlation,
and never a LINE user id, idea text, token or password (README "Privacy"; PDPA).

The existing capture tests (tests/test_resident_first_contact.py,
tests/test_reliability.py) read the records; this one reads the lines the
configured handler writes, as an operator's log shipper would.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from siang import logs
from tests.admin_support import PASSWORD, StaffClient, accounts, signed_in  # noqa: F401
from tests.conftest import SECRET, SECRET_KEY, TOKEN


@pytest.fixture
def lines():
    """Every log line of this process as written by siang.logs (INFO and up), parsed."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure("web", logging.INFO, stream=stream, fmt="json")

    def read() -> list[dict]:
        handler.flush()
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def test_json_lines_correlate_the_webhook_request_and_the_job(chat, lines):
    alice = chat.onboarded("บางรัก")
    alice.say("ขอให้ติดไฟส่องสว่างในซอยมืดหน้าบ้านด้วยค่ะ")
    written = lines()
    assert written and all({"time", "level", "logger", "message", "process", "pid"} <= set(w)
                           for w in written)
    stored = [w for w in written if w["logger"] == "bot.webhook" and "stored as" in w["message"]]
    assert stored and all(len(w.get("request_id", "")) >= 8 for w in stored)
    handled = [w for w in written if w["logger"] == "workers.jobs" and w.get("event_id")]
    assert handled and all(w["job_id"] == f"event-{w['event_id']}" for w in handled)
    # The webhook line names the stored ids that the job lines carry.
    stored_ids = {i for w in stored for i in json.loads(w["message"].split("stored as ")[1])}
    assert {w["event_id"] for w in handled} <= stored_ids


def test_no_user_id_idea_text_token_or_password_in_any_line(chat, sim, lines, signed_in, stack):
    alice = chat.onboarded("บางรัก")
    secret_idea = "ขอให้ซ่อมท่อระบายน้ำหน้าบ้านเลขที่ 7 ซอยความลับ"
    alice.say(secret_idea)
    sim.set_faults([{"path_prefix": "/v2/bot/message/reply", "status": 500, "count": 1}])
    alice.say("ไอเดียที่สอง ซอยความลับ ทางเท้าพัง")       # a reply that fails and is retried
    signed_in("officer")                                     # a staff login: the password
    StaffClient(stack["app"], "").login("somchai", PASSWORD + "-wrong")   # and a failed one
    text = "\n".join(json.dumps(w, ensure_ascii=False) for w in lines())
    assert text
    for secret in (alice.user_id, "ซอยความลับ", TOKEN, SECRET, SECRET_KEY, PASSWORD):
        assert secret not in text, secret


def test_the_formatter_redacts_line_ids_and_bearer_tokens_as_a_last_guard():
    stream = io.StringIO()
    logger = logging.getLogger("tests.redact")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger.addHandler(handler)
    try:
        logger.warning("user %s said hi; header Authorization: Bearer %s",
                       "U" + "0123456789abcdef" * 2, "abc.DEF-123_456")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert "0123456789abcdef" not in line["message"] and "abc.DEF" not in line["message"]
    assert line["message"].count("[redacted]") == 2
