"""The LINE platform emulator, driven the way Siang drives LINE: line-bot-sdk v3.

The emulator runs in a thread (werkzeug ``make_server``, port 0) next to a
tiny fake bot (a second Flask app) that verifies each webhook's signature
with the SDK's ``WebhookParser`` and replies through ``MessagingApi``
pointed at the emulator with ``Configuration(host=...)``. No database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import struct
import subprocess
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, abort, request
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessageAction,
    MessagingApi,
    MessagingApiBlob,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import FollowEvent, ImageMessageContent, MessageEvent, TextMessageContent
from werkzeug.serving import make_server

from linesim.app import create_app
from linesim.client import SimClient
from linesim.state import new_user_id

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
TIMEOUT = 5  # seconds, every SDK call
RATE_LIMIT_BODY = {"message": "The API rate limit has been exceeded. Try again later."}


@dataclass
class FakeBot:
    """What the fake bot saw; its replies go through the SDK to the emulator."""

    received: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    sim_url: str = ""

    def api_config(self) -> Configuration:
        return Configuration(host=self.sim_url, access_token=TOKEN)


def make_fake_bot(bot: FakeBot) -> Flask:
    """A minimal bot: verify, record, and reply to "echo ..." and to follows."""
    app = Flask("fakebot")
    parser = WebhookParser(SECRET)

    @app.post("/callback")
    def callback() -> str:
        body = request.get_data(as_text=True)
        signature = request.headers.get("X-Line-Signature", "")
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            abort(400)
        bot.received.append({"body": json.loads(body), "signature": signature,
                             "raw": body, "events": events})
        for event in events:
            try:
                _react(bot, event)
            except ApiException as exc:  # the test inspects it
                bot.errors.append(exc)
        return "OK"

    return app


def _react(bot: FakeBot, event: Any) -> None:
    messages = None
    if isinstance(event, FollowEvent):
        messages = [TextMessage(text="สวัสดีค่ะ ยินดีต้อนรับสู่เสียง", quick_reply=QuickReply(items=[
            QuickReplyItem(action=MessageAction(label="เสนอไอเดีย", text="เสนอไอเดีย")),
            QuickReplyItem(action=PostbackAction(label="โหวต", data="action=vote")),
        ]))]
    elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        if event.message.text.startswith("echo "):
            messages = [TextMessage(text=event.message.text[5:])]
    if messages:
        with ApiClient(bot.api_config()) as client:
            MessagingApi(client).reply_message(
                ReplyMessageRequest(reply_token=event.reply_token, messages=messages),
                _request_timeout=TIMEOUT)


def _serve(app: Flask) -> tuple[Any, threading.Thread, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


@dataclass
class Env:
    sim: SimClient
    sim_url: str
    app: Flask
    bot: FakeBot

    def api(self) -> MessagingApi:
        return MessagingApi(ApiClient(Configuration(host=self.sim_url, access_token=TOKEN)))

    def blob(self) -> MessagingApiBlob:
        return MessagingApiBlob(ApiClient(Configuration(host=self.sim_url, access_token=TOKEN)))

    def post(self, path: str, body: Any, **headers: str) -> requests.Response:
        return requests.post(self.sim_url + path, json=body, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {TOKEN}", **headers})


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Flask, str, FakeBot]]:
    bot = FakeBot()
    bot_server, _, bot_url = _serve(make_fake_bot(bot))
    app = create_app(SECRET, TOKEN, bot_url + "/callback")
    sim_server, _, sim_url = _serve(app)
    bot.sim_url = sim_url
    yield app, sim_url, bot
    sim_server.shutdown()
    bot_server.shutdown()


@pytest.fixture
def env(servers: tuple[Flask, str, FakeBot]) -> Iterator[Env]:
    app, sim_url, bot = servers
    bot.received.clear()
    bot.errors.clear()
    sim = SimClient(sim_url)
    sim.set_faults([])
    sim.set_rate_limits({})
    yield Env(sim=sim, sim_url=sim_url, app=app, bot=bot)
    app.extensions["linesim"]["platform"].reply_token_ttl_s = 60.0


def _png(width: int, height: int) -> bytes:
    """A valid all-black RGB PNG of the given size (small once compressed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = (b"\x00" + b"\x00" * (width * 3)) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _error_body(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


# --- webhook events --------------------------------------------------------

def test_follow_gets_a_signed_event_and_a_reply_with_quick_replies(env: Env) -> None:
    user = new_user_id()
    result = env.sim.follow(user)

    assert result["status"] == 200
    event = result["event"]
    assert event["type"] == "follow" and event["follow"] == {"isUnblocked": False}
    assert event["source"] == {"type": "user", "userId": user}
    assert event["mode"] == "active" and event["deliveryContext"] == {"isRedelivery": False}
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event["webhookEventId"])  # ULID
    assert abs(event["timestamp"] - time.time() * 1000) < 5000
    assert event["replyToken"]
    [reply] = env.sim.messages(user)
    assert reply["via"] == "reply"
    assert reply["message"]["text"] == "สวัสดีค่ะ ยินดีต้อนรับสู่เสียง"
    assert [i["action"]["label"] for i in reply["message"]["quickReply"]["items"]] == ["เสนอไอเดีย", "โหวต"]


def test_webhook_signature_verifies_with_the_sdk_parser(env: Env) -> None:
    user = new_user_id()
    env.sim.say(user, "สวัสดี")
    [seen] = env.bot.received
    body = seen["body"]
    assert re.fullmatch(r"U[0-9a-f]{32}", body["destination"])
    expected = base64.b64encode(hmac.new(SECRET.encode(), seen["raw"].encode("utf-8"),
                                         hashlib.sha256).digest()).decode()
    assert seen["signature"] == expected
    [event] = WebhookParser(SECRET).parse(seen["raw"], seen["signature"])
    assert isinstance(event, MessageEvent) and event.message.text == "สวัสดี"
    assert event.message.quote_token and event.message.id
    with pytest.raises(InvalidSignatureError):
        WebhookParser("another-secret").parse(seen["raw"], seen["signature"])


def test_echo_round_trip_and_user_transcript(env: Env) -> None:
    user = new_user_id()
    env.sim.follow(user)
    last = env.sim.messages(user)[-1]["seq"]
    assert env.sim.say(user, "echo ถนนน้ำท่วม")["status"] == 200
    assert env.sim.texts(user, since=last) == ["ถนนน้ำท่วม"]
    both = env.sim.messages(user, since=last, with_user=True)
    assert [(m["from"], m["message"]["text"]) for m in both] == [("user", "echo ถนนน้ำท่วม"),
                                                                 ("bot", "ถนนน้ำท่วม")]


def test_a_long_poll_wakes_with_the_whole_answer_and_is_empty_when_none_comes(env: Env) -> None:
    user = new_user_id()
    env.sim.follow(user)
    last = env.sim.messages(user)[-1]["seq"]
    started = time.monotonic()
    assert env.sim.messages(user, since=last, wait_s=0.3) == []
    assert time.monotonic() - started >= 0.25            # it waited, then gave up
    push = PushMessageRequest(to=user, messages=[TextMessage(text="ข่าวค่ะ"),
                                                 TextMessage(text="อ่านต่อค่ะ")])
    later = threading.Timer(0.3, lambda: env.api().push_message(push, _request_timeout=TIMEOUT))
    later.start()
    got = env.sim.messages(user, since=last, wait_s=10)
    later.join()
    assert [m["message"]["text"] for m in got] == ["ข่าวค่ะ", "อ่านต่อค่ะ"]   # one call, whole


def test_postback_sticker_location_and_image_events(env: Env) -> None:
    user = new_user_id()
    env.sim.follow(user)
    postback = env.sim.tap(user, "action=vote&round=1")["event"]
    assert postback["type"] == "postback" and postback["postback"] == {"data": "action=vote&round=1"}
    assert postback["replyToken"]
    sticker = env.sim.send_sticker(user)["event"]["message"]
    assert sticker["type"] == "sticker" and sticker["stickerResourceType"] == "STATIC"
    location = env.sim.send_location(user, 13.7563, 100.5018, "เขตพระนคร")["event"]["message"]
    assert (location["latitude"], location["longitude"], location["address"]) == (13.7563, 100.5018, "เขตพระนคร")
    picture = _png(4, 3)
    image = env.sim.send_image(user, picture)["event"]["message"]
    assert image["contentProvider"] == {"type": "line"}
    events = [e for r in env.bot.received for e in r["events"]]
    assert isinstance(events[-1].message, ImageMessageContent)
    content = env.blob().get_message_content(image["id"], _request_timeout=TIMEOUT)
    assert bytes(content) == picture
    with pytest.raises(ApiException) as missing:
        env.blob().get_message_content("1", _request_timeout=TIMEOUT)
    assert missing.value.status == 404


def test_redelivery_keeps_the_event_id(env: Env) -> None:
    user = new_user_id()
    first = env.sim.say(user, "ไฟดับ")["event"]
    again = env.sim.redeliver(first["webhookEventId"])
    assert again["status"] == 200
    assert again["event"]["webhookEventId"] == first["webhookEventId"]
    assert again["event"]["deliveryContext"] == {"isRedelivery": True}
    assert env.bot.received[-1]["body"]["events"][0]["deliveryContext"]["isRedelivery"] is True


def test_blocked_user_gets_no_push_and_cannot_chat(env: Env) -> None:
    user = new_user_id()
    env.sim.follow(user)
    unfollow = env.sim.unfollow(user)["event"]
    assert "replyToken" not in unfollow
    before = len(env.sim.messages(user))
    env.api().push_message(PushMessageRequest(to=user, messages=[TextMessage(text="hi")]),
                           _request_timeout=TIMEOUT)
    assert len(env.sim.messages(user)) == before
    with pytest.raises(requests.HTTPError):
        env.sim.say(user, "ยังอยู่ไหม")
    assert env.sim.follow(user)["event"]["follow"] == {"isUnblocked": True}


def test_bot_down_is_reported_not_raised(env: Env) -> None:
    platform_cfg = env.app.extensions["linesim"]["config"]
    broken = create_app(SECRET, TOKEN, "http://127.0.0.1:9/callback",
                        bot_user_id=platform_cfg.bot_user_id)
    answer = broken.test_client().post(f"/_sim/users/{new_user_id()}/events", json={"type": "text", "text": "x"})
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] is None and body["error"]


