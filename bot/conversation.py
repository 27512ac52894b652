"""A resident's conversation state: what Siang is waiting for from them.

Kept in ``residents.state`` (JSON), written in the same transaction as the
step that sets it, so it survives worker restarts and a redelivered or
retried event sees exactly what the last committed step left. Only
consenting residents have state (PDPA: nothing beyond the follow before
consent).

Keys, each a JSON object with ``at`` (epoch seconds) and, where a button
answers it, a ``nonce`` that the button's postback must carry:

* ``pending_idea``: ``{text, event, candidates, nonce}``: a typed idea shown
  similar ideas, waiting for "support" or "send as new".
* ``edit``: ``{idea, nonce}``: the next text replaces this idea's text.
* ``confirm``: ``{what, idea?, nonce}``: a yes/no (withdraw an idea, erase,
  withdraw consent).
* ``held_location``: ``{lat, lon, district}``: a shared location waiting
  for the resident's next idea.

A stale entry (older than its lifetime below) reads as absent.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.context import Context
from pb import residents

LIFETIME_S: dict[str, int] = {
    # A typed idea waits for its "support or send as new" as long as a round
    # collects ideas; if the resident moves on, it is sent as new anyway.
    "pending_idea": 30 * 24 * 3600,
    "edit": 30 * 60,
    "confirm": 10 * 60,
    "held_location": 30 * 60,
    # A typed community name awaited: {q} (the last search; issue 18).
    "community": 10 * 60,
    # A council question awaited (or shown similar ones): {process, nonce, text?} (issue 18).
    "council_question": 60 * 60,
    # A hearing question awaiting its answer: {p, q, picks} (issue 18); typed text
    # goes to it only this long after the question was asked.
    "hearing": 2 * 3600,
}


def new_nonce() -> str:
    """A short random token that ties a button to one question (postback ≤300 characters)."""
    return secrets.token_urlsafe(6)


def get(ctx: Context, key: str) -> dict[str, Any] | None:
    """The live entry under ``key``, or None (absent, malformed or expired)."""
    if ctx.resident is None:
        return None
    entry = (ctx.resident.state or {}).get(key)
    if not isinstance(entry, dict):
        return None
    at = entry.get("at")
    if not isinstance(at, (int, float)) or time.time() - at > LIFETIME_S.get(key, 3600):
        return None
    return entry


def put(ctx: Context, key: str, **values: Any) -> dict[str, Any]:
    """Store an entry (stamped with ``at``) and write the state; returns the entry."""
    assert ctx.resident is not None
    entry = {**values, "at": time.time()}
    state = dict(ctx.resident.state or {})
    state[key] = entry
    ctx.resident.state = state
    residents.set_state(ctx.conn, ctx.resident.id, state)
    return entry


def pop(ctx: Context, key: str) -> dict[str, Any] | None:
    """Remove an entry and return it if it was live."""
    entry = get(ctx, key)
    if ctx.resident is not None and key in (ctx.resident.state or {}):
        state = dict(ctx.resident.state)
        del state[key]
        ctx.resident.state = state
        residents.set_state(ctx.conn, ctx.resident.id, state)
    return entry


def answer(ctx: Context, key: str, nonce: str | None) -> dict[str, Any] | None:
    """The live entry a button answers, if its nonce matches; the entry is removed.

    A forged, stale or second tap (the first one removed the entry) gets None
    and changes nothing.
    """
    entry = get(ctx, key)
    if entry is None or not nonce or not secrets.compare_digest(
            str(entry.get("nonce", "")).encode(), str(nonce).encode()):
        return None
    pop(ctx, key)
    return entry


def clear(ctx: Context) -> None:
    """Forget everything pending (withdrawn consent, erasure)."""
    if ctx.resident is not None:
        ctx.resident.state = {}
        residents.set_state(ctx.conn, ctx.resident.id, {})
