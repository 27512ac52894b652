"""District public hearings in LINE (issue 18), read like the conversation: invited,
answer every kind of question, a typed reply to a choice question gets help, change an
answer, register for the session (and find it full), the reminder the day before,
out-of-area and closed hearings, and erase-my-data."""

from __future__ import annotations

import datetime as dt

from pb import erasure, hearing_answers
from tests.hearing_support import make_hearing, start_data


def _answers(db, hearing_id: int) -> list[tuple]:
    rows = db.execute(
        """SELECT q.position, a.text_answer, a.choices, a.rating, a.changes,
                  a.grouping IS NOT NULL
             FROM hearing_answers a JOIN hearing_questions q ON q.id = a.question_id
            WHERE a.process_id = %s ORDER BY q.position""", (hearing_id,)).fetchall()
    db.commit()
    return rows


def test_answering_a_hearing_and_changing_an_answer(db, chat):
    alice = chat.onboarded("บางรัก")
    hearing_id = make_hearing(db, "บางรัก")
    invite = db.execute("SELECT recipients, messages FROM outbox WHERE kind = 'multicast'"
                        ).fetchone()
    db.commit()
    assert alice.user_id in invite[0]
    assert "ขอเชิญร่วมแสดงความคิดเห็น" in invite[1][0]["text"]
    assert invite[1][0]["quickReply"]["items"][0]["action"]["data"] == start_data(hearing_id)

    said = alice.tap_data(start_data(hearing_id))
    assert "รับฟังความคิดเห็นทิศทางการพัฒนาบางรัก" in said[0] and "4 คำถาม" in said[0]
    assert "ข้อ 1/4: ท่านอยากให้เขตพัฒนาเรื่องใดเป็นอันดับแรก" in said[0]
    assert "พิมพ์คำตอบของคุณในแชตได้เลยค่ะ" in said[0]

    said = alice.say("อยากให้ขุดลอกท่อระบายน้ำก่อนหน้าฝน น้ำท่วมซอยทุกปี")
    assert "บันทึกคำตอบข้อ 1 แล้วค่ะ" in said[0] and "ข้อ 2/4" in said[0]
    assert [a["label"] for a in alice.buttons()] == ["น้ำท่วม", "ขยะ", "ทางเท้า"]

    said = alice.say("ขยะ")                                     # typed, not tapped
    assert "กรุณาแตะตัวเลือกจากปุ่มด้านล่าง" in said[0] and "ข้อ 2/4" in said[0]
    assert len(_answers(db, hearing_id)) == 1                     # nothing stored for it

    alice.tap_button("ขยะ")
    assert "บันทึกคำตอบข้อ 2 แล้วค่ะ" in alice.said_last and "ข้อ 3/4" in alice.said_last
    alice.tap_button("สวนสาธารณะ")
    assert "เลือกไว้ 1 ข้อ" in alice.said_last
    alice.tap_button("ห้องสมุด")
    assert "เลือกไว้ 2 ข้อ" in alice.said_last
    assert "✅ สวนสาธารณะ" in [a["label"] for a in alice.buttons()]
    alice.tap_button("ยืนยันคำตอบ")
    assert "บันทึกคำตอบข้อ 3 แล้วค่ะ" in alice.said_last and "ข้อ 4/4" in alice.said_last
    said = alice.tap("4")
    assert "คุณตอบครบทุกข้อ" in said[0] and "แก้คำตอบได้จนถึง" in said[0]
    assert _answers(db, hearing_id) == [
        (1, "อยากให้ขุดลอกท่อระบายน้ำก่อนหน้าฝน น้ำท่วมซอยทุกปี", None, None, 0, True),
        (2, None, [1], None, 0, False), (3, None, [0, 2], None, 0, False),
        (4, None, None, 4, 0, False)]

    said = alice.tap("ดูคำตอบของฉัน")
    assert "→ ขยะ" in said[0] and "→ สวนสาธารณะ, ห้องสมุด" in said[0]
    said = alice.tap("แก้ข้อ 2")
    assert "คำตอบเดิมของคุณ: ขยะ" in said[0]
    alice.tap_button("น้ำท่วม")
    assert "แก้คำตอบข้อ 2 แล้วค่ะ" in alice.said_last and "คุณตอบครบทุกข้อ" in alice.said_last
    assert _answers(db, hearing_id)[1] == (2, None, [0], None, 1, False)

    # After answering, typed text is an idea again (the hearing state is gone).
    said = alice.say("ขอไฟส่องสว่างในซอยเจริญกรุง 40 ด้วยค่ะ")
    assert not any("ข้อ " in s and "/4" in s for s in said)


def test_a_rating_can_be_typed_and_a_word_gets_help(db, chat):
    bob = chat.onboarded("บางรัก")
    hearing_id = make_hearing(db, "บางรัก", questions="คะแนน: ความพึงพอใจต่อทางเท้า")
    bob.tap_data(start_data(hearing_id))
    said = bob.say("ดีมาก")
    assert "กรุณาแตะตัวเลือก" in said[0] and "ข้อ 1/1" in said[0]
    said = bob.say("๕")
    assert "คุณตอบครบทุกข้อ" in said[0]
    assert _answers(db, hearing_id) == [(1, None, None, 5, 0, False)]


