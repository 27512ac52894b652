"""Staff mark an idea as a duplicate of another (issue 15).

The duplicate becomes ``merged`` (out of its cluster, kept for the record
with ``duplicate_of``); its supports move to the idea it repeats, and its
author becomes a supporter of that idea, so no voice is lost; the author is
told once (``duplicate_told_at``), by a push through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from pb import audit, ideas, outbox, supports
from pb.scope import Scope


class DuplicateError(ValueError):
    """Marking refused; ``code`` says why ("missing", "same", "other_process", "not_active")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def mark(conn: psycopg.Connection, scope: Scope, idea_id: int, original_id: int,
         compose: Callable[[str, int, str], list[dict[str, Any]]]) -> tuple[int, int | None]:
    """Mark ``idea_id`` as a duplicate of ``original_id``; the caller owns the transaction.

    Args:
        scope: the staff member (must reach both ideas' districts and write).
        compose: (language "th"/"en", original idea id, original text) → the
            LINE messages telling the author (1–5).

    Returns:
        (supports moved, outbox id to deliver after commit, or None when the
        author is not told: told before, anonymous, erased or unfollowed).

    Raises:
        DuplicateError: an idea missing, the same idea, another process, or
            either idea not active.
        pb.scope.ScopeError, pb.scope.ReadOnlyError: outside the staff's reach.
    """
    if idea_id == original_id:
        raise DuplicateError("same")
    rows = conn.execute("SELECT id, process_id, district, status, resident_id, text FROM ideas "
                        "WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                        ([idea_id, original_id],)).fetchall()
    found = {r[0]: r for r in rows}
    if idea_id not in found or original_id not in found:
        raise DuplicateError("missing")
    dup, original = found[idea_id], found[original_id]
    scope.check(dup[2], write=True)
    scope.check(original[2], write=True)
    if dup[1] != original[1]:
        raise DuplicateError("other_process")
    if dup[3] not in ("active", "flagged") or original[3] != "active":
        raise DuplicateError("not_active")
    moved = supports.move(conn, idea_id, original_id)
    if dup[4] is not None and dup[4] != original[4]:
        supports.add(conn, process_id=dup[1], resident_id=dup[4], idea_id=original_id)
    ideas.detach_from_cluster(conn, idea_id)
    conn.execute("UPDATE ideas SET status = 'merged', duplicate_of = %s WHERE id = %s",
                 (original_id, idea_id))
    audit.record(conn, scope, "idea.duplicate", "idea", idea_id, district=dup[2],
                 before={"status": dup[3]}, after={"duplicate_of": original_id, "moved": moved})
    told = conn.execute(
        """UPDATE ideas i SET duplicate_told_at = now() FROM residents r
            WHERE i.id = %s AND r.id = i.resident_id AND i.duplicate_told_at IS NULL
              AND r.followed AND r.erased_at IS NULL AND r.consent_at IS NOT NULL
              AND r.line_user_id IS NOT NULL
        RETURNING r.id, r.line_user_id, r.language""", (idea_id,)).fetchone()
    if told is None:
        return moved, None
    outbox_id = outbox.add(conn, kind="push", messages=compose(told[2], original_id, original[5]),
                           resident_id=told[0], recipients=[told[1]])
    return moved, outbox_id


def join(conn: psycopg.Connection, resident_id: int, idea_id: int, original_id: int) -> bool:
    """The resident's own choice: their just-stored idea joins a near idea instead.

    Their idea becomes ``merged`` with ``duplicate_of`` set, its supports move,
    and they support the original. Nobody is told (they chose it).

    Returns:
        False (nothing changed) unless ``idea_id`` is theirs and editable and
        ``original_id`` is active in the same process.
    """
    own = ideas.editable(conn, idea_id, resident_id)
    original = ideas.get(conn, original_id)
    if own is None or original is None or original.status != "active" \
            or original.process_id != own.process_id or original.id == own.id:
        return False
    supports.move(conn, idea_id, original_id)
    supports.add(conn, process_id=own.process_id, resident_id=resident_id, idea_id=original_id)
    ideas.detach_from_cluster(conn, idea_id)
    conn.execute("UPDATE ideas SET status = 'merged', duplicate_of = %s, "
                 "duplicate_told_at = now() WHERE id = %s", (original_id, idea_id))
    return True
