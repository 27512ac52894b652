"""Transcripts: the similar-idea check at submission (issue 4)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from bot.handlers import similar
from nlp.clustering import centre
from nlp.embedder import FakeEmbedder
from nlp.represent import GROUPING_DIM
from pb import ideas
from tests.admin_support import accounts  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
LIGHTS_30 = "ไฟส่องสว่างในซอยเจริญกรุง 30 ดับหลายดวง กลางคืนมืดมาก"
LIGHTS_32 = "ไฟส่องสว่างในซอยเจริญกรุง 32 ดับหลายดวง กลางคืนมืดมาก"
CANAL = "ขอให้ขุดลอกคลองผดุงกรุงเกษมช่วงหน้าชุมชน น้ำเน่าเหม็นมาก"


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def restart_worker(settings, runtime):
    """Replace the worker runtime (new process state: embedder, connections, LINE client)."""
    from workers import runtime as rt

    started = []

    def restart():
        started.append(rt.init(settings, embedder=FakeEmbedder()))

    yield restart
    for new in started:
        new.close()
    rt._runtime = runtime


def test_similar_idea_found_and_supported_instead_of_a_duplicate(chat, sim, db):
    somchai = chat.onboarded("บางรัก")
    somchai.say(LIGHTS_30)
    assert "เป็นไอเดียใหม่ในเขตของคุณค่ะ" in somchai.said_last

    malee = chat.onboarded("บางรัก")
    sim.reset_calls()
    malee.say(LIGHTS_32)
    assert "มีไอเดียที่คล้ายกับของคุณ เป็นเรื่องเดียวกันในเขตบางรักค่ะ" in malee.said_last
    (bubble,) = malee.bubble_texts()
    assert LIGHTS_30 in bubble and "มีผู้สนับสนุน 1 คน" in bubble
    assert [b["label"] for b in malee.buttons()] == ["สนับสนุนไอเดียนี้", "ส่งเป็นไอเดียใหม่"]
    assert [a["label"] for a in malee.quick_replies()] == ["ส่งเป็นไอเดียใหม่"]
    # LINE's loading animation ran while the model worked, before the reply.
    paths = [c["path"] for c in sim.calls()]
    assert paths.index("/v2/bot/chat/loading/start") < paths.index("/v2/bot/message/reply")

    malee.tap_button("สนับสนุนไอเดียนี้")
    assert "บันทึกว่าคุณสนับสนุนไอเดียนี้แล้ว ตอนนี้มีผู้สนับสนุน 2 คน" in malee.said_last
    assert count(db, "ideas") == 1
    assert db.execute("SELECT resident_id, idea_id FROM supports").fetchall() == [(2, 1)]
    assert db.execute("SELECT state FROM residents WHERE id = 2").fetchone()[0] == {}


def test_a_slow_loading_animation_does_not_hold_the_ideas_reply(chat, sim, settings):
    """The loading animation is a courtesy: when LINE answers it slowly, the worker stops
    waiting after ``line_loading_timeout_s`` (1 s), not the 5 s of other calls, and replies.
    Found by ``siang simulate --faults``: 0.5 % slow answers held idea replies for 5 s."""
    assert settings.line_loading_timeout_s < 4.0 <= settings.line_timeout_s
    somchai = chat.onboarded("บางรัก")
    sim.reset_calls()
    sim.set_faults([{"path_prefix": "/v2/bot/chat/loading", "status": None, "delay_s": 4.0}])
    somchai.say(LIGHTS_30)
    assert "เป็นไอเดียใหม่ในเขตของคุณค่ะ" in somchai.said_last
    # The reply is with the resident while LINE still works on the animation call.
    paths = [c["path"] for c in sim.calls()]
    assert "/v2/bot/message/reply" in paths and "/v2/bot/chat/loading/start" not in paths
    deadline = time.monotonic() + 10
    while "/v2/bot/chat/loading/start" not in [c["path"] for c in sim.calls()]:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_no_similar_idea_stores_directly(chat, db):
    a = chat.onboarded("บางรัก")
    a.say(LIGHTS_30)
    other_district = chat.onboarded("จตุจักร")
    other_district.say(LIGHTS_32)        # similar, but another district
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in other_district.said_last
    same_district = chat.onboarded("บางรัก")
    same_district.say(CANAL)            # same district, another topic
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 3)" in same_district.said_last
    assert count(db, "ideas") == 3 and count(db, "supports") == 0


def test_send_mine_as_new_from_the_carousel(chat, db):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    malee.tap_button("ส่งเป็นไอเดียใหม่")
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in malee.said_last
    assert "อยู่กลุ่มเดียวกับไอเดียที่คล้ายกันอีก 1 ไอเดีย" in malee.said_last
    assert db.execute("SELECT text FROM ideas WHERE id = 2").fetchone()[0] == LIGHTS_32
    assert count(db, "supports") == 0


def test_double_tap_stale_and_forged_postbacks_change_nothing(chat, db):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    carousel = malee.last
    support_data = malee.buttons()[0]["data"]
    malee.tap_button("สนับสนุนไอเดียนี้")
    # the same button again (a double tap), and "send as new" from the old carousel
    malee.tap_data(support_data)
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in malee.said_last
    malee.last = carousel
    malee.tap_button("ส่งเป็นไอเดียใหม่")
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in malee.said_last
    # forged: unknown action, an idea that was never offered, junk
    for data in ("a=sim&c=s&i=999&n=xyz", "a=sim&c=n", "a=nope", "%%%", "a=sim&c=s&i=abc&n="):
        malee.tap_data(data)
        assert "ขออภัยค่ะ" in malee.said_last
    assert count(db, "ideas") == 1 and count(db, "supports") == 1


def test_forged_idea_id_with_the_right_nonce_is_refused(chat, db):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    chat.onboarded("บางรัก").say(CANAL)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    carousel = malee.last
    data = malee.buttons()[0]["data"].replace("i=1", "i=2")   # the canal idea was not offered
    malee.tap_data(data)
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in malee.said_last
    assert count(db, "supports") == 0
    malee.last = carousel
    malee.tap_button("สนับสนุนไอเดียนี้")                        # the real choice still works
    assert count(db, "supports") == 1


def test_moving_on_sends_the_pending_idea_as_new(chat, db):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    malee.say(CANAL)
    assert "ไอเดียก่อนหน้าของคุณส่งเป็นไอเดียใหม่แล้วค่ะ (ไอเดียเลขที่ 2)" in malee.said_last
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 3)" in malee.said_last
    assert [r[0] for r in db.execute("SELECT text FROM ideas ORDER BY id")] == [
        LIGHTS_30, LIGHTS_32, CANAL]


def test_own_ideas_are_not_offered_and_a_repeat_is_pointed_at(chat, db):
    a = chat.onboarded("บางรัก")
    a.say(LIGHTS_30)
    a.say(LIGHTS_32)                     # similar to their own: stored, no carousel
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in a.said_last
    a.say(LIGHTS_30)
    assert "คุณส่งไอเดียนี้ไว้แล้วค่ะ (ไอเดียเลขที่ 1)" in a.said_last
    assert count(db, "ideas") == 2


def test_redelivered_event_in_the_middle_of_the_conversation(chat, sim, work, db):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    text_event = malee.events[-1]["event"]["webhookEventId"]
    before = len(sim.messages(malee.user_id))
    assert sim.redeliver(text_event)["status"] == 200
    work()
    assert len(sim.messages(malee.user_id)) == before      # no second carousel
    malee.tap_button("สนับสนุนไอเดียนี้")
    support_event = malee.events[-1]["event"]["webhookEventId"]
    assert sim.redeliver(support_event)["status"] == 200
    assert sim.redeliver(text_event)["status"] == 200
    work()
    assert count(db, "ideas") == 1 and count(db, "supports") == 1
    assert db.execute("SELECT count(*) FROM webhook_events WHERE is_redelivery").fetchone()[0] == 0


def test_pending_choice_survives_a_worker_restart(chat, db, restart_worker):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    restart_worker()
    malee.tap_button("ส่งเป็นไอเดียใหม่")
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in malee.said_last
    restart_worker()
    malee.say("อยากให้มีถังขยะแยกประเภทหน้าตลาดบางรักอีก 5 จุด")
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 3)" in malee.said_last


def test_english_resident_sees_english_carousel(chat):
    chat.onboarded("บางรัก").say(LIGHTS_30)
    bob = chat.onboarded("บางรัก", language="en")
    bob.say(LIGHTS_32)
    assert "There are ideas on the same topic in Bang Rak already" in bob.said_last
    assert [b["label"] for b in bob.buttons()] == ["Support this idea", "Send mine as new"]
    bob.tap_button("Support this idea")
    assert "now has 2 supporters" in bob.said_last


def test_three_suggestions_at_most_one_per_cluster(chat, db):
    texts = [f"ไฟส่องสว่างในซอยเจริญกรุง {n} ดับหลายดวง กลางคืนมืดมาก" for n in (30, 34, 36, 38, 40)]
    for text in texts:
        chat.onboarded("บางรัก").say(text)
    clusters = db.execute("SELECT count(DISTINCT cluster_id) FROM cluster_members").fetchone()[0]
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)
    assert 1 <= len(malee.bubbles()) <= min(3, clusters)


# --- the search itself and its threshold ------------------------------------------------


def test_similar_search_is_the_exact_cosine_of_grouping_vectors(db):
    """The SQL ranking equals numpy's cosine between grouping (unit) vectors."""
    from pb import processes

    rng = np.random.default_rng(0)
    groupings = rng.normal(size=(6, GROUPING_DIM)).astype(np.float32)
    groupings /= np.linalg.norm(groupings, axis=1, keepdims=True)
    pid = processes.current_id(db)
    for k, grouping in enumerate(groupings):
        idea_id, _ = ideas.insert(db, process_id=pid, resident_id=None, district="บางรัก",
                                  text=f"idea {k}", normalised_text=f"idea {k}",
                                  webhook_event_id=f"e{k}")
        ideas.store_embedding(db, idea_id, "m", grouping)
    ideas.set_status(db, 6, "withdrawn")
    query = groupings[0] + 0.3 * groupings[1]
    query /= np.linalg.norm(query)
    found = ideas.similar_in_district(db, process_id=pid, district="บางรัก", model="m",
                                      grouping=query, limit=10)
    expected = groupings[:5] @ query
    assert [f.id for f in found] == [int(i) + 1 for i in np.argsort(-expected)]
    np.testing.assert_allclose([f.similarity for f in found], np.sort(expected)[::-1], atol=1e-4)
    assert ideas.similar_in_district(db, process_id=pid, district="จตุจักร", model="m",
                                     grouping=query) == []


