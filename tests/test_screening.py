"""Intake screening (issue 14, findings 7 and 8): keyboard mashing and invisible characters."""

from __future__ import annotations

import pytest

from nlp.screening import is_unclear, strip_invisible


@pytest.mark.parametrize("text", [
    "asdkjh qwlekj zxmcnb",
    "กดหฟกดหฟกดหฟกด",
    "ฟหกดฟหกด่าสวฟหกด",
    "lkjsdf",
    "5555555",
])
def test_keyboard_mashing_is_unclear(text):
    assert is_unclear(text)


@pytest.mark.parametrize("text", [
    "ไฟดับหน้าซอย 5",
    "BTS อ่อนนุช ลิฟต์เสีย",
    "รถติดดดดดดด ทุกเช้า",
    "ถนนนนน พัง",
    "ขยะ ขยะ ขยะ",
    "Please fix the potholes at the entrance of Soi 5",
    "CCTV ซอยลาดพร้าว 71 เสีย",
    "อยากให้มีทางม้าลายหน้าโรงเรียน",
])
def test_real_ideas_are_clear(text):
    assert not is_unclear(text)


def test_bidi_and_control_characters_are_removed():
    assert strip_invisible("ซ่อมถนน\u202eนนถ\u202c ด่วน") == "ซ่อมถนนนนถ ด่วน"
    assert strip_invisible("a\u200bb\u00adc\ufeffd\u2066e\u2069\x07") == "abcde"


def test_emoji_joiners_and_newlines_survive():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    england = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
    assert strip_invisible(f"{family} {england}\nบรรทัดสอง\tแท็บ") == \
        f"{family} {england}\nบรรทัดสอง\tแท็บ"


@pytest.mark.parametrize("text", [
    "ไปทางนี้หีือทางนั้น",          # a typo of "หรือ" (issue 14, finding 6)
    "ไปหีือไม่ไป",
    "ซ่อมท่อระบายน้ำหน้าซอย",
])
def test_abusive_words_need_whole_words(text):
    from pb.abuse import abusive_words

    assert abusive_words(text) == []


@pytest.mark.parametrize("text, word", [
    ("ค ว ย", "ควย"),
    ("ค.ว.ย", "ควย"),
    ("เทศกิจไม่ทำอะไรเลย ควย", "ควย"),
    ("รถติดชิบหาย ทุกวัน", "ชิบหาย"),
])
def test_abusive_words_still_found(text, word):
    from pb.abuse import abusive_words

    assert word in abusive_words(text)


def test_keyboard_mashing_is_asked_again_and_kept_for_staff(chat, db):
    nok = chat.onboarded("ลาดพร้าว")
    said = nok.say("asdkjh qwlekj zxmcnb")
    assert said == ["ขออภัยค่ะ เราอ่านข้อความนี้ไม่ออก ช่วยพิมพ์ไอเดียอีกครั้งเป็นประโยคสั้น ๆ "
                    "ได้ไหมคะ เช่น \"อยากให้ซ่อมไฟทางหน้าซอย 5\""]
    db.rollback()
    status, reason = db.execute(
        "SELECT i.status, f.reason FROM ideas i JOIN idea_flags f ON f.idea_id = i.id").fetchone()
    assert (status, reason) == ("flagged", "unclear")
    assert db.execute("SELECT count(*) FROM cluster_members").fetchone()[0] == 0


def test_bidi_overrides_never_reach_the_stored_idea(chat, db):
    nok = chat.onboarded("ลาดพร้าว")
    nok.say("ขอให้ซ่อมไฟทาง\u202eหน้าซอย 5\u202c มืดมากตอนกลางคืนค่ะ")
    db.rollback()
    (text,) = db.execute("SELECT text FROM ideas").fetchone()
    assert text == "ขอให้ซ่อมไฟทางหน้าซอย 5 มืดมากตอนกลางคืนค่ะ"
