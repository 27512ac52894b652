"""Transcripts: a resident says which community they live in, and their ideas carry it
(issue 18, community development plans)."""

from __future__ import annotations

from pb import communities
from pb.scope import Scope

REGISTRY = ("ชื่อชุมชน,เขต,ประเภท,ผู้ติดต่อ\n"
            "ชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,นายสมชาย 081-000-0000\n"
            "ชุมชนประชาอุทิศ 45,ทุ่งครุ,ชุมชนหมู่บ้านจัดสรร,\n"
            "ชุมชนสวนพลู,บางรัก,ชุมชนเมือง,\n")


def _registry(db) -> dict[str, int]:
    assert communities.import_csv(db, Scope.system(), REGISTRY.encode()).ok
    db.commit()
    return {name: cid for cid, name in db.execute("SELECT id, name FROM communities").fetchall()}


def test_joining_a_community_by_typed_search_then_an_idea_carries_it(chat, db):
    ids = _registry(db)
    somchai = chat.onboarded("ทุ่งครุ")

    somchai.say("ชุมชน")
    assert "คุณอยู่ชุมชนไหนในเขตทุ่งครุคะ" in somchai.said_last
    labels = [a["label"] for a in somchai.quick_replies()]
    assert labels == ["ชุมชนประชาอุทิศ 45", "ชุมชนวัดทุ่งครุ", "ยกเลิก"]   # his district only

    somchai.say("หาไม่เจอเลย")
    assert "ไม่พบชุมชนที่ชื่อมีคำว่า \"หาไม่เจอเลย\"" in somchai.said_last
    assert "ยังไม่ได้ส่งเป็นไอเดีย" in somchai.said_last
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0

    somchai.say("วัด")
    assert "ชุมชนที่ตรงกับ \"วัด\"" in somchai.said_last
    somchai.tap("ชุมชนวัดทุ่งครุ")
    assert "บันทึกแล้วค่ะ คุณอยู่ \"ชุมชนวัดทุ่งครุ\" เขตทุ่งครุ" in somchai.said_last

    somchai.say("ทางเท้าหน้าวัดทุ่งครุแตกเป็นหลุม เดินลำบากมาก")
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in somchai.said_last
    assert db.execute("SELECT community_id FROM ideas").fetchone()[0] == ids["ชุมชนวัดทุ่งครุ"]

    somchai.say("ข้อมูลของฉัน")
    assert "ชุมชน: ชุมชนวัดทุ่งครุ" in somchai.said_last
    somchai.tap("ชุมชนของฉัน")
    assert "ตอนนี้บันทึกไว้ว่าคุณอยู่ \"ชุมชนวัดทุ่งครุ\"" in somchai.said_last
    somchai.tap("ไม่ระบุชุมชน")
    assert "ยกเลิกการระบุชุมชนแล้วค่ะ" in somchai.said_last
    db.commit()
    assert db.execute("SELECT count(*) FROM community_members").fetchone()[0] == 0


def test_a_forged_community_of_another_district_is_refused(chat, db):
    ids = _registry(db)
    alice = chat.onboarded("ทุ่งครุ")
    alice.tap_data(f"a=comm&c=pick&id={ids['ชุมชนสวนพลู']}")
    assert "ชุมชนนี้ไม่ได้อยู่ในเขตของคุณ" in alice.said_last
    alice.tap_data("a=comm&c=pick&id=abc")
    assert "ชุมชนนี้ไม่ได้อยู่ในเขตของคุณ" in alice.said_last
    alice.say("ยกเลิก")
    alice.say("ไฟส่องสว่างในซอยดับหลายดวง กลางคืนมืดมาก")
    assert "ได้รับไอเดียของคุณแล้วค่ะ" in alice.said_last      # an idea, not a search
    db.commit()
    assert db.execute("SELECT count(*) FROM community_members").fetchone()[0] == 0
    assert db.execute("SELECT community_id FROM ideas").fetchone()[0] is None


def test_a_district_without_a_registry_says_so_in_english_too(chat):
    bob = chat.onboarded("บางรัก", language="en")
    bob.say("community")
    assert "Bang Rak has no registered communities in Siang yet" in bob.said_last
