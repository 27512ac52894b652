"""Telling residents their idea is part of a project: once per project, in their language.

A project is promoted from clusters (:func:`pb.projects.promote`) or gets
more of them (:func:`pb.projects.add_clusters`); then each author of an
idea it carries hears it once, as LINE multicasts (:mod:`pb.multicast`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from pb import multicast


@dataclass(frozen=True)
class Told:
    """What :func:`notify_authors` wrote: outbox ids to deliver after commit, residents told."""

    outbox_ids: list[int]
    residents: int


def notify_authors(conn: psycopg.Connection, project_id: int,
                   compose: Callable[[str], list[dict[str, Any]]]) -> Told:
    """Tell each resident whose idea the project carries, once ever, in their language.

    Residents who unfollowed, were erased or never consented are skipped. The
    ``project_notices`` primary key (project, resident) makes a repeated
    promotion or a second linked cluster tell nobody twice. The notice says
    nothing personal, so it goes as LINE multicasts (:func:`pb.multicast.write`:
    ≤500 user ids a row, one row per language), not one push per author: a
    project built from a large cluster is a few API calls, not hundreds of jobs.

    Args:
        compose: language ("th"/"en") → the LINE messages to send (1–5).

    Returns:
        :class:`Told`; deliver its outbox ids after commit (``workers.jobs.deliver_outbox``).
    """
    people = conn.execute(
        """WITH authors AS (
               SELECT DISTINCT r.id FROM project_ideas pi
                 JOIN ideas i ON i.id = pi.idea_id
                 JOIN residents r ON r.id = i.resident_id
                WHERE pi.project_id = %(p)s AND i.status = 'active' AND r.followed
                  AND r.erased_at IS NULL AND r.consent_at IS NOT NULL
                  AND r.line_user_id IS NOT NULL),
           noticed AS (
               INSERT INTO project_notices (project_id, resident_id)
               SELECT %(p)s, id FROM authors ORDER BY id ON CONFLICT DO NOTHING
               RETURNING resident_id)
           SELECT r.id, r.line_user_id, r.language FROM noticed n
             JOIN residents r ON r.id = n.resident_id ORDER BY r.id""",
        {"p": project_id}).fetchall()
    if not people:
        return Told([], 0)
    district = conn.execute("SELECT district FROM projects WHERE id = %s",
                            (project_id,)).fetchone()[0]
    batches = multicast.write(conn, people, compose, address=lambda row: (row[1], row[2]),
                              topic="project_promoted", district=district,
                              project_id=project_id)
    for batch in batches:
        conn.execute("UPDATE project_notices SET outbox_id = %s "
                     "WHERE project_id = %s AND resident_id = ANY(%s)",
                     (batch.outbox_id, project_id, [row[0] for row in batch.members]))
    return Told(multicast.ids(batches), len(people))
