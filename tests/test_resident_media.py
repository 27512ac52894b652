"""Transcripts: photos and locations with ideas (issue 4)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pb import geo


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")
GIF = _image("GIF")
POTHOLE = "ถนนหน้าซอยเจริญกรุง 57 เป็นหลุมลึก รถจักรยานยนต์ล้มบ่อย"
BANG_RAK = (13.7246, 100.5295)       # Silom, บางรัก
CHATUCHAK = (13.8023, 100.5530)      # Chatuchak Park, จตุจักร


def photos(db) -> list[tuple]:
    return db.execute("SELECT idea_id, content_type, size_bytes FROM idea_photos ORDER BY id"
                      ).fetchall()


def test_photo_after_an_idea_is_attached_to_it(chat, sim, db):
    nok = chat.onboarded("บางรัก")
    nok.say(POTHOLE)
    sim.reset_calls()
    nok.send_image(JPEG)
    assert "แนบรูปกับไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    assert [c["path"] for c in sim.calls() if "/content" in c["path"]]   # fetched from LINE
    assert photos(db) == [(1, "image/jpeg", len(JPEG))]
    stored = db.execute("SELECT data FROM idea_photos").fetchone()[0]
    assert bytes(stored) == JPEG


def test_photo_first_is_held_for_the_next_idea(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.send_image(PNG)
    assert "รูปจะแนบกับไอเดียถัดไปที่คุณส่งภายใน 30 นาทีค่ะ" in nok.said_last
    assert photos(db) == [(None, "image/png", len(PNG))]
    nok.say(POTHOLE)
    assert "แนบรูป 1 รูปกับไอเดียนี้แล้วค่ะ" in nok.said_last
    assert photos(db) == [(1, "image/png", len(PNG))]


def test_photo_limits_size_type_and_count(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(POTHOLE)
    nok.send_image(GIF)
    assert "รับเฉพาะรูปแบบ JPG หรือ PNG" in nok.said_last
    nok.send_image(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024))     # JPEG magic, 10 MB + 3
    assert "รูปใหญ่เกิน 10 MB" in nok.said_last
    for _ in range(3):
        nok.send_image(PNG)
    assert "แนบรูปกับไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    nok.send_image(JPEG)
    assert "มีรูปครบ 3 รูปแล้วค่ะ" in nok.said_last
    assert [p[0] for p in photos(db)] == [1, 1, 1, None]


def test_redelivered_photo_is_stored_once(chat, sim, work, db):
    nok = chat.onboarded("บางรัก")
    nok.say(POTHOLE)
    nok.send_image(PNG)
    assert sim.redeliver(nok.events[-1]["event"]["webhookEventId"])["status"] == 200
    work()
    assert len(photos(db)) == 1


def test_location_sets_the_district_of_a_new_resident(chat, db):
    nok = chat.resident()
    nok.follow()
    nok.tap("ยินยอม")
    nok.send_location(*BANG_RAK)
    assert "คุณอยู่เขตบางรัก บันทึกเขตแล้วค่ะ" in nok.said_last
    nok.say(POTHOLE)
    assert "แนบตำแหน่งกับไอเดียนี้แล้วค่ะ" in nok.said_last
    row = db.execute("SELECT district, latitude, longitude FROM ideas").fetchone()
    assert row == ("บางรัก", *BANG_RAK)


def test_location_after_an_idea_and_in_another_district(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.say(POTHOLE)
    nok.send_location(*BANG_RAK)
    assert "บันทึกตำแหน่งของไอเดียเลขที่ 1 แล้วค่ะ 📍 (เขตบางรัก)" in nok.said_last
    nok.send_location(*CHATUCHAK)        # the idea has a location: held for the next one
    assert "ตำแหน่งนี้อยู่ในเขตจตุจักร แต่เขตที่คุณเลือกไว้คือเขตบางรัก" in nok.said_last
    assert [a["label"] for a in nok.quick_replies()] == ["ใช้เขตจตุจักร"]
    nok.tap("ใช้เขตจตุจักร")
    assert "บันทึกเขตจตุจักรแล้วค่ะ" in nok.said_last


def test_location_outside_bangkok(chat, db):
    nok = chat.onboarded("บางรัก")
    nok.send_location(18.7883, 98.9853)  # Chiang Mai
    assert "ตำแหน่งนี้อยู่นอกกรุงเทพฯ" in nok.said_last
    assert db.execute("SELECT state FROM residents").fetchone()[0] == {}


@pytest.mark.parametrize("point, district", [
    ((13.7563, 100.5018), "พระนคร"), ((13.7246, 100.5295), "บางรัก"),
    ((13.8023, 100.5530), "จตุจักร"), ((13.9130, 100.6068), "ดอนเมือง"),
    ((13.7278, 100.7470), "ลาดกระบัง"),
])
def test_district_at_known_places(point, district):
    assert geo.district_at(*point) == district


def test_district_at_rejects_nonsense():
    assert geo.district_at(0.0, 0.0) is None
    with pytest.raises(ValueError):
        geo.district_at(float("nan"), 100.5)


def test_line_calls_run_with_no_transaction_open(chat, runtime, monkeypatch, db):
    """Profile, loading animation and photo download never run while the event's
    transaction holds the resident's locks (issue 13)."""
    from psycopg.pq import TransactionStatus

    seen: list[tuple[str, TransactionStatus]] = []

    def watch(name):
        call = getattr(runtime.line, name)

        def wrapper(*args, **kwargs):
            seen.append((name, runtime.connection().info.transaction_status))
            return call(*args, **kwargs)
        return wrapper

    for name in ("profile_language", "show_loading", "message_content"):
        monkeypatch.setattr(runtime.line, name, watch(name))
    nok = chat.onboarded("บางรัก")
    nok.say(POTHOLE)
    nok.send_image(JPEG)
    assert "แนบรูปกับไอเดียเลขที่ 1 แล้วค่ะ" in nok.said_last
    assert {name for name, _ in seen} == {"profile_language", "show_loading", "message_content"}
    assert all(status == TransactionStatus.IDLE for _, status in seen), seen