@pytest.mark.model
def test_e5_paraphrase_passes_the_threshold_and_another_topic_does_not():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from nlp.clustering import mean_for
    from nlp.embedder import load_embedder

    e5 = load_embedder("e5", Path(os.environ.get("SIANG_MODEL_CACHE") or REPO / "var/test-models"))
    raw = e5.encode([LIGHTS_30, "ไฟถนนในซอยเจริญกรุง 32 ดับ มืดมากตอนกลางคืน อันตราย", CANAL])
    from nlp.represent import for_embedder
    from nlp.similar_rule import rule_for

    texts = [LIGHTS_30, "ไฟถนนในซอยเจริญกรุง 32 ดับ มืดมากตอนกลางคืน อันตราย", CANAL]
    g = for_embedder(e5.name).transform(texts, raw)
    # near each other, a paraphrase is the same problem; another topic is not
    assert g[0] @ g[1] >= rule_for(e5.name).near_min > g[0] @ g[2]


# --- issue 15: place first --------------------------------------------------

POTHOLE = "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมาก"
POTHOLE_AGAIN = "หลุมใหญ่บนถนนเจริญกรุงตรงปากซอย 30 อันตรายมาก ช่วยซ่อมด้วย"
SOI_30 = (13.7262, 100.5146)          # Charoen Krung Soi 30, Bang Rak
SOI_30_ACROSS = (13.7264, 100.5148)   # ~30 m away
SOI_61 = (13.7190, 100.5200)          # ~1 km away, still Bang Rak


