"""Transcripts: a Bangkok resident talking to Siang through the LINE emulator."""

from __future__ import annotations


def test_first_contact_consent_district_and_an_idea(chat, db):
    somchai = chat.resident()

    replies = somchai.follow()
    assert "ยินดีต้อนรับ" in replies[0]
    assert "PDPA" in replies[1]
    assert replies[2] == "คุณยินยอมให้เราเก็บและใช้ข้อมูลตามที่แจ้งไว้หรือไม่คะ"
    assert [a["label"] for a in somchai.quick_replies()] == ["ยินยอม", "ไม่ยินยอม"]

    somchai.tap("ยินยอม")
    assert "คุณอยู่เขตไหนคะ" in somchai.said_last
    assert len(somchai.quick_replies()) == 13

    somchai.say("เขตทุ่งครุ")
    assert "บันทึกเขตทุ่งครุแล้วค่ะ" in somchai.said_last

    somchai.say("ถนนหน้าซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ รถจักรยานยนต์ล้มบ่อยมาก")
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 1)" in somchai.said_last
    assert "เป็นไอเดียใหม่ในเขตของคุณค่ะ" in somchai.said_last

    idea = db.execute("SELECT district, status FROM ideas").fetchone()
    assert idea == ("ทุ่งครุ", "active")
    assert db.execute("SELECT count(*) FROM idea_embeddings").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM cluster_members").fetchone()[0] == 1


def test_similar_ideas_from_two_residents_join_one_cluster(chat, db):
    a = chat.onboarded("บางรัก")
    b = chat.onboarded("บางรัก")
    a.say("ไฟส่องสว่างในซอยเจริญกรุง 30 ดับหลายดวง กลางคืนมืดมาก")
    b.say("ไฟส่องสว่างในซอยเจริญกรุง 32 ดับหลายดวง กลางคืนมืดมาก")
    # Since issue 4 the similar-idea check shows a's idea first; b sends theirs as new.
    assert "ไอเดียที่คล้ายกับของคุณ" in b.said_last
    b.tap("ส่งเป็นไอเดียใหม่")
    assert "อยู่กลุ่มเดียวกับไอเดียที่คล้ายกันอีก 1 ไอเดีย" in b.said_last
    assert db.execute("SELECT count(*), max(size) FROM clusters").fetchone() == (1, 2)


def test_district_typed_in_english_or_with_a_typo(chat):
    alice = chat.resident()
    alice.follow()
    alice.tap("ยินยอม")
    alice.say("Bang Rak")
    assert "บันทึกเขตบางรักแล้วค่ะ" in alice.said_last


def test_unknown_district_is_guided_not_ignored(chat):
    alice = chat.resident()
    alice.follow()
    alice.tap("ยินยอม")
    alice.say("ซอยบ้านฉัน")
    assert "ไม่พบเขต" in alice.said_last
    assert alice.quick_replies()


def test_district_pages_of_quick_replies(chat):
    alice = chat.resident()
    alice.follow()
    alice.tap("ยินยอม")
    labels = [a["label"] for a in alice.quick_replies()]
    assert labels[-1] == "เขตอื่น ๆ"
    alice.tap("เขตอื่น ๆ")
    second = [a["label"] for a in alice.quick_replies()]
    assert second[0] not in labels
    alice.tap(second[0])
    assert f"บันทึกเขต{second[0]}แล้วค่ะ" in alice.said_last


def test_typing_before_consent_is_guided_and_nothing_is_stored(chat, db):
    alice = chat.resident()
    alice.follow()
    alice.say("อยากให้มีสวนสาธารณะ")
    assert "ต้องได้รับความยินยอม" in alice.said_last
    assert [a["label"] for a in alice.quick_replies()] == ["ยินยอม", "ไม่ยินยอม"]
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0
    texts = db.execute("SELECT payload::text FROM webhook_events").fetchall()
    assert not any("สวนสาธารณะ" in t for (t,) in texts)


def test_declining_consent_keeps_nothing_but_the_follow(chat, db):
    alice = chat.resident()
    alice.follow()
    alice.tap("ไม่ยินยอม")
    assert "เราจะไม่เก็บข้อมูลของคุณ" in alice.said_last
    assert db.execute("SELECT consent_at, district FROM residents").fetchone() == (None, None)


def test_message_without_a_follow_starts_with_consent(chat):
    alice = chat.resident()
    alice.say("สวัสดีค่ะ")
    assert "คุณยินยอม" in alice.said_last


def test_empty_sticker_and_too_long_ideas_get_clear_replies(chat, db):
    alice = chat.onboarded()
    alice.sticker()
    assert "สติกเกอร์" in alice.said_last
    alice.say("   ")
    assert "ข้อความว่างเปล่า" in alice.said_last
    alice.say("ก" * 2001)
    assert "ยาวเกิน 2,000 ตัวอักษร" in alice.said_last
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0


def test_help_and_english(chat):
    alice = chat.onboarded()
    alice.say("ช่วยเหลือ")
    assert "พิมพ์ไอเดีย" in alice.said_last
    alice.say("English")
    assert alice.said_last == "Switched to English."
    alice.say("help")
    assert "Type an idea" in alice.said_last


def test_english_profile_gets_english(chat):
    bob = chat.resident(language="en")
    replies = bob.follow()
    assert replies[0].startswith("Hello!")


def test_redelivered_idea_is_stored_and_answered_once(chat, sim, work, db):
    alice = chat.onboarded()
    alice.say("ขอให้ขุดลอกคลองลาดพร้าวช่วงหน้าชุมชน น้ำเน่าเหม็นมาก")
    event_id = alice.events[-1]["event"]["webhookEventId"]
    replies_before = len(sim.messages(alice.user_id))
    assert sim.redeliver(event_id)["status"] == 200
    work()
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 1
    assert len(sim.messages(alice.user_id)) == replies_before
