"""Demo seed: one district public hearing held by a BMA district group, answered by the
demo's residents with real Traffy Fondue texts, its open answers grouped (issue 18).

The hearing belongs to the district group (:data:`pb.districts.DISTRICT_GROUPS`) of the
first given district that has reports in ``data/traffy_sample/ideas_sample.csv``. It is
opened as staff open one (its residents are invited through the outbox) and has an
in-person session. Every resident of the group who consented answers (up to
:data:`ANSWERS_MAX`): the open question with the text of their idea (a real Traffy
report), or, for a resident who sent none, a Traffy text of the group, with the grouping
vector the worker stored for that text, so the answers are grouped as ideas are (plain
residents and no stored vectors: a model-free trigram embedding, :func:`_open_answers`);
the single choice with the report's Traffy category; a rating.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import psycopg

from bot import catalog, hearing_notices
from bot import messages as m
from nlp.embedder import FakeEmbedder
from nlp.represent import for_embedder
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
    people = _answerers(conn, members)
    texts, vectors, model = _open_answers(conn, members, [p[0] for p in people], by_text, top)
    answers = registered = 0
    session = hearing_answers.session_of(conn, hearing_id)
    assert session is not None
    for (resident_id, home, user_id, language), text, vector in zip(people, texts, vectors):
        hearing_answers.save(conn, open_q, resident_id, home, text=text[:2000], grouping=vector,
                             model_name=model)
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
    return {"hearings": 1, "questions": 3, "respondents": len(people), "answers": answers,
            "answer_groups": groups, "invited": invited, "registered": registered}


def _answerers(conn: psycopg.Connection, members: tuple[str, ...]
               ) -> list[tuple[int, str, str, str]]:
    """(resident id, district, LINE user id, language) of up to :data:`ANSWERS_MAX`
    residents of the group who consented (PDPA: only they may take part), those who sent
    an idea first."""
    rows = conn.execute(
        """SELECT r.id, r.district, r.line_user_id, r.language FROM residents r
            WHERE r.district = ANY(%s) AND r.consent_at IS NOT NULL
              AND r.line_user_id IS NOT NULL
            ORDER BY EXISTS (SELECT 1 FROM ideas i WHERE i.resident_id = r.id
                                AND i.status = 'active') DESC, r.id
            LIMIT %s""", (list(members), ANSWERS_MAX)).fetchall()
    return [(int(r[0]), r[1], r[2], r[3]) for r in rows]


def _open_answers(conn: psycopg.Connection, members: tuple[str, ...], resident_ids: list[int],
                  by_text: dict[str, str], top: list[str]
                  ) -> tuple[list[str], list[list[float]], str]:
    """Each answerer's open answer, its grouping vector and the vectors' model name.

    A resident who sent an idea answers with its text; the others with the group's
    stored idea texts, or with its Traffy reports when none is stored (the most reported
    categories first, so neighbours in the list say much the same). The vectors are the
    ideas' stored grouping vectors when every answer has one of the same model (the
    worker's embedder); otherwise all answers are embedded here with the model-free
    :class:`nlp.embedder.FakeEmbedder` (character trigrams) so they can still be grouped
    (:func:`pb.hearing_results.group_texts`).
    """
    own = dict(conn.execute(
        """SELECT DISTINCT ON (resident_id) resident_id, text FROM ideas
            WHERE resident_id = ANY(%s) AND status = 'active'
            ORDER BY resident_id, id""", (resident_ids,)).fetchall())
    pool = [r[0] for r in conn.execute(
        """SELECT i.text FROM ideas i WHERE i.district = ANY(%s) AND i.status = 'active'
            ORDER BY i.id LIMIT %s""", (list(members), ANSWERS_MAX)).fetchall()]
    if not pool:
        rank = {c: n for n, c in enumerate(top)}
        pool = sorted((t for t in by_text if 10 <= len(t) <= 500),
                      key=lambda t: rank.get(by_text[t], len(rank)))
    pool = pool or ["อยากให้สำนักงานเขตดูแลความสะอาดและทางเท้าในชุมชน"]
    others = iter(range(len(resident_ids)))
    texts = [own[r] if r in own else pool[next(others) % len(pool)] for r in resident_ids]
    stored = {text: (list(vector), model) for text, vector, model in conn.execute(
        """SELECT DISTINCT ON (i.text) i.text, e.grouping::real[], e.model
             FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id
            WHERE i.text = ANY(%s) AND e.grouping IS NOT NULL
            ORDER BY i.text, i.id""", (texts,)).fetchall()}
    models = {stored[t][1] for t in texts if t in stored}
    if texts and all(t in stored for t in texts) and len(models) == 1:
        return texts, [stored[t][0] for t in texts], models.pop()
    embedder = FakeEmbedder()
    vectors = for_embedder(embedder.name).transform(texts, embedder.encode(texts)) \
        if texts else []
    return texts, [[float(x) for x in row] for row in vectors], embedder.name
