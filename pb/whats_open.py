"""What is open in a district now ("มีอะไรเปิดอยู่", issue 18): one list across programmes.

The list joins what each participation programme says a resident of a
district can take part in right now:

* PB (this module, from existing tables): voting rounds open now
  (:func:`pb.rounds.open_for`) and the collection of ideas while a PB
  process of the district or the city is in its ``ideas`` stage;
* district public hearings (:func:`pb.hearings.open_items`), district city
  council question windows (:func:`pb.council.open_items`) and calls for
  community plans (:func:`pb.community_plans.open_items`), each a function
  ``(conn, district) -> list[OpenItem]`` (docs/PROCESSES.md).

Each provider is a function ``(conn, district) -> list[OpenItem]``; tests
pass their own. A provider that fails (a bug, a missing table) is skipped
inside a savepoint and logged, so one programme's fault never hides the
others from a resident. The list is sorted soonest closing first;
open-ended items (no ``closes_at``) come last.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

import psycopg

from pb import community_plans, council, hearings, rounds
from pb.processes import OpenItem

log = logging.getLogger(__name__)

Provider = Callable[[psycopg.Connection, "str | None"], list[OpenItem]]

#: The kind of an open voting round (``OpenItem.kind``); ideas collection is kind ``pb``.
VOTING_ROUND = "voting_round"
#: Order among items closing at the same moment (and among open-ended ones).
KIND_ORDER = {VOTING_ROUND: 0, "hearing": 1, "council": 2, "community_plan": 3, "pb": 4}
_FAR = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def pb_items(conn: psycopg.Connection, district: str | None) -> list[OpenItem]:
    """PB's open items for a resident of ``district`` (None: city-wide ones only).

    Voting rounds open now (state ``open``, inside their window, the
    district's or city-wide; the postback opens the ballot,
    ``a=vote&c=open&r=<round>``) and, for each PB process of the district or
    the city in the ``ideas`` stage whose window (if set) holds now, the
    collection of ideas (postback ``a=menu&m=idea``: the "send an idea" step).
    """
    items: list[OpenItem] = []
    # No district: "" matches no district, so only city-wide rounds are found.
    for r in rounds.open_for(conn, district or ""):
        items.append(OpenItem(VOTING_ROUND, r.id, r.title, r.closes_at,
                              f"a=vote&c=open&r={r.id}"))
    rows = conn.execute(
        """SELECT id, title, closes_at FROM processes
            WHERE kind = 'pb' AND stage = 'ideas'
              AND (opens_at IS NULL OR opens_at <= now())
              AND (closes_at IS NULL OR closes_at > now())
              AND (district IS NULL OR district = %s)
            ORDER BY closes_at NULLS LAST, id""", (district,)).fetchall()
    for process_id, title, closes_at in rows:
        items.append(OpenItem("pb", int(process_id), title, closes_at, "a=menu&m=idea"))
    return items


def default_providers() -> list[Provider]:
    """PB's items plus the three programmes' ``open_items``."""
    return [pb_items, hearings.open_items, council.open_items, community_plans.open_items]


def sort_key(item: OpenItem) -> tuple[dt.datetime, int, int]:
    """Soonest closing first; open-ended last; then by kind and id (stable for tests)."""
    return (item.closes_at or _FAR, KIND_ORDER.get(item.kind, 9), item.id)


def open_items(conn: psycopg.Connection, district: str | None,
               providers: Iterable[Provider] | None = None) -> list[OpenItem]:
    """Everything a resident of ``district`` can take part in now, soonest closing first.

    Args:
        conn: an open connection (inside the caller's transaction: each
            provider runs in a savepoint of it).
        district: Thai district name, or None (city-wide items only).
        providers: functions ``(conn, district) -> list[OpenItem]``; default
            :func:`default_providers`.

    Returns:
        The items, without duplicates (same kind and id), sorted by :func:`sort_key`.
        A provider that raises is left out (logged with its name, never the
        resident's data).
    """
    chosen = list(default_providers() if providers is None else providers)
    seen: dict[tuple[str, int], OpenItem] = {}
    for provider in chosen:
        try:
            with conn.transaction():
                found = provider(conn, district)
        except Exception:   # one programme's fault must not hide the others
            log.exception("open items of %s failed; left out",
                          getattr(provider, "__module__", "?") + "."
                          + getattr(provider, "__name__", "?"))
            continue
        for item in found:
            seen.setdefault((item.kind, item.id), item)
    return sorted(seen.values(), key=sort_key)