def test_pothole_with_a_location_is_shown_the_report_near_you(chat, db):
    somchai = chat.onboarded("บางรัก")
    somchai.send_location(*SOI_30)
    somchai.say(POTHOLE)
    assert "แนบตำแหน่งกับไอเดียนี้แล้วค่ะ" in somchai.said_last

    malee = chat.onboarded("บางรัก")
    malee.send_location(*SOI_30_ACROSS)
    assert "ตำแหน่งจะแนบกับไอเดียถัดไปของคุณค่ะ" in malee.said_last
    malee.say(POTHOLE_AGAIN)
    assert "มีคนแจ้งเรื่องที่คล้ายกันใกล้ตำแหน่งของคุณแล้วค่ะ" in malee.said_last
    (bubble,) = malee.bubble_texts()
    assert "ใกล้คุณ 1/1" in bubble and POTHOLE in bubble
    malee.tap_button("สนับสนุนไอเดียนี้")
    assert "ตอนนี้มีผู้สนับสนุน 2 คน" in malee.said_last
    assert count(db, "ideas") == 1
    assert db.execute("SELECT resident_id, idea_id FROM supports").fetchall() == [(2, 1)]


def test_pothole_without_a_location_is_stored_then_a_location_finds_the_one_near(chat, db):
    somchai = chat.onboarded("บางรัก")
    somchai.send_location(*SOI_30)
    somchai.say(POTHOLE)

    dang = chat.onboarded("บางรัก")
    dang.say(POTHOLE_AGAIN)     # the same problem in other words: text alone does not show it
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in dang.said_last
    assert "ส่งตำแหน่งมาด้วยได้นะคะ (ไม่บังคับ)" in dang.said_last
    assert [(a["type"], a["label"]) for a in dang.quick_replies()] == [("location", "ส่งตำแหน่ง")]

    dang.send_location(*SOI_30_ACROSS)
    assert "บันทึกตำแหน่งของไอเดียเลขที่ 2 แล้วค่ะ" in dang.said_last
    assert "มีคนแจ้งเรื่องที่คล้ายกันใกล้ตำแหน่งนี้แล้วค่ะ" in dang.said_last
    assert [b["label"] for b in dang.buttons()] == ["สนับสนุนแทน", "เก็บไอเดียของฉันไว้"]
    carousel = dang.last
    dang.tap_button("สนับสนุนแทน")
    assert "ไอเดียเลขที่ 2 ของคุณรวมกับไอเดียนี้แล้ว" in dang.said_last
    assert "มีผู้สนับสนุน 2 คน" in dang.said_last
    assert db.execute("SELECT status, duplicate_of FROM ideas WHERE id = 2").fetchone() == ("merged", 1)
    assert db.execute("SELECT resident_id, idea_id FROM supports").fetchall() == [(2, 1)]
    dang.last = carousel
    dang.tap_button("สนับสนุนแทน")          # a second tap changes nothing
    assert "ตัวเลือกนี้ใช้ไปแล้วหรือหมดอายุแล้ว" in dang.said_last


