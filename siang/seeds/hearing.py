"""Demo seed: one district public hearing held by a BMA district group, answered by the
demo's residents with real Traffy Fondue texts, its open answers grouped (issue 18).

The hearing belongs to the district group (:data:`pb.districts.DISTRICT_GROUPS`) of the
first given district that has reports in ``data/traffy_sample/ideas_sample.csv``. It is
opened as staff open one (its residents are invited through the outbox) and has an
in-person session. Each resident of the group who sent an idea answers: the open
question with the text of their idea (a real Traffy report) and its grouping vector,
already computed by the worker when the idea arrived, so the answers are grouped as
ideas are; the single choice with the report's Traffy category; a rating.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import psycopg

from bot import catalog, hearing_notices
from bot import messages as m
from pb import districts as district_names
from pb import hearing_answers, hearing_results, hearings
from pb.hearing_questions import QuestionDraft, SessionDraft
from pb.scope import Scope
from pb.thaidate import BANGKOK, be_datetime

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "data" / "traffy_sample" / "ideas_sample.csv"
CHOICES = 4                 # Traffy categories offered in the single-choice question
ANSWERS_MAX = 120           # residents answering, at most
REGISTERED = 5              # residents registered for the session


def _categories(members: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """(report text → Traffy category, the group's most reported categories)."""
    by_text: dict[str, str] = {}
    with SAMPLE_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("district") in members and row.get("category"):
                by_text[" ".join((row.get("text") or "").split())] = row["category"]
    top = [c for c, _n in Counter(by_text.values()).most_common(CHOICES)]
    return by_text, top


def seed(conn: psycopg.Connection, districts: list[str]) -> dict[str, int]:
    """Seed the hearing of the group of the first of ``districts`` with Traffy reports.

    Runs in the caller's transaction. Returns counts for the demo summary:
    hearings, questions, respondents, answers, answer_groups, invited, registered.

    Raises:
        ValueError: no district given has reports in the sample.
    """
    system = Scope.system()
    for district in districts:
        group = district_names.group_of(district)
        if group is None:
            continue
        members = district_names.DISTRICT_GROUPS[group]
        by_text, top = _categories(members)
        if len(top) >= 2:
            break
    else:
        raise ValueError("no district given has Traffy reports in the sample")
    today = dt.datetime.now(BANGKOK).date()
    session_day = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(13, 0), tzinfo=BANGKOK)
    hearing_id = hearings.create(conn, system, hearings.HearingFields(
        title=f"รับฟังความคิดเห็นทิศทางการพัฒนาพื้นที่ กลุ่ม{group}",
        title_en=f"Hearing on the development of {district_names.GROUP_ENGLISH[group]}",
        intro="สำนักงานเขตในกลุ่มเขตขอรับฟังข้อเสนอของประชาชนเพื่อกำหนดทิศทางการพัฒนาพื้นที่ "
              "ผลจะนำเสนอต่อหน่วยงานและเผยแพร่ต่อสาธารณะ",
        area=f"group:{group}", opens_on=today - dt.timedelta(days=14),
        closes_on=today + dt.timedelta(days=14),
        questions=[QuestionDraft("open", "ท่านอยากเสนอให้พัฒนาหรือแก้ไขเรื่องใดในพื้นที่ของท่าน"),
                   QuestionDraft("single", "เรื่องใดเร่งด่วนที่สุดในพื้นที่ของท่าน", top),
                   QuestionDraft("rating", "ความพึงพอใจต่อการแก้ปัญหาของสำนักงานเขตในปีที่ผ่านมา")],
        session=SessionDraft(f"ห้องประชุมสำนักงานเขต{district}", session_day, 80)))
    found = hearings.load(conn, hearing_id)
    assert found is not None
    invited, _outbox_ids = hearings.open_(   # the sweeper delivers the invitations
        conn, system, hearing_id, found.version,
        lambda language: hearing_notices.invitation(found, 3, language))
    open_q, choice_q, rating_q = hearings.questions_of(conn, hearing_id)
    rows = conn.execute(
        """SELECT DISTINCT ON (i.resident_id) i.resident_id, r.district, r.line_user_id,
                  r.language, i.text, e.grouping::real[], e.model
             FROM ideas i JOIN residents r ON r.id = i.resident_id
             JOIN idea_embeddings e ON e.idea_id = i.id
            WHERE r.district = ANY(%s) AND i.status = 'active' AND r.line_user_id IS NOT NULL
            ORDER BY i.resident_id, i.id LIMIT %s""", (list(members), ANSWERS_MAX)).fetchall()
    answers = registered = 0
    session = hearing_answers.session_of(conn, hearing_id)
    assert session is not None
    for resident_id, home, user_id, language, text, grouping, model in rows:
        hearing_answers.save(conn, open_q, resident_id, home, text=text[:2000],
                             grouping=list(grouping) if grouping else None, model_name=model)
        category = by_text.get(" ".join(text.split()))
        hearing_answers.save(conn, choice_q, resident_id, home,
                             choices=[top.index(category) if category in top else 0])
        hearing_answers.save(conn, rating_q, resident_id, home, rating=1 + resident_id % 5)
        answers += 3
        if registered < REGISTERED:
            reminder = [m.text(catalog.t("hear_reminder", language, title=found.title,
                                         place=session.place, when=be_datetime(session.starts_at)))]
            registered += hearing_answers.register(conn, session.id, resident_id, user_id,
                                                   reminder) == "registered"
    groups = sum(len(r.groups) for r in hearing_results.results(conn, hearing_id))
    return {"hearings": 1, "questions": 3, "respondents": len(rows), "answers": answers,
            "answer_groups": groups, "invited": invited, "registered": registered}
