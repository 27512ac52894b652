"""Issue 18, with the real programmes: a hearing and a council window in "มีอะไรเปิดอยู่"
with a tap into each, and the indicator panel read from the programmes' own data
(each rule failing before the fact that meets it)."""

from __future__ import annotations

import datetime as dt

from pb import council, indicators, whats_open
from pb.scope import Scope
from tests.council_support import open_meeting
from tests.hearing_support import make_hearing

HOME, OTHER = "บางรัก", "ทุ่งครุ"


def test_a_hearing_and_a_council_window_open_with_a_tap_into_each(chat, db):
    hearing_id = make_hearing(db, HOME)
    meeting = open_meeting(db, HOME)                  # its window closes tomorrow
    make_hearing(db, OTHER, title="รับฟังความคิดเห็นเขตทุ่งครุ")
    somchai = chat.onboarded(HOME)
    somchai.say("มีอะไรเปิดอยู่")
    bubbles = somchai.bubble_texts()
    assert len(bubbles) == 2, bubbles                 # not the other district's hearing
    assert "สภาคนเมือง" in bubbles[0]                 # closes first
    assert "รับฟังความคิดเห็น" in bubbles[1] and "ทิศทางการพัฒนาบางรัก" in bubbles[1]
    items = whats_open.open_items(db, HOME)
    db.commit()
    assert [(i.kind, i.id) for i in items] == [("council", meeting.process_id),
                                              ("hearing", hearing_id)]
    somchai.tap_button("แสดงความคิดเห็น")
    assert "ข้อ 1/4: ท่านอยากให้เขตพัฒนาเรื่องใดเป็นอันดับแรก" in somchai.said_last
    somchai.say("มีอะไรเปิดอยู่")
    somchai.tap_button("ส่งคำถาม")
    assert "พิมพ์คำถาม" in somchai.said_last


def test_no_district_sees_the_city_wide_hearing_only(db, clean):
    make_hearing(db, HOME)
    city = make_hearing(db, "city", title="รับฟังความคิดเห็นทั้งกรุงเทพ")
    open_meeting(db, HOME)
    assert [(i.kind, i.id) for i in whats_open.open_items(db, None)] == [("hearing", city)]


def test_hearing_rule_needs_an_answer_from_a_resident(chat, db):
    fy = indicators.current_fiscal_year()
    hearing_id = make_hearing(db, HOME)
    before = indicators.panel(db, fy)
    assert before.unavailable == () and before.met("hearing", HOME) is False
    somchai = chat.onboarded(HOME)
    somchai.tap_data(f"a=hear&c=start&p={hearing_id}")
    somchai.say("อยากให้ขุดลอกท่อระบายน้ำก่อนหน้าฝน น้ำท่วมซอยทุกปี")
    after = indicators.panel(db, fy)
    assert after.met("hearing", HOME) is True and after.met("hearing", OTHER) is False
    assert after.indicators["hearing"].percent == 2.0


def test_council_rule_needs_a_council_with_a_member(db, clean):
    fy = indicators.current_fiscal_year()
    system = Scope.system()
    with db.transaction():
        council_id = council.create_council(db, system, OTHER, "สภาคนเมืองเขตทุ่งครุ",
                                            dt.date.today() - dt.timedelta(days=30))
    assert indicators.panel(db, fy).met("council", OTHER) is False      # no member yet
    with db.transaction():
        council.add_member(db, system, council_id, "นายสมชาย ใจดี", "ชุมชนริมคลอง",
                           dt.date.today() - dt.timedelta(days=30),
                           dt.date.today() + dt.timedelta(days=700))
    panel = indicators.panel(db, fy)
    assert panel.met("council", OTHER) is True and panel.met("council", HOME) is False
    assert panel.indicators["council"].detail["members"] == 1
    assert set(panel.indicators) == set(indicators.KEYS)             # every source answered


def test_demo_seeds_run_and_the_panel_counts_them(db, clean):
    """The demo's issue-18 step with the real seeds (siang/seeds/*.py) on a few residents."""
    from siang import demo_seeds
    from tests.voting_support import resident

    for n in range(6):
        resident(db, f"U{n:032x}", (HOME, OTHER)[n % 2])
    made = demo_seeds.run_seeds(db, [HOME, OTHER])
    db.commit()
    failed = {k: v for k, v in made.items() if not isinstance(v, dict)}
    assert failed == {}
    figures = demo_seeds.panel_figures(db)
    assert all(figures[key] is not None for key in indicators.KEYS)
    lines = "\n".join(demo_seeds.summary_lines(made, figures))
    print(lines)
    assert "FAILED" not in lines and "unavailable" not in lines
    # H-G1: plain residents (no ideas) still answer the hearing, grouped; the council met
    # every month of the fiscal year so far.
    assert made["hearing"]["respondents"] == 3 and made["hearing"]["answer_groups"] >= 1
    assert figures["hearing"]["met"] >= 1 and figures["council_monthly"]["met"] == 1