def test_a_far_pothole_is_not_near_you_and_can_be_kept(chat, db):
    somchai = chat.onboarded("บางรัก")
    somchai.send_location(*SOI_30)
    somchai.say(POTHOLE)
    far = chat.onboarded("บางรัก")
    far.send_location(*SOI_61)
    far.say(POTHOLE_AGAIN)
    assert "ได้รับไอเดียของคุณแล้วค่ะ (ไอเดียเลขที่ 2)" in far.said_last
    assert "แนบตำแหน่งกับไอเดียนี้แล้วค่ะ" in far.said_last
    assert "ส่งตำแหน่งมาด้วย" not in far.said_last   # it has one already


def test_an_idea_sent_because_the_resident_moved_on_leaves_the_held_location(chat, db):
    """Issue 14 finding 9: the location shared for the next idea stays with the next idea."""
    chat.onboarded("บางรัก").say(LIGHTS_30)
    malee = chat.onboarded("บางรัก")
    malee.say(LIGHTS_32)                         # carousel: waiting for her choice
    malee.send_location(*SOI_30)
    assert "ตำแหน่งจะแนบกับไอเดียถัดไปของคุณค่ะ" in malee.said_last
    malee.say(CANAL)                             # she moved on: LIGHTS_32 is sent as new
    assert "ไอเดียก่อนหน้าของคุณส่งเป็นไอเดียใหม่แล้วค่ะ (ไอเดียเลขที่ 2)" in malee.said_last
    assert "แนบตำแหน่งกับไอเดียนี้แล้วค่ะ" in malee.said_last
    located = db.execute("SELECT id, latitude IS NOT NULL FROM ideas ORDER BY id").fetchall()
    assert located == [(1, False), (2, False), (3, True)]


