"""Staff accounts: argon2id password hashes, roles and assigned districts.

Passwords are hashed with argon2-cffi's defaults (argon2id, RFC 9106 low-memory
profile) and never leave this module; a wrong username costs the same time
as a wrong password.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg.rows import class_row

from pb import audit, districts
from pb.scope import ROLES, Scope

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has, for constant-time misses")


class StaffError(ValueError):
    """Bad account data: username taken or malformed, weak password, unknown district.

    ``str(error)`` is an English sentence (for the CLI); ``code`` is a stable
    name the admin turns into a translated message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Staff:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    language: str
    session_nonce: str
    last_login_at: dt.datetime | None
    created_at: dt.datetime
    districts: list[str]
    must_change_password: bool = False
    community_id: int | None = None      # a community role's one community (issue 18)

    def scope(self) -> Scope:
        return Scope.for_staff(self.id, self.display_name, self.role, self.districts,
                               self.community_id)


_SELECT = """SELECT s.id, s.username, s.display_name, s.role, s.active, s.language,
                    s.session_nonce, s.last_login_at, s.created_at,
                    coalesce(array(SELECT d.district FROM staff_districts d
                                    WHERE d.staff_id = s.id ORDER BY d.district), '{}') AS districts,
                    s.must_change_password,
                    (SELECT cs.community_id FROM community_staff cs
                      WHERE cs.staff_id = s.id) AS community_id
               FROM staff s"""


