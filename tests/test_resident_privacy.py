"""Transcripts: privacy (Thailand's PDPA): my data, erase, withdraw consent, unfollow (issue 4)."""

from __future__ import annotations

import json

from bot.messages import postback_data
from tests.test_resident_media import BANG_RAK, PNG
from tests.test_resident_similar import LIGHTS_30, LIGHTS_32

CANAL = "ขอให้ขุดลอกคลองผดุงกรุงเกษมช่วงหน้าชุมชน น้ำเน่าเหม็นมาก"


def privacy(resident, step: str) -> None:
    resident.tap_data(postback_data("menu", m="privacy"))
    resident.tap(step)


def count(db, sql: str, *args) -> int:
    return db.execute(sql, args).fetchone()[0]


def test_my_data_summarises_everything_kept(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    nok.send_image(PNG)
    nok.send_location(*BANG_RAK)
    other = chat.onboarded("บางรัก")
    other.say(CANAL)
    nok.say("ขอให้ขุดลอกคลองผดุงกรุงเกษมหน้าชุมชน น้ำเน่าเหม็นมากค่ะ")
    nok.tap_button("สนับสนุนไอเดียนี้")
    privacy(nok, "ข้อมูลของฉัน")
    said = nok.said_last
    assert "ข้อมูลของคุณที่เราเก็บไว้ค่ะ" in said
    assert "• เขต: บางรัก" in said and "• ภาษา: ไทย" in said
    assert "• ไอเดีย: 1 เรื่อง (ใช้งาน 1)" in said
    assert "• รูปที่แนบ: 1 รูป · ไอเดียที่มีตำแหน่ง: 1 เรื่อง" in said
    assert "• การสนับสนุนไอเดียของผู้อื่น: 1 เรื่อง" in said
    assert "• รับข่าวโครงการ: รับ" in said and "• เรื่องที่รอคุณตอบ: ไม่มี" in said


def test_erase_deleting_ideas(chat, sim, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    nok.send_image(PNG)
    other = chat.onboarded("บางรัก")
    other.say(LIGHTS_32)
    other.tap_button("ส่งเป็นไอเดียใหม่")     # joins nok's cluster
    supporter = chat.onboarded("บางรัก")
    supporter.say("ไฟส่องสว่างในซอยเจริญกรุง 30 ดับหลายดวง มืดมากตอนกลางคืนค่ะ")
    supporter.tap_button("สนับสนุนไอเดียนี้", index=0)
    supported = db.execute("SELECT idea_id FROM supports").fetchone()[0]
    assert db.execute("SELECT size FROM clusters").fetchall() == [(2,)]

    privacy(nok, "ลบข้อมูลของฉัน")
    assert "การลบย้อนกลับไม่ได้ค่ะ" in nok.said_last
    assert [a["label"] for a in nok.quick_replies()] == [
        "ลบไอเดียด้วย", "เก็บไอเดียแบบนิรนาม", "ยกเลิก"]
    nok.tap("ลบไอเดียด้วย")
    assert "ลบข้อมูลของคุณแล้วค่ะ ✅ (ลบไอเดีย 1 เรื่อง)" in nok.said_last

    row = db.execute("SELECT line_user_id, district, consent_at, erased_at IS NOT NULL, state "
                     "FROM residents WHERE id = 1").fetchone()
    assert row == (None, None, None, True, {})
    assert count(db, "SELECT count(*) FROM ideas WHERE id = 1") == 0
    assert count(db, "SELECT count(*) FROM idea_embeddings WHERE idea_id = 1") == 0
    assert count(db, "SELECT count(*) FROM idea_photos") == 0
    # the cluster lost nok's idea: size and centroid follow
    assert db.execute("SELECT size FROM clusters").fetchall() == [(1,)]
    # a support given to nok's idea moved to the other idea of the group
    if supported == 1:
        assert db.execute("SELECT idea_id FROM supports").fetchall() == [(2,)]
    # nothing left that names nok: events, outbox
    payloads = [json.dumps(p) for (p,) in db.execute("SELECT payload FROM webhook_events")]
    assert not any(nok.user_id in p for p in payloads)
    assert count(db, "SELECT count(*) FROM outbox WHERE %s = ANY(recipients)", nok.user_id) == 0
    erasure = db.execute("SELECT * FROM erasures").fetchall()
    assert len(erasure) == 1 and not any(nok.user_id in str(v) for v in erasure[0])
    assert erasure[0][2:] == ("delete", 1, 0, 1, 0)

    # the same LINE account writing again starts fresh
    nok.say("สวัสดีค่ะ")
    assert "PDPA" in nok.said_last
    assert count(db, "SELECT count(*) FROM residents WHERE line_user_id = %s", nok.user_id) == 1
    assert db.execute("SELECT consent_at FROM residents WHERE line_user_id = %s",
                      (nok.user_id,)).fetchone() == (None,)


def test_erase_keeping_ideas_anonymously(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    privacy(nok, "ลบข้อมูลของฉัน")
    nok.tap("เก็บไอเดียแบบนิรนาม")
    assert "เก็บไอเดีย 1 เรื่องแบบนิรนาม" in nok.said_last
    assert db.execute("SELECT resident_id, webhook_event_id, text FROM ideas").fetchone() == (
        None, None, LIGHTS_30)
    assert count(db, "SELECT count(*) FROM idea_embeddings") == 1
    assert db.execute("SELECT ideas_mode, ideas FROM erasures").fetchone() == ("anonymise", 1)


def test_erase_prompt_without_ideas_offers_and_describes_one_choice(chat, db):
    """Issue 14 #9: with no ideas the prompt must not describe two ways to treat them."""
    nok = chat.onboarded("บางรัก")
    privacy(nok, "ลบข้อมูลของฉัน")
    said = nok.said_last
    assert "คุณไม่มีไอเดียที่ส่งไว้" in said and "การลบย้อนกลับไม่ได้ค่ะ" in said
    assert "เลือกได้ว่าจะ" not in said and "0 เรื่อง" not in said and "นิรนาม" not in said
    assert [a["label"] for a in nok.quick_replies()] == ["ยืนยันลบข้อมูล", "ยกเลิก"]
    nok.tap("ยืนยันลบข้อมูล")
    assert "ลบข้อมูลของคุณแล้วค่ะ ✅" in nok.said_last
    assert db.execute("SELECT line_user_id FROM residents").fetchone() == (None,)


def test_erase_cancel_stale_and_forged_confirmations_change_nothing(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    privacy(nok, "ลบข้อมูลของฉัน")
    question = nok.last
    nok.tap("ยกเลิก")
    assert "ยกเลิกแล้วค่ะ" in nok.said_last
    nok.last = question
    nok.tap("ลบไอเดียด้วย")              # the old question's button
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in nok.said_last
    nok.tap_data("a=priv&c=eraseok&m=delete&n=forged")
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in nok.said_last
    assert db.execute("SELECT line_user_id IS NOT NULL FROM residents").fetchone() == (True,)
    assert count(db, "SELECT count(*) FROM ideas") == 1 and count(db, "SELECT count(*) FROM erasures") == 0


def test_withdraw_consent_unlinks_and_asks_again(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    privacy(nok, "ถอนความยินยอม")
    assert "ถอนความยินยอมใช่ไหมคะ" in nok.said_last
    nok.tap("ถอนความยินยอม")
    assert "ถอนความยินยอมแล้วค่ะ" in nok.said_last and "1 เรื่องยังอยู่แบบไม่ระบุตัวตน" in nok.said_last
    assert db.execute("SELECT consent_at, district FROM residents").fetchone() == (None, None)
    assert db.execute("SELECT resident_id FROM ideas").fetchone() == (None,)
    nok.say("อยากให้มีสวนหย่อมใกล้บ้าน")
    assert "ต้องได้รับความยินยอม" in nok.said_last
    assert count(db, "SELECT count(*) FROM ideas") == 1


def test_unfollow_marks_blocked_and_refollow_starts_fresh(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(LIGHTS_30)
    other = chat.onboarded("บางรัก")
    other.say(LIGHTS_32)                     # a pending choice in other's state
    assert db.execute("SELECT state ? 'pending_idea' FROM residents WHERE id = 2").fetchone()[0]
    other.unfollow()
    assert db.execute("SELECT followed, blocked_at IS NOT NULL FROM residents WHERE id = 2"
                      ).fetchone() == (False, True)
    other.follow()
    assert "PDPA" in other.said_last
    assert db.execute("SELECT consent_at, district, state FROM residents WHERE id = 2"
                      ).fetchone() == (None, None, {})


def test_project_news_can_be_turned_off_and_on(chat, db):
    nok = chat.onboarded("บางรัก")
    privacy(nok, "ไม่รับข่าวโครงการ")
    assert "หยุดส่งข่าวความคืบหน้าโครงการให้คุณแล้วค่ะ" in nok.said_last
    assert db.execute("SELECT announcements_opt_out FROM residents").fetchone() == (True,)
    privacy(nok, "รับข่าวโครงการ")
    assert db.execute("SELECT announcements_opt_out FROM residents").fetchone() == (False,)
