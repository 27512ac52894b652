"""The audit log: every staff action, who, what, when, before and after.

Append only: rows are inserted in the same transaction as the action they
describe (so an action that rolls back leaves no entry, and an entry never
describes something that did not happen); a trigger in the database refuses
UPDATE and DELETE. ``before`` and ``after`` hold ids, labels, states and
staff-written fields, never a resident's idea text or LINE id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from pb.scope import Scope


@dataclass
class AuditEntry:
    id: int
    at: dt.datetime
    staff_id: int | None
    staff_name: str
    action: str
    target_type: str | None
    target_id: int | None
    district: str | None
    before: Any
    after: Any


def record(conn: psycopg.Connection, actor: Scope, action: str, target_type: str | None = None,
           target_id: int | None = None, *, district: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> int:
    """Append one entry; returns its id. The caller owns the transaction."""
    row = conn.execute(
        """INSERT INTO audit_log (staff_id, staff_name, action, target_type, target_id, district,
                                  before, after)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (actor.staff_id, actor.staff_name, action, target_type, target_id, district,
         Jsonb(before) if before is not None else None,
         Jsonb(after) if after is not None else None),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _visible(scope: Scope | None) -> tuple[str, dict[str, Any]]:
    """SQL condition and parameters: the entries ``scope`` may read.

    Admins (and the system, ``None``) read everything. Everyone else reads the
    entries about their districts (any district for an unscoped viewer) and
    their own actions; entries about no district (staff accounts, another
    person's sign-ins) are for admins.
    """
    if scope is None or scope.is_admin:
        return "TRUE", {}
    return ("""((district IS NOT NULL AND (%(v_all)s OR district = ANY(%(v_districts)s)))
               OR staff_id = %(v_me)s)""",
            {"v_all": scope.districts is None, "v_districts": sorted(scope.districts or ()),
             "v_me": scope.staff_id})


def entries(conn: psycopg.Connection, *, staff_id: int | None = None, action: str | None = None,
            target_type: str | None = None, target_id: int | None = None,
            before_id: int | None = None, limit: int = 100, scope: Scope | None = None,
            district: str | None = None, since: dt.date | None = None,
            until: dt.date | None = None) -> list[AuditEntry]:
    """Newest first; ``action`` matches a prefix (``cluster.`` gives every cluster action);
    ``before_id`` pages (entries with a smaller id); ``scope`` limits to what a staff
    member may read (:func:`_visible`; None: everything); ``district`` one district;
    ``since``/``until`` inclusive dates in Bangkok time."""
    visible, params = _visible(scope)
    with conn.cursor(row_factory=class_row(AuditEntry)) as cur:
        cur.execute(
            f"""SELECT id, at, staff_id, staff_name, action, target_type, target_id, district,
                      before, after
                 FROM audit_log
                WHERE (%(s)s::bigint IS NULL OR staff_id = %(s)s)
                  AND (%(a)s::text IS NULL OR starts_with(action, %(a)s))
                  AND (%(tt)s::text IS NULL OR target_type = %(tt)s)
                  AND (%(ti)s::bigint IS NULL OR target_id = %(ti)s)
                  AND (%(b)s::bigint IS NULL OR id < %(b)s)
                  AND (%(d)s::text IS NULL OR district = %(d)s)
                  AND (%(since)s::date IS NULL
                       OR at >= %(since)s::date::timestamp AT TIME ZONE 'Asia/Bangkok')
                  AND (%(until)s::date IS NULL
                       OR at < (%(until)s::date + 1)::timestamp AT TIME ZONE 'Asia/Bangkok')
                  AND {visible}
                ORDER BY id DESC LIMIT %(l)s""",
            {"s": staff_id, "a": action, "tt": target_type, "ti": target_id, "b": before_id,
             "l": limit, "d": district, "since": since, "until": until, **params})
        return cur.fetchall()


def actions(conn: psycopg.Connection, scope: Scope | None = None) -> list[str]:
    """Distinct action names seen (for the filter), of the entries ``scope`` may read."""
    visible, params = _visible(scope)
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT action FROM audit_log WHERE {visible} ORDER BY 1", params).fetchall()]


def actors(conn: psycopg.Connection, scope: Scope | None = None) -> list[tuple[int, str]]:
    """(staff id, name as logged) of everyone in the entries ``scope`` may read, by name."""
    visible, params = _visible(scope)
    return [(int(r[0]), r[1]) for r in conn.execute(
        f"""SELECT DISTINCT ON (staff_id) staff_id, staff_name FROM audit_log
             WHERE staff_id IS NOT NULL AND {visible} ORDER BY staff_id, id DESC""",
        params).fetchall()]
