"""What Siang told residents on its own: promotion pushes, round notices, results, outcomes,
and the notices of hearings, council meetings and community plans (issue 18).

Every outbox row written by an automatic notice is tagged here (:func:`tag`)
with its topic and the resident group it went to, in the same transaction
as the row. :func:`summary` gives the admin's "messages sent" view (issue 16):
per group, what was said, when, to how many residents, and how many of them
LINE has accepted the message for ("delivered": the outbox row is ``sent``).
Staff announcements have their own page (``pb.announcement_stats``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row

from pb.scope import Scope

TOPICS = ("project_promoted", "round_open", "round_result", "project_outcome",
          # issue 18 (migration 0021): the group is a process (and a community)
          "hearing_invite", "hearing_summary", "council_response", "community_plan_adopted")


def tag(conn: psycopg.Connection, outbox_id: int, topic: str, recipients: int, *,
        district: str | None, round_id: int | None = None, project_id: int | None = None,
        process_id: int | None = None, community_id: int | None = None) -> None:
    """Record that outbox row ``outbox_id`` is an automatic ``topic`` message.

    Args:
        recipients: residents the row was written for (1 for a push; ≤500 for a multicast).
        district: the group's district (None: city-wide).
        round_id, project_id, process_id, community_id: what the message is about (a
            voting round, a project, a hearing or council meeting process, a community).

    Raises:
        ValueError: unknown topic.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    conn.execute(
        """INSERT INTO sent_messages (outbox_id, topic, district, round_id, project_id,
                                      process_id, community_id, recipients)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (outbox_id) DO NOTHING""",
        (outbox_id, topic, district, round_id, project_id, process_id, community_id,
         recipients))


@dataclass
class SentGroup:
    """One resident group's automatic messages: all rows of one topic about one round,
    project, process or community. Counts are residents; ``delivered`` counts those in
    rows LINE accepted."""

    topic: str
    district: str | None
    round_id: int | None
    project_id: int | None
    subject: str              # the round's, project's, community's or process's title
    rows: int
    recipients: int
    delivered: int
    waiting: int              # residents in rows still pending or sending (quiet hours, retries)
    failed: int               # residents in rows that failed
    first_at: dt.datetime
    last_sent_at: dt.datetime | None
    preview: str              # the first message's text (Thai row first), clipped
    process_id: int | None = None
    community_id: int | None = None
    meeting_id: int | None = None     # the council meeting of a council process


def summary(conn: psycopg.Connection, scope: Scope, *, topic: str | None = None,
            limit: int = 200) -> list[SentGroup]:
    """Automatic messages grouped by (topic, round, project, process or community), newest
    first, within the
    scope (an officer sees their districts; city-wide round notices to admins and viewers
    of every district alike)."""
    params = {**scope.params(), "topic": topic, "limit": limit}
    with conn.cursor(row_factory=class_row(SentGroup)) as cur:
        cur.execute(
            f"""SELECT sm.topic, sm.district, sm.round_id, sm.project_id,
                       coalesce(max(r.title), max(p.title), max(c.name), max(pr.title), '')
                           AS subject,
                       count(*) AS rows, sum(sm.recipients) AS recipients,
                       coalesce(sum(sm.recipients) FILTER (WHERE o.state = 'sent'), 0)
                           AS delivered,
                       coalesce(sum(sm.recipients) FILTER (WHERE o.state IN ('pending', 'sending')),
                                0) AS waiting,
                       coalesce(sum(sm.recipients) FILTER (WHERE o.state = 'failed'), 0) AS failed,
                       min(sm.created_at) AS first_at, max(o.sent_at) AS last_sent_at,
                       coalesce(left((array_agg(o.messages -> 0 ->> 'text' ORDER BY o.id))[1],
                                     160), '') AS preview,
                       sm.process_id, sm.community_id, max(cm.id) AS meeting_id
                  FROM sent_messages sm
                  JOIN outbox o ON o.id = sm.outbox_id
                  LEFT JOIN voting_rounds r ON r.id = sm.round_id
                  LEFT JOIN projects p ON p.id = sm.project_id
                  LEFT JOIN processes pr ON pr.id = sm.process_id
                  LEFT JOIN communities c ON c.id = sm.community_id
                  LEFT JOIN council_meetings cm ON cm.process_id = sm.process_id
                 WHERE ({scope.where('sm.district')} OR sm.district IS NULL)
                   AND (%(topic)s::text IS NULL OR sm.topic = %(topic)s)
                 GROUP BY sm.topic, sm.district, sm.round_id, sm.project_id, sm.process_id,
                          sm.community_id
                 ORDER BY min(sm.created_at) DESC LIMIT %(limit)s""", params)
        return cur.fetchall()