# --- reply tokens --------------------------------------------------------------

def _silent_event(env: Env, user: str) -> dict[str, Any]:
    """A text event the fake bot does not answer, so the test holds the reply token."""
    return env.sim.say(user, "แค่ทดสอบ")["event"]


def test_reply_token_works_once_then_400(env: Env) -> None:
    user = new_user_id()
    token = _silent_event(env, user)["replyToken"]
    api = env.api()
    request_ = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="รับเรื่องแล้ว")])
    sent = api.reply_message(request_, _request_timeout=TIMEOUT)
    assert sent.sent_messages[0].id and sent.sent_messages[0].quote_token
    with pytest.raises(ApiException) as again:
        api.reply_message(request_, _request_timeout=TIMEOUT)
    assert again.value.status == 400
    assert _error_body(again.value) == {"message": "Invalid reply token"}
    assert env.sim.texts(user) == ["รับเรื่องแล้ว"]


def test_reply_token_expires(env: Env) -> None:
    env.app.extensions["linesim"]["platform"].reply_token_ttl_s = 0.2
    token = _silent_event(env, new_user_id())["replyToken"]
    time.sleep(0.3)
    with pytest.raises(ApiException) as expired:
        env.api().reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="ช้าไป")]),
                                _request_timeout=TIMEOUT)
    assert expired.value.status == 400 and _error_body(expired.value)["message"] == "Invalid reply token"


