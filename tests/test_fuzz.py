"""Bad input never becomes a 5xx, and nothing is lost (issue 8, property-based)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.test_webhook import sign

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                      children, max_size=4),
    max_leaves=10)
EVENT_TYPES = st.sampled_from(["message", "postback", "follow", "unfollow", "join", "leave",
                               "beacon", "accountLink", "things", "videoPlayComplete", "membership",
                               "unknownFutureEvent"]) | st.text(max_size=20) | JUNK
MESSAGE = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "sticker", "image", "location", "video", "file"]) | JUNK},
    optional={"id": st.text(max_size=20) | JUNK,
              "text": st.text(max_size=3000) | JUNK,
              "latitude": st.floats(-200, 200) | JUNK, "longitude": st.floats(-200, 200) | JUNK})
SOURCE = st.fixed_dictionaries(
    {"type": st.just("user") | JUNK},
    optional={"userId": st.from_regex(r"U[0-9a-f]{32}", fullmatch=True) | st.text(max_size=40)
              | JUNK})
EVENT = st.fixed_dictionaries(
    {"type": EVENT_TYPES},
    optional={"webhookEventId": st.from_regex(r"[0-9A-Z]{26}", fullmatch=True) | JUNK,
              "replyToken": st.text(min_size=1, max_size=40) | JUNK,
              "source": SOURCE | JUNK, "message": MESSAGE | JUNK,
              "postback": st.fixed_dictionaries({"data": st.text(max_size=400) | JUNK}) | JUNK,
              "deliveryContext": st.fixed_dictionaries({"isRedelivery": st.booleans() | JUNK}),
              "timestamp": st.integers() | JUNK, "mode": st.text(max_size=10) | JUNK})
BODY = st.fixed_dictionaries({"destination": st.text(max_size=40) | JUNK,
                              "events": st.lists(EVENT | JUNK, max_size=4)}) | JUNK


def _post(client, body: bytes):
    return client.post("/callback", data=body, headers={"X-Line-Signature": sign(body),
                                                        "Content-Type": "application/json"})


@pytest.mark.slow
def test_ten_thousand_signed_junk_bodies_never_5xx(client):
    statuses: dict[int, int] = {}

    @settings(max_examples=10_000, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(BODY)
    def check(body):
        response = _post(client, json.dumps(body, ensure_ascii=False).encode())
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, body

    check()
    assert sum(statuses.values()) >= 10_000
    assert set(statuses) <= {200, 400, 413}


@pytest.mark.slow
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=st.fixed_dictionaries({"events": st.lists(EVENT, min_size=1, max_size=3)}))
def test_every_event_is_processed_or_stored_with_its_error(client, work, db, body):
    response = _post(client, json.dumps(body, ensure_ascii=False).encode())
    assert response.status_code == 200
    work()
    db.commit()
    left = db.execute("SELECT webhook_event_id, error FROM webhook_events "
                      "WHERE processed_at IS NULL").fetchall()
    assert left == []


def test_invalid_utf8_raw_bytes_and_non_json_numbers_are_400(client):
    for raw in (b"\xc3\x28", b"\x00\x01\x02", b"{\"events\": [\"\xff\"]}",
                b'{"events": [{"type": "message", "timestamp": Infinity}]}',
                b'{"events": [{"type": "message", "timestamp": NaN}]}'):
        assert _post(client, raw).status_code == 400
