"""A hearing's questions and in-person session: their types and the staff form's text.

Staff write the questions one per line (no script needed in the admin form)::

    เปิด: ท่านอยากให้เขตพัฒนาเรื่องใดเป็นอันดับแรก
    เลือกหนึ่ง: ปัญหาใดกระทบท่านมากที่สุด | น้ำท่วม | ขยะ | ทางเท้า
    เลือกหลาย: ท่านใช้พื้นที่สาธารณะใดบ้าง | สวนสาธารณะ | ลานกีฬา | ห้องสมุด
    คะแนน: ความพึงพอใจต่อบริการของสำนักงานเขต

The English words ``open``, ``single``, ``multi`` and ``rating`` work as well.
Kinds: open text, single choice, multiple choice (2–10 options of ≤60 characters),
rating 1–5 (issue 18).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

KINDS = ("open", "single", "multi", "rating")
MAX_QUESTIONS = 20
MAX_OPTIONS = 10
OPTION_MAX = 60
PROMPT_MAX = 500
#: Line prefixes (lower case) → kind.
PREFIXES: dict[str, str] = {
    "open": "open", "เปิด": "open", "ข้อความ": "open",
    "single": "single", "เลือกหนึ่ง": "single", "เลือกข้อเดียว": "single",
    "multi": "multi", "multiple": "multi", "เลือกหลาย": "multi", "เลือกได้หลายข้อ": "multi",
    "rating": "rating", "คะแนน": "rating",
}


class HearingError(ValueError):
    """Bad hearing input or a step not allowed now; nothing changed.

    Attributes:
        code: stable name the admin translates (``admin.hearings.ERRORS``).
        values: values for that message.
    """

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(f"{code} {values}" if values else code)
        self.code, self.values = code, values


@dataclass
class QuestionDraft:
    kind: str
    prompt: str
    options: list[str] = field(default_factory=list)


@dataclass
class Question:
    """A stored question; ``options`` are indexed from 0 in answers."""

    id: int
    process_id: int
    position: int
    kind: str
    prompt: str
    options: list[str]

    @property
    def is_choice(self) -> bool:
        return self.kind in ("single", "multi")


@dataclass
class SessionDraft:
    """An in-person session: place, start (timezone-aware), capacity (people)."""

    place: str
    starts_at: dt.datetime
    capacity: int


def parse_questions(text: str) -> list[QuestionDraft]:
    """The questions of the staff form's text, one per non-empty line.

    Raises:
        HearingError: ``bad_question_line`` (line=n: no known kind before ":"),
            ``question_too_long``, ``too_few_options`` / ``too_many_options`` /
            ``option_too_long`` (line=n), ``options_not_allowed`` (line=n),
            ``too_many_questions``.
    """
    out: list[QuestionDraft] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        kind = PREFIXES.get(head.strip().lower())
        if not sep or kind is None:
            raise HearingError("bad_question_line", line=number)
        parts = [" ".join(p.split()) for p in rest.split("|")]
        prompt, options = parts[0], [p for p in parts[1:] if p]
        if not prompt or len(prompt) > PROMPT_MAX:
            raise HearingError("question_too_long", line=number, limit=PROMPT_MAX)
        if kind in ("single", "multi"):
            if len(options) < 2:
                raise HearingError("too_few_options", line=number)
            if len(options) > MAX_OPTIONS:
                raise HearingError("too_many_options", line=number, limit=MAX_OPTIONS)
            if any(len(o) > OPTION_MAX for o in options):
                raise HearingError("option_too_long", line=number, limit=OPTION_MAX)
        elif options:
            raise HearingError("options_not_allowed", line=number)
        out.append(QuestionDraft(kind, prompt, options))
    if len(out) > MAX_QUESTIONS:
        raise HearingError("too_many_questions", limit=MAX_QUESTIONS)
    return out


#: The Thai line prefix the form shows for each kind (:func:`questions_text`).
THAI_PREFIX = {"open": "เปิด", "single": "เลือกหนึ่ง", "multi": "เลือกหลาย", "rating": "คะแนน"}


def questions_text(questions: list[QuestionDraft]) -> str:
    """The staff form's text of ``questions`` (the inverse of :func:`parse_questions`):
    one line each, a Thai kind prefix, choice options after ``|``."""
    return "\n".join(" | ".join([f"{THAI_PREFIX[q.kind]}: {q.prompt}", *q.options])
                     for q in questions)


def check_session(place: str, starts_at: dt.datetime | None, capacity: int | None
                  ) -> SessionDraft | None:
    """The session of the form, or None when all three fields are empty.

    Raises:
        HearingError("session_incomplete"): some but not all fields given, or a
            capacity outside 1–100,000.
    """
    place = " ".join((place or "").split())
    if not place and starts_at is None and not capacity:
        return None
    if not place or starts_at is None or not capacity or not 1 <= capacity <= 100_000 \
            or len(place) > 300:
        raise HearingError("session_incomplete")
    return SessionDraft(place, starts_at, int(capacity))