def test_invalid_reply_does_not_use_up_the_token(env: Env) -> None:
    user = new_user_id()
    token = _silent_event(env, user)["replyToken"]
    bad = env.post("/v2/bot/message/reply", {"replyToken": token, "messages": [{"type": "text", "text": ""}]})
    assert bad.status_code == 400
    good = env.post("/v2/bot/message/reply", {"replyToken": token, "messages": [{"type": "text", "text": "ok"}]})
    assert good.status_code == 200


def test_more_than_five_messages_is_400_with_details(env: Env) -> None:
    token = _silent_event(env, new_user_id())["replyToken"]
    # The SDK's model refuses six messages itself; construct() skips that check
    # so the request reaches the emulator through the SDK's own transport.
    six = ReplyMessageRequest.construct(reply_token=token, messages=[TextMessage(text=str(i)) for i in range(6)])
    with pytest.raises(ApiException) as too_many:
        env.api().reply_message(six, _request_timeout=TIMEOUT)
    assert too_many.value.status == 400
    assert _error_body(too_many.value) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Size must be between 1 and 5", "property": "messages"}],
    }


# --- message validation (raw bodies: the SDK's models would refuse some of them) ---

def _qr(n: int, label: str = "ok") -> dict[str, Any]:
    return {"items": [{"type": "action", "action": {"type": "message", "label": label, "text": "x"}}] * n}


def _bubble(text: str = "x") -> dict[str, Any]:
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                        "contents": [{"type": "text", "text": text}]}}


