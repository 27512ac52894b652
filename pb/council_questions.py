"""Residents' questions to a district city council meeting, grouped like ideas (issue 18).

During a meeting's question window (its ``council`` process is open) a
resident of the district sends a question or topic in chat
(:mod:`bot.handlers.council`). It is grouped with the same NLP as ideas:
its grouping vector (``nlp.represent``, the context's embedder) joins the
nearest question group of the meeting when the cosine reaches the embedder's
threshold (:func:`nlp.centroids.assign`), else starts a new group; group
centroids are running means (:func:`nlp.centroids.update_centroid`). Before
a question is stored, :func:`similar` finds questions already asked that may
be the same, and the resident may support one instead (once each,
:func:`support`). Staff see each group with its counts and c-TF-IDF keywords
(:func:`nlp.keywords.cluster_keywords`), build the agenda from them and
answer each group (:mod:`pb.council`); :func:`claim_response_notices` then
picks, once per (group, resident), everyone who asked or supported a
question of the group, to be told that group's response.

Erase-my-data (:mod:`pb.erasure`) deletes or anonymises a resident's
questions and supports (:func:`erase_resident`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import class_row

from nlp.centroids import assign, centre, remove_from_centroid, update_centroid
from nlp.keywords import cluster_keywords
from nlp.similar_rule import one_per_group
from pb import multicast
from pb.topic_terms import thai_term
from pb.vectors import as_array, register as register_vectors

MAX_CHARS = 1000           # a question longer than this is cut short in chat, not stored
KEYWORDS = 5               # keywords shown per group
SAMPLES = 3                # questions shown per group on the staff page


@dataclass
class SimilarQuestion:
    """A question already asked, as shown to a resident about to ask theirs."""

    id: int
    text: str
    group_id: int | None
    similarity: float


@dataclass
class QuestionGroup:
    """A group of similar questions, for staff and the public page.

    Attributes:
        questions: questions in the group.
        supporters: residents who supported one of them (not counting the askers).
        keywords: c-TF-IDF keywords over the group's texts, best first.
        samples: up to :data:`SAMPLES` question texts, oldest first.
    """

    id: int
    process_id: int
    size: int
    on_agenda: bool
    agenda_order: int | None
    response: str
    response_en: str
    questions: int = 0
    supporters: int = 0
    keywords: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    @property
    def weight(self) -> int:
        """Residents behind the group: askers plus supporters."""
        return self.questions + self.supporters


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return centre(vector, np.zeros_like(vector))        # a zero mean only re-normalises


def similar(conn: psycopg.Connection, process_id: int, grouping: np.ndarray, model: str, *,
            min_similarity: float, exclude_resident: int | None = None, limit: int = 3
            ) -> list[SimilarQuestion]:
    """Questions of the meeting most similar to a new one, best first, one per group.

    Args:
        grouping: the new question's grouping vector, (384,) float32 (``ctx.embed``).
        model: embedder name; only vectors of the same model are compared.
        min_similarity: cosine a question must reach (the similar-idea rule's
            ``topic_min``, :func:`nlp.similar_rule.rule_for`).
        exclude_resident: leave out this resident's own questions.
    """
    register_vectors(conn)
    with conn.cursor(row_factory=class_row(SimilarQuestion)) as cur:
        cur.execute(
            """SELECT q.id, q.text, q.group_id, -(q.grouping <#> %(v)s) AS similarity
                 FROM council_questions q
                WHERE q.process_id = %(p)s AND q.model = %(m)s AND q.grouping IS NOT NULL
                  AND (%(r)s::bigint IS NULL OR q.resident_id IS DISTINCT FROM %(r)s)
                ORDER BY q.grouping <#> %(v)s, q.id LIMIT 50""",
            {"v": _unit(grouping), "p": process_id, "m": model, "r": exclude_resident})
        found = cur.fetchall()
    close = itertools.takewhile(lambda q: q.similarity >= min_similarity, found)
    return one_per_group(close, lambda question: question.group_id, limit)