def test_staff_mark_a_duplicate_moves_supports_and_tells_the_author_once(chat, db):
    from pb import duplicates
    from pb.scope import Scope

    chat.onboarded("บางรัก").say(CANAL)
    author = chat.onboarded("บางรัก")
    author.say(LIGHTS_30)
    fan = chat.onboarded("บางรัก")
    fan.say(LIGHTS_32)
    fan.tap_button("สนับสนุนไอเดียนี้")           # fan supports idea 2
    compose = lambda lang, original, text: [{"type": "text", "text": f"{original}:{text[:10]}"}]
    with db.transaction():
        moved, outbox_id = duplicates.mark(db, Scope.system(), 2, 1, compose)
    assert moved == 1 and outbox_id is not None
    assert db.execute("SELECT status, duplicate_of FROM ideas WHERE id = 2").fetchone() == ("merged", 1)
    assert sorted(db.execute("SELECT resident_id, idea_id FROM supports").fetchall()) == [(2, 1), (3, 1)]
    with db.transaction(), pytest.raises(duplicates.DuplicateError):
        duplicates.mark(db, Scope.system(), 2, 1, compose)     # told once: it is merged now
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'push'").fetchone()[0] == 1


def test_staff_settings_change_the_rule_of_a_process(db):
    from nlp.similar_rule import rule_for
    from pb import processes, similar_settings

    pid = processes.current_id(db)
    assert similar_settings.get(db, pid, "fake-trigram-384") == rule_for("fake-trigram-384")
    similar_settings.save(db, pid, "fake-trigram-384", radius_m=150, near_min=0.5, topic_min=None,
                          staff_id=None)
    got = similar_settings.get(db, pid, "fake-trigram-384")
    assert (got.radius_m, got.near_min, got.topic_min) == (150, 0.5, None)
    with pytest.raises(ValueError):
        similar_settings.save(db, pid, "fake-trigram-384", radius_m=1, near_min=0.5,
                              topic_min=None, staff_id=None)


def test_admin_sets_the_rule_beside_the_curve_and_marks_a_repeat(stack, db, chat, accounts, sim):
    from tests.admin_support import StaffClient

    chat.onboarded("บางรัก").say(CANAL)
    author = chat.onboarded("บางรัก")
    author.say(LIGHTS_30)
    admin = StaffClient(stack["app"], "admin")
    page = admin.get("/admin/similar")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "การตรวจไอเดียที่คล้ายกัน" in html and "วัดจากเขตที่กันไว้ทดสอบ" in html
    saved = admin.post("/admin/similar", {"radius_m": "200", "near_min": "0.55", "topic_off": "1"})
    assert saved.status_code == 303
    assert db.execute("SELECT radius_m, near_min, topic_min FROM similar_rule_settings"
                      ).fetchone() == (200, 0.55, None)
    officer = StaffClient(stack["app"], "somchai")    # an officer of ทุ่งครุ
    assert officer.post("/admin/similar", {"radius_m": "300", "near_min": "0.5"}).status_code == 403
    assert officer.get("/admin/ideas/2/duplicate").status_code == 404
    sim.reset_calls()
    done = admin.post("/admin/ideas/2/duplicate", {"original": "1"})
    assert done.status_code == 303
    assert db.execute("SELECT status, duplicate_of FROM ideas WHERE id = 2").fetchone() == ("merged", 1)
    again = admin.post("/admin/ideas/2/duplicate", {"original": "1"})
    assert again.status_code == 400    # already a repeat: refused, nothing is sent twice
    assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'push'").fetchone()[0] == 1
