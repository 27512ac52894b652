"""Group and room chats the Official Account is in: only whether Siang has
posted its one invitation to chat 1:1 (nothing said in a group is stored)."""

from __future__ import annotations

import psycopg


def joined(conn: psycopg.Connection, chat_id: str, kind: str) -> None:
    """The account was added to a group or room (LINE ``join`` event)."""
    conn.execute(
        """INSERT INTO group_chats (chat_id, kind, joined_at) VALUES (%s, %s, now())
           ON CONFLICT (chat_id) DO UPDATE SET joined_at = now(), left_at = NULL""",
        (chat_id, kind))


def left(conn: psycopg.Connection, chat_id: str, kind: str) -> None:
    """The account was removed from a group or left a room (LINE ``leave`` event)."""
    conn.execute(
        """INSERT INTO group_chats (chat_id, kind, left_at) VALUES (%s, %s, now())
           ON CONFLICT (chat_id) DO UPDATE SET left_at = now()""", (chat_id, kind))


def first_mention(conn: psycopg.Connection, chat_id: str, kind: str) -> bool:
    """Record a mention of the account; True only the first time in this chat."""
    row = conn.execute(
        """INSERT INTO group_chats (chat_id, kind, invited_on_mention_at) VALUES (%s, %s, now())
           ON CONFLICT (chat_id) DO UPDATE SET invited_on_mention_at = now()
            WHERE group_chats.invited_on_mention_at IS NULL
           RETURNING chat_id""", (chat_id, kind)).fetchone()
    return row is not None
