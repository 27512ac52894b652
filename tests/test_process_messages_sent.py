"""One home for multicast notices (pb.multicast), and the notices of hearings, council
responses and community plans listed in "Messages sent" (issue 18, migration 0021)."""

from __future__ import annotations

import numpy as np
import pytest

from pb import communities, community_plan_review as review, community_plans as plans
from pb import council_questions, multicast, sent_messages
from pb.scope import Scope
from tests.admin_support import HOME, OTHER, accounts, resident, signed_in  # noqa: F401
from tests.council_support import open_meeting
from tests.hearing_support import make_hearing

TEXT = [{"type": "text", "text": "ข่าวถึงท่าน"}]


def _topics(db) -> dict[str, tuple[int, int | None, int | None]]:
    """topic → (residents, process id, community id) of the tagged rows."""
    rows = db.execute("SELECT topic, sum(recipients), max(process_id), max(community_id) "
                      "FROM sent_messages GROUP BY topic").fetchall()
    db.commit()
    return {r[0]: (int(r[1]), r[2], r[3]) for r in rows}


def test_write_splits_by_language_and_500_and_tags_each_row(db):
    people = ([(f"U{i:032x}", "th") for i in range(600)]
              + [(f"U{i:032x}", "en") for i in range(600, 900)]
              + [(f"U{i:032x}", "fr") for i in range(900, 1001)])      # no texts: Thai
    composed = []
    batches = multicast.write(db, people, lambda language: composed.append(language) or [
        {"type": "text", "text": language}], topic="round_open", district=HOME)
    assert composed == ["en", "th"]
    assert [(b.language, len(b.members)) for b in batches] == [("en", 300), ("th", 500),
                                                               ("th", 201)]
    rows = db.execute("SELECT kind, cardinality(recipients), messages -> 0 ->> 'text' "
                      "FROM outbox ORDER BY id").fetchall()
    assert rows == [("multicast", 300, "en"), ("multicast", 500, "th"), ("multicast", 201, "th")]
    assert _topics(db) == {"round_open": (1001, None, None)}
    with pytest.raises(ValueError):
        multicast.write(db, people, lambda language: TEXT, batch_size=501)
    with pytest.raises(ValueError):
        multicast.write(db, people, lambda language: TEXT * 6)


def test_hearing_council_and_community_notices_are_listed_in_messages_sent(db, signed_in):
    people = [resident(db, f"U{i:032x}", HOME) for i in range(3)]
    resident(db, "U" + "f" * 32, OTHER)
    hearing_id = make_hearing(db, HOME, title="รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ")
    assert _topics(db)["hearing_invite"] == (3, hearing_id, None)

    meeting = open_meeting(db, HOME)
    grouping = np.zeros(384, dtype=np.float32)
    grouping[0] = 1.0
    for rid in people[:2]:
        council_questions.add(db, process_id=meeting.process_id, resident_id=rid,
                              text="ขอให้ลอกท่อระบายน้ำซอยวัด", model="test", grouping=grouping,
                              threshold=0.5)
    db.execute("UPDATE council_question_groups SET response = 'เขตจะลอกท่อเดือนหน้า' "
               "WHERE process_id = %s", (meeting.process_id,))
    told, ids = council_questions.tell_responses(
        db, meeting.process_id, HOME, lambda notice, language: [
            {"type": "text", "text": notice.response}], multicast.quiet_start(meeting.meets_at))
    assert told == 2 and len(ids) == 1
    assert council_questions.tell_responses(db, meeting.process_id, HOME,
                                            lambda notice, language: TEXT,
                                            meeting.meets_at) == (0, [])     # once each
    db.commit()
    assert _topics(db)["council_response"] == (2, meeting.process_id, None)

    communities.import_csv(db, Scope.system(),
                           "ชื่อชุมชน,เขต,ประเภท,ผู้ติดต่อ\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด,\n"
                           .encode())
    community_id = db.execute("SELECT id FROM communities").fetchone()[0]
    communities.join(db, people[0], community_id, HOME)
    committee = Scope.for_staff(None, "กรรมการ", "community", [], community_id=community_id)
    plan_id = plans.start(db, committee, community_id, 2568)
    project = plans.add_project(db, committee, plan_id, 1, plans.ProjectFields(
        "ลอกท่อระบายน้ำในชุมชน", 1, 400_000, 2568))
    plans.submit(db, committee, plan_id, 2)
    review.adopt(db, Scope.system(), plan_id, 3, {project})
    assert len(review.notify_adopted(db, plan_id, lambda language, titles: TEXT)) == 1
    db.commit()
    process_id = plans.get(db, committee, plan_id).process_id
    db.commit()
    assert _topics(db)["community_plan_adopted"] == (1, process_id, community_id)

    groups = {g.topic: g for g in sent_messages.summary(db, Scope.system())}
    db.commit()
    assert groups["hearing_invite"].subject == "รับฟังความคิดเห็นทิศทางการพัฒนาเขตทุ่งครุ"
    assert groups["council_response"].meeting_id == meeting.id
    assert groups["community_plan_adopted"].subject == "ชุมชนวัดทุ่งครุ"

    page = signed_in("officer").get("/admin/sent").get_data(as_text=True)
    for label in ("คำเชิญร่วมแสดงความคิดเห็นในการรับฟังความคิดเห็นของประชาชน",
                  "คำตอบของสภาคนเมืองต่อคำถามของประชาชน", "แผนพัฒนาชุมชนได้รับการรับรอง",
                  "ประชาชนที่ถามหรือสนับสนุนคำถาม"):
        assert label in page
    assert f"/admin/hearings/{hearing_id}" in page
    assert f"/admin/council/meetings/{meeting.id}" in page
    assert f"/admin/communities/{community_id}" in page
    filtered = signed_in("officer").get("/admin/sent?topic=council_response")
    assert filtered.status_code == 200
    assert "แผนพัฒนาชุมชนได้รับการรับรอง</td>" not in filtered.get_data(as_text=True)
