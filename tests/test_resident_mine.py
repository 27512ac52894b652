"""Transcripts: my ideas, editing and withdrawing one's own idea (issue 4)."""

from __future__ import annotations

import pytest

from bot.messages import postback_data
from tests.test_resident_similar import CANAL, LIGHTS_30, LIGHTS_32

PARK = "อยากให้มีสวนหย่อมและม้านั่งริมคลองช่องนนทรีสำหรับผู้สูงอายุ"


def mine(resident) -> list[str]:
    return resident.tap_data(postback_data("menu", m="mine"))


def test_my_ideas_with_their_status(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    nok.say(CANAL)
    other = chat.onboarded("บางรัก")
    other.say(LIGHTS_32)
    other.tap_button("ส่งเป็นไอเดียใหม่")
    mine(nok)
    assert "ไอเดียของคุณ 2 เรื่องค่ะ" in nok.said_last
    canal, lights = nok.bubble_texts()                  # newest first
    assert canal.startswith("ไอเดียเลขที่ 2") and "✅ ได้รับแล้ว" in canal
    assert "🧩 รวมกลุ่มกับไอเดียที่คล้ายกันอีก 1 ไอเดีย" in lights
    assert "👥 มีผู้สนับสนุน 2 คน" in lights and "ส่งเมื่อ " in lights
    assert [b["label"] for b in nok.buttons()] == ["แก้ไข", "ถอนไอเดีย"] * 2


def test_edit_an_idea(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    nok.say(CANAL)
    mine(nok)
    nok.tap_button("แก้ไข", index=1)                    # the lights idea
    assert "พิมพ์ข้อความใหม่ของไอเดียเลขที่ 1" in nok.said_last
    nok.say(PARK)
    assert "แก้ไขไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    row = db.execute("SELECT text, edited_at IS NOT NULL FROM ideas WHERE id = 1").fetchone()
    assert row == (PARK, True)
    assert db.execute("SELECT count(*) FROM idea_embeddings").fetchone()[0] == 2
    assert db.execute("SELECT count(*), sum(size) FROM clusters WHERE size > 0").fetchone() == (2, 2)
    nok.say("อยากให้มีถังขยะแยกประเภทหน้าตลาดบางรัก")       # the edit is over: a new idea
    assert "ไอเดียเลขที่ 3" in nok.said_last


def test_cancel_an_edit_and_odd_text_keeps_it_pending(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    mine(nok)
    nok.tap_button("แก้ไข")
    nok.say("👍👍")
    assert "ถ้ามีไอเดีย พิมพ์เป็นข้อความ" in nok.said_last
    nok.tap("ยกเลิก")
    assert "ยกเลิกแล้วค่ะ" in nok.said_last
    assert db.execute("SELECT text FROM ideas").fetchone() == (LIGHTS_30,)


def test_withdraw_an_idea(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    mine(nok)
    nok.tap_button("ถอนไอเดีย")
    assert "ยืนยันถอนไอเดียเลขที่ 1 ไหมคะ" in nok.said_last
    nok.tap("ถอนไอเดีย")
    assert "ถอนไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    assert db.execute("SELECT status FROM ideas").fetchone() == ("withdrawn",)
    assert db.execute("SELECT size, centroid IS NULL FROM clusters").fetchone() == (0, True)
    assert db.execute("SELECT count(*) FROM cluster_members").fetchone() == (0,)
    mine(nok)
    assert "ตอนนี้คุณไม่มีไอเดียที่ยังใช้งานอยู่ค่ะ (ถอนไปแล้ว 1 เรื่อง)" in nok.said_last
    # a withdrawn idea is not offered as similar to anyone
    other = chat.onboarded("บางรัก")
    other.say(LIGHTS_32)
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in other.said_last


def test_my_ideas_after_withdrawing_the_only_one_does_not_say_none_was_sent(chat):
    """Issue 14 #9: the resident did send an idea; "my ideas" says none is active and how
    many were withdrawn, never "you have not sent an idea yet"."""
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    mine(nok)
    nok.tap_button("ถอนไอเดีย")
    nok.tap("ถอนไอเดีย")
    mine(nok)
    assert "ยังไม่ได้ส่ง" not in nok.said_last
    assert nok.said_last.startswith("ตอนนี้คุณไม่มีไอเดียที่ยังใช้งานอยู่ค่ะ (ถอนไปแล้ว 1 เรื่อง)")
    ann = chat.onboarded("บางรัก", language="en")
    ann.say(CANAL)
    mine(ann)
    ann.tap_button("Withdraw")
    ann.tap("Withdraw it")
    mine(ann)
    assert ann.said_last.startswith("You have no active idea now (you withdrew 1 idea).")


def test_others_ideas_and_closed_stage_cannot_be_edited(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    thief = chat.onboarded("บางรัก")
    for data in ("a=idea&c=edit&i=1", "a=idea&c=wd&i=1", "a=idea&c=edit&i=x",
                 "a=idea&c=wdok&n=abc", "a=idea&c=zzz"):
        thief.tap_data(data)
        assert "ขออภัยค่ะ" in thief.said_last, data
    db.execute("UPDATE processes SET stage = 'projects'")
    db.commit()
    mine(nok)
    assert nok.buttons() == []                         # no edit buttons after the idea stage
    nok.tap_data("a=idea&c=edit&i=1")
    assert "แก้ไขหรือถอนไม่ได้แล้ว" in nok.said_last
    assert db.execute("SELECT text, status FROM ideas").fetchone() == (LIGHTS_30, "active")


def test_my_ideas_show_the_project_they_became(chat, db):
    if db.execute("SELECT to_regclass('public.project_clusters')").fetchone()[0] is None:
        pytest.skip("projects arrive with issue 5's migration")
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    db.execute("""INSERT INTO projects (process_id, title, district, fiscal_year, state)
                  SELECT id, 'ไฟส่องสว่างซอยเจริญกรุง', 'บางรัก', fiscal_year, 'selected'
                    FROM processes""")
    db.execute("""INSERT INTO project_clusters (project_id, cluster_id)
                  SELECT p.id, c.id FROM projects p, clusters c""")
    db.commit()
    mine(nok)
    (bubble,) = nok.bubble_texts()
    assert "เป็นส่วนหนึ่งของโครงการ \"ไฟส่องสว่างซอยเจริญกรุง\"" in bubble
    assert "ได้รับเลือกในการโหวต" in bubble
