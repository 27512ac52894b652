"""Every webhook event type × source × mode gets what the table says (issue 14).

Transcripts of the odd cases a resident or a group meets: an old button after
an erase, a double tap of the erase confirmation, a group chat, a standby channel.
"""

from __future__ import annotations

from bot.handlers import policy
from bot.messages import postback_data

IDEA = "ขอให้ซ่อมไฟทางหน้าซอยลาดพร้าว 101 มืดมากตอนกลางคืน"


def reply_calls(sim, since: int) -> list[dict]:
    return [c for c in sim.calls(since) if c["path"] == "/v2/bot/message/reply"]


def last_seq(sim) -> int:
    calls = sim.calls()
    return calls[-1]["seq"] if calls else 0


def ideas_stored(db) -> int:
    db.rollback()
    return db.execute("SELECT count(*) FROM ideas").fetchone()[0]


# One spec per row that a LINE user, a group or a standby channel can produce here.
SPECS = {
    ("message", "user", "active"): {"type": "text", "text": "สวัสดี"},
    ("postback", "user", "active"): {"type": "postback", "data": "a=menu&m=help"},
    ("follow", "user", "active"): {"type": "follow"},
    ("unfollow", "user", "active"): {"type": "unfollow"},
    ("join", "group", "active"): {"type": "join", "group_id": "Cgroup1"},
    ("join", "room", "active"): {"type": "join", "room_id": "Rroom1"},
    ("message", "group", "active"): {"type": "text", "text": "@Siang ส่งไอเดียยังไง",
                                     "group_id": "Cgroup2", "mention_self": True},
    ("message", "room", "active"): {"type": "text", "text": "@Siang ช่วยด้วย",
                                    "room_id": "Rroom2", "mention_self": True},
    ("leave", "*", "active"): {"type": "leave", "group_id": "Cgroup1"},
    ("postback", "group", "active"): {"type": "postback", "data": "a=menu&m=help",
                                      "group_id": "Cgroup3"},
    ("*", "*", "standby"): {"type": "text", "text": IDEA, "mode": "standby"},
}


def test_every_row_the_emulator_can_send_gets_what_the_table_says(chat, sim, db):
    for (event, source, mode), spec in SPECS.items():
        row = next(r for r in policy.EVENT_TABLE
                   if (r.event, r.source, r.mode) == (event, source, mode))
        resident = chat.onboarded("ลาดพร้าว")
        since = last_seq(sim)
        answer = sim.send(resident.user_id, spec)
        assert answer["status"] == 200, (spec, answer)
        resident.work()
        replies = reply_calls(sim, since)
        expected = 1 if row.action == policy.ANSWER else 0
        assert len(replies) == expected, (row, replies)


def test_the_table_covers_every_event_type_of_lines_openapi():
    documented = {"message", "unsend", "follow", "unfollow", "join", "leave", "memberJoined",
                  "memberLeft", "postback", "videoPlayComplete", "beacon", "accountLink",
                  "membership", "module", "activated", "deactivated", "botSuspended",
                  "botResumed", "delivery"}
    assert documented <= {r.event for r in policy.EVENT_TABLE}
    assert policy.decide("message", "user", "standby").action == policy.STORE
    assert policy.decide("somethingNew", "user", "active").action == policy.ANSWER
    assert policy.decide("somethingNew", "group", "active").action == policy.STORE


def test_a_group_message_is_never_an_idea_and_the_invitation_comes_once(chat, sim, db):
    nok = chat.onboarded("ลาดพร้าว")
    since = last_seq(sim)
    sim.send(nok.user_id, {"type": "join", "group_id": "Cfriends"})
    nok.work()
    sim.send(nok.user_id, {"type": "text", "text": IDEA, "group_id": "Cfriends"})
    nok.work()
    for _ in range(2):
        sim.send(nok.user_id, {"type": "text", "text": "@Siang " + IDEA, "group_id": "Cfriends",
                               "mention_self": True})
        nok.work()
    replies = reply_calls(sim, since)
    assert len(replies) == 2            # on join, and on the first mention only
    for call in replies:
        assert "แชต" in call["body"]["messages"][0]["text"]   # "chat with us 1:1"
    assert ideas_stored(db) == 0


def test_standby_events_are_stored_and_not_answered(chat, sim, db):
    nok = chat.onboarded("ลาดพร้าว")
    since = last_seq(sim)
    sim.send(nok.user_id, {"type": "text", "text": IDEA, "mode": "standby"})
    nok.work()
    assert reply_calls(sim, since) == []
    assert ideas_stored(db) == 0
    db.rollback()
    assert db.execute("SELECT count(*) FROM webhook_events WHERE payload->>'mode' = 'standby'"
                      ).fetchone()[0] == 1


def test_an_old_consent_button_after_erasing_starts_again(chat):
    nok = chat.onboarded("ลาดพร้าว")
    nok.tap_data(postback_data("menu", m="privacy"))
    nok.tap("ลบข้อมูลของฉัน")
    nok.tap(nok.quick_replies()[0]["label"])
    said = nok.tap_data(postback_data("consent", v="yes"))     # the old button in the history
    assert said, "silence after an old button"
    assert any("ยินยอม" in s for s in said)


def test_a_second_tap_of_the_erase_confirmation_is_answered(chat, sim):
    nok = chat.onboarded("ลาดพร้าว")
    nok.tap_data(postback_data("menu", m="privacy"))
    nok.tap("ลบข้อมูลของฉัน")
    confirm = nok.quick_replies()[0]
    first = sim.tap(nok.user_id, confirm["data"])
    second = sim.tap(nok.user_id, confirm["data"])
    assert first["status"] == second["status"] == 200
    nok.work()
    texts = [m["message"].get("text", "") for m in sim.messages(nok.user_id, since=nok.seen)]
    assert len(texts) == 2, texts
    assert "ข้อมูลของคุณถูกลบไปแล้วค่ะ" in texts[1]


def test_the_readme_shows_the_table_as_it_is():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert policy.markdown_table() in readme


def test_unknown_and_malformed_events_keep_their_source_and_mode():
    from bot.events import fallback, parse
    from bot.handlers.dispatch import event_key

    unknown = parse({"type": "newThing", "source": {"type": "room", "roomId": "R1"},
                     "mode": "active", "timestamp": 1, "webhookEventId": "01A",
                     "deliveryContext": {"isRedelivery": False}})
    assert event_key(unknown) == ("newThing", "room", "active")
    malformed = fallback({"type": "message", "source": {"type": "group"}, "mode": "standby"})
    assert event_key(malformed) == ("message", "group", "standby")
    assert policy.decide(*event_key(malformed)).action == policy.STORE
