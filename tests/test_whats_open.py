"""Issue 18, "มีอะไรเปิดอยู่": one list of what a resident's district has open, in chat.

Transcripts through the LINE emulator. The three programmes' providers
(hearings, council, community plans) are replaced by test doubles here
(``pb.whats_open.default_providers``); tests/test_whats_open_programmes.py
runs the real ones.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handlers import whats_open as handler
from bot.handlers.dispatch import POSTBACK_ACTIONS
from pb import whats_open
from pb.processes import OpenItem
from tests.voting_support import HOME, OTHER, open_round, project

UTC = dt.timezone.utc


def _soon(days: float) -> dt.datetime:
    return dt.datetime.now(UTC) + dt.timedelta(days=days)


@pytest.fixture
def programmes(monkeypatch):
    """Replace the three programmes with doubles: ``programmes[district] = [OpenItem...]``."""
    offered: dict[str | None, list[OpenItem]] = {}

    def double(_conn, district):
        return list(offered.get(district, [])) + list(offered.get("*", []))

    monkeypatch.setattr(whats_open, "default_providers", lambda: [whats_open.pb_items, double])
    return offered


@pytest.fixture
def taps(monkeypatch):
    """Record the postbacks of the hearing (``hear``) and council (``council``) actions."""
    seen: list[dict[str, str]] = []

    def record(ctx, values):
        seen.append(values)
        from bot import messages as m
        ctx.reply(m.text(f"เริ่ม {values.get('a')} {values.get('p', '')}"))

    monkeypatch.setitem(POSTBACK_ACTIONS, "hear", record)
    monkeypatch.setitem(POSTBACK_ACTIONS, "council", record)
    return seen


def test_nothing_open_is_a_polite_thai_message_not_an_idea(chat, db, programmes):
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่")
    assert "ตอนนี้ยังไม่มีการโหวต การรับฟังความคิดเห็น หรือการเปิดรับคำถามในเขตบางรักค่ะ" \
        in somchai.said_last
    assert "มีอะไรเปิดอยู่" in somchai.said_last        # says how to ask again
    assert db.execute("SELECT count(*) FROM ideas").fetchone()[0] == 0


def test_a_round_open_shows_a_bubble_and_one_tap_opens_the_ballot(chat, db, programmes):
    ids = [project(db, "ซ่อมถนนซอย 5", 300_000), project(db, "ไฟส่องสว่างซอย 7", 200_000)]
    open_round(db, ids)
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่")
    # The round, and the city's ideas collection (its process takes ideas: open-ended, last).
    assert "ตอนนี้มี 2 เรื่องที่คุณร่วมได้ในเขตบางรัก" in somchai.said_last
    bubble, ideas = somchai.bubble_texts()
    assert "โหวตโครงการ" in bubble and "โหวตโครงการเขตบางรัก 2569" in bubble
    assert "ปิดรับ" in bubble and "/25" in bubble          # the closing time in BE
    assert "เปิดรับไอเดีย" in ideas and "ไม่มีกำหนดปิดรับ" in ideas
    somchai.tap_button("โหวต")
    assert any("ซ่อมถนนซอย 5" in b for b in somchai.bubble_texts())   # the ballot itself
    # A resident of another district sees nothing of Bang Rak's round.
    other = chat.onboarded(OTHER)
    other.say("มีอะไรเปิดอยู่")
    assert "ตอนนี้มี 1 เรื่องที่คุณร่วมได้ในเขตทุ่งครุ" in other.said_last
    assert "โหวตโครงการเขตบางรัก" not in other.said_last


def test_a_hearing_and_a_council_window_soonest_closing_first_with_a_tap_into_each(
        chat, db, programmes, taps):
    programmes[HOME] = [
        OpenItem("council", 31, "สภาคนเมืองเขตบางรัก ประชุมครั้งที่ 3: ส่งคำถาม", _soon(5),
                 "a=council&c=ask&p=31"),
        OpenItem("hearing", 12, "รับฟังความคิดเห็นทิศทางการพัฒนาเขตบางรัก", _soon(2),
                 "a=hear&c=start&p=12", title_en="Bang Rak development hearing"),
    ]
    programmes[OTHER] = [OpenItem("hearing", 99, "รับฟังเขตทุ่งครุ", _soon(1), "a=hear&p=99")]
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่บ้างคะ")
    bubbles = somchai.bubble_texts()
    assert len(bubbles) == 2
    assert "รับฟังความคิดเห็น" in bubbles[0] and "ทิศทางการพัฒนาเขตบางรัก" in bubbles[0]
    assert "สภาคนเมือง" in bubbles[1]                   # closes later: second
    assert "รับฟังเขตทุ่งครุ" not in "\n".join(bubbles)
    assert [b["label"] for b in somchai.buttons()] == ["แสดงความคิดเห็น", "ส่งคำถาม"]
    somchai.tap_button("แสดงความคิดเห็น")
    assert taps[-1] == {"a": "hear", "c": "start", "p": "12"}
    assert "เริ่ม hear 12" in somchai.said_last
    somchai.say("มีอะไรเปิดอยู่")
    somchai.tap_button("ส่งคำถาม")
    assert taps[-1] == {"a": "council", "c": "ask", "p": "31"}


def test_english_resident_reads_english_titles_and_labels(chat, programmes):
    programmes[HOME] = [OpenItem("hearing", 12, "รับฟังความคิดเห็นเขตบางรัก", _soon(2),
                                 "a=hear&p=12", title_en="Bang Rak development hearing")]
    alice = chat.onboarded(HOME, language="en")
    alice.say("What's open?")
    assert "1 thing is open to you in Bang Rak" in alice.said_last
    assert "Bang Rak development hearing" in alice.bubble_texts()[0]
    assert [b["label"] for b in alice.buttons()] == ["Give your views"]


def test_rich_menu_area_and_the_open_postback(chat, sim, programmes):
    programmes["*"] = [OpenItem("hearing", 5, "รับฟังทั้งเมือง", None, "a=hear&p=5")]
    somchai = chat.onboarded(HOME)
    somchai.tap_data("a=menu&m=open")
    assert "ไม่มีกำหนดปิดรับ" in somchai.bubble_texts()[0]
    somchai.tap_data("a=open&g=not-a-page")             # a forged page: the first page
    assert "รับฟังทั้งเมือง" in somchai.bubble_texts()[0]


def test_more_than_twelve_items_come_in_pages(chat, programmes):
    programmes[HOME] = [OpenItem("hearing", i, f"รับฟังเรื่องที่ {i}", _soon(1 + i / 10),
                                 f"a=hear&p={i}") for i in range(1, 15)]
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่")
    bubbles = somchai.bubble_texts()
    assert len(bubbles) == 12 and "รับฟังเรื่องที่ 1\n" in bubbles[0] + "\n"
    assert "ยังมีอีก 3 เรื่องค่ะ" in bubbles[-1]
    somchai.tap_button("ดูเพิ่มเติม")
    assert [b.split("\n")[1] for b in somchai.bubble_texts()] == [
        "รับฟังเรื่องที่ 12", "รับฟังเรื่องที่ 13", "รับฟังเรื่องที่ 14"]


def test_before_consent_or_district_the_resident_is_guided(chat, programmes):
    alice = chat.resident()
    alice.follow()
    alice.say("มีอะไรเปิดอยู่")
    assert "ต้องได้รับความยินยอม" in alice.said_last
    alice.tap("ยินยอม")
    alice.say("มีอะไรเปิดอยู่")
    assert "คุณอยู่เขตไหนคะ" in alice.said_last
    alice.tap_data("a=open")
    assert "คุณอยู่เขตไหนคะ" in alice.said_last


def test_a_failing_programme_does_not_hide_the_others(chat, db, monkeypatch):
    def broken(conn, _district):
        conn.execute("SELECT * FROM no_such_table")

    def fine(_conn, _district):
        return [OpenItem("council", 3, "สภาคนเมือง ส่งคำถาม", _soon(3), "a=council&p=3")]

    monkeypatch.setattr(whats_open, "default_providers",
                        lambda: [broken, whats_open.pb_items, fine])
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่")
    assert "สภาคนเมือง ส่งคำถาม" in somchai.bubble_texts()[0]


def test_ideas_collection_is_open_while_a_pb_process_takes_ideas(db, clean):
    from pb import processes

    assert whats_open.open_items(db, HOME, [whats_open.pb_items]) == []
    process_id = processes.current_id(db)
    items = whats_open.open_items(db, HOME, [whats_open.pb_items])
    assert [(i.kind, i.id, i.postback) for i in items] == [("pb", process_id, "a=menu&m=idea")]
    db.execute("UPDATE processes SET stage = 'projects' WHERE id = %s", (process_id,))
    assert whats_open.open_items(db, HOME, [whats_open.pb_items]) == []


def test_no_district_lists_city_wide_items_only(db, clean):
    open_round(db, [project(db, "ซ่อมถนน", 100_000)], k=1)                # Bang Rak's
    city = open_round(db, [project(db, "ลอกคลอง", 100_000)], k=1, district=None,
                      title="โหวตทั้งกรุงเทพ")
    db.execute("UPDATE processes SET stage = 'projects'")    # no ideas collection here
    assert [i.id for i in whats_open.open_items(db, None, [whats_open.pb_items])] == [city]
    assert len(whats_open.open_items(db, HOME, [whats_open.pb_items])) == 2


def test_duplicates_collapse_and_open_ended_items_come_last():
    same = _soon(1)
    a = OpenItem("hearing", 1, "ก", None, "a=hear&p=1")
    b = OpenItem("council", 2, "ข", same, "a=council&p=2")
    c = OpenItem("voting_round", 3, "ค", same, "a=vote&c=open&r=3")

    class Conn:                        # open_items needs only savepoints of the connection
        def transaction(self):
            import contextlib
            return contextlib.nullcontext()

    found = whats_open.open_items(Conn(), HOME, [lambda *_: [a, b], lambda *_: [a, c]])
    # Same closing time: a vote before a council window; open-ended last; each once.
    assert [i.id for i in found] == [3, 2, 1]


@pytest.mark.parametrize("typed", [
    "มีอะไรเปิดอยู่", "มีอะไรเปิดอยู่บ้าง", "มีอะไร เปิดอยู่ บ้างคะ", "มีอะไรเปิดอยู่ครับ?",
    "มีอะไรเปิดอยุ่", "อะไรเปิดอยู่", "what's open", "What’s open?", "whats open", "WHAT IS OPEN",
])
def test_typed_variants_are_understood(typed):
    assert handler.is_request(typed)


@pytest.mark.parametrize("typed", [
    "", "เปิด", "ถนนซอยประชาอุทิศ 45 เปิดอยู่ทั้งคืน มีอะไรเปิดอยู่ก็ไม่รู้ เสียงดังมาก",
    "open the park at night", "ไฟดับ", "มีไฟเปิดอยู่", "ประตูเปิดอยู่", "ร้านเปิดอยู่",
])
def test_ideas_are_not_taken_for_the_command(typed):
    assert not handler.is_request(typed)


def test_help_names_the_command_and_offers_it_as_a_quick_reply(chat, programmes):
    programmes[HOME] = [OpenItem("council", 3, "สภาคนเมือง ส่งคำถาม", _soon(3), "a=council&p=3")]
    somchai = chat.onboarded(HOME)
    somchai.say("ช่วยเหลือ")
    assert "พิมพ์ \"มีอะไรเปิดอยู่\"" in somchai.said_last
    somchai.tap("มีอะไรเปิดอยู่")
    assert "สภาคนเมือง ส่งคำถาม" in somchai.bubble_texts()[0]
