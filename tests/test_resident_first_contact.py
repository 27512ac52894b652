"""Transcripts: first contact with and without consent, the rich menu's areas, help (issue 4)."""

from __future__ import annotations

import logging

from bot.messages import postback_data
from tests.test_resident_media import PNG


def menu(resident, item: str) -> list[str]:
    """Tap a rich menu area (a postback with the area's Thai label as display text)."""
    return resident.tap_data(postback_data("menu", m=item))


def test_first_contact_with_consent_and_the_whole_menu(chat, db):
    nok = chat.resident()
    replies = nok.follow()
    assert "ยินดีต้อนรับ" in replies[0] and "PDPA" in replies[1]
    assert db.execute("SELECT consent_at, district, state FROM residents").fetchone() == (
        None, None, {})
    nok.tap("ยินยอม")
    nok.say("บางรัก")
    menu(nok, "idea")
    assert "พิมพ์ไอเดียที่อยากให้เขตบางรักดีขึ้นส่งมาได้เลยค่ะ" in nok.said_last
    menu(nok, "vote")
    assert "ตอนนี้ยังไม่มีการเปิดโหวตโครงการค่ะ" in nok.said_last
    menu(nok, "progress")
    assert "ยังไม่มีความคืบหน้าของโครงการ" in nok.said_last
    menu(nok, "mine")
    assert "คุณยังไม่ได้ส่งไอเดียค่ะ" in nok.said_last
    menu(nok, "help")
    assert "พิมพ์ไอเดีย" in nok.said_last
    assert [a["label"] for a in nok.quick_replies()] == [
        "มีอะไรเปิดอยู่", "ส่งไอเดีย", "ไอเดียของฉัน", "ความเป็นส่วนตัว", "English"]
    menu(nok, "open")
    assert "ตอนนี้" in nok.said_last
    menu(nok, "privacy")
    assert [a["label"] for a in nok.quick_replies()] == [
        "อ่านประกาศ", "ข้อมูลของฉัน", "ลบข้อมูลของฉัน", "ถอนความยินยอม", "ไม่รับข่าวโครงการ",
        "ชุมชนของฉัน"]
    nok.say("ไอเดียของฉัน")               # the same steps, typed
    assert "คุณยังไม่ได้ส่งไอเดียค่ะ" in nok.said_last
    menu(nok, "nonsense")
    assert "ปุ่มนี้หมดอายุแล้ว" in nok.said_last


def test_first_contact_without_consent_stores_nothing_but_the_follow(chat, sim, db):
    lek = chat.resident()
    lek.follow()
    lek.tap("ไม่ยินยอม")
    assert "เราจะไม่เก็บข้อมูลของคุณ" in lek.said_last
    for item in ("idea", "mine", "vote", "progress"):
        menu(lek, item)
        assert "ต้องได้รับความยินยอมจากคุณก่อน" in lek.said_last, item
        assert [a["label"] for a in lek.quick_replies()] == ["ยินยอม", "ไม่ยินยอม"]
    lek.say("อยากให้มีสวนสาธารณะใกล้บ้าน")
    sim.reset_calls()
    lek.send_image(PNG)
    assert "ต้องได้รับความยินยอม" in lek.said_last
    assert not [c for c in sim.calls() if "/content" in c["path"]]   # not even fetched
    lek.send_location(13.7246, 100.5295)
    assert "ต้องได้รับความยินยอม" in lek.said_last
    menu(lek, "privacy")                 # privacy and help work without consent
    assert [a["label"] for a in lek.quick_replies()] == [
        "อ่านประกาศ", "ข้อมูลของฉัน", "ลบข้อมูลของฉัน"]
    lek.tap("ข้อมูลของฉัน")
    assert "เราเก็บเพียงว่าคุณเพิ่มเพื่อนกับเสียง" in lek.said_last
    lek.tap("อ่านประกาศ")
    assert "PDPA" in lek.said_last and [a["label"] for a in lek.quick_replies()] == [
        "ยินยอม", "ไม่ยินยอม"]
    assert db.execute("SELECT consent_at, district FROM residents").fetchone() == (None, None)
    for table in ("ideas", "idea_photos", "supports"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    texts = [t for (t,) in db.execute("SELECT payload::text FROM webhook_events")]
    assert not any("สวนสาธารณะ" in t for t in texts)


def test_menu_before_any_follow_starts_with_the_notice(chat):
    ghost = chat.resident()
    menu(ghost, "mine")
    assert "PDPA" in ghost.said_last


def test_english_profile_gets_an_english_menu(chat):
    bob = chat.onboarded("บางรัก", language="en")
    menu(bob, "idea")
    assert "Type an idea to make Bang Rak better" in bob.said_last
    menu(bob, "vote")
    assert bob.said_last.startswith("No voting round is open yet")
    menu(bob, "privacy")
    assert [a["label"] for a in bob.quick_replies()][:3] == ["Notice", "My data", "Erase my data"]


def test_asking_for_english_switches_everything(chat):
    nok = chat.onboarded("บางรัก")
    nok.say("English")
    menu(nok, "mine")
    assert "You have not sent any ideas yet" in nok.said_last


def test_greetings_and_thanks_are_answered_not_stored(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say("สวัสดีค่ะ")
    assert "มีไอเดียอะไรอยากให้เขตของคุณดีขึ้น" in nok.said_last
    nok.say("ขอบคุณครับ")
    assert "ยินดีค่ะ" in nok.said_last
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0


def test_no_line_user_id_or_idea_text_in_logs(chat, caplog):
    caplog.set_level(logging.INFO)   # `siang -v`; production logs at WARNING
    nok = chat.onboarded("บางรัก")
    secret_idea = "อยากให้ทาสีทางม้าลายหน้าโรงเรียนวัดสวนพลูใหม่"
    nok.say(secret_idea)
    menu(nok, "mine")
    nok.tap_data(postback_data("priv", c="data"))
    own = [r for r in caplog.records if not r.name.startswith(("werkzeug", "linesim"))]
    text = "\n".join(r.getMessage() for r in own)
    assert nok.user_id not in text and secret_idea not in text
