"""Ideas residents send, and their embeddings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.rows import class_row

from pb.vectors import as_array

MAX_IDEA_CHARS = 2000


@dataclass
class Idea:
    id: int
    process_id: int
    resident_id: int | None
    district: str
    text: str
    status: str
    created_at: dt.datetime


def insert(conn: psycopg.Connection, *, process_id: int, resident_id: int | None, district: str,
           text: str, normalised_text: str, webhook_event_id: str | None,
           source: str = "line") -> tuple[int, bool]:
    """Store an idea once per webhook event.

    Returns:
        (idea id, True if it was created now; False if this event already made it).
    """
    row = conn.execute(
        """
        INSERT INTO ideas (process_id, resident_id, district, text, normalised_text,
                           webhook_event_id, source)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (webhook_event_id) DO NOTHING
        RETURNING id
        """,
        (process_id, resident_id, district, text, normalised_text, webhook_event_id, source),
    ).fetchone()
    if row is not None:
        return int(row[0]), True
    existing = conn.execute("SELECT id FROM ideas WHERE webhook_event_id = %s",
                            (webhook_event_id,)).fetchone()
    assert existing is not None
    return int(existing[0]), False


def store_embedding(conn: psycopg.Connection, idea_id: int, model: str, vector: np.ndarray) -> None:
    """Store an idea's embedding (384 float32, L2-normalised, uncentred) once."""
    register_vector(conn)
    conn.execute(
        """INSERT INTO idea_embeddings (idea_id, model, embedding) VALUES (%s, %s, %s)
           ON CONFLICT (idea_id) DO NOTHING""",
        (idea_id, model, np.asarray(vector, dtype=np.float32)),
    )


def get(conn: psycopg.Connection, idea_id: int) -> Idea | None:
    with conn.cursor(row_factory=class_row(Idea)) as cur:
        cur.execute("SELECT id, process_id, resident_id, district, text, status, created_at "
                    "FROM ideas WHERE id = %s", (idea_id,))
        return cur.fetchone()


def embeddings_for(conn: psycopg.Connection, process_id: int, *, district: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Active ideas' embeddings in a process (optionally one district).

    Returns:
        (ids (n,) int64, vectors (n, 384) float32), ordered by idea id.
    """
    register_vector(conn)
    rows = conn.execute(
        """SELECT i.id, e.embedding FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id
            WHERE i.process_id = %s AND i.status = 'active'
              AND (%s::text IS NULL OR i.district = %s)
            ORDER BY i.id""",
        (process_id, district, district),
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 384), dtype=np.float32)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.stack([as_array(r[1]) for r in rows])


def count(conn: psycopg.Connection, *, embedded: bool = False) -> int:
    sql = ("SELECT count(*) FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id"
           if embedded else "SELECT count(*) FROM ideas")
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0
