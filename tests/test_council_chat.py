"""Transcripts: asking the district city council a question, supporting another resident's,
and being told the council's response (issue 18)."""

from __future__ import annotations

import pytest

from pb import announcements as ann
from pb import council, council_questions, erasure
from tests.admin_support import accounts, signed_in  # noqa: F401
from tests.council_support import hold, open_meeting
from tests.test_announce_audience import DAYTIME

QUESTION = "ขอให้เขตขุดลอกคลองหน้าชุมชนก่อนหน้าฝน น้ำท่วมซอยทุกปี"
SAME = "ขอให้เขตขุดลอกคลองหน้าชุมชนก่อนหน้าฝน น้ำท่วมซอยทุกปีค่ะ"
OTHER_TOPIC = "อยากให้มีไฟส่องสว่างที่ทางเดินไปป้ายรถเมล์ กลางคืนมืดมาก"


@pytest.fixture
def daytime(monkeypatch):
    monkeypatch.setattr(ann, "clock", lambda: DAYTIME)


def test_asking_a_council_question(chat, db):
    meeting = open_meeting(db, "บางรัก")
    somsri = chat.onboarded("บางรัก")

    somsri.say("ถามสภา")
    assert "พิมพ์คำถามหรือเรื่องที่อยากให้สภาคนเมืองเขตบางรัก" in somsri.said_last
    assert [a["label"] for a in somsri.quick_replies()] == ["ยกเลิก"]

    somsri.say("สวัสดีค่ะ")                       # not a question: asked again, nothing stored
    assert "ยังไม่เข้าใจคำถาม" in somsri.said_last

    somsri.say(QUESTION)
    assert "ได้รับคำถามของคุณแล้วค่ะ (คำถามเลขที่ 1)" in somsri.said_last
    assert db.execute("SELECT count(*) FROM council_questions WHERE process_id = %s",
                      (meeting.process_id,)).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0   # not taken as an idea

    somsri.say("ถนนหน้าบ้านเป็นหลุมเป็นบ่อ รถล้มบ่อยมาก")   # the window's question is done
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in somsri.said_last


def test_asking_through_the_open_item_and_bad_taps(chat, db):
    meeting = open_meeting(db, "บางรัก")
    other = open_meeting(db, "ทุ่งครุ")
    lek = chat.onboarded("บางรัก")
    [item] = council.open_items(db, "บางรัก")
    assert item.kind == "council" and item.id == meeting.process_id
    assert council.open_items(db, None) == []

    lek.tap_data(f"a=council&c=ask&p={other.process_id}")       # another district's window
    assert "สภาคนเมืองเขตอื่น" in lek.said_last
    lek.tap_data("a=council&c=ask&p=abc")
    assert lek.said_last                                     # never silence
    lek.tap_data(item.postback)
    assert "พิมพ์คำถาม" in lek.said_last
    lek.tap("ยกเลิก")
    assert "ยกเลิก" in lek.said_last
    lek.say(OTHER_TOPIC)                                     # cancelled: an idea now
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in lek.said_last


def test_no_open_window_is_said(chat, db):
    open_meeting(db, "ทุ่งครุ")
    dam = chat.onboarded("บางรัก")
    dam.say("ถามสภา")
    assert "ยังไม่เปิดรับคำถาม" in dam.said_last


def test_supporting_another_residents_question(chat, db):
    meeting = open_meeting(db, "บางรัก")
    somsri, somchai, noi = (chat.onboarded("บางรัก") for _ in range(3))
    somsri.say("ถามสภา")
    somsri.say(QUESTION)

    somchai.say("ถามสภา")
    somchai.say(SAME)
    assert "มีคำถามที่คล้ายกันส่งมาแล้วค่ะ" in somchai.said_last
    assert QUESTION in somchai.bubble_texts()[0]
    [support] = [a["data"] for a in somchai.buttons() if a["label"] == "สนับสนุนคำถามนี้"]
    somchai.tap_button("สนับสนุนคำถามนี้")
    assert "บันทึกว่าคุณสนับสนุนคำถามนี้แล้ว ตอนนี้มีผู้สนับสนุน 2 คน" in somchai.said_last
    assert db.execute("SELECT count(*) FROM council_questions").fetchone()[0] == 1
    somchai.tap_data(support)                                 # a second tap changes nothing
    assert somchai.said_last and "บันทึกว่า" not in somchai.said_last
    assert council_questions.backers(db, [1]) == {1: 2}

    noi.say("ถามสภา")
    noi.say(SAME)
    noi.tap_button("ส่งเป็นคำถามใหม่")
    assert "คำถามเลขที่ 2" in noi.said_last
    assert "อยู่กลุ่มเดียวกับคำถามที่คล้ายกันอีก 1 คำถาม" in noi.said_last
    [group] = council_questions.groups(db, meeting.process_id)
    assert (group.questions, group.supporters, group.weight) == (2, 1, 3)
    assert group.keywords
    # Staff reading in English search a topic by its English word (pb.topic_terms).
    assert [g.id for g in council_questions.groups(db, meeting.process_id, search="flood")] \
        == [group.id]
    assert council_questions.groups(db, meeting.process_id, search="garbage") == []