@pytest.mark.parametrize(("message", "prop", "detail"), [
    ({"type": "text", "text": "ก" * 5001}, "messages[0].text", "Length must be between 0 and 5000"),
    ({"type": "text", "text": ""}, "messages[0].text", "May not be empty"),
    ({"type": "txt", "text": "x"}, "messages[0].type", None),
    ({"type": "text", "text": "x", "quickReply": _qr(14)}, "messages[0].quickReply.items",
     "Size must be between 1 and 13"),
    ({"type": "text", "text": "x", "quickReply": _qr(1, "ป้ายยาวเกินยี่สิบตัวอักษรแน่นอน")},
     "messages[0].quickReply.items[0].action.label", "Length must be between 0 and 20"),
    ({"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "p", "data": "d" * 301}}]}},
     "messages[0].quickReply.items[0].action.data", "Length must be between 0 and 300"),
    ({"type": "flex", "contents": _bubble()}, "messages[0].altText", "May not be empty"),
    ({"type": "flex", "altText": "a" * 1501, "contents": _bubble()}, "messages[0].altText",
     "Length must be between 0 and 1500"),
    ({"type": "flex", "altText": "a"}, "messages[0].contents", "May not be empty"),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel", "contents": [_bubble()] * 13}},
     "messages[0].contents.contents", "Size must be between 1 and 12"),
    ({"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
        {"type": "postback", "label": "โหวตโครงการนี้", "data": "x" * 301}]}},
     "messages[0].template.actions[0].data", "Length must be between 0 and 300"),
])
def test_message_rules_match_line(env: Env, message: dict[str, Any], prop: str, detail: str | None) -> None:
    resp = env.post("/v2/bot/message/push", {"to": new_user_id(), "messages": [message]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["message"].startswith("The request body has")
    assert prop in [d["property"] for d in body["details"]]
    if detail:
        assert {"message": detail, "property": prop} in body["details"]


def test_valid_flex_carousel_and_template_are_accepted(env: Env) -> None:
    user = new_user_id()
    env.sim.set_profile(user, "สมศรี", following=True)
    messages = [
        {"type": "flex", "altText": "โครงการ", "contents": {"type": "carousel", "contents": [_bubble("ก")] * 12}},
        {"type": "template", "altText": "ยืนยัน", "template": {"type": "confirm", "text": "ส่งบัตร?", "actions": [
            {"type": "postback", "label": "ใช่", "data": "yes"}, {"type": "message", "label": "ไม่", "text": "ไม่"}]}},
    ]
    resp = env.post("/v2/bot/message/push", {"to": user, "messages": messages})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["sentMessages"]) == 2
    assert [m["message"]["type"] for m in env.sim.messages(user)] == ["flex", "template"]


# --- push, multicast, broadcast, narrowcast, retry keys ------------------------

def test_push_with_retry_key_is_409_on_repeat(env: Env) -> None:
    user = new_user_id()
    env.sim.set_profile(user, "สมชาย", following=True)
    api, key = env.api(), str(uuid.uuid4())
    request_ = PushMessageRequest(to=user, messages=[TextMessage(text="ความคืบหน้าโครงการ 40%")])
    first = api.push_message_with_http_info(request_, x_line_retry_key=key, _request_timeout=TIMEOUT)
    assert first.status_code == 200
    first_id = first.headers["x-line-request-id"]
    with pytest.raises(ApiException) as repeat:
        api.push_message(request_, x_line_retry_key=key, _request_timeout=TIMEOUT)
    assert repeat.value.status == 409
    assert repeat.value.headers["x-line-accepted-request-id"] == first_id
    body = _error_body(repeat.value)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [{"id": first.data.sent_messages[0].id,
                                     "quoteToken": first.data.sent_messages[0].quote_token}]
    assert env.sim.texts(user) == ["ความคืบหน้าโครงการ 40%"]  # delivered once


def test_retry_key_must_be_a_uuid(env: Env) -> None:
    resp = env.post("/v2/bot/message/push", {"to": new_user_id(), "messages": [{"type": "text", "text": "x"}]},
                    **{"X-Line-Retry-Key": "not-a-uuid"})
    assert resp.status_code == 400


def test_multicast_limits_and_delivery(env: Env) -> None:
    users = [new_user_id() for _ in range(3)]
    for u in users:
        env.sim.follow(u)
    api = env.api()
    api.multicast(MulticastRequest(to=users, messages=[TextMessage(text="เปิดโหวตแล้ว")]),
                  x_line_retry_key=str(uuid.uuid4()), _request_timeout=TIMEOUT)
    for u in users:
        assert env.sim.messages(u)[-1]["via"] == "multicast"
    resp = env.post("/v2/bot/message/multicast",
                    {"to": [new_user_id() for _ in range(501)], "messages": [{"type": "text", "text": "x"}]})
    assert resp.status_code == 400
    assert {"message": "Size must be between 1 and 500", "property": "to"} in resp.json()["details"]


def test_broadcast_reaches_followers_and_narrowcast_is_accepted(env: Env) -> None:
    fan, blocker = new_user_id(), new_user_id()
    env.sim.follow(fan)
    env.sim.follow(blocker)
    env.sim.unfollow(blocker)
    key = str(uuid.uuid4())
    assert env.post("/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "ประกาศผล"}]},
                    **{"X-Line-Retry-Key": key}).status_code == 200
    assert env.sim.messages(fan)[-1]["via"] == "broadcast"
    assert all(m["via"] != "broadcast" for m in env.sim.messages(blocker))
    repeat = env.post("/v2/bot/message/broadcast", {"messages": [{"type": "text", "text": "ประกาศผล"}]},
                      **{"X-Line-Retry-Key": key})
    assert repeat.status_code == 409 and "sentMessages" not in repeat.json()
    narrow = env.post("/v2/bot/message/narrowcast", {"messages": [{"type": "text", "text": "x"}]})
    assert narrow.status_code == 202 and narrow.json() == {} and narrow.headers["x-line-request-id"]


def test_wrong_token_is_401(env: Env) -> None:
    api = MessagingApi(ApiClient(Configuration(host=env.sim_url, access_token="wrong")))
    with pytest.raises(ApiException) as denied:
        api.push_message(PushMessageRequest(to=new_user_id(), messages=[TextMessage(text="x")]),
                         _request_timeout=TIMEOUT)
    assert denied.value.status == 401
    assert "Authentication failed" in _error_body(denied.value)["message"]
    missing = requests.post(env.sim_url + "/v2/bot/message/push", json={}, timeout=TIMEOUT)
    assert missing.status_code == 401


# --- faults and rate limits ---------------------------------------------------

def test_fault_injection_429_then_recovers(env: Env) -> None:
    user = new_user_id()
    env.sim.set_faults([{"path_prefix": "/v2/bot/message/push", "status": 429, "count": 2}])
    api = env.api()
    request_ = PushMessageRequest(to=user, messages=[TextMessage(text="x")])
    for _ in range(2):
        with pytest.raises(ApiException) as limited:
            api.push_message(request_, _request_timeout=TIMEOUT)
        assert limited.value.status == 429 and _error_body(limited.value) == RATE_LIMIT_BODY
    api.push_message(request_, _request_timeout=TIMEOUT)


def test_accepted_fault_then_retry_gets_409(env: Env) -> None:
    """A 500 after acceptance (as after a LINE timeout): the retry with the same key is a 409."""
    user = new_user_id()
    env.sim.set_profile(user, following=True)
    env.sim.set_faults([{"path_prefix": "/v2/bot/message/push", "status": 500, "count": 1, "accepted": True}])
    body, key = {"to": user, "messages": [{"type": "text", "text": "ผลโหวต"}]}, str(uuid.uuid4())
    assert env.post("/v2/bot/message/push", body, **{"X-Line-Retry-Key": key}).status_code == 500
    assert env.post("/v2/bot/message/push", body, **{"X-Line-Retry-Key": key}).status_code == 409
    assert env.sim.texts(user) == ["ผลโหวต"]


def test_fault_delay(env: Env) -> None:
    env.sim.set_faults([{"path_prefix": "/v2/bot/profile", "status": None, "count": 1, "delay_s": 0.3}])
    started = time.monotonic()
    resp = requests.get(f"{env.sim_url}/v2/bot/profile/{new_user_id()}", timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert time.monotonic() - started >= 0.3 and resp.status_code == 404


def test_rate_limit_token_bucket(env: Env) -> None:
    env.sim.set_rate_limits({"/v2/bot/message/push": 2})
    statuses = [env.post("/v2/bot/message/push", {"to": new_user_id(),
                                                   "messages": [{"type": "text", "text": "x"}]}).status_code
                for _ in range(4)]
    assert statuses[:2] == [200, 200] and 429 in statuses[2:]
    time.sleep(0.6)
    assert env.post("/v2/bot/message/push", {"to": new_user_id(),
                                              "messages": [{"type": "text", "text": "x"}]}).status_code == 200


def test_calls_are_recorded_and_reset(env: Env) -> None:
    env.sim.reset_calls()
    key = str(uuid.uuid4())
    env.post("/v2/bot/message/push", {"to": new_user_id(), "messages": [{"type": "text", "text": "x"}]},
             **{"X-Line-Retry-Key": key})
    assert env.sim.all_calls(page=1) == env.sim.calls()      # paged, the same record
    [call] = env.sim.calls()
    assert call["method"] == "POST" and call["path"] == "/v2/bot/message/push" and call["status"] == 200
    assert call["headers"]["x-line-retry-key"] == key and call["headers"]["auth_ok"] is True
    assert call["body"]["messages"] == [{"type": "text", "text": "x"}]
    assert env.sim.calls(since=call["seq"]) == []
    env.sim.reset_calls()
    assert env.sim.calls() == []


# --- profile, loading, rich menu ---------------------------------------------------

def test_profile(env: Env) -> None:
    user = new_user_id()
    env.sim.set_profile(user, "ป้าแดง", "th")
    env.sim.follow(user)
    profile = env.api().get_profile(user, _request_timeout=TIMEOUT)
    assert (profile.display_name, profile.user_id, profile.language) == ("ป้าแดง", user, "th")
    with pytest.raises(ApiException) as unknown:
        env.api().get_profile(new_user_id(), _request_timeout=TIMEOUT)
    assert unknown.value.status == 404


def test_loading_animation(env: Env) -> None:
    user = new_user_id()
    env.sim.follow(user)
    env.api().show_loading_animation(ShowLoadingAnimationRequest(chat_id=user, loading_seconds=10),
                                     _request_timeout=TIMEOUT)
    assert env.sim.user(user)["loading"] is True
    bad = env.post("/v2/bot/chat/loading/start", {"chatId": user, "loadingSeconds": 7})
    assert bad.status_code == 400 and bad.json()["details"][0]["property"] == "loadingSeconds"
    env.post("/v2/bot/message/push", {"to": user, "messages": [{"type": "text", "text": "เสร็จแล้ว"}]})
    assert env.sim.user(user)["loading"] is False  # a message ends the animation


def _menu(height: int = 843, chat_bar: str = "เมนู") -> RichMenuRequest:
    return RichMenuRequest(
        size=RichMenuSize(width=2500, height=height), selected=True, name="siang-main",
        chat_bar_text=chat_bar,
        areas=[RichMenuArea(bounds=RichMenuBounds(x=0, y=0, width=1250, height=height),
                            action=PostbackAction(label="เสนอไอเดีย", data="action=idea")),
               RichMenuArea(bounds=RichMenuBounds(x=1250, y=0, width=1250, height=height),
                            action=PostbackAction(label="โหวต", data="action=vote"))])


def test_rich_menu_create_upload_default(env: Env) -> None:
    api, blob = env.api(), env.blob()
    rich_menu_id = api.create_rich_menu(_menu(), _request_timeout=TIMEOUT).rich_menu_id
    assert rich_menu_id.startswith("richmenu-")
    with pytest.raises(ApiException) as no_image:
        api.set_default_rich_menu(rich_menu_id, _request_timeout=TIMEOUT)
    assert no_image.value.status == 400
    with pytest.raises(ApiException) as wrong_size:
        blob.set_rich_menu_image(rich_menu_id, _png(2500, 1686), _headers={"Content-Type": "image/png"},
                                 _request_timeout=TIMEOUT)
    assert wrong_size.value.status == 400
    blob.set_rich_menu_image(rich_menu_id, _png(2500, 843), _headers={"Content-Type": "image/png"},
                             _request_timeout=TIMEOUT)
    api.set_default_rich_menu(rich_menu_id, _request_timeout=TIMEOUT)
    assert api.get_default_rich_menu_id(_request_timeout=TIMEOUT).rich_menu_id == rich_menu_id
    menus = api.get_rich_menu_list(_request_timeout=TIMEOUT).richmenus
    assert rich_menu_id in [m.rich_menu_id for m in menus]
    user = new_user_id()
    env.sim.follow(user)
    assert env.sim.user(user)["richMenu"]["richMenuId"] == rich_menu_id
    api.delete_rich_menu(rich_menu_id, _request_timeout=TIMEOUT)
    assert rich_menu_id not in [m.rich_menu_id for m in api.get_rich_menu_list(_request_timeout=TIMEOUT).richmenus]
    assert env.sim.user(user)["richMenu"] is None


@pytest.mark.parametrize(("body", "prop"), [
    ({"size": {"width": 2500, "height": 1000}}, "size"),
    ({"chatBarText": "ข้อความแถบเมนูยาวเกินไป"}, "chatBarText"),
    ({"areas": [{"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
                 "action": {"type": "message", "label": "m", "text": "m"}}] * 21}, "areas"),
])
def test_rich_menu_rules(env: Env, body: dict[str, Any], prop: str) -> None:
    menu = {"size": {"width": 2500, "height": 843}, "selected": False, "name": "n", "chatBarText": "เมนู",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                       "action": {"type": "postback", "label": "p", "data": "p"}}], **body}
    resp = env.post("/v2/bot/richmenu", menu)
    assert resp.status_code == 400
    assert prop in [d["property"] for d in resp.json()["details"]]


