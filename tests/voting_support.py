"""Helpers for the voting tests: projects ready for the vote, rounds in any state, residents.

Projects are written straight into the ``projects`` table in the state
``ready_for_vote`` (the admin's path there is tested in test_admin_projects);
rounds go through :func:`pb.round_changes.create` and :func:`pb.round_changes.open_round`.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from pb import processes, residents, round_changes, rounds
from pb.scope import Scope

SYSTEM = Scope.system()
HOME = "บางรัก"
OTHER = "ทุ่งครุ"
UTC = dt.timezone.utc


def project(conn: psycopg.Connection, title: str, cost: int, district: str = HOME, *,
            description: str = "", state: str = "ready_for_vote") -> int:
    """A project ready for the vote (commits)."""
    process_id = processes.current_id(conn)
    row = conn.execute(
        """INSERT INTO projects (process_id, title, description, district, estimated_cost_baht,
                                 fiscal_year, state, location, kpi_indicator, kpi_target,
                                 responsible_unit, starts_on, ends_on)
           VALUES (%s, %s, %s, %s, %s, 2569, %s, 'ซอย 5', 'เมตร', '100', 'สำนักงานเขต',
                   '2025-10-01', '2026-09-30') RETURNING id""",
        (process_id, title, description or f"รายละเอียดของ{title}", district, cost, state)
    ).fetchone()
    conn.commit()
    return int(row[0])


def fields(project_ids: list[int], *, district: str | None = HOME, budget: int = 1_000_000,
           ballot_type: str = "approval", k: int | None = 2, quorum_kind: str = "ballots",
           quorum: object = 0, rule: str = "greedy", opens_in_s: float = -60,
           closes_in_s: float = 86_400, title: str = "โหวตโครงการเขตบางรัก 2569") -> rounds.RoundFields:
    now = dt.datetime.now(UTC)
    return rounds.RoundFields(
        title=title, district=district, budget_baht=budget, ballot_type=ballot_type,
        max_picks=k if ballot_type == "approval" else None, quorum_kind=quorum_kind,
        quorum_value=quorum, opens_at=now + dt.timedelta(seconds=opens_in_s),
        closes_at=now + dt.timedelta(seconds=closes_in_s), rule=rule, project_ids=project_ids)


def open_round(conn: psycopg.Connection, project_ids: list[int], **kwargs) -> int:
    """A round created and opened (commits)."""
    with conn.transaction():
        round_id = round_changes.create(conn, SYSTEM, fields(project_ids, **kwargs))
        round_changes.open_round(conn, SYSTEM, round_id, 1)
    conn.commit()
    return round_id


def end_voting(conn: psycopg.Connection, round_id: int) -> None:
    """Move the closing time into the past and close the round (as the close job does)."""
    with conn.transaction():
        conn.execute("UPDATE voting_rounds SET closes_at = greatest(now(), opens_at + "
                     "interval '1 second') WHERE id = %s", (round_id,))
        assert rounds.close_due(conn, round_id)
    conn.commit()


def resident(conn: psycopg.Connection, line_user_id: str, district: str | None = HOME, *,
             language: str = "th") -> int:
    """A consenting, following resident (commits)."""
    with conn.transaction():
        row = residents.follow(conn, line_user_id, language)
        residents.give_consent(conn, row.id)
        if district:
            residents.set_district(conn, row.id, district)
    conn.commit()
    return row.id


def round_project_ids(conn: psycopg.Connection, round_id: int) -> list[int]:
    ids = [p.id for p in rounds.projects_of(conn, round_id)]
    conn.commit()
    return ids


def count(conn: psycopg.Connection, sql: str, *params) -> int:
    value = conn.execute(sql, params).fetchone()[0]
    conn.commit()
    return int(value)
