"""POST /callback: verify, record, enqueue, 200 — and bad input never becomes a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from tests.conftest import SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client, payload, *, signature: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if signature != "":
        headers["X-Line-Signature"] = signature or sign(body)
    return client.post("/callback", data=body, headers=headers)


def text_event(event_id: str = "01HZZZZZZZZZZZZZZZZZZZZZZ1", text: str = "สวัสดี",
               redelivery: bool = False) -> dict:
    return {"type": "message", "mode": "active", "timestamp": 1700000000000,
            "webhookEventId": event_id, "deliveryContext": {"isRedelivery": redelivery},
            "source": {"type": "user", "userId": "U" + "a" * 32},
            "replyToken": "r" * 32,
            "message": {"id": "1", "type": "text", "text": text, "quoteToken": "q"}}


def stored(db) -> list[tuple]:
    return db.execute("SELECT webhook_event_id, event_type, error, processed_at IS NOT NULL "
                      "FROM webhook_events ORDER BY id").fetchall()


def test_verification_call_with_no_events_is_ok(client, db):
    assert post(client, {"destination": "U1", "events": []}).status_code == 200
    assert stored(db) == []


def test_missing_signature_is_400(client, db):
    assert post(client, {"events": [text_event()]}, signature="").status_code == 400
    assert stored(db) == []


def test_bad_signature_is_400(client, db):
    response = post(client, {"events": [text_event()]}, signature=sign(b"other body"))
    assert response.status_code == 400
    assert stored(db) == []


def test_signed_with_another_secret_is_400(client, db):
    body = json.dumps({"events": [text_event()]}).encode()
    assert post(client, None, raw=body, signature=sign(body, "not-our-secret")).status_code == 400


def test_unparsable_body_is_400(client, db):
    assert post(client, None, raw=b"{not json").status_code == 400
    assert post(client, None, raw=b'{"events": 3}').status_code == 400
    assert post(client, None, raw=b"\xff\xfe\x00").status_code == 400
    assert stored(db) == []


def test_body_over_the_limit_is_413(client, settings, db):
    big = {"events": [text_event(text="ก" * settings.webhook_max_bytes)]}
    assert post(client, big).status_code == 413


def test_event_is_stored_and_enqueued_with_a_stable_job_id(client, db, redis):
    response = post(client, {"events": [text_event()]})
    assert response.status_code == 200
    assert stored(db) == [("01HZZZZZZZZZZZZZZZZZZZZZZ1", "message", None, False)]
    (event_id,) = db.execute("SELECT id FROM webhook_events").fetchone()
    assert redis.exists(f"rq:job:event-{event_id}")


def test_redelivery_is_stored_once(client, db):
    assert post(client, {"events": [text_event()]}).status_code == 200
    assert post(client, {"events": [text_event(redelivery=True)]}).status_code == 200
    assert len(stored(db)) == 1


def test_malformed_event_is_stored_and_flagged_not_500(client, db):
    events = [{"type": "message"}, "not an object", {"webhookEventId": "01NOTYPE"}]
    response = post(client, {"events": events})
    assert response.status_code == 200
    rows = stored(db)
    assert len(rows) == 3
    assert all(error for _, _, error, _ in rows)
    assert all(done for *_, done in rows)  # flagged, never retried


def test_nul_characters_do_not_break_storage(client, db):
    assert post(client, {"events": [text_event(text="a\u0000b")]}).status_code == 200
    assert len(stored(db)) == 1


def test_database_down_answers_503_so_line_redelivers(stack, clean, monkeypatch):
    import psycopg

    state = stack["app"].extensions["siang"]

    class DownPool:
        def connection(self):
            raise psycopg.OperationalError("server closed the connection")

    monkeypatch.setattr(state, "pool", DownPool())
    response = post(stack["app"].test_client(), {"events": [text_event()]})
    assert response.status_code == 503