def check_password_strength(password: str) -> None:
    """Raises StaffError unless 12–256 characters and not all one character."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise StaffError("password_length", f"password must be {MIN_PASSWORD_CHARS} to "
                         f"{MAX_PASSWORD_CHARS} characters")
    if len(set(password)) < 4:
        raise StaffError("password_simple", "password is too simple")


def _check(username: str, role: str, assigned: list[str]) -> None:
    if not USERNAME.match(username):
        raise StaffError("username", "username: 3–64 lowercase letters, digits or . _ @ -")
    if role not in ROLES:
        raise StaffError("role", f"role must be one of {', '.join(ROLES)}")
    unknown = [d for d in assigned if not districts.is_district(d)]
    if unknown:
        raise StaffError("district", f"unknown district: {', '.join(unknown)}")


def create(conn: psycopg.Connection, *, username: str, display_name: str, password: str,
           role: str, assigned: list[str] = (), language: str = "th",
           actor: Scope | None = None, must_change: bool = False,
           community_id: int | None = None) -> int:
    """Create a staff account (audited); returns its id.

    ``must_change``: the password is a temporary one an admin chose (the web
    admin): the new staff member must replace it at their first sign-in.
    ``community_id``: the one community of a ``community`` role (required for
    it, ignored otherwise; issue 18).

    Raises:
        StaffError: malformed username, weak password, unknown role or
            district, or the username is taken.
    """
    username = username.strip().lower()
    assigned = sorted(set(assigned))
    _check(username, role, assigned)
    if role == "officer" and not assigned:
        raise StaffError("officer_districts", "a district officer needs at least one district")
    if role == "community" and community_id is None:
        raise StaffError("community_needed", "a community account is made on its community's page")
    check_password_strength(password)
    row = conn.execute(
        """INSERT INTO staff (username, display_name, password_hash, role, language,
                              must_change_password)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) DO NOTHING RETURNING id""",
        (username, display_name.strip()[:120] or username, _hasher.hash(password), role,
         language, must_change),
    ).fetchone()
    if row is None:
        raise StaffError("taken", f"username {username!r} is taken")
    staff_id = int(row[0])
    for district in assigned:
        conn.execute("INSERT INTO staff_districts (staff_id, district) VALUES (%s, %s)",
                     (staff_id, district))
    after: dict = {"username": username, "role": role, "districts": assigned}
    if role == "community":
        conn.execute("INSERT INTO community_staff (staff_id, community_id) VALUES (%s, %s)",
                     (staff_id, community_id))
        after["community"] = community_id
    audit.record(conn, actor or Scope.system(), "staff.create", "staff", staff_id, after=after)
    return staff_id


def get(conn: psycopg.Connection, staff_id: int) -> Staff | None:
    with conn.cursor(row_factory=class_row(Staff)) as cur:
        cur.execute(f"{_SELECT} WHERE s.id = %s", (staff_id,))
        return cur.fetchone()


def get_by_username(conn: psycopg.Connection, username: str) -> Staff | None:
    with conn.cursor(row_factory=class_row(Staff)) as cur:
        cur.execute(f"{_SELECT} WHERE s.username = %s", (username.strip().lower(),))
        return cur.fetchone()


def list_all(conn: psycopg.Connection) -> list[Staff]:
    with conn.cursor(row_factory=class_row(Staff)) as cur:
        cur.execute(f"{_SELECT} ORDER BY s.role, s.username")
        return cur.fetchall()


def authenticate(conn: psycopg.Connection, username: str, password: str) -> Staff | None:
    """The active staff member with these credentials, or None.

    A hash made with older argon2 parameters is upgraded on success. The
    caller records the login (``record_login``) in the same transaction.
    """
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    row = conn.execute("SELECT id, password_hash FROM staff WHERE username = %s AND active",
                       (username.strip().lower(),)).fetchone()
    stored = row[1] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(stored):
        conn.execute("UPDATE staff SET password_hash = %s WHERE id = %s",
                     (_hasher.hash(password), row[0]))
    return get(conn, int(row[0]))


def record_login(conn: psycopg.Connection, staff: Staff) -> None:
    conn.execute("UPDATE staff SET last_login_at = now() WHERE id = %s", (staff.id,))
    audit.record(conn, staff.scope(), "staff.login", "staff", staff.id)


def set_password(conn: psycopg.Connection, staff_id: int, password: str, *,
                 actor: Scope | None = None, must_change: bool = False) -> str:
    """Set a new password and a new session nonce (every other login ends); audited.

    ``must_change``: an admin's reset to a temporary password, to be replaced at
    the next sign-in (audited as ``staff.password_reset``); otherwise the flag
    is cleared (the staff member chose this password).

    Returns:
        the new session nonce (the caller's own session keeps working with it).

    Raises:
        StaffError: weak password or no such staff member.
    """
    check_password_strength(password)
    nonce = secrets.token_hex(16)
    row = conn.execute(
        """UPDATE staff SET password_hash = %s, session_nonce = %s, password_changed_at = now(),
                          must_change_password = %s
            WHERE id = %s RETURNING id""",
        (_hasher.hash(password), nonce, must_change, staff_id)).fetchone()
    if row is None:
        raise StaffError("no_staff", f"no staff member {staff_id}")
    audit.record(conn, actor or Scope.system(),
                 "staff.password_reset" if must_change else "staff.password_change",
                 "staff", staff_id)
    return nonce


def verify_password(conn: psycopg.Connection, staff_id: int, password: str) -> bool:
    row = conn.execute("SELECT password_hash FROM staff WHERE id = %s", (staff_id,)).fetchone()
    if row is None or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher.verify(row[0], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_language(conn: psycopg.Connection, staff_id: int, language: str) -> None:
    if language not in ("th", "en"):
        raise StaffError("language", "language must be th or en")
    conn.execute("UPDATE staff SET language = %s WHERE id = %s", (language, staff_id))


def ensure(conn: psycopg.Connection, *, username: str, display_name: str, password: str,
           role: str, assigned: list[str] = ()) -> int:
    """Create the account, or reset its password if it exists (the demo's admin)."""
    existing = get_by_username(conn, username)
    if existing is None:
        return create(conn, username=username, display_name=display_name, password=password,
                      role=role, assigned=list(assigned))
    set_password(conn, existing.id, password)
    return existing.id


def update_access(conn: psycopg.Connection, actor: Scope, staff_id: int, *, role: str,
                  assigned: list[str], display_name: str | None = None) -> bool:
    """Change a staff member's role, districts (and display name); audited with the
    values before and after. Takes effect on their next request (scope is read per
    request). Returns False when nothing changed.

    Raises:
        StaffError: unknown role or district, an officer without districts,
            no such staff member, or an admin changing their own role
            (``self_change``: another admin must do it, so one is always left).
    """
    current = get(conn, staff_id)
    if current is None:
        raise StaffError("no_staff", f"no staff member {staff_id}")
    assigned = sorted(set(assigned))
    _check(current.username, role, assigned)
    if role == "officer" and not assigned:
        raise StaffError("officer_districts", "a district officer needs at least one district")
    if actor.staff_id == staff_id and role != current.role:
        raise StaffError("self_change", "you cannot change your own role")
    if role == "community" and current.community_id is None:
        raise StaffError("community_needed", "a community account is made on its community's page")
    name = (display_name or "").strip()[:120] or current.display_name
    before = {"role": current.role, "districts": current.districts,
              "display_name": current.display_name}
    after = {"role": role, "districts": assigned, "display_name": name}
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return False
    conn.execute("UPDATE staff SET role = %s, display_name = %s WHERE id = %s",
                 (role, name, staff_id))
    if role != "community":       # a community account given another role leaves it
        conn.execute("DELETE FROM community_staff WHERE staff_id = %s", (staff_id,))
    conn.execute("DELETE FROM staff_districts WHERE staff_id = %s", (staff_id,))
    for district in assigned:
        conn.execute("INSERT INTO staff_districts (staff_id, district) VALUES (%s, %s)",
                     (staff_id, district))
    audit.record(conn, actor, "staff.access", "staff", staff_id,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return True


def set_active(conn: psycopg.Connection, actor: Scope, staff_id: int, active: bool) -> bool:
    """Deactivate (every session ends, sign-in refused) or reactivate an account;
    audited. Accounts are never deleted: the audit log keeps pointing at them.
    Returns False when it already was so.

    Raises:
        StaffError: no such staff member, or deactivating oneself (``self_change``).
    """
    current = get(conn, staff_id)
    if current is None:
        raise StaffError("no_staff", f"no staff member {staff_id}")
    if actor.staff_id == staff_id and not active:
        raise StaffError("self_change", "you cannot deactivate your own account")
    if current.active == active:
        return False
    conn.execute("UPDATE staff SET active = %s, session_nonce = %s WHERE id = %s",
                 (active, secrets.token_hex(16), staff_id))
    audit.record(conn, actor, "staff.activate" if active else "staff.deactivate", "staff",
                 staff_id, before={"active": current.active}, after={"active": active})
    return True
