"""Transcripts: rate limit, odd messages, and abusive ideas flagged for review (issue 4)."""

from __future__ import annotations

import pytest

from pb import abuse
from tests.test_resident_similar import LIGHTS_30

STREETS = ["เจริญกรุง", "สีลม", "สุรวงศ์", "มเหสักข์", "ประมวญ", "ปั้น", "คอนแวนต์", "ศาลาแดง",
           "นราธิวาส", "สาทร", "พระราม 4", "บางรัก"]


def test_rate_limit_on_ideas(chat, db):
    nok = chat.onboarded("บางรัก")
    for street in STREETS[:abuse.IDEAS_PER_HOUR]:
        nok.say(f"ขอให้ซ่อมทางเท้าถนน{street}ที่แตกเป็นหลุม")
        assert "ได้รับไอเดียของคุณแล้วค่ะ" in nok.said_last
    nok.say("ขอให้ติดกล้องวงจรปิดที่ทางเข้าซอยบางรัก")
    assert "แต่ละคนส่งได้ 10 ไอเดียต่อชั่วโมง ส่งไอเดียถัดไปได้ตั้งแต่เวลา" in nok.said_last
    assert db.execute("SELECT count(*) FROM ideas").fetchone() == (10,)
    # an hour later the window has moved on
    db.execute("UPDATE ideas SET created_at = created_at - interval '61 minutes'")
    db.commit()
    nok.say("ขอให้ติดกล้องวงจรปิดที่ทางเข้าซอยบางรัก")
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 11)" in nok.said_last


def test_odd_messages_are_answered_helpfully(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.sticker()
    assert "สติกเกอร์" in nok.said_last
    nok.say("😀😀🙏")
    assert "ถ้ามีไอเดีย พิมพ์เป็นข้อความส่งมาได้เลย" in nok.said_last
    nok.say("!!! ...")
    assert "ถ้ามีไอเดีย พิมพ์เป็นข้อความส่งมาได้เลย" in nok.said_last
    nok.say("ไฟดับ")
    assert "ช่วยเล่ารายละเอียดเพิ่มอีกนิด" in nok.said_last
    nok.say("ก" * 2001)
    assert "ยาวเกิน 2,000 ตัวอักษร" in nok.said_last
    assert db.execute("SELECT count(*) FROM ideas").fetchone() == (0,)


def test_abusive_idea_is_flagged_not_clustered_nor_shown(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say("ไฟส่องสว่างในซอยเจริญกรุง 30 ดับหมด เจ้าหน้าที่แม่งไม่เคยมาซ่อม")
    assert "เจ้าหน้าที่จะตรวจสอบก่อนนำไปรวมกับไอเดียอื่น" in nok.said_last
    assert db.execute("SELECT status FROM ideas").fetchone() == ("flagged",)
    assert db.execute("SELECT reason, words FROM idea_flags").fetchone() == (
        "abusive-word-list", ["แม่ง"])
    assert db.execute("SELECT count(*) FROM cluster_members").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM idea_embeddings").fetchone() == (1,)
    other = chat.onboarded("บางรัก")
    other.say(LIGHTS_30)                 # similar text, but the flagged idea is not offered
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in other.said_last
    nok.tap_data("a=menu&m=mine")
    assert "รอเจ้าหน้าที่ตรวจสอบ" in nok.bubble_texts()[0]


def test_editing_a_flagged_idea_clean_restores_it(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say("ถนนหน้าบ้านพังชิบหาย ไม่มีใครมาซ่อมเลย")
    assert db.execute("SELECT status FROM ideas").fetchone() == ("flagged",)
    nok.tap_data("a=menu&m=mine")
    nok.tap_button("แก้ไข")
    nok.say("ถนนหน้าบ้านพังมาก ขอให้มาซ่อมด้วยค่ะ")
    assert "แก้ไขไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    assert db.execute("SELECT status FROM ideas").fetchone() == ("active",)
    assert db.execute("SELECT count(*) FROM idea_flags").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM cluster_members").fetchone() == (1,)


@pytest.mark.parametrize("text, words", [
    ("หีบบัตรเลือกตั้งควรตั้งที่โรงเรียน", []),          # หีบ (box) is not หี
    ("ขอสัดส่วนงบประมาณให้ชุมชนมากขึ้น", []),            # สัดส่วน (share) is not สัด
    ("มีตัวเหี้ยในคลองแสนแสบหลายตัว", []),              # the monitor lizard
    ("สัตว์จรจัดเยอะมาก ลูกหมาหลายตัว", []),
    ("ประชาชนต้องกระเสือกกระสนเดินบนถนน", []),
    ("ไอ้ควาย ซ่อมถนนซะที", ["ไอ้ควาย"]),
    ("ทางเท้า ค ว ย มาก", ["ควย"]),
    ("รถติดชิบหาย ทุกวัน", ["ชิบหาย"]),
])
def test_word_list_matches_whole_words(text, words):
    assert abuse.abusive_words(text) == words


def test_word_list_loads():
    listed = abuse.word_list()
    assert 40 < len(listed) < 200
    assert "หีบ" not in listed and "กระเสือกกระสน" not in listed