def test_rich_menu_image_type_and_size_limits(env: Env) -> None:
    rich_menu_id = env.api().create_rich_menu(_menu(), _request_timeout=TIMEOUT).rich_menu_id
    url = f"{env.sim_url}/v2/bot/richmenu/{rich_menu_id}/content"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    gif = requests.post(url, data=b"GIF89a", headers={**auth, "Content-Type": "image/gif"}, timeout=TIMEOUT)
    assert gif.status_code == 415
    big = requests.post(url, data=b"\x89PNG" + b"0" * (1024 * 1024), timeout=TIMEOUT,
                        headers={**auth, "Content-Type": "image/png"})
    assert big.status_code == 413


# --- chat page ---------------------------------------------------------------

def test_chat_page_is_served_and_escapes_the_user_id(env: Env) -> None:
    page = requests.get(env.sim_url + "/chat", params={"user": 'U"><script>alert(1)</script>'}, timeout=TIMEOUT)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    fresh = requests.get(env.sim_url + "/chat", allow_redirects=False, timeout=TIMEOUT)
    assert fresh.status_code == 302 and re.search(r"user=U[0-9a-f]{32}", fresh.headers["Location"])
    script = requests.get(env.sim_url + "/chat/static/chat.js", timeout=TIMEOUT)
    assert script.status_code == 200 and "innerHTML" not in script.text
    assert requests.get(env.sim_url + "/chat/static/chat.css", timeout=TIMEOUT).status_code == 200


