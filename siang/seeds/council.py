"""Demo seed: one district city council with members, a meeting held last month whose
residents' questions (real Traffy Fondue reports of the district) are grouped, on the
agenda and answered, and the next meeting taking questions now (issue 18).

The questions come from ``data/traffy_sample/ideas_sample.csv``: the busiest demo
district's reports of its most common categories, each category one question group
(Traffy's own categorisation: the demo process has no embedder loaded, and the held
meeting's window is closed, so no live question is ever grouped with them). Keywords
are computed as for ideas (:func:`pb.council_questions.groups`).
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import council, council_meetings
from pb.processes import fiscal_year_be
from pb.scope import Scope
from pb.thaidate import BANGKOK, be_date
from siang.seeds.traffy import reports_by_category

GROUPS = 4                  # categories made into question groups
PER_GROUP = 6               # questions per group, at most
MEMBERS = (
    ("นางสมใจ รักชุมชน", "ประธานชุมชนริมคลอง"),
    ("นายประยูร ค้าขาย", "ผู้ค้าตลาดสด"),
    ("นางสาวพิมพ์ชนก ใจดี", "เยาวชน"),
    ("นายสมศักดิ์ อาสา", "อาสาสมัครป้องกันภัยฝ่ายพลเรือน (อปพร.)"),
    ("นางบุญมี สุขใจ", "ผู้สูงอายุ"),
)


def seed(conn: psycopg.Connection, districts: list[str]) -> dict[str, int]:
    """Seed a council in the first of ``districts`` that has Traffy reports and no council.

    Runs in the caller's transaction. Returns counts for the demo summary:
    councils, members, meetings, questions, question_groups.

    Raises:
        ValueError: no district given has reports in the sample.
    """
    system = Scope.system()
    chosen, reports = None, {}
    for district in districts:
        reports = reports_by_category(district, GROUPS)
        if reports and council.council_of_district(conn, district) is None:
            chosen = district
            break
    if chosen is None:
        raise ValueError("no demo district with Traffy reports and no council")
    today = dt.datetime.now(BANGKOK)
    fy_first, _fy_last = council.fiscal_year_bounds(fiscal_year_be(today.date()))
    set_up = min((today - dt.timedelta(days=200)).date(), fy_first - dt.timedelta(days=30))
    council_id = council.create_council(conn, system, chosen, f"สภาคนเมืองเขต{chosen}", set_up)
    for name, group in MEMBERS:
        council.add_member(conn, system, council_id, name, group, set_up,
                           (today + dt.timedelta(days=530)).date())
    held_at = (today - dt.timedelta(days=30)).replace(hour=13, minute=30, second=0, microsecond=0)
    held_id = council_meetings.create_meeting(
        conn, system, council_id, meets_at=held_at, place=f"ห้องประชุมสำนักงานเขต{chosen} ชั้น 3",
        opens_at=held_at - dt.timedelta(days=14), closes_at=held_at - dt.timedelta(days=1))
    held = council.get_meeting(conn, system, held_id)
    conn.execute("UPDATE processes SET stage = 'open' WHERE id = %s", (held.process_id,))
    questions = 0
    group_ids: dict[int, str] = {}
    for category, texts in reports.items():
        group = conn.execute(
            "INSERT INTO council_question_groups (process_id, size) VALUES (%s, %s) RETURNING id",
            (held.process_id, min(len(texts), PER_GROUP))).fetchone()
        assert group is not None
        group_ids[int(group[0])] = category
        for text in texts[:PER_GROUP]:
            conn.execute("INSERT INTO council_questions (process_id, group_id, text) "
                         "VALUES (%s, %s, %s)", (held.process_id, group[0], text))
            questions += 1
    held = council.get_meeting(conn, system, held_id)
    council_meetings.save_agenda(
        conn, system, held_id, held.version,
        "1. รับรองรายงานการประชุมครั้งที่แล้ว\n2. เรื่องที่ประชาชนส่งผ่าน LINE\n3. เรื่องอื่น ๆ",
        list(group_ids))
    held = council.get_meeting(conn, system, held_id)
    responses = {
        group_id: (f"สำนักงานเขต{chosen}รับเรื่อง{category}ทั้งหมดเข้าวาระการประชุม "
                   f"ฝ่ายที่รับผิดชอบจะลงพื้นที่ตรวจสอบภายใน 30 วัน "
                   f"และรายงานความคืบหน้าในการประชุมครั้งถัดไปค่ะ",
                   f"The district office took every '{category}' question onto the agenda; the "
                   f"responsible section will inspect within 30 days and report at the next "
                   f"meeting.")
        for group_id, category in group_ids.items()}
    council_meetings.publish(
        conn, system, held_id, held.version,
        f"ที่ประชุมสภาคนเมืองเขต{chosen} พิจารณาเรื่องที่ประชาชนส่งผ่าน LINE {questions} เรื่อง "
        f"แบ่งเป็น {len(group_ids)} กลุ่ม ({', '.join(group_ids.values())}) "
        f"มอบหมายฝ่ายโยธาและฝ่ายรักษาความสะอาดดำเนินการ และรายงานผลในการประชุมครั้งถัดไป",
        responses)
    next_at = (today + dt.timedelta(days=14)).replace(hour=13, minute=30, second=0, microsecond=0)
    next_id = council_meetings.create_meeting(
        conn, system, council_id, meets_at=next_at, place=f"ห้องประชุมสำนักงานเขต{chosen} ชั้น 3",
        opens_at=today - dt.timedelta(hours=1), closes_at=next_at - dt.timedelta(days=1))
    upcoming = council.get_meeting(conn, system, next_id)
    council_meetings.open_window(conn, system, next_id, upcoming.version)
    monthly = _monthly_meetings(conn, system, council_id, chosen, today, held_at)
    return {"councils": 1, "members": len(MEMBERS), "meetings": 2 + monthly,
            "questions": questions, "question_groups": len(group_ids)}


def monthly_dates(today: dt.datetime, skip: dt.datetime) -> list[dt.datetime]:
    """One meeting time (Bangkok) in each month of ``today``'s fiscal year up to today,
    already past, except the month of ``skip`` (the meeting with questions).

    The BMA's council meets at least once a month (issue 18; the ``council_monthly``
    indicator, :func:`pb.council.indicator_monthly`): day 15 at 13:30 in past months,
    day 1 at 13:30 this month, or halfway through today so far if that is still ahead.
    """
    first, _last = council.fiscal_year_bounds(fiscal_year_be(today.date()))
    out = []
    year, month = first.year, first.month
    while (year, month) <= (today.year, today.month):
        start = dt.datetime(year, month, 1, tzinfo=BANGKOK)
        when = start.replace(day=15, hour=13, minute=30)
        if (year, month) == (today.year, today.month):
            when = start.replace(hour=13, minute=30)
            if when >= today - dt.timedelta(minutes=5):
                when = (start + (today - start) / 2).replace(second=0, microsecond=0)
        if (year, month) != (skip.year, skip.month):
            out.append(when)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _monthly_meetings(conn: psycopg.Connection, system: Scope, council_id: int, district: str,
                      today: dt.datetime, held_at: dt.datetime) -> int:
    """The council's other monthly meetings of this fiscal year so far, held and published
    (minutes only: the residents' questions are on the meeting of ``held_at``)."""
    made = 0
    for meets_at in monthly_dates(today, held_at):
        meeting_id = council_meetings.create_meeting(
            conn, system, council_id, meets_at=meets_at,
            place=f"ห้องประชุมสำนักงานเขต{district} ชั้น 3",
            opens_at=meets_at - dt.timedelta(days=14), closes_at=meets_at - dt.timedelta(hours=1))
        meeting = council.get_meeting(conn, system, meeting_id)
        council_meetings.publish(
            conn, system, meeting_id, meeting.version,
            f"การประชุมสภาคนเมืองเขต{district} ประจำเดือน วันที่ {be_date(meets_at)}: "
            "ติดตามความคืบหน้าการแก้ไขเรื่องที่ประชาชนแจ้งผ่าน Traffy Fondue และ LINE "
            "สำนักงานเขตรายงานผลการดำเนินงานของฝ่ายโยธาและฝ่ายรักษาความสะอาด", {})
        made += 1
    return made
