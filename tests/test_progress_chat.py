"""Transcripts: "ความคืบหน้า" shows the projects a resident stands behind (ideas, supports,
votes) with status and percent; announcements can be turned off and back on."""

from __future__ import annotations

import datetime as dt

from bot.messages import postback_data
from tests.chatting import Resident
from tests.progress_support import file, report, world  # noqa: F401


def progress_of(resident: Resident) -> list[str]:
    return resident.tap_data(postback_data("menu", m="progress"))


def test_progress_of_the_projects_i_stand_behind(chat, db, world):
    author = Resident(chat.sim, chat.work, world.line_ids["author"])
    progress_of(author)
    assert "โครงการที่คุณส่งไอเดีย สนับสนุน หรือโหวตให้ 1 โครงการค่ะ" in author.said_last
    (card,) = author.bubble_texts()
    assert "ซ่อมถนนซอยประชาอุทิศ 45" in card and "🎉 ได้รับเลือกในการโหวต" in card
    assert "💡 จากไอเดียที่คุณส่งหรือสนับสนุน" in card
    file(db, world, report(dt.date(2025, 11, 1), 20, 250_000))
    file(db, world, report(dt.date(2026, 1, 15), 55, 400_000, narrative="ปูผิวถนนแล้ว 440 เมตร"))
    author.say("ความคืบหน้า")                       # typed, as the rich menu's words
    (card,) = author.bubble_texts()
    for expected in ("กำลังดำเนินการ", "ความคืบหน้า 55%", "เบิกจ่ายแล้ว 650,000 จาก 1,200,000 บาท",
                     "รายงานล่าสุด 15/01/2569: ปูผิวถนนแล้ว 440 เมตร"):
        assert expected in card, expected
    (button,) = author.buttons()
    assert button["type"] == "uri"
    assert button["uri"].endswith(f"/progress/project/{world.project_id}")
    # The bar is a box whose width is the percent.
    bar = [c for c in author.bubbles()[0]["body"]["contents"] if c["type"] == "box"][0]
    assert bar["contents"][0]["width"] == "55%"
    for name in ("backer", "cluster_backer", "second"):
        other = Resident(chat.sim, chat.work, world.line_ids[name])
        progress_of(other)
        assert len(other.bubbles()) == 1, name
    english = Resident(chat.sim, chat.work, world.line_ids["english"], "en")
    progress_of(english)
    assert "55% done" in english.bubble_texts()[0]


def test_nothing_yet_then_a_vote_counts(chat, db, world):
    neighbour = Resident(chat.sim, chat.work, world.line_ids["neighbour"])
    progress_of(neighbour)
    assert "ยังไม่มีความคืบหน้าของโครงการที่จะรายงานค่ะ" in neighbour.said_last
    with db.transaction():
        round_id = db.execute(
            """INSERT INTO voting_rounds (process_id, title, district, budget_baht, ballot_type,
                                          max_picks, quorum_ballots, opens_at, closes_at, state)
               VALUES (%s, 'โหวต', 'ทุ่งครุ', 2000000, 'approval', 3, 1,
                       now() - interval '2 days', now() - interval '1 day', 'closed')
               RETURNING id""", (world.process_id,)).fetchone()[0]
        rp = db.execute("""INSERT INTO round_projects (round_id, project_id, code, title, cost_baht,
                                                       position) VALUES (%s, %s, '1', 'x', 1, 1)
                           RETURNING id""", (round_id, world.project_id)).fetchone()[0]
        ballot = db.execute("INSERT INTO ballots (round_id, resident_id, source) "
                            "VALUES (%s, %s, 'chat') RETURNING id",
                            (round_id, world.residents["neighbour"])).fetchone()[0]
        db.execute("INSERT INTO ballot_choices (ballot_id, round_project_id) VALUES (%s, %s)",
                   (ballot, rp))
    db.commit()
    progress_of(neighbour)
    assert "🗳️ คุณโหวตให้โครงการนี้" in neighbour.bubble_texts()[0]


def test_turn_announcements_off_and_back_on(chat, db, world):
    author = Resident(chat.sim, chat.work, world.line_ids["author"])
    progress_of(author)
    assert "กด \"ไม่รับข่าวโครงการ\" ได้ทุกเมื่อค่ะ" in author.said_last
    author.tap("ไม่รับข่าวโครงการ")
    assert "หยุดส่งข่าวความคืบหน้าโครงการให้คุณแล้วค่ะ" in author.said_last
    opted = "SELECT announcements_opt_out FROM residents WHERE id = %s"
    assert db.execute(opted, (world.residents["author"],)).fetchone()[0] is True
    db.commit()
    progress_of(author)
    assert "ตอนนี้คุณปิดรับข่าวโครงการไว้ค่ะ" in author.said_last
    assert [a["label"] for a in author.quick_replies()] == ["รับข่าวโครงการ"]
    author.say("รับข่าวโครงการ")
    assert "เปิดรับข่าวความคืบหน้าโครงการแล้วค่ะ" in author.said_last
    assert db.execute(opted, (world.residents["author"],)).fetchone()[0] is False
