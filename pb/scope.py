"""Who may see and change what: the one place district scope is decided.

Every admin query in ``pb`` takes a :class:`Scope` and filters with
:meth:`Scope.where` (reads) or checks with :meth:`Scope.check` (writes); the
admin builds the scope once per request from the logged-in staff member
(``admin.auth.current_scope``). Roles (issue 5):

* ``admin``: every district, may change anything, reads the audit log;
* ``officer``: a district officer, only the districts assigned to them;
* ``viewer``: reads only; every district unless districts are assigned;
* ``community``: a community's committee (issue 18): no district at all, only
  its one community's ideas and plan (:meth:`Scope.reaches_community`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("admin", "officer", "viewer", "community")


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
        community_id: the one community a ``community`` role works for
            (``communities.id``); None for every other role.
    """

    staff_id: int | None
    staff_name: str
    role: str
    districts: frozenset[str] | None
    community_id: int | None = None

    @classmethod
    def for_staff(cls, staff_id: int | None, staff_name: str, role: str,
                  assigned: list[str] | frozenset[str],
                  community_id: int | None = None) -> "Scope":
        """The scope of a role: admins reach all districts; an officer only
        their assigned ones (none if none); a viewer the assigned ones, or
        all when none are assigned; a community role no district (least
        privilege: every district page shows it nothing) and only
        ``community_id`` (none if None).

        Raises:
            ValueError: unknown role.
        """
        if role not in ROLES:
            raise ValueError(f"unknown staff role {role!r}")
        if role == "community":
            return cls(staff_id, staff_name, role, frozenset(), community_id)
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

    def reaches_community(self, community_id: int, district: str) -> bool:
        """True when this scope may read community ``community_id`` of ``district``:
        its own community for a community role, else the district's reach."""
        if self.role == "community":
            return self.community_id is not None and community_id == self.community_id
        return self.allows(district)

    def check_community(self, community_id: int, district: str, *,
                        write: bool = False) -> None:
        """Raise unless this scope reaches the community (and may write its plan, if asked:
        its own community role, or an admin or officer of its district).

        Raises:
            ReadOnlyError: ``write`` and the role is viewer.
            ScopeError: the community is outside the scope.
        """
        if write and not (self.can_write or self.role == "community"):
            raise ReadOnlyError("viewers cannot change anything")
        if not self.reaches_community(community_id, district):
            raise ScopeError("outside your community")

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