# A DOM just big enough for chat.js, so node can run the page's script without a
# browser. Setting innerHTML throws: the page must build nodes with textContent.
_DOM_HARNESS = r"""
const fs = require("fs"), vm = require("vm");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
class El {
  constructor(tag) { this.tagName = tag; this.children = []; this.listeners = {}; this.style = {};
    this.dataset = {}; this.hidden = false; this.className = ""; this._text = null; this.title = "";
    const self = this;
    this.classList = { toggle(name, on) { const set = new Set(self.className.split(" ").filter(Boolean));
      const want = on === undefined ? !set.has(name) : on; want ? set.add(name) : set.delete(name);
      self.className = [...set].join(" "); } }; }
  set innerHTML(_) { throw new Error("innerHTML used"); }
  set textContent(v) { this._text = v; this.children = []; }
  get textContent() { return this._text !== null ? this._text : this.children.map((c) => c.textContent).join(""); }
  appendChild(c) { this.children.push(c); return c; }
  replaceChildren(...cs) { this.children = cs; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  click() { for (const fn of this.listeners.click || []) fn({ preventDefault() {} }); }
  get lastElementChild() { return this.children[this.children.length - 1]; }
  scrollIntoView() {}
  get scrollHeight() { return 0; } get clientHeight() { return 0; } scrollTop = 0;
  toJSON() { return { tag: this.tagName, cls: this.className, text: this._text, src: this.src,
    hidden: this.hidden, children: this.children }; }
}
const ids = {};
const document = { getElementById: (id) => (ids[id] = ids[id] || new El("div")),
                   createElement: (tag) => new El(tag) };
document.getElementById("app").dataset.userId = input.userId;
const posted = [];
async function fetch(url, opts) {
  if (opts && opts.method === "POST") { posted.push(JSON.parse(opts.body));
    return { ok: true, json: async () => ({ status: 200, elapsed_s: 0.01, event: {} }) }; }
  if (url.includes("/messages")) { const since = Number(new URL(url, "http://x").searchParams.get("since"));
    return { ok: true, json: async () => input.entries.filter((e) => e.seq > since) }; }
  return { ok: true, json: async () => input.state };
}
const windowStub = { open() {}, prompt: () => "2026-01-31" };
const ctx = { document, fetch, window: windowStub, navigator: {}, console, URL, setInterval() {},
              FileReader: class {}, encodeURIComponent, JSON, Math, Date, String, Number, Set };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(input.script, "utf8"), ctx);
const tick = () => new Promise((r) => setTimeout(r, 20));
(async () => {
  await tick();
  const find = (el, pred, out = []) => { if (pred(el)) out.push(el); el.children.forEach((c) => find(c, pred, out)); return out; };
  const quick = ids["quick-replies"].children;
  const result = { quickLabels: quick.map((b) => b.textContent), log: ids["log"] };
  quick.forEach((b) => b.click());
  const flexButton = find(ids["log"], (e) => e.tagName === "button" && e.textContent === "สนับสนุน")[0];
  flexButton.click();
  const picker = find(ids["log"], (e) => e.tagName === "button" && e.textContent === "เลือกวัน")[0];
  picker.click();
  ids["rich-menu-panel"].children[0].click();
  await tick();
  result.posted = posted;
  result.richMenuToggle = ids["rich-menu-toggle"].textContent;
  result.loadingHidden = ids["loading"].hidden;
  result.followHidden = ids["follow-btn"].hidden;
  process.stdout.write(JSON.stringify(result));
})().catch((e) => { console.error(e.stack); process.exit(1); });
"""


