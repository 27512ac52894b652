"""Moderation: hide or mark spam a cluster's ideas, restore them, and review flagged ideas.

Hidden and spam ideas leave what residents see; flagged ideas (held back by
the abusive-word list) wait here for a staff decision. Each step is audited
in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row

from pb import audit
from pb.cluster_edits import check_version, lock_clusters, members_of, outcome, touch
from pb.review import MAX_REASON_CHARS, MODERATION, Outcome, ReviewError
from pb.scope import Scope


def moderate(conn: psycopg.Connection, scope: Scope, cluster_id: int, version: int,
             idea_ids: list[int], status: str, reason: str) -> Outcome:
    """Hide ideas or mark them spam, with a reason; they stay in the cluster (so staff
    can restore them) but no longer count, show in keywords or join projects.

    Raises:
        ReviewError: unknown status, missing or long reason, ideas not members.
    """
    if status not in MODERATION:
        raise ReviewError("bad_status")
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("reason_required")
    if len(reason) > MAX_REASON_CHARS:
        raise ReviewError("reason_too_long", limit=MAX_REASON_CHARS)
    row = lock_clusters(conn, scope, [cluster_id])[cluster_id]
    check_version(row, version)
    ids = members_of(conn, cluster_id, idea_ids)
    before = dict(conn.execute("SELECT id, status FROM ideas WHERE id = ANY(%s)",
                               (ids,)).fetchall())
    conn.execute(
        """UPDATE ideas SET status = %s, moderation_reason = %s, moderated_by = %s,
                            moderated_at = now() WHERE id = ANY(%s)""",
        (status, reason, scope.staff_id, ids))
    conn.execute("UPDATE cluster_members SET assigned_by = 'staff' WHERE idea_id = ANY(%s)",
                 (ids,))
    touch(conn, scope, [cluster_id])
    audit.record(conn, scope, f"idea.{status}", "cluster", cluster_id, district=row.district,
                 before={"status": {str(k): v for k, v in before.items()}},
                 after={"status": status, "reason": reason, "ideas": ids})
    return outcome([row])


def restore(conn: psycopg.Connection, scope: Scope, cluster_id: int, version: int,
            idea_ids: list[int]) -> Outcome:
    """Make hidden or spam ideas active again (they stay in this cluster)."""
    row = lock_clusters(conn, scope, [cluster_id])[cluster_id]
    check_version(row, version)
    ids = members_of(conn, cluster_id, idea_ids)
    before = dict(conn.execute(
        "SELECT id, status FROM ideas WHERE id = ANY(%s) AND status IN ('hidden', 'spam')",
        (ids,)).fetchall())
    if not before:
        raise ReviewError("nothing_to_restore")
    conn.execute(
        """UPDATE ideas SET status = 'active', moderation_reason = NULL, moderated_by = %s,
                            moderated_at = now() WHERE id = ANY(%s)""",
        (scope.staff_id, sorted(before)))
    touch(conn, scope, [cluster_id])
    audit.record(conn, scope, "idea.restore", "cluster", cluster_id, district=row.district,
                 before={"status": {str(k): v for k, v in before.items()}},
                 after={"status": "active", "ideas": sorted(before)})
    return outcome([row])


# ---------------------------------------------------------------- flagged ideas


@dataclass
class FlaggedIdea:
    """An idea held back by the abusive-word list (issue 4) until staff review it."""

    id: int
    text: str
    district: str
    created_at: dt.datetime
    words: list[str]
    reason: str
    flagged_at: dt.datetime


FLAG_DECISIONS = ("publish", "hidden", "spam")


def flagged(conn: psycopg.Connection, scope: Scope, *, district: str | None = None,
            limit: int = 200) -> list[FlaggedIdea]:
    """Ideas waiting for staff review (status ``flagged``), oldest first, in scope."""
    with conn.cursor(row_factory=class_row(FlaggedIdea)) as cur:
        cur.execute(
            f"""SELECT i.id, i.text, i.district, i.created_at, f.words, f.reason, f.flagged_at
                  FROM ideas i JOIN idea_flags f ON f.idea_id = i.id
                 WHERE i.status = 'flagged' AND {scope.where('i.district')}
                   AND (%(district)s::text IS NULL OR i.district = %(district)s)
                 ORDER BY f.flagged_at, i.id LIMIT %(limit)s""",
            {**scope.params(), "district": district, "limit": limit})
        return cur.fetchall()


def review_flagged(conn: psycopg.Connection, scope: Scope, idea_ids: list[int], decision: str,
                   reason: str = "") -> list[int]:
    """Decide on flagged ideas: publish them (active; the caller then enqueues
    ``workers.jobs.cluster_idea`` for each), or hide them / mark them spam with a reason.

    Returns:
        the ideas decided (all of them were flagged and in scope).

    Raises:
        ReviewError: unknown decision, no ideas, missing reason, or an idea that is
            not flagged any more (another staff member decided first).
        ScopeError / ReadOnlyError: an idea outside the scope, or a viewer.
    """
    if decision not in FLAG_DECISIONS:
        raise ReviewError("bad_status")
    wanted = sorted(set(idea_ids))
    if not wanted:
        raise ReviewError("no_ideas")
    reason = " ".join(reason.split())
    if decision != "publish" and not reason:
        raise ReviewError("reason_required")
    if len(reason) > MAX_REASON_CHARS:
        raise ReviewError("reason_too_long", limit=MAX_REASON_CHARS)
    rows = conn.execute(
        "SELECT id, district, status FROM ideas WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        (wanted,)).fetchall()
    for _id, district, _status in rows:
        scope.check(district, write=True)
    if [r[0] for r in rows] != wanted or any(r[2] != "flagged" for r in rows):
        raise ReviewError("not_flagged")
    status = "active" if decision == "publish" else decision
    conn.execute(
        """UPDATE ideas SET status = %s, moderation_reason = %s, moderated_by = %s,
                            moderated_at = now() WHERE id = ANY(%s)""",
        (status, reason or None, scope.staff_id, wanted))
    conn.execute("UPDATE idea_flags SET reviewed_at = now() WHERE idea_id = ANY(%s)", (wanted,))
    for district in sorted({r[1] for r in rows}):
        ids = [r[0] for r in rows if r[1] == district]
        audit.record(conn, scope, f"idea.flag_{decision}", "idea", ids[0] if len(ids) == 1
                     else None, district=district, before={"status": "flagged", "ideas": ids},
                     after={"status": status, "reason": reason or None, "ideas": ids})
    return wanted