def test_told_the_response_once_each(chat, db, sim, work, signed_in, daytime):
    meeting = open_meeting(db, "บางรัก")
    asker, supporter, bystander = (chat.onboarded("บางรัก") for _ in range(3))
    asker.say("ถามสภา")
    asker.say(QUESTION)
    supporter.say("ถามสภา")
    supporter.say(SAME)
    supporter.tap_button("สนับสนุนคำถามนี้")
    hold(db, meeting)
    [group] = council_questions.groups(db, meeting.process_id)

    staff = signed_in("admin")
    page = staff.get(f"/admin/council/meetings/{meeting.id}").get_data(as_text=True)
    assert "ขุดลอกคลอง" in page
    version = db.execute("SELECT version FROM council_meetings WHERE id = %s",
                         (meeting.id,)).fetchone()[0]
    db.commit()
    response = staff.post(f"/admin/council/meetings/{meeting.id}/publish", {
        "version": str(version), "minutes": "ที่ประชุมรับทราบปัญหาน้ำท่วม",
        f"response{group.id}": "เขตจะขุดลอกคลองหน้าชุมชนในเดือนเมษายนค่ะ"})
    assert response.status_code == 303
    work()
    for resident in (asker, supporter):
        told = [m["message"]["text"] for m in sim.messages(resident.user_id)
                if m["via"] == "multicast"]
        assert len(told) == 1 and "เขตจะขุดลอกคลองหน้าชุมชนในเดือนเมษายนค่ะ" in told[0]
        assert "/council/" in told[0]
    assert not [m for m in sim.messages(bystander.user_id) if m["via"] == "multicast"]
    # Publishing twice tells nobody again.
    again = staff.post(f"/admin/council/meetings/{meeting.id}/publish", {
        "version": str(version + 1), "minutes": "x", f"response{group.id}": "y"})
    assert again.status_code == 303
    assert db.execute("SELECT count(*) FROM council_response_notices").fetchone()[0] == 2

    public = staff.client.get("/council/บางรัก").get_data(as_text=True)
    assert "ที่ประชุมรับทราบปัญหาน้ำท่วม" in public
    assert "เขตจะขุดลอกคลองหน้าชุมชนในเดือนเมษายนค่ะ" in public
    assert staff.client.get("/council/Bang%20Rak?lang=en").status_code == 200
    assert staff.client.get("/council/ทุ่งครุ").status_code == 404


def test_erase_my_data_covers_questions_and_supports(chat, db):
    meeting = open_meeting(db, "บางรัก")
    asker, supporter = chat.onboarded("บางรัก"), chat.onboarded("บางรัก")
    asker.say("ถามสภา")
    asker.say(QUESTION)
    supporter.say("ถามสภา")
    supporter.say(SAME)
    supporter.tap_button("สนับสนุนคำถามนี้")
    supporter.say("ข้อมูลของฉัน")
    assert "คำถามถึงสภาคนเมือง: ถาม 0 คำถาม สนับสนุน 1 คำถาม" in supporter.said_last
    ids = dict(db.execute("SELECT line_user_id, id FROM residents").fetchall())
    with db.transaction():
        erasure.erase(db, ids[supporter.user_id], supporter.user_id, "anonymise")
        erasure.erase(db, ids[asker.user_id], asker.user_id, "delete")
    assert db.execute("SELECT count(*) FROM council_questions").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM council_question_supports").fetchone()[0] == 0
    assert council_questions.groups(db, meeting.process_id) == []