def _texts(node: dict[str, Any]) -> list[str]:
    out = [node["text"]] if node.get("text") else []
    for child in node.get("children", []):
        out += _texts(child)
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the chat page's script")
def test_chat_page_script_renders_and_sends_actions(tmp_path: Any) -> None:
    import linesim

    script = str(Path(linesim.__file__).parent / "static" / "chat.js")
    user = new_user_id()
    hostile = '<img src=x onerror="alert(1)">'
    flex = {"type": "flex", "altText": "โครงการ", "contents": {"type": "carousel", "contents": [
        {"type": "bubble", "hero": {"type": "image", "url": "https://example.org/park.jpg"},
         "body": {"type": "box", "layout": "vertical", "contents": [
             {"type": "text", "text": "สวนหย่อมซอย 5", "weight": "bold"},
             {"type": "text", "text": "งบ 250,000 บาท"}]},
         "footer": {"type": "box", "layout": "vertical", "contents": [
             {"type": "button", "style": "primary",
              "action": {"type": "postback", "label": "สนับสนุน", "data": "support=7"}}]}},
        {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "ไฟถนน"}]}}]}}
    template = {"type": "template", "altText": "วันประชุม", "template": {
        "type": "buttons", "title": "ประชุมประชาคม", "text": "เลือกวันที่สะดวก", "actions": [
            {"type": "datetimepicker", "label": "เลือกวัน", "data": "meeting", "mode": "date"}]}}
    last = {"type": "text", "text": "ต้องการทำอะไรต่อ", "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": "เสนอไอเดีย", "text": "เสนอไอเดีย"}},
        {"type": "action", "action": {"type": "postback", "label": "โหวต", "data": "action=vote",
                                      "displayText": "ขอโหวต"}}]}}
    entries = [
        {"seq": 1, "from": "user", "via": "message", "at": 1.0, "message": {"type": "text", "text": hostile}},
        {"seq": 2, "from": "bot", "via": "reply", "at": 2.0, "message": flex},
        {"seq": 3, "from": "bot", "via": "push", "at": 3.0, "message": template},
        {"seq": 4, "from": "bot", "via": "push", "at": 4.0, "message": last},
    ]
    state = {"userId": user, "displayName": "ป้าแดง", "following": True, "loading": True, "richMenu": {
        "richMenuId": "richmenu-1", "size": {"width": 2500, "height": 843}, "selected": True,
        "chatBarText": "เมนู", "imageUrl": "/_sim/richmenu/richmenu-1/image", "areas": [
            {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
             "action": {"type": "postback", "label": "เสนอไอเดีย", "data": "action=idea"}}]}}
    run = subprocess.run(["node", "-e", _DOM_HARNESS], input=json.dumps(
        {"script": script, "userId": user, "entries": entries, "state": state}),
        capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    texts = _texts(result["log"])
    assert hostile in texts  # shown as text, never parsed
    assert {"สวนหย่อมซอย 5", "งบ 250,000 บาท", "ไฟถนน", "ประชุมประชาคม", "เลือกวันที่สะดวก"} <= set(texts)
    assert result["quickLabels"] == ["เสนอไอเดีย", "โหวต"]
    assert result["posted"] == [
        {"type": "text", "text": "เสนอไอเดีย"},
        {"type": "postback", "data": "action=vote", "display_text": "ขอโหวต"},
        {"type": "postback", "data": "support=7"},
        {"type": "postback", "data": "meeting", "params": {"date": "2026-01-31"}},
        {"type": "postback", "data": "action=idea"},
    ]
    assert result["richMenuToggle"] == "เมนู ▾"
    assert result["loadingHidden"] is False and result["followHidden"] is True


def test_concurrent_pushes_with_one_retry_key_deliver_once(env: Env) -> None:
    user = new_user_id()
    env.sim.set_profile(user, following=True)
    key = str(uuid.uuid4())
    body = {"to": user, "messages": [{"type": "text", "text": "ประกาศผลโหวต"}]}
    statuses: list[int] = []
    lock = threading.Lock()

    def push() -> None:
        status = env.post("/v2/bot/message/push", body, **{"X-Line-Retry-Key": key}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=push) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 11
    assert env.sim.texts(user) == ["ประกาศผลโหวต"]


def test_reset_forgets_everything_but_keeps_seq_increasing() -> None:
    app = create_app(SECRET, TOKEN, "http://127.0.0.1:9/callback")
    client = app.test_client()
    user = new_user_id()
    client.post(f"/_sim/users/{user}", json={"displayName": "ก", "following": True})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/v2/bot/message/push", json={"to": user, "messages": [{"type": "text", "text": "1"}]}, headers=auth)
    [first] = client.get(f"/_sim/users/{user}/messages").get_json()
    assert client.post("/_sim/reset").status_code == 200
    assert client.get("/_sim/calls").get_json() == [] and client.get("/_sim/users").get_json() == []
    client.post(f"/_sim/users/{user}", json={"following": True})
    client.post("/v2/bot/message/push", json={"to": user, "messages": [{"type": "text", "text": "2"}]}, headers=auth)
    [second] = client.get(f"/_sim/users/{user}/messages?since={first['seq']}").get_json()
    assert second["message"]["text"] == "2"


def test_rules_count_length_like_line() -> None:
    from linesim import rules

    assert rules.line_length("น้ำท่วม") == 7  # combining vowels and tone marks count
    assert rules.line_length("😀") == 2  # outside the BMP: two UTF-16 units
    assert rules.validate_messages([{"type": "text", "text": "ก" * 5000}]) == []
    assert rules.validate_messages([{"type": "text", "text": "😀" * 2500}]) == []
    assert rules.validate_messages([{"type": "text", "text": "😀" * 2501}]) == [
        {"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]
    assert rules.validate_messages([]) == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    uri_quick_reply = {"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "uri", "label": "เว็บ", "uri": "https://example.org"}}]}}
    [detail] = rules.validate_messages([uri_quick_reply])
    assert detail["property"] == "messages[0].quickReply.items[0].action.type"


def test_rich_menu_image_size_is_read_from_png_and_jpeg() -> None:
    from linesim.richmenu import image_size

    assert image_size(_png(2500, 843), "image/png") == (2500, 843)
    jpeg = (b"\xff\xd8" + b"\xff\xe0\x00\x10" + b"JFIF\x00" + b"\x00" * 9
            + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 1686, 2500) + b"\x03" + b"\x00" * 9)
    assert image_size(jpeg, "image/jpeg") == (2500, 1686)
    assert image_size(b"not an image", "image/png") is None


def test_the_simulation_keeps_calls_the_emulator_has_let_go(stack, sim, monkeypatch):
    """The emulator keeps its last MAX_CALLS calls; ``siang simulate`` copies the record as
    it grows, so its invariants see every call. Found by the city run: 12,009 of 166,906
    replies fell off the record, and "every event answered once" failed on answered events."""
    import threading

    from linesim import state
    from siang.simulate.run import Run

    monkeypatch.setattr(state, "MAX_CALLS", 10)
    platform = stack["sim_app"].extensions["linesim"]["platform"]
    run = Run.__new__(Run)                       # only the call record's part of a run
    run.emulator, run._calls, run._calls_lock = sim, [], threading.Lock()
    for n in range(30):
        platform.record_call({"path": "/v2/bot/message/reply", "n": n})
        if n % 10 == 9:
            run.calls()                          # the sampler's copy, between fills
    assert len(sim.all_calls()) < 30             # the emulator let the first ones go
    assert [c["n"] for c in run.calls()] == list(range(30))
