"""Who may see and change what: the one place district scope is decided.

Every admin query in ``pb`` takes a :class:`Scope` and filters with
:meth:`Scope.where` (reads) or checks with :meth:`Scope.check` (writes); the
admin builds the scope once per request from the logged-in staff member
(``admin.auth.current_scope``). Roles (issue 5):

* ``admin``: every district, may change anything, reads the audit log;
* ``officer``: a district officer, only the districts assigned to them;
* ``viewer``: reads only; every district unless districts are assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("admin", "officer", "viewer")


class ScopeError(Exception):
    """The staff member may not touch this district or object (shown as 404)."""


class ReadOnlyError(Exception):
    """A viewer tried to change something (shown as 403)."""


@dataclass(frozen=True)
class Scope:
    """A staff member acting: who they are and which districts they reach.

    Attributes:
        staff_id: ``staff.id``, or None for the system (CLI, demo).
        staff_name: display name kept in the audit log.
        role: one of :data:`ROLES`.
        districts: the Thai district names reachable, or None for all.
    """

    staff_id: int | None
    staff_name: str
    role: str
    districts: frozenset[str] | None

    @classmethod
    def for_staff(cls, staff_id: int | None, staff_name: str, role: str,
                  assigned: list[str] | frozenset[str]) -> "Scope":
        """The scope of a role: admins reach all districts; an officer only
        their assigned ones (none if none); a viewer the assigned ones, or
        all when none are assigned.

        Raises:
            ValueError: unknown role.
        """
        if role not in ROLES:
            raise ValueError(f"unknown staff role {role!r}")
        districts: frozenset[str] | None = frozenset(assigned)
        if role == "admin" or (role == "viewer" and not assigned):
            districts = None
        return cls(staff_id, staff_name, role, districts)

    @classmethod
    def system(cls) -> "Scope":
        """Siang itself (CLI commands, the demo): all districts, may write."""
        return cls(None, "system", "admin", None)

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "officer")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def allows(self, district: str | None) -> bool:
        """True when ``district`` is reachable (a city-wide None only for all-district scopes)."""
        if self.districts is None:
            return True
        return district is not None and district in self.districts

    def check(self, district: str | None, *, write: bool = False) -> None:
        """Raise unless this scope reaches ``district`` (and may write, if asked).

        Raises:
            ReadOnlyError: ``write`` and the role is viewer.
            ScopeError: the district is outside the scope.
        """
        if write and not self.can_write:
            raise ReadOnlyError("viewers cannot change anything")
        if not self.allows(district):
            raise ScopeError("outside your districts")

    def where(self, column: str) -> str:
        """SQL condition limiting ``column`` (a district column, e.g. ``c.district``)
        to this scope; use with :meth:`params`. ``column`` is code, never input."""
        return f"(%(scope_all)s OR {column} = ANY(%(scope_districts)s))"

    def params(self) -> dict[str, Any]:
        """Named parameters for :meth:`where`."""
        return {"scope_all": self.districts is None,
                "scope_districts": sorted(self.districts or ())}

    def visible_districts(self, all_districts: tuple[str, ...]) -> list[str]:
        """The districts to offer in a filter, in the given order."""
        return [d for d in all_districts if self.allows(d)]
