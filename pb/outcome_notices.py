"""Telling residents whose idea went into a project that the vote did not select it.

Result notices go to a round's voters; a resident who sent the idea behind a
project that was not selected may never have voted, and would never hear
what became of it (issue 16). When a round's results are published and the
quorum was met, :func:`claim` picks, once per (project, resident) through the
``project_outcome_notices`` primary key, the authors of the ideas each
not-selected project carries: consenting, following, not erased and not
opted out of news (as for announcements and round notices). The caller
writes the outbox rows, no earlier than 08:00 Bangkok time
(:func:`pb.announcement_delivery.next_allowed`), and tags them in
:mod:`pb.sent_messages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg


@dataclass
class OutcomeNotice:
    """One resident to tell, with the titles of their projects that were not selected."""

    resident_id: int
    line_user_id: str
    language: str
    project_ids: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def claim(conn: psycopg.Connection, round_id: int) -> list[OutcomeNotice]:
    """Claim the not-selected outcome notices of a published round (idempotent).

    Only projects of the round whose state is ``not_selected`` count (a round
    below the quorum selects nobody and leaves projects as they were, so it
    tells nobody here). The caller owns the transaction and must write the
    messages in it, or a rollback gives the claims back.

    Returns:
        one notice per resident not told before, by resident id.
    """
    rows = conn.execute(
        """WITH lost AS (
               SELECT p.id, p.title FROM round_projects rp JOIN projects p ON p.id = rp.project_id
                WHERE rp.round_id = %(r)s AND p.state = 'not_selected'),
           authors AS (
               SELECT DISTINCT lost.id AS project_id, r.id AS resident_id
                 FROM lost JOIN project_ideas pi ON pi.project_id = lost.id
                 JOIN ideas i ON i.id = pi.idea_id
                 JOIN residents r ON r.id = i.resident_id
                WHERE i.status = 'active' AND r.followed AND r.erased_at IS NULL
                  AND r.consent_at IS NOT NULL AND r.line_user_id IS NOT NULL
                  AND NOT r.announcements_opt_out),
           claimed AS (
               INSERT INTO project_outcome_notices (project_id, resident_id, round_id)
               SELECT project_id, resident_id, %(r)s FROM authors ORDER BY 1, 2
               ON CONFLICT DO NOTHING RETURNING project_id, resident_id)
           SELECT c.resident_id, r.line_user_id, r.language, c.project_id, lost.title
             FROM claimed c JOIN residents r ON r.id = c.resident_id
             JOIN lost ON lost.id = c.project_id
            ORDER BY c.resident_id, c.project_id""", {"r": round_id}).fetchall()
    out: dict[int, OutcomeNotice] = {}
    for resident_id, line_user_id, language, project_id, title in rows:
        notice = out.setdefault(resident_id, OutcomeNotice(resident_id, line_user_id, language))
        notice.project_ids.append(int(project_id))
        notice.titles.append(title)
    return list(out.values())


def record_outbox(conn: psycopg.Connection, notice: OutcomeNotice, outbox_id: int) -> None:
    """Remember which outbox row told ``notice``'s resident about its projects."""
    conn.execute("UPDATE project_outcome_notices SET outbox_id = %s "
                 "WHERE resident_id = %s AND project_id = ANY(%s)",
                 (outbox_id, notice.resident_id, notice.project_ids))
