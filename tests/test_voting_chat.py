"""Voting in LINE, read like the conversation: the carousel, add and remove, the running
summary, confirm and the receipt; over-budget and over-k attempts; a change of ballot;
votes after close and out of scope; forged, stale and double-tapped buttons."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from bot.messages import POSTBACK_DATA_MAX
from linesim.rules import line_length
from tests.voting_support import (HOME, OTHER, count, end_voting, open_round, project,
                                  round_project_ids)


def _ballot(db, round_id: int) -> list[tuple]:
    rows = db.execute(
        """SELECT b.id, b.version, b.source, array_agg(rp.code ORDER BY rp.code)
             FROM ballots b JOIN ballot_choices c ON c.ballot_id = b.id
             JOIN round_projects rp ON rp.id = c.round_project_id
            WHERE b.round_id = %s GROUP BY b.id ORDER BY b.id""", (round_id,)).fetchall()
    db.commit()
    return rows


def _add_buttons(resident) -> list[dict]:
    return [a for a in resident.buttons() if parse_qsl(a["data"]) and dict(parse_qsl(a["data"])).get("c") == "add"]


@pytest.fixture
def three_projects(db):
    return [project(db, "ซ่อมถนนซอย 5", 600_000, description="ปูผิวถนนใหม่ 300 เมตร"),
            project(db, "ไฟส่องสว่างซอย 7", 500_000),
            project(db, "ลานกีฬาชุมชน", 300_000)]


def test_full_voting_conversation(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    alice = chat.onboarded(HOME)

    said = alice.say("โหวต")
    assert "โหวตโครงการเขตบางรัก 2569" in said[0] and "เลือกได้ไม่เกิน 2 โครงการ" in said[0]
    assert "คุณยังไม่ได้โหวตในรอบนี้ค่ะ" in said[0]
    bubbles = alice.bubble_texts()
    assert len(bubbles) == 3
    assert "ซ่อมถนนซอย 5" in bubbles[0] and "600,000 บาท" in bubbles[0] and "ปูผิวถนนใหม่" in bubbles[0]
    carousel = _add_buttons(alice)
    assert [a["label"] for a in carousel] == ["เลือกโครงการนี้"] * 3

    alice.tap_data(carousel[0]["data"])
    assert "เลือก \"ซ่อมถนนซอย 5\" แล้วค่ะ" in alice.said_last
    assert "เลือกแล้ว 1 จาก 2 โครงการ" in alice.said_last and "ยังไม่ได้บันทึก" in alice.said_last
    alice.tap_data(carousel[2]["data"])
    assert "เลือกแล้ว 2 จาก 2 โครงการ" in alice.said_last
    assert count(db, "SELECT count(*) FROM ballots") == 0          # nothing cast before confirm

    said = alice.tap("ยืนยันการโหวต")
    assert "บันทึกการโหวตของคุณแล้วค่ะ" in said[0] and "เปลี่ยนการโหวตได้จนถึง" in said[0]
    assert said[1].startswith("ใบรับการโหวตเลขที่")
    receipt = alice.bubble_texts()[0]
    assert "ซ่อมถนนซอย 5" in receipt and "ลานกีฬาชุมชน" in receipt and "รวม 2 โครงการ 900,000 บาท" in receipt
    codes = sorted(str(p) for p in (three_projects[0], three_projects[2]))
    assert [(r[1], r[2], r[3]) for r in _ballot(db, round_id)] == [(1, "chat", codes)]


def test_over_budget_attempt_changes_nothing(db, chat, three_projects):
    round_id = open_round(db, three_projects, ballot_type="knapsack", budget=1_000_000)
    bob = chat.onboarded(HOME)
    bob.say("โหวต")
    assert "โดยรวมค่าใช้จ่ายไม่เกิน 1,000,000 บาท" in bob.said_last
    carousel = _add_buttons(bob)

    bob.tap_data(carousel[0]["data"])                      # 600,000
    assert "ใช้งบไปแล้ว 600,000 จาก 1,000,000 บาท (เหลือ 400,000 บาท)" in bob.said_last
    bob.tap_data(carousel[1]["data"])                      # 500,000: over the envelope
    assert "เลือก \"ไฟส่องสว่างซอย 7\" ไม่ได้ค่ะ" in bob.said_last
    assert "งบที่เหลือมีอยู่ 400,000 บาท" in bob.said_last
    assert "ใช้งบไปแล้ว 600,000 จาก 1,000,000 บาท" in bob.said_last
    bob.tap_data(carousel[2]["data"])                      # 300,000 fits
    assert "ใช้งบไปแล้ว 900,000 จาก 1,000,000 บาท (เหลือ 100,000 บาท)" in bob.said_last
    bob.tap("ยืนยันการโหวต")
    assert "บันทึกการโหวตของคุณแล้วค่ะ" in bob.said_last
    assert _ballot(db, round_id)[0][3] == sorted([str(three_projects[0]), str(three_projects[2])])


def test_more_picks_than_k_are_refused(db, chat, three_projects):
    open_round(db, three_projects, k=1)
    carol = chat.onboarded(HOME)
    carol.say("โหวต")
    carousel = _add_buttons(carol)
    carol.tap_data(carousel[0]["data"])
    carol.tap_data(carousel[1]["data"])
    assert "คุณเลือกครบ 1 โครงการแล้วค่ะ" in carol.said_last
    assert "เลือกแล้ว 1 จาก 1 โครงการ" in carol.said_last


def test_change_of_ballot_keeps_one_ballot(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    dan = chat.onboarded(HOME)
    dan.say("โหวต")
    carousel = _add_buttons(dan)
    dan.tap_data(carousel[0]["data"])
    dan.tap("ยืนยันการโหวต")
    first = _ballot(db, round_id)

    said = dan.say("โหวต")
    assert "คุณโหวตแล้ว (ใบลงคะแนนเลขที่" in said[0]
    assert "✅ คุณเลือกโครงการนี้แล้ว" in dan.bubble_texts()[0]
    remove = [a for a in dan.buttons() if a["label"] == "เอาออก"]
    assert len(remove) == 1
    dan.tap_data(remove[0]["data"])
    assert "เอา \"ซ่อมถนนซอย 5\" ออกแล้วค่ะ" in dan.said_last
    dan.tap_data(carousel[1]["data"])
    dan.tap("ยืนยันการโหวต")
    assert "เปลี่ยนการโหวตของคุณแล้วค่ะ" in dan.said_last
    after = _ballot(db, round_id)
    assert len(after) == 1 and after[0][0] == first[0][0]
    assert after[0][1] == 2 and after[0][3] == [str(three_projects[1])]


def test_vote_after_close(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    erin = chat.onboarded(HOME)
    erin.say("โหวต")
    carousel = _add_buttons(erin)
    erin.tap_data(carousel[0]["data"])
    erin.tap("ยืนยันการโหวต")
    erin.say("โหวต")
    carousel = _add_buttons(erin)
    end_voting(db, round_id)

    erin.tap_data(carousel[0]["data"])
    assert "ปิดไปแล้วเมื่อ" in erin.said_last and "การโหวตที่บันทึกไว้ก่อนปิดยังนับอยู่ค่ะ" in erin.said_last
    erin.say("โหวต")
    assert "ปิดแล้วค่ะ เจ้าหน้าที่กำลังตรวจนับ" in erin.said_last
    assert len(_ballot(db, round_id)) == 1
    assert count(db, "SELECT count(*) FROM ballot_drafts") == 0


def test_vote_out_of_scope(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    frank = chat.onboarded(OTHER)

    frank.say("โหวต")
    assert "ยังไม่มีการเปิดโหวต" in frank.said_last
    first = round_project_ids(db, round_id)[0]
    frank.tap_data(f"a=vote&c=add&r={round_id}&p={first}")
    assert "รอบนี้เป็นการโหวตของผู้อยู่อาศัยในเขตบางรัก แต่เขตของคุณคือ ทุ่งครุ" in frank.said_last
    frank.tap_data(f"a=vote&c=ok&r={round_id}&v=1")
    assert "เขตของคุณคือ ทุ่งครุ" in frank.said_last
    assert count(db, "SELECT count(*) FROM ballots") == 0
    assert count(db, "SELECT count(*) FROM ballot_drafts") == 0


def test_a_city_wide_round_takes_every_district(db, chat):
    ids = [project(db, "สวนสาธารณะ", 800_000, HOME), project(db, "ทางจักรยาน", 700_000, OTHER)]
    round_id = open_round(db, ids, district=None, k=1, title="โหวตโครงการทั้งกรุงเทพฯ")
    gail = chat.onboarded(OTHER)
    gail.say("โหวต")
    assert "โหวตโครงการของทั้งกรุงเทพฯ" in gail.said_last
    gail.tap_data(_add_buttons(gail)[1]["data"])
    gail.tap("ยืนยันการโหวต")
    assert _ballot(db, round_id)[0][3] == [str(ids[1])]


def test_forged_stale_and_double_taps_change_nothing(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    other_round = open_round(db, [project(db, "ป้ายรถเมล์", 200_000)], k=1, title="รอบอื่น")
    foreign = round_project_ids(db, other_round)[0]
    hana = chat.onboarded(HOME)
    hana.say("โหวต")       # two rounds are open: choose one
    assert "ตอนนี้เปิดโหวต 2 รอบค่ะ" in hana.said_last
    titles = [a["label"] for a in hana.quick_replies()]
    assert "รอบอื่น" in titles
    hana.tap_data(f"a=vote&c=open&r={round_id}")
    carousel = _add_buttons(hana)

    for data in ("a=vote&c=zz&r=1", "a=vote&c=add", f"a=vote&c=add&r=99999&p=1",
                 f"a=vote&c=add&r={round_id}&p=abc", f"a=vote&c=add&r={round_id}&p={foreign}"):
        hana.tap_data(data)
        assert ("ปุ่มนี้ใช้ไม่ได้แล้ว" in hana.said_last or "ไม่พบรอบการโหวตนี้" in hana.said_last
                or "โครงการนี้ไม่ได้อยู่ในรอบการโหวตนี้" in hana.said_last), data
    assert count(db, "SELECT count(*) FROM ballot_drafts WHERE picks <> '{}'") == 0

    hana.tap_data(carousel[0]["data"])
    old_confirm = next(a for a in hana.quick_replies() if a["label"] == "ยืนยันการโหวต")
    hana.tap_data(carousel[0]["data"])                        # double tap: already picked
    assert "ไว้แล้วค่ะ ไม่มีอะไรเปลี่ยนแปลงค่ะ" in hana.said_last
    hana.tap_data(carousel[1]["data"])
    hana.tap_data(old_confirm["data"])                         # a summary older than the picks
    assert "ปุ่มยืนยันนี้เป็นของรายการเก่าค่ะ" in hana.said_last
    assert count(db, "SELECT count(*) FROM ballots") == 0
    confirm = next(a for a in hana.quick_replies() if a["label"] == "ยืนยันการโหวต")
    hana.tap_data(confirm["data"])
    assert "บันทึกการโหวตของคุณแล้วค่ะ" in hana.said_last
    hana.tap_data(confirm["data"])                             # double tap on confirm
    assert "บันทึกการโหวตนี้ไว้แล้วค่ะ" in hana.said_last
    rows = _ballot(db, round_id)
    assert len(rows) == 1 and rows[0][1] == 1 and len(rows[0][3]) == 2


def test_residents_without_consent_cannot_vote(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2)
    ivan = chat.resident()
    ivan.follow()
    first = round_project_ids(db, round_id)[0]
    ivan.tap_data(f"a=vote&c=add&r={round_id}&p={first}")
    assert "การโหวตต้องให้ความยินยอมและเลือกเขตที่อยู่ก่อน" in ivan.said_last
    ivan.say("โหวต")
    assert "ต้องได้รับความยินยอม" in ivan.said_last
    assert count(db, "SELECT count(*) FROM ballot_drafts") == 0


def test_a_round_not_open_yet(db, chat, three_projects):
    round_id = open_round(db, three_projects, k=2, opens_in_s=3600)
    jan = chat.onboarded(HOME)
    jan.say("โหวต")
    assert "จะเปิดวันที่" in jan.said_last
    jan.tap_data(f"a=vote&c=open&r={round_id}")
    assert "ยังไม่เปิดค่ะ" in jan.said_last


def test_many_projects_are_paginated_within_lines_limits(db, chat):
    ids = [project(db, f"โครงการปรับปรุงพื้นที่สาธารณะชุมชนที่ {n} " + "ก" * 90, 100_000 + n,
                   description="รายละเอียดยาวมาก " * 40) for n in range(1, 26)]
    open_round(db, ids, k=5, budget=10_000_000)
    kim = chat.onboarded(HOME)
    kim.say("โหวต")
    assert len(kim.bubbles()) == 12                              # 11 projects + the page bubble
    assert "หน้า 1/3" in kim.bubble_texts()[-1]
    for action in kim.buttons() + kim.quick_replies():
        assert len(action["data"]) <= POSTBACK_DATA_MAX and line_length(action["label"]) <= 40
    kim.tap_button("หน้าถัดไป")
    assert "โครงการที่ 12/25" in kim.bubble_texts()[0]
    kim.tap_button("หน้าถัดไป")
    assert len(kim.bubbles()) == 4 and "โครงการที่ 23/25" in kim.bubble_texts()[0]
    assert "หน้า 3/3" in kim.bubble_texts()[-1]


def test_english_speakers_vote_in_english(db, chat, three_projects):
    open_round(db, three_projects, ballot_type="knapsack", budget=1_000_000)
    leo = chat.onboarded(HOME, language="en")
    leo.say("vote")
    assert "pick any projects whose costs add up to at most 1,000,000 baht" in leo.said_last
    leo.tap_data(_add_buttons(leo)[2]["data"])
    assert "300,000 of 1,000,000 baht used (700,000 baht left)" in leo.said_last
    leo.tap("Confirm my vote")
    assert "Your vote is saved." in leo.said_last


@pytest.mark.parametrize("key", ["vote_add_button", "vote_remove_button", "vote_summary_button",
                                 "vote_next_button", "vote_previous_button",
                                 "vote_confirm_button", "vote_projects_button",
                                 "vote_change_button", "vote_now_button"])
def test_vote_labels_fit_lines_20_characters(key):
    from bot import catalog

    for language in ("th", "en"):
        assert line_length(catalog.t(key, language)) <= 20, (key, language)
