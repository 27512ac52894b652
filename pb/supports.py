"""Supports: a resident backs an existing idea (or a cluster staff keep) instead of
sending a duplicate, the "me too" of the similar-idea check (issue 4).

Supports are counted in the admin and used later to tell supporters about
the project their idea went into. An idea support follows its idea through
reclustering; supports of an idea that is withdrawn or erased move to
another active idea of the same cluster when there is one.
"""

from __future__ import annotations

import psycopg


def add(conn: psycopg.Connection, *, process_id: int, resident_id: int, idea_id: int,
        webhook_event_id: str | None = None) -> bool:
    """Record that a resident supports an idea; True if new, False if already recorded."""
    row = conn.execute(
        """INSERT INTO supports (process_id, resident_id, idea_id, webhook_event_id)
           VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
        (process_id, resident_id, idea_id, webhook_event_id)).fetchone()
    return row is not None


def add_cluster(conn: psycopg.Connection, *, process_id: int, resident_id: int, cluster_id: int,
                webhook_event_id: str | None = None) -> bool:
    """Record that a resident supports a whole cluster; True if new."""
    row = conn.execute(
        """INSERT INTO supports (process_id, resident_id, cluster_id, webhook_event_id)
           VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
        (process_id, resident_id, cluster_id, webhook_event_id)).fetchone()
    return row is not None


def backers(conn: psycopg.Connection, idea_ids: list[int]) -> dict[int, int]:
    """How many people stand behind each idea: {idea id: count}.

    For a clustered idea: every active idea of its cluster counts its author
    once (an anonymised idea counts as one person), plus every distinct
    resident who supports an idea of the cluster or the cluster itself. For
    an idea without a cluster: its author plus its supporters.

    Index lookups only (the idea, its cluster's members, their supports):
    the cost does not grow with the number of ideas in the process.
    """
    if not idea_ids:
        return {}
    rows = conn.execute(
        """
        WITH target AS (
            SELECT i.id AS idea_id, m.cluster_id FROM ideas i
              LEFT JOIN cluster_members m ON m.idea_id = i.id
             WHERE i.id = ANY(%(ids)s)
        ), group_ideas AS (    -- the idea itself, and its cluster's active ideas
            SELECT t.idea_id, g.id AS member_id, g.resident_id
              FROM target t JOIN ideas g ON g.id = t.idea_id
            UNION
            SELECT t.idea_id, g.id, g.resident_id
              FROM target t
              JOIN cluster_members m ON m.cluster_id = t.cluster_id
              JOIN ideas g ON g.id = m.idea_id
             WHERE g.status = 'active'
        ), people AS (
            SELECT idea_id, coalesce('r' || resident_id, 'i' || member_id) AS who FROM group_ideas
            UNION
            SELECT gi.idea_id, coalesce('r' || s.resident_id, 's' || s.id) FROM group_ideas gi
              JOIN supports s ON s.idea_id = gi.member_id
            UNION
            SELECT t.idea_id, coalesce('r' || s.resident_id, 's' || s.id) FROM target t
              JOIN supports s ON s.cluster_id = t.cluster_id
        )
        SELECT idea_id, count(DISTINCT who) FROM people GROUP BY idea_id
        """,
        {"ids": list(idea_ids)}).fetchall()
    return {int(i): int(n) for i, n in rows}


def count_of_resident(conn: psycopg.Connection, resident_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM supports WHERE resident_id = %s",
                       (resident_id,)).fetchone()
    return int(row[0]) if row else 0


def rehome(conn: psycopg.Connection, idea_ids: list[int]) -> int:
    """Move other residents' supports off ideas that are leaving, onto a sibling idea.

    Called before ideas are withdrawn or erased: each support moves to the
    lowest-id other active idea of the same cluster (skipped when the
    supporter already backs that one, or when there is no sibling). The
    supports left on the leaving ideas are then deleted.

    Returns:
        How many supports moved.
    """
    if not idea_ids:
        return 0
    moved = conn.execute(
        """
        INSERT INTO supports (process_id, resident_id, idea_id, created_at)
        SELECT s.process_id, s.resident_id, sib.id, s.created_at
          FROM supports s
          JOIN cluster_members m ON m.idea_id = s.idea_id
          JOIN LATERAL (
                SELECT i.id FROM cluster_members m2 JOIN ideas i ON i.id = m2.idea_id
                 WHERE m2.cluster_id = m.cluster_id AND i.status = 'active'
                   AND NOT (i.id = ANY(%(ids)s))
                 ORDER BY i.id LIMIT 1) sib ON true
         WHERE s.idea_id = ANY(%(ids)s) AND s.resident_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """, {"ids": list(idea_ids)}).rowcount
    conn.execute("DELETE FROM supports WHERE idea_id = ANY(%s)", (list(idea_ids),))
    return max(moved, 0)


def remove_of_resident(conn: psycopg.Connection, resident_id: int) -> int:
    """Delete every support a resident gave (erasure); returns how many."""
    return max(conn.execute("DELETE FROM supports WHERE resident_id = %s",
                            (resident_id,)).rowcount, 0)


def anonymise_of_resident(conn: psycopg.Connection, resident_id: int) -> int:
    """Keep a resident's supports as anonymous counts (resident unlinked); returns how many."""
    return max(conn.execute(
        "UPDATE supports SET resident_id = NULL, webhook_event_id = NULL WHERE resident_id = %s",
        (resident_id,)).rowcount, 0)


def move(conn: psycopg.Connection, from_idea: int, to_idea: int) -> int:
    """Move every support of one idea onto another (a duplicate marked by staff).

    A supporter who already backs ``to_idea`` keeps that one support; the
    supports left on ``from_idea`` are deleted.

    Returns:
        How many supports moved.
    """
    moved = conn.execute(
        """INSERT INTO supports (process_id, resident_id, idea_id, created_at)
           SELECT s.process_id, s.resident_id, %(to)s, s.created_at FROM supports s
            WHERE s.idea_id = %(from)s AND s.resident_id IS NOT NULL
           ON CONFLICT DO NOTHING""", {"from": from_idea, "to": to_idea}).rowcount
    anonymous = conn.execute(
        """UPDATE supports SET idea_id = %(to)s WHERE idea_id = %(from)s AND resident_id IS NULL""",
        {"from": from_idea, "to": to_idea}).rowcount
    conn.execute("DELETE FROM supports WHERE idea_id = %s", (from_idea,))
    return max(moved, 0) + max(anonymous, 0)
