"""Residents: LINE users who follow Siang's Official Account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb


@dataclass
class Resident:
    id: int
    line_user_id: str | None
    district: str | None
    language: str
    consent_at: dt.datetime | None
    followed: bool
    blocked_at: dt.datetime | None
    erased_at: dt.datetime | None
    created_at: dt.datetime
    # Conversation state (JSON object): a pending idea, an edit, a confirmation.
    state: dict[str, Any] = field(default_factory=dict)
    announcements_opt_out: bool = False

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None


_COLUMNS = ("id, line_user_id, district, language, consent_at, followed, blocked_at, "
            "erased_at, created_at, state, announcements_opt_out")


def get_for_update(conn: psycopg.Connection, line_user_id: str) -> Resident | None:
    """The resident with this LINE user id, row-locked until the transaction ends.

    The lock serialises one resident's events across workers, so a
    conversation advances one step at a time.
    """
    with conn.cursor(row_factory=class_row(Resident)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM residents WHERE line_user_id = %s FOR UPDATE",
                    (line_user_id,))
        return cur.fetchone()


def follow(conn: psycopg.Connection, line_user_id: str, language: str = "th") -> Resident:
    """Record a follow; a re-follow after unfollow starts fresh (consent asked again).

    A re-follow forgets consent, district and conversation state; a second
    follow event while following keeps them.
    """
    with conn.cursor(row_factory=class_row(Resident)) as cur:
        cur.execute(
            f"""
            INSERT INTO residents (line_user_id, language) VALUES (%s, %s)
            ON CONFLICT (line_user_id) DO UPDATE
               SET followed = true, blocked_at = NULL,
                   consent_at = CASE WHEN residents.followed THEN residents.consent_at END,
                   district = CASE WHEN residents.followed THEN residents.district END,
                   state = CASE WHEN residents.followed THEN residents.state ELSE '{{}}' END
            RETURNING {_COLUMNS}
            """,
            (line_user_id, language),
        )
        row = cur.fetchone()
        assert row is not None
        return row


def unfollow(conn: psycopg.Connection, resident_id: int) -> None:
    """Mark the resident blocked (LINE "unfollow" event): no more pushes."""
    conn.execute("UPDATE residents SET followed = false, blocked_at = now() WHERE id = %s",
                 (resident_id,))


def give_consent(conn: psycopg.Connection, resident_id: int) -> None:
    conn.execute("UPDATE residents SET consent_at = now() WHERE id = %s AND consent_at IS NULL",
                 (resident_id,))


def set_district(conn: psycopg.Connection, resident_id: int, district: str) -> None:
    conn.execute("UPDATE residents SET district = %s WHERE id = %s", (district, resident_id))


def set_language(conn: psycopg.Connection, resident_id: int, language: str) -> None:
    conn.execute("UPDATE residents SET language = %s WHERE id = %s", (language, resident_id))


def set_state(conn: psycopg.Connection, resident_id: int, state: dict[str, Any]) -> None:
    """Replace the resident's conversation state (a JSON object; ``{}`` clears it)."""
    conn.execute("UPDATE residents SET state = %s WHERE id = %s", (Jsonb(state), resident_id))


def set_announcements_opt_out(conn: psycopg.Connection, resident_id: int, opt_out: bool) -> None:
    conn.execute("UPDATE residents SET announcements_opt_out = %s WHERE id = %s",
                 (opt_out, resident_id))


def withdraw_consent(conn: psycopg.Connection, resident_id: int) -> None:
    """Back to a plain follower (PDPA consent withdrawn): no consent, district or state.

    The LINE user id stays, as for any follower who has not consented; the
    caller unlinks what the resident sent before.
    """
    conn.execute(
        """UPDATE residents SET consent_at = NULL, district = NULL, state = '{}',
                  announcements_opt_out = false WHERE id = %s""", (resident_id,))


def erase(conn: psycopg.Connection, resident_id: int) -> None:
    """Remove everything that identifies the resident (PDPA erasure).

    The row stays as an empty tombstone (so rows that point at it keep their
    keys): no LINE user id, district, consent or state. A later follow from
    the same LINE account creates a new, unrelated resident.
    """
    conn.execute(
        """UPDATE residents SET line_user_id = NULL, district = NULL, consent_at = NULL,
                  state = '{}', followed = false, blocked_at = NULL, language = 'th',
                  announcements_opt_out = false, erased_at = now() WHERE id = %s""",
        (resident_id,))


def count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM residents WHERE consent_at IS NOT NULL").fetchone()
    return int(row[0]) if row else 0
