"""Helpers for the district hearing tests (issue 18): a hearing made and opened as staff would."""

from __future__ import annotations

import datetime as dt

import psycopg

from bot import hearing_notices
from pb import hearings
from pb.hearing_questions import SessionDraft, parse_questions
from pb.scope import Scope
from pb.thaidate import BANGKOK

QUESTIONS = """เปิด: ท่านอยากให้เขตพัฒนาเรื่องใดเป็นอันดับแรก
เลือกหนึ่ง: ปัญหาใดกระทบท่านมากที่สุด | น้ำท่วม | ขยะ | ทางเท้า
เลือกหลาย: ท่านใช้พื้นที่สาธารณะใดบ้าง | สวนสาธารณะ | ลานกีฬา | ห้องสมุด
คะแนน: ความพึงพอใจต่อบริการของสำนักงานเขต"""


def make_hearing(conn: psycopg.Connection, area: str = "บางรัก", *, questions: str = QUESTIONS,
                 capacity: int | None = None, session_in_days: int = 5,
                 scope: Scope | None = None, open_it: bool = True, title: str = "") -> int:
    """A hearing open from yesterday for ten days (committed); with ``capacity``, a
    session ``session_in_days`` from now at 18:00 Bangkok time."""
    today = dt.datetime.now(BANGKOK).date()
    session = None
    if capacity is not None:
        day = today + dt.timedelta(days=session_in_days)
        session = SessionDraft("ห้องประชุมสำนักงานเขต ชั้น 2",
                               dt.datetime.combine(day, dt.time(18, 0), tzinfo=BANGKOK), capacity)
    scope = scope or Scope.system()
    hearing_id = hearings.create(conn, scope, hearings.HearingFields(
        title=title or f"รับฟังความคิดเห็นทิศทางการพัฒนา{area}", area=area,
        opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=10),
        questions=parse_questions(questions), session=session))
    if open_it:
        found = hearings.load(conn, hearing_id)
        assert found is not None
        n = len(hearings.questions_of(conn, hearing_id))
        hearings.open_(conn, scope, hearing_id, found.version,
                       lambda language: hearing_notices.invitation(found, n, language))
    conn.commit()
    return hearing_id


def start_data(hearing_id: int) -> str:
    return f"a=hear&c=start&p={hearing_id}"
