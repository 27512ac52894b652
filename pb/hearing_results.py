"""A hearing's results for staff and the public: counts for choices and ratings, open
answers grouped as ideas are grouped, and the CSV export (issue 18).

Open answers are grouped with the ideas' NLP: their grouping vectors (stored when the
worker embedded the answer, :mod:`bot.handlers.hearing`) are reclustered with
:func:`nlp.clustering.recluster` at the representation's cut
(:func:`nlp.clustering.recluster_distance`), each group is labelled with c-TF-IDF
keywords over pythainlp tokens (:func:`nlp.keywords.cluster_keywords`) and shown with
its representative answers, the medoid first (:func:`nlp.clustering.medoid`). Answers
without a vector, and groups smaller than :data:`MIN_GROUP`, are listed as "other".
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import psycopg

from nlp import clustering
from nlp.keywords import cluster_keywords
from nlp.represent import for_embedder
from pb.hearing_questions import Question
from pb.hearings import questions_of

MIN_GROUP = 2
REPRESENTATIVES = 3


@dataclass
class Group:
    """Open answers that say much the same: keywords, size, representative answers
    (the medoid first) and every answer's text."""

    keywords: list[str]
    size: int
    representatives: list[str]
    texts: list[str]


@dataclass
class QuestionResult:
    """One question's results.

    Attributes:
        counts: per option (choices) or per rating 1–5 (index 0 = rating 1).
        answered: residents who answered it.
        mean: the mean rating (ratings only).
        groups: open answers grouped, biggest first; ``other``: ungrouped texts.
    """

    question: Question
    answered: int
    counts: list[int] = field(default_factory=list)
    mean: float | None = None
    groups: list[Group] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """What each count is of: the options, or the ratings 1–5."""
        return list(self.question.options) if self.question.is_choice \
            else [str(v) for v in range(1, 6)]


def _cut(model_name: str) -> float:
    """The recluster cut for vectors of ``model_name``'s representation (the ideas' one)."""
    try:
        return clustering.recluster_distance(for_embedder(model_name).name)
    except (KeyError, FileNotFoundError):
        return clustering.RECLUSTER_DISTANCE


def group_texts(texts: list[str], vectors: list[list[float] | None], model_name: str | None
                ) -> tuple[list[Group], list[str]]:
    """Group open answers by their grouping vectors.

    Args:
        texts: n answers.
        vectors: n grouping vectors (d,) or None where an answer has none.
        model_name: the embedder that made them.

    Returns:
        (groups biggest first, texts left ungrouped).
    """
    have = [i for i, v in enumerate(vectors) if v is not None]
    other = [texts[i] for i, v in enumerate(vectors) if v is None]
    if len(have) < MIN_GROUP or model_name is None:
        return [], other + [texts[i] for i in have]
    x = np.asarray([vectors[i] for i in have], dtype=np.float32)
    labels = clustering.recluster(x, min_cluster_size=MIN_GROUP, distance_threshold=_cut(model_name))
    members: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        members.setdefault(int(label), []).append(row)
    noise = members.pop(-1, [])
    keywords = cluster_keywords({label: [texts[have[r]] for r in rows]
                                 for label, rows in [*members.items(), (-1, noise)]})
    groups = []
    for label, rows in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        centre = rows[clustering.medoid(x[rows])]
        ordered = [centre] + [r for r in rows if r != centre]
        texts_in = [texts[have[r]] for r in ordered]
        groups.append(Group(keywords.get(label, []), len(rows), texts_in[:REPRESENTATIVES],
                            texts_in))
    return groups, other + [texts[have[r]] for r in noise]


def results(conn: psycopg.Connection, hearing_id: int) -> list[QuestionResult]:
    """Every question's results, in order (no scope check: the caller's)."""
    out = []
    for question in questions_of(conn, hearing_id):
        rows = conn.execute(
            """SELECT text_answer, choices, rating, grouping, model_name FROM hearing_answers
                WHERE question_id = %s ORDER BY id""", (question.id,)).fetchall()
        result = QuestionResult(question, len(rows))
        if question.is_choice:
            tally = Counter(c for r in rows for c in (r[1] or []))
            result.counts = [tally.get(i, 0) for i in range(len(question.options))]
        elif question.kind == "rating":
            tally = Counter(int(r[2]) for r in rows if r[2] is not None)
            result.counts = [tally.get(v, 0) for v in range(1, 6)]
            result.mean = (sum(v * n for v, n in tally.items()) / len(rows)) if rows else None
        else:
            models = Counter(r[4] for r in rows if r[3] is not None)
            model = models.most_common(1)[0][0] if models else None
            result.groups, result.other = group_texts(
                [r[0] or "" for r in rows],
                [r[3] if r[3] is not None and r[4] == model else None for r in rows], model)
        out.append(result)
    return out


def respondents(conn: psycopg.Connection, hearing_id: int) -> dict[str, int]:
    """Residents who answered, by district ('' = not known), and ``total``."""
    rows = conn.execute(
        """SELECT coalesce(district, ''), count(DISTINCT coalesce(resident_id, -id))
             FROM hearing_answers WHERE process_id = %s GROUP BY 1 ORDER BY 2 DESC, 1""",
        (hearing_id,)).fetchall()
    total = conn.execute("SELECT count(DISTINCT coalesce(resident_id, -id)) FROM "
                         "hearing_answers WHERE process_id = %s", (hearing_id,)).fetchone()
    return {"total": int(total[0]) if total else 0, **{r[0]: int(r[1]) for r in rows}}


CSV_HEADER = ["question_no", "question", "kind", "answer", "rating", "district", "updated_at"]


def export_csv(conn: psycopg.Connection, hearing_id: int) -> str:
    """Every answer as CSV (UTF-8 with a BOM for Excel), no resident identifiers:
    question number and text, kind, the answer (text, or the options chosen joined
    with " | "), the rating, the district, when it was last changed (ISO 8601)."""
    questions = {q.id: q for q in questions_of(conn, hearing_id)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    rows = conn.execute(
        """SELECT question_id, text_answer, choices, rating, district, updated_at
             FROM hearing_answers WHERE process_id = %s ORDER BY question_id, id""",
        (hearing_id,)).fetchall()
    for question_id, text, choices, rating, district, updated in rows:
        question = questions[question_id]
        answer = text or " | ".join(question.options[c] for c in choices or []
                                    if 0 <= c < len(question.options))
        writer.writerow([question.position, question.prompt, question.kind, answer,
                         rating or "", district or "", updated.isoformat()])
    return "\ufeff" + buffer.getvalue()
