"""Photos residents send with their ideas (``idea_photos``).

Stored in Postgres (``bytea``), like everything else Siang must not lose,
within LINE-realistic limits: JPEG or PNG only (checked from the bytes, not
the declared type), at most :data:`MAX_BYTES`, at most
:data:`MAX_PER_IDEA` per idea. A photo sent when no recent idea can take it
is *held* (``idea_id`` NULL) for the resident's next idea within
:data:`HOLD_S` seconds; held photos are erased with the resident's data.
"""

from __future__ import annotations

import hashlib

import psycopg

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_IDEA = 3
HOLD_S = 30 * 60


def sniff_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the magic number, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def by_message(conn: psycopg.Connection, line_message_id: str) -> tuple[int, int | None] | None:
    """(photo id, idea id) of a photo already stored for this LINE message, or None."""
    row = conn.execute("SELECT id, idea_id FROM idea_photos WHERE line_message_id = %s",
                       (line_message_id,)).fetchone()
    return (int(row[0]), row[1]) if row else None


def count_for_idea(conn: psycopg.Connection, idea_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM idea_photos WHERE idea_id = %s",
                       (idea_id,)).fetchone()
    return int(row[0]) if row else 0


def add(conn: psycopg.Connection, *, resident_id: int, idea_id: int | None,
        line_message_id: str, content_type: str, data: bytes) -> int:
    """Store a photo (attached to ``idea_id``, or held when None); returns its id.

    Raises:
        ValueError: empty, over :data:`MAX_BYTES`, or not JPEG/PNG.
    """
    if not data or len(data) > MAX_BYTES:
        raise ValueError(f"photo must be 1 to {MAX_BYTES} bytes, got {len(data)}")
    if content_type not in ("image/jpeg", "image/png"):
        raise ValueError(f"photo type {content_type!r} is not image/jpeg or image/png")
    row = conn.execute(
        """INSERT INTO idea_photos (idea_id, resident_id, line_message_id, content_type,
                                    size_bytes, sha256, data)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (idea_id, resident_id, line_message_id, content_type, len(data),
         hashlib.sha256(data).hexdigest(), data)).fetchone()
    assert row is not None
    return int(row[0])


def attach_held(conn: psycopg.Connection, resident_id: int, idea_id: int) -> int:
    """Attach the resident's held photos of the last :data:`HOLD_S` seconds to a new idea.

    Up to :data:`MAX_PER_IDEA` (oldest first); older held photos are deleted.

    Returns:
        How many were attached.
    """
    conn.execute(
        """DELETE FROM idea_photos WHERE resident_id = %s AND idea_id IS NULL
              AND created_at <= now() - make_interval(secs => %s)""", (resident_id, HOLD_S))
    room = MAX_PER_IDEA - count_for_idea(conn, idea_id)
    if room <= 0:
        return 0
    return max(conn.execute(
        """UPDATE idea_photos SET idea_id = %s
            WHERE id IN (SELECT id FROM idea_photos WHERE resident_id = %s AND idea_id IS NULL
                          ORDER BY created_at, id LIMIT %s)""",
        (idea_id, resident_id, room)).rowcount, 0)


def count_of_resident(conn: psycopg.Connection, resident_id: int) -> int:
    """Photos a resident sent (attached or held)."""
    row = conn.execute("SELECT count(*) FROM idea_photos WHERE resident_id = %s",
                       (resident_id,)).fetchone()
    return int(row[0]) if row else 0


def delete_held(conn: psycopg.Connection, resident_id: int) -> int:
    """Delete a resident's held photos; returns how many."""
    return max(conn.execute("DELETE FROM idea_photos WHERE resident_id = %s AND idea_id IS NULL",
                            (resident_id,)).rowcount, 0)


def unlink_resident(conn: psycopg.Connection, resident_id: int) -> int:
    """Keep attached photos with their (anonymised) ideas but forget who sent them."""
    return max(conn.execute("UPDATE idea_photos SET resident_id = NULL WHERE resident_id = %s",
                            (resident_id,)).rowcount, 0)
