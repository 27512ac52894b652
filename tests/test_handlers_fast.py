"""Conversation steps that need no database, as transcripts: no PostgreSQL, Redis or LINE.

Steps that store things keep their end-to-end tests (tests/test_resident_*.py);
these run in milliseconds through :mod:`tests.fake_context`.
"""

from __future__ import annotations

import pytest

from bot import catalog, events
from bot.context import LineCall
from linebot.v3.webhook import UnknownEvent
from linebot.v3.webhooks import MessageContent, MessageEvent, TextMessageContent
from pb import residents as residents_table
from tests.fake_context import FakeChat, resident


def th(key: str, **values) -> str:
    return catalog.t(key, "th", **values)


def test_help_typed_answers_with_help_and_the_menu_shortcuts():
    chat = FakeChat(resident=None)
    assert chat.say("ช่วยเหลือ") == [th("help")]
    assert chat.quick_replies() == [th("menu_open"), th("menu_idea"), th("menu_mine"),
                                    th("menu_privacy"), th("menu_language")]   # issue 18: open
    assert chat.transcript == [("resident", "ช่วยเหลือ"), ("bot", th("help"))]


def test_help_in_english_for_an_english_resident():
    chat = FakeChat(resident=resident(language="en"))
    assert chat.say("  HELP ") == [catalog.t("help", "en")]


def test_unknown_text_before_consent_asks_for_consent_again():
    chat = FakeChat(resident=resident(consented=False))
    assert chat.say("ถนนหน้าบ้านเป็นหลุม") == [th("consent_needed"), th("privacy_notice"),
                                              th("consent_question")]
    assert chat.quick_replies() == [th("consent_yes"), th("consent_no")]


def test_sticker_is_answered_with_words():
    chat = FakeChat()
    assert chat.sticker() == [th("sticker_only")]


def test_a_message_type_siang_does_not_take_is_answered():
    chat = FakeChat()
    raw = chat.event("message", message={"id": "9", "type": "video", "duration": 1000,
                                         "contentProvider": {"type": "line"}, "quoteToken": "q"})
    assert chat.send(raw) == [th("unsupported")]
    future = chat.event("message", message={"id": "9", "type": "hologram"})
    assert chat.send(future) == [th("unsupported")]


@pytest.mark.parametrize("data", ["a=gone", "garbage", "", "a=&x=1"])
def test_stale_or_forged_postback_is_answered_not_ignored(data):
    chat = FakeChat()
    assert chat.tap(data) == [th("stale_action")]


def test_follow_greets_in_the_profile_language_and_asks_for_consent(monkeypatch):
    followed = []

    def follow(conn, user_id, language="th"):      # the store, in memory
        followed.append((user_id, language))
        return resident(language=language, user_id=user_id)

    monkeypatch.setattr(residents_table, "follow", follow)
    chat = FakeChat(resident=None, profile_language="en-US")
    assert chat.follow() == [catalog.t(k, "en") for k in ("welcome", "privacy_notice",
                                                          "consent_question")]
    assert followed == [(chat.user_id, "en")]
    assert chat.line_calls == [LineCall("profile", chat.user_id)]   # asked once, outside the step
    assert chat.quick_replies() == [catalog.t("consent_yes", "en"), catalog.t("consent_no", "en")]


def test_unknown_event_type_gets_help_only_with_a_reply_token():
    chat = FakeChat()
    assert chat.send(chat.event("somethingNew")) == [th("help")]
    assert chat.send(chat.event("somethingNew", reply_token=False)) == []


def test_malformed_event_gets_help_and_its_error_names_fields_not_text():
    chat = FakeChat()
    raw = chat.event("message", message={"id": "1", "type": "text", "quoteToken": "q"})
    with pytest.raises(events.MalformedEvent) as failed:
        events.parse(raw)
    assert "message" in failed.value.reason
    assert chat.send(raw) == [th("help")]
    with pytest.raises(events.MalformedEvent):
        events.parse(["not", "an", "object"])


def test_events_parse_into_sdk_models():
    chat = FakeChat()
    text = events.parse(chat.event("message", message={"id": "1", "type": "text",
                                                       "text": "สวัสดี", "quoteToken": "q"}))
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "สวัสดี" and text.reply_token == "r" * 32
    future = events.parse(chat.event("message", message={"id": "1", "type": "hologram"}))
    assert type(future.message) is MessageContent
    assert isinstance(events.parse(chat.event("somethingNew")), UnknownEvent)
    assert events.user_id(chat.event("follow")) == chat.user_id