def add(conn: psycopg.Connection, *, process_id: int, resident_id: int | None, text: str,
        model: str, grouping: np.ndarray, threshold: float,
        webhook_event_id: str | None = None) -> tuple[int, int]:
    """Store a question and place it in a group (online, like an idea).

    The meeting's groups are locked for the placement (two questions arriving
    together never start two groups for one topic). The caller owns the
    transaction.

    Args:
        grouping: (384,) float32 grouping vector.
        threshold: minimum cosine to join a group (the ideas' ``assign_threshold``).
        webhook_event_id: the event that carried it; a redelivered event
            stores nothing twice.

    Returns:
        (question id, questions now in its group including it).
    """
    register_vectors(conn)
    vector = _unit(grouping)
    if webhook_event_id is not None:
        row = conn.execute("SELECT q.id, g.size FROM council_questions q LEFT JOIN "
                           "council_question_groups g ON g.id = q.group_id "
                           "WHERE q.webhook_event_id = %s", (webhook_event_id,)).fetchone()
        if row is not None:
            return int(row[0]), int(row[1] or 1)
    conn.execute("SELECT pg_advisory_xact_lock(7366516, %s::int)", (process_id % 2_000_000_000,))
    rows = conn.execute("SELECT id, centroid, size FROM council_question_groups "
                        "WHERE process_id = %s AND size > 0 AND centroid IS NOT NULL ORDER BY id", (process_id,)).fetchall()
    index = None
    if rows:
        index = assign(vector, np.stack([as_array(r[1]) for r in rows]), threshold)
    if index is None:
        group = conn.execute("INSERT INTO council_question_groups (process_id, centroid, size) "
                             "VALUES (%s, %s, 1) RETURNING id, size", (process_id, vector)
                             ).fetchone()
    else:
        group_id, centroid, size = rows[index]
        group = conn.execute(
            "UPDATE council_question_groups SET centroid = %s, size = size + 1 WHERE id = %s "
            "RETURNING id, size",
            (update_centroid(as_array(centroid), int(size), vector), group_id)).fetchone()
    assert group is not None
    row = conn.execute(
        """INSERT INTO council_questions (process_id, resident_id, group_id, webhook_event_id,
                                          text, model, grouping)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (process_id, resident_id, group[0], webhook_event_id, text, model, vector)).fetchone()
    assert row is not None
    return int(row[0]), int(group[1])


def get(conn: psycopg.Connection, question_id: int) -> tuple[int, str, int | None] | None:
    """(process id, text, asker's resident id) of a question, or None."""
    row = conn.execute("SELECT process_id, text, resident_id FROM council_questions WHERE id = %s",
                       (question_id,)).fetchone()
    return (int(row[0]), row[1], row[2]) if row else None


def support(conn: psycopg.Connection, question_id: int, resident_id: int) -> bool:
    """Record that a resident supports a question; False if they did already (once each)."""
    row = conn.execute(
        """INSERT INTO council_question_supports (question_id, resident_id) VALUES (%s, %s)
           ON CONFLICT (question_id, resident_id) DO NOTHING RETURNING 1""",
        (question_id, resident_id)).fetchone()
    return row is not None


def backers(conn: psycopg.Connection, question_ids: list[int]) -> dict[int, int]:
    """Residents behind each question: its asker plus its supporters."""
    rows = conn.execute(
        """SELECT q.id, 1 + count(s.question_id) FROM council_questions q
             LEFT JOIN council_question_supports s ON s.question_id = q.id
            WHERE q.id = ANY(%s) GROUP BY q.id""", (question_ids,)).fetchall()
    return {int(r[0]): int(r[1]) for r in rows}


def asked_by(conn: psycopg.Connection, process_id: int, resident_id: int) -> int:
    """How many questions a resident sent to this meeting."""
    row = conn.execute("SELECT count(*) FROM council_questions WHERE process_id = %s "
                       "AND resident_id = %s", (process_id, resident_id)).fetchone()
    return int(row[0]) if row else 0


def groups(conn: psycopg.Connection, process_id: int, *, search: str = "") -> list[QuestionGroup]:
    """A meeting's question groups with counts, keywords and sample questions.

    Ordered as the agenda has them, then by residents behind them (most first).

    Args:
        search: keep the groups with a question containing this text; an
            English topic word ("flood") is searched as its Thai stem
            (:func:`pb.topic_terms.thai_term`).
    """
    with conn.cursor(row_factory=class_row(QuestionGroup)) as cur:
        cur.execute(
            """SELECT g.id, g.process_id, g.size, g.on_agenda, g.agenda_order, g.response,
                      g.response_en,
                      (SELECT count(*) FROM council_questions q WHERE q.group_id = g.id)::int
                          AS questions,
                      (SELECT count(DISTINCT s.resident_id) FROM council_question_supports s
                         JOIN council_questions q ON q.id = s.question_id
                        WHERE q.group_id = g.id)::int AS supporters
                 FROM council_question_groups g WHERE g.process_id = %s AND g.size > 0""",
            (process_id,))
        found = cur.fetchall()
    texts: dict[int, list[str]] = {g.id: [] for g in found}
    for group_id, text in conn.execute(
            "SELECT group_id, text FROM council_questions WHERE process_id = %s "
            "AND group_id IS NOT NULL ORDER BY id", (process_id,)).fetchall():
        texts.setdefault(int(group_id), []).append(text)
    words = cluster_keywords(texts, top_n=KEYWORDS) if texts else {}
    for g in found:
        g.keywords = list(words.get(g.id, []))
        g.samples = texts.get(g.id, [])[:SAMPLES]
    wanted = (thai_term(search) or search).strip().lower()
    if wanted:
        found = [g for g in found if any(wanted in t.lower() for t in texts.get(g.id, []))
                 or wanted in " ".join(g.keywords).lower()]
    found.sort(key=lambda g: (not g.on_agenda, g.agenda_order or 0, -g.weight, g.id))
    return found


def count(conn: psycopg.Connection, process_id: int) -> tuple[int, int]:
    """(questions, supports) of a meeting."""
    row = conn.execute(
        """SELECT (SELECT count(*) FROM council_questions WHERE process_id = %(p)s),
                  (SELECT count(*) FROM council_question_supports s JOIN council_questions q
                      ON q.id = s.question_id WHERE q.process_id = %(p)s)""",
        {"p": process_id}).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


# --- telling residents the response -----------------------------------------------------

@dataclass
class ResponseNotice:
    """One group's response and the residents to tell it (LINE user id, language)."""

    group_id: int
    response: str
    response_en: str
    recipients: list[tuple[int, str, str]] = field(default_factory=list)


def claim_response_notices(conn: psycopg.Connection, process_id: int) -> list[ResponseNotice]:
    """Claim, once per (group, resident), who to tell each answered group's response.

    Everyone who asked or supported a question of the group, still following,
    consenting, not erased and not opted out of news (as for announcements).
    Idempotent: a resident already claimed for a group is not returned again.
    The caller owns the transaction and must write the outbox rows in it (a
    rollback gives the claims back), then :func:`record_outbox`.

    Returns:
        one notice per group with at least one resident to tell, by group id;
        recipients as (resident id, LINE user id, language).
    """
    rows = conn.execute(
        """WITH people AS (
               SELECT q.group_id, q.resident_id FROM council_questions q
                WHERE q.process_id = %(p)s AND q.resident_id IS NOT NULL
               UNION
               SELECT q.group_id, s.resident_id FROM council_question_supports s
                 JOIN council_questions q ON q.id = s.question_id
                WHERE q.process_id = %(p)s AND s.resident_id IS NOT NULL),
           reachable AS (
               SELECT p.group_id, p.resident_id FROM people p
                 JOIN council_question_groups g ON g.id = p.group_id AND g.response <> ''
                 JOIN residents r ON r.id = p.resident_id
                WHERE r.followed AND r.erased_at IS NULL AND r.consent_at IS NOT NULL
                  AND r.line_user_id IS NOT NULL AND NOT r.announcements_opt_out),
           claimed AS (
               INSERT INTO council_response_notices (group_id, resident_id)
               SELECT group_id, resident_id FROM reachable ORDER BY 1, 2
               ON CONFLICT DO NOTHING RETURNING group_id, resident_id)
           SELECT c.group_id, g.response, g.response_en, r.id, r.line_user_id, r.language
             FROM claimed c JOIN residents r ON r.id = c.resident_id
             JOIN council_question_groups g ON g.id = c.group_id
            ORDER BY c.group_id, r.id""", {"p": process_id}).fetchall()
    out: dict[int, ResponseNotice] = {}
    for group_id, response, response_en, resident_id, user_id, language in rows:
        notice = out.setdefault(int(group_id), ResponseNotice(int(group_id), response, response_en))
        notice.recipients.append((int(resident_id), user_id, language))
    return list(out.values())


def record_outbox(conn: psycopg.Connection, group_id: int, resident_ids: Iterable[int],
                  outbox_id: int) -> None:
    """Remember which outbox row told these residents the group's response."""
    conn.execute("UPDATE council_response_notices SET outbox_id = %s "
                 "WHERE group_id = %s AND resident_id = ANY(%s)",
                 (outbox_id, group_id, list(resident_ids)))


def tell_responses(conn: psycopg.Connection, process_id: int, district: str,
                   compose: Callable[[ResponseNotice, str], list[dict[str, Any]]],
                   not_before: dt.datetime) -> tuple[int, list[int]]:
    """Write the notices telling each answered group's askers and supporters its response.

    Claims the residents once per group (:func:`claim_response_notices`) and writes
    multicast rows (:func:`pb.multicast.write`: ≤500 a row, one language a row, tagged
    ``council_response`` for "Messages sent"), remembering each row
    (:func:`record_outbox`). The caller owns the transaction.

    Args:
        compose: (the group's notice, language) → the LINE messages (1–5).
        not_before: the earliest send time (out of quiet hours: :func:`pb.multicast.quiet_start`).

    Returns:
        (residents told, outbox ids written).
    """
    told: set[int] = set()
    ids: list[int] = []
    for notice in claim_response_notices(conn, process_id):
        for batch in multicast.write(
                conn, notice.recipients,
                lambda language, notice=notice: compose(notice, language),
                address=lambda person: (person[1], person[2]), not_before=not_before,
                topic="council_response", district=district, process_id=process_id):
            residents = [person[0] for person in batch.members]
            record_outbox(conn, notice.group_id, residents, batch.outbox_id)
            told.update(residents)
            ids.append(batch.outbox_id)
    return len(told), ids


# --- PDPA ---------------------------------------------------------------------------------

def count_of_resident(conn: psycopg.Connection, resident_id: int) -> tuple[int, int]:
    """(questions asked, questions supported) by a resident, in every meeting ("my data")."""
    row = conn.execute(
        """SELECT (SELECT count(*) FROM council_questions WHERE resident_id = %(r)s),
                  (SELECT count(*) FROM council_question_supports WHERE resident_id = %(r)s)""",
        {"r": resident_id}).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def erase_resident(conn: psycopg.Connection, resident_id: int, mode: str) -> tuple[int, int]:
    """Erase-my-data for council questions and supports (:mod:`pb.erasure`).

    ``delete``: the resident's questions go (their supporters' supports with
    them; each group's centroid and size are updated, as when an idea leaves
    its cluster) and their supports go. ``anonymise``: both stay, unlinked.

    Returns:
        (questions, supports) deleted or unlinked.
    """
    # Who was told which response links the resident to their questions' topics.
    conn.execute("DELETE FROM council_response_notices WHERE resident_id = %s", (resident_id,))
    if mode != "delete":
        n_q = conn.execute("UPDATE council_questions SET resident_id = NULL, "
                           "webhook_event_id = NULL WHERE resident_id = %s",
                           (resident_id,)).rowcount
        n_s = conn.execute("UPDATE council_question_supports SET resident_id = NULL "
                           "WHERE resident_id = %s", (resident_id,)).rowcount
        return max(n_q, 0), max(n_s, 0)
    register_vectors(conn)
    own = conn.execute(
        """SELECT q.id, q.grouping, g.id, g.centroid, g.size FROM council_questions q
             LEFT JOIN council_question_groups g ON g.id = q.group_id
            WHERE q.resident_id = %s ORDER BY q.id FOR UPDATE OF q""", (resident_id,)).fetchall()
    for _qid, vector, group_id, centroid, size in own:
        if group_id is None:
            continue
        left = int(size) - 1
        new = (remove_from_centroid(as_array(centroid), int(size), as_array(vector))
               if left > 0 and vector is not None and centroid is not None else None)
        conn.execute("UPDATE council_question_groups SET size = %s, centroid = %s WHERE id = %s",
                     (max(left, 0), new, group_id))
    conn.execute("DELETE FROM council_questions WHERE id = ANY(%s)", ([r[0] for r in own],))
    n_s = conn.execute("DELETE FROM council_question_supports WHERE resident_id = %s",
                       (resident_id,)).rowcount
    return len(own), max(n_s, 0)