def test_stop_and_skip_then_carry_on(db, chat):
    carol = chat.onboarded("บางรัก")
    hearing_id = make_hearing(db, "บางรัก")
    carol.tap_data(start_data(hearing_id))
    said = carol.tap("ข้ามข้อนี้")
    assert "ข้ามข้อนั้นไว้ก่อน" in said[0] and "ข้อ 2/4" in said[0]
    said = carol.tap("หยุดตอบ")
    assert "พักไว้ก่อนได้เลยค่ะ" in said[0]
    said = carol.tap("ตอบต่อ")
    assert "ข้อ 1/4" in said[0]                      # the skipped one is asked first again


def test_registering_for_the_session_full_and_reminder(db, chat):
    dan, eve = chat.onboarded("บางรัก"), chat.onboarded("บางรัก")
    hearing_id = make_hearing(db, "บางรัก", questions="คะแนน: ความพึงพอใจ", capacity=1)
    dan.tap_data(start_data(hearing_id))
    said = dan.tap("3")
    assert "เวทีรับฟังความคิดเห็น: ห้องประชุมสำนักงานเขต ชั้น 2" in said[0]
    assert "(รับ 1 คน เหลือ 1 ที่)" in said[0]
    said = dan.tap("ลงทะเบียนเข้าร่วม")
    assert "ลงทะเบียนเข้าร่วมเวทีที่ ห้องประชุมสำนักงานเขต ชั้น 2" in said[0]
    assert "เราจะส่งข้อความเตือนคุณหนึ่งวันก่อนวันงาน" in said[0]
    reminder = db.execute(
        """SELECT o.kind, o.recipients, o.state, o.not_before, s.starts_at, o.messages
             FROM hearing_registrations r JOIN outbox o ON o.id = r.reminder_outbox_id
             JOIN hearing_sessions s ON s.id = r.session_id""").fetchone()
    db.commit()
    assert reminder[:3] == ("push", [dan.user_id], "pending")
    assert reminder[4] - reminder[3] == dt.timedelta(hours=33)     # 09:00 the day before 18:00
    assert "พรุ่งนี้มีเวทีรับฟังความคิดเห็น" in reminder[5][0]["text"]
    said = dan.tap_data(f"a=hear&c=reg&p={hearing_id}")          # a second tap
    assert "ลงทะเบียนเข้าร่วมเวทีที่ ห้องประชุมสำนักงานเขต ชั้น 2 วันที่" in said[0]
    assert "ไว้แล้วค่ะ" in said[0]

    eve.tap_data(start_data(hearing_id))
    said = eve.tap("5")
    assert "เหลือ 0 ที่" in said[0]
    said = eve.tap("ลงทะเบียนเข้าร่วม")
    assert "มีผู้ลงทะเบียนเต็ม 1 ที่แล้ว" in said[0]

    said = dan.tap_data(f"a=hear&c=unreg&p={hearing_id}")
    assert "ยกเลิกการลงทะเบียนแล้วค่ะ" in said[0]
    state = db.execute("SELECT state FROM outbox WHERE kind = 'push'").fetchone()[0]
    db.commit()
    assert state == "failed"                                       # the reminder is cancelled
    said = eve.tap_data(f"a=hear&c=reg&p={hearing_id}")
    assert "ลงทะเบียนเข้าร่วมเวทีที่" in said[0] and "เราจะส่งข้อความเตือน" in said[0]


def test_out_of_area_closed_and_forged_buttons(db, chat):
    frank = chat.onboarded("ทุ่งครุ")
    hearing_id = make_hearing(db, "บางรัก")
    said = frank.tap_data(start_data(hearing_id))
    assert "การรับฟังความคิดเห็นนี้สำหรับผู้อยู่ในเขตบางรัก" in said[0]
    group_id = make_hearing(db, "group:กรุงธนใต้")
    said = frank.tap_data(start_data(group_id))
    assert "ข้อ 1/4" in said[0]                                    # ทุ่งครุ is in กรุงธนใต้
    for data in ("a=hear&c=start&p=999999", "a=hear&c=zap&p=1", "a=hear&c=ans&p=%d&q=1&o=9"
                 % group_id, "a=hear&c=start"):
        said = frank.tap_data(data)
        assert said and ("ปุ่มนี้ใช้ไม่ได้แล้ว" in said[0] or "ข้อ 1/4" in said[0]), (data, said)
    db.execute("UPDATE processes SET closes_at = now() - interval '1 minute' WHERE id = %s",
               (group_id,))
    db.commit()
    said = frank.say("อยากได้สวนสาธารณะริมคลอง")          # the state is there, the hearing closed
    assert "ปิดรับคำตอบแล้วค่ะ" in said[0]
    assert _answers(db, group_id) == []


def test_erase_my_data_covers_answers_and_registrations(db, chat):
    gina = chat.onboarded("บางรัก")
    hearing_id = make_hearing(db, "บางรัก", questions="เปิด: ข้อเสนอของท่าน", capacity=10)
    gina.tap_data(start_data(hearing_id))
    gina.say("อยากให้มีทางเดินริมคลองที่ปลอดภัย")
    gina.tap("ลงทะเบียนเข้าร่วม")
    resident_id = db.execute("SELECT id FROM residents WHERE line_user_id = %s",
                             (gina.user_id,)).fetchone()[0]
    erasure.erase(db, resident_id, gina.user_id, "delete")
    db.commit()
    assert _answers(db, hearing_id) == []
    assert db.execute("SELECT count(*) FROM hearing_registrations").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'push' AND state = 'pending'"
                      ).fetchone()[0] == 0                        # the reminder will not go
    db.commit()
    assert hearing_answers.session_of(db, hearing_id).registered == 0
