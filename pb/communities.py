"""Communities: the registry per district, and which community a resident lives in.

Bangkok's district offices register communities under the BMA's community
regulation (ระเบียบกรุงเทพมหานครว่าด้วยชุมชน พ.ศ. 2555): 2,068 in January 2020, in
six types. Staff import a district's registry from CSV (:func:`import_csv`,
all rows or none). A resident may say in chat which community of their
district they live in (:func:`join`); the ideas they send afterwards carry it
(``ideas.community_id``, set by :func:`pb.ideas.insert`), so the community's
committee can build its development plan from them (:mod:`pb.community_plans`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import class_row

from pb import audit, districts
from pb.scope import ReadOnlyError, Scope, ScopeError

#: Community types of the BMA registry: key → Thai name (the CSV may give either).
KINDS = {
    "crowded": "ชุมชนแออัด",
    "suburban": "ชุมชนชานเมือง",
    "housing_estate": "ชุมชนหมู่บ้านจัดสรร",
    "urban": "ชุมชนเมือง",
    "high_rise": "ชุมชนอาคารสูง",
    "housing_authority": "เคหะชุมชน",
}
MAX_IMPORT_BYTES = 2_000_000         # 2,068 communities are about 300 kB of CSV
MAX_NAME_CHARS = 200
#: CSV header (Thai or English, case and spaces ignored) → field.
HEADERS = {
    "name": "name", "ชื่อชุมชน": "name", "ชุมชน": "name",
    "district": "district", "เขต": "district",
    "type": "kind", "kind": "kind", "ประเภท": "kind", "ประเภทชุมชน": "kind",
    "committee_contact": "contact", "contact": "contact", "ผู้ติดต่อ": "contact",
    "ติดต่อคณะกรรมการ": "contact", "คณะกรรมการชุมชน": "contact",
    "code": "code", "รหัส": "code", "เลขทะเบียน": "code",
}


@dataclass
class Community:
    id: int
    district: str
    name: str
    kind: str
    committee_contact: str
    code: str | None
    members: int = 0


@dataclass(frozen=True)
class RowProblem:
    """One refused CSV row: its line number (1 = the header), a stable code, the value."""

    line: int
    code: str       # missing_name, name_too_long, unknown_district, outside_scope,
    #                 unknown_kind, repeated
    value: str


@dataclass
class ImportReport:
    """What an import did: written only when ``problems`` is empty (all or nothing)."""

    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    header_missing: list[str] = field(default_factory=list)
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        return not (self.problems or self.header_missing or self.unreadable)


def kind_of(text: str) -> str | None:
    """A community type as the registry writes it (Thai name, with or without "ชุมชน",
    or the English key) → its key; None if unknown."""
    typed = "".join(text.split()).lower()
    for key, thai in KINDS.items():
        if typed in (key, thai, thai.removeprefix("ชุมชน")):
            return key
    return None


def visible(scope: Scope, column: str = "c") -> tuple[str, dict[str, Any]]:
    """SQL condition on communities alias ``column`` and its parameters: the
    communities ``scope`` reaches (its districts', or a community role's own)."""
    return (f"({scope.where(column + '.district')} OR {column}.id = %(scope_community)s)",
            {**scope.params(), "scope_community": scope.community_id or 0})


_COLUMNS = """c.id, c.district, c.name, c.kind, c.committee_contact, c.code,
              (SELECT count(*) FROM community_members m WHERE m.community_id = c.id) AS members"""


def list_communities(conn: psycopg.Connection, scope: Scope, district: str | None = None
                     ) -> list[Community]:
    """The communities ``scope`` reaches (of ``district`` if given), by district and name."""
    condition, params = visible(scope)
    with conn.cursor(row_factory=class_row(Community)) as cur:
        cur.execute(f"""SELECT {_COLUMNS} FROM communities c
                         WHERE {condition} AND (%(d)s::text IS NULL OR c.district = %(d)s)
                         ORDER BY c.district, c.name""", {**params, "d": district})
        return cur.fetchall()


def get(conn: psycopg.Connection, scope: Scope, community_id: int) -> Community:
    """One community within ``scope``.

    Raises:
        ScopeError: no such community, or outside the scope (both shown as 404).
    """
    with conn.cursor(row_factory=class_row(Community)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM communities c WHERE c.id = %s", (community_id,))
        found = cur.fetchone()
    if found is None:
        raise ScopeError("no such community")
    scope.check_community(found.id, found.district)
    return found


def find(conn: psycopg.Connection, community_id: int) -> Community | None:
    """One community by id with no scope (the resident's own chat), or None."""
    with conn.cursor(row_factory=class_row(Community)) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM communities c WHERE c.id = %s", (community_id,))
        return cur.fetchone()


def _search_key(text: str) -> str:
    return "".join(text.split()).lower().removeprefix("ชุมชน")


def in_district(conn: psycopg.Connection, district: str, typed: str = "", *,
                limit: int = 12, offset: int = 0) -> tuple[list[Community], int]:
    """A district's communities whose name contains ``typed`` (spaces, case and a
    leading "ชุมชน" ignored), by name: (one page of at most ``limit``, how many match)."""
    key = _search_key(typed)
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = """c.district = %(d)s AND replace(lower(c.name), ' ', '') LIKE %(p)s"""
    params = {"d": district, "p": pattern, "limit": limit, "offset": offset}
    total = conn.execute(f"SELECT count(*) FROM communities c WHERE {where}", params).fetchone()
    with conn.cursor(row_factory=class_row(Community)) as cur:
        cur.execute(f"""SELECT {_COLUMNS} FROM communities c WHERE {where}
                         ORDER BY c.name LIMIT %(limit)s OFFSET %(offset)s""", params)
        return cur.fetchall(), int(total[0]) if total else 0


def of_resident(conn: psycopg.Connection, resident_id: int) -> Community | None:
    """The community the resident said they live in, or None."""
    with conn.cursor(row_factory=class_row(Community)) as cur:
        cur.execute(f"""SELECT {_COLUMNS} FROM community_members cm
                          JOIN communities c ON c.id = cm.community_id
                         WHERE cm.resident_id = %s""", (resident_id,))
        return cur.fetchone()


def join(conn: psycopg.Connection, resident_id: int, community_id: int, district: str) -> bool:
    """Record that the resident lives in community ``community_id``, which must be of
    their ``district`` (a resident belongs to one community at most). Returns False
    when the community is not in that district (nothing changes)."""
    row = conn.execute(
        """INSERT INTO community_members (resident_id, community_id)
           SELECT %s, c.id FROM communities c WHERE c.id = %s AND c.district = %s
           ON CONFLICT (resident_id) DO UPDATE
              SET community_id = EXCLUDED.community_id, joined_at = now()
           RETURNING community_id""", (resident_id, community_id, district)).fetchone()
    return row is not None


def leave(conn: psycopg.Connection, resident_id: int) -> bool:
    """Forget the resident's community (their earlier ideas keep it). True if they had one."""
    return conn.execute("DELETE FROM community_members WHERE resident_id = %s",
                        (resident_id,)).rowcount > 0


def forget_resident(conn: psycopg.Connection, resident_id: int) -> None:
    """Erasure (PDPA section 33): the membership goes (ideas are handled by pb.erasure)."""
    leave(conn, resident_id)


def _decode(data: bytes) -> str | None:
    """CSV bytes as text: UTF-8 (with or without a BOM, as Excel saves it), else
    Thai Windows (cp874/TIS-620, what older district PCs save); None if neither."""
    for encoding in ("utf-8-sig", "cp874"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def import_csv(conn: psycopg.Connection, scope: Scope, data: bytes) -> ImportReport:
    """Import a community registry CSV: all rows, or none if any row is wrong.

    Columns (a header row, Thai or English names; see :data:`HEADERS`): name,
    district, type (:data:`KINDS`), committee contact, and an optional
    registration code. A community already registered (same district and name)
    is updated. Each refused row is reported with its line number and why.
    The caller owns the transaction; the import is audited once.

    Raises:
        ReadOnlyError: the scope may not write.
    """
    if not scope.can_write:
        raise ReadOnlyError("only admins and district officers import the registry")
    report = ImportReport()
    text = _decode(data)
    if text is None:
        report.unreadable = True
        return report
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    columns = {HEADERS.get("".join(h.split()).lower()): i for i, h in enumerate(header)}
    report.header_missing = [f for f in ("name", "district", "kind") if f not in columns]
    if report.header_missing:
        return report
    rows: list[tuple[str, str, str, str, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for line, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        cell = {f: (raw[i].strip() if i < len(raw) else "") for f, i in columns.items() if f}
        name, typed_district = " ".join(cell["name"].split()), cell["district"]
        district = districts.match_district(typed_district) if typed_district else None
        kind = kind_of(cell["kind"])
        problem = None
        if not name:
            problem = RowProblem(line, "missing_name", "")
        elif len(name) > MAX_NAME_CHARS:
            problem = RowProblem(line, "name_too_long", name[:40])
        elif district is None:
            problem = RowProblem(line, "unknown_district", typed_district[:40])
        elif not scope.allows(district):
            problem = RowProblem(line, "outside_scope", district)
        elif kind is None:
            problem = RowProblem(line, "unknown_kind", cell["kind"][:40])
        elif (district, name) in seen:
            problem = RowProblem(line, "repeated", name[:40])
        if problem:
            report.problems.append(problem)
            continue
        seen.add((district, name))
        rows.append((district, name, kind, cell.get("contact", "")[:300],
                     cell.get("code") or None))
    if not report.ok:
        return report
    for district, name, kind, contact, code in rows:
        created = conn.execute(
            """INSERT INTO communities (district, name, kind, committee_contact, code)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (district, name) DO UPDATE
                  SET kind = EXCLUDED.kind, committee_contact = EXCLUDED.committee_contact,
                      code = coalesce(EXCLUDED.code, communities.code)
               RETURNING (xmax = 0)""", (district, name, kind, contact, code)).fetchone()
        if created and created[0]:
            report.created += 1
        else:
            report.updated += 1
    audit.record(conn, scope, "community.import", "community", None,
                 district=rows[0][0] if len({r[0] for r in rows}) == 1 and rows else None,
                 after={"created": report.created, "updated": report.updated})
    return report


def recent_ideas(conn: psycopg.Connection, community_id: int, limit: int = 200
                 ) -> list[tuple[int, str, int | None, str]]:
    """The community's active ideas, newest first: (idea id, text, cluster id, cluster label)."""
    return [(int(r[0]), r[1], r[2], r[3] or "") for r in conn.execute(
        """SELECT i.id, i.text, cm.cluster_id, cl.label FROM ideas i
             LEFT JOIN cluster_members cm ON cm.idea_id = i.id
             LEFT JOIN clusters cl ON cl.id = cm.cluster_id
            WHERE i.community_id = %s AND i.status = 'active'
            ORDER BY i.id DESC LIMIT %s""", (community_id, limit)).fetchall()]
