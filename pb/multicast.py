"""Notices to many residents at once, written as LINE multicast rows in the outbox.

The one place Siang splits a notice to residents into multicast calls (voting
round notices and outcomes, "your idea is part of a project", hearing
invitations and summaries, council responses, community plan adoptions, and
the batches of staff announcements). The rules it keeps:

* **LINE multicast** (Messaging API ``POST /v2/bot/message/multicast``): at most
  :data:`MAX_RECIPIENTS` (500) user ids and 1 to 5 messages per call
  (:func:`pb.outbox.add` refuses more messages). Each row gets its own
  ``X-Line-Retry-Key`` in the outbox, so a retried call is never sent twice.
* **Language**: one row per language; the messages are composed once per
  language by the caller's ``compose``. A language Siang has no texts in
  goes out in Thai (:data:`LANGUAGES`, as :data:`bot.catalog.LANGUAGES`).
* **Quiet hours**: the caller passes ``not_before``; :func:`quiet_start` moves a
  time out of 21:00–08:00 Bangkok (:func:`pb.announcement_delivery.next_allowed`).
  The sweeper sends a row once it is due.
* **Opt-out**: the recipients are the caller's query, which leaves out residents
  who are not following, not consenting, erased and (for news they did not ask
  for) opted out of announcements: ``pb.announcements.REACHABLE_SQL`` and
  ``NOT r.announcements_opt_out`` (:func:`pb.rounds.residents_in_scope`).
* **Messages sent**: with a ``topic``, each row is tagged in :mod:`pb.sent_messages`
  (in the same transaction) for the admin's ``/admin/sent``.

The caller owns the transaction and enqueues the delivery of the returned rows
after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg

from pb import announcement_delivery, outbox, sent_messages

MAX_RECIPIENTS = 500                   # LINE: user ids per multicast call
LANGUAGES = ("th", "en")               # the languages residents are written to in
DEFAULT_LANGUAGE = "th"

T = TypeVar("T")
Compose = Callable[[str], list[dict[str, Any]]]


@dataclass(frozen=True)
class Batch(Generic[T]):
    """One multicast row written: its outbox id, language and the recipients in it
    (the caller's items, in the order given)."""

    outbox_id: int
    language: str
    members: list[T]


def language_of(language: str | None) -> str:
    """The language a resident is written to in: theirs if Siang has texts in it, else Thai."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def quiet_start(at: dt.datetime) -> dt.datetime:
    """``at`` moved out of quiet hours (21:00–08:00 Bangkok: the next 08:00)."""
    return announcement_delivery.next_allowed(at)


def _pair(item: Any) -> tuple[str, str]:
    user_id, language = item
    return user_id, language


def write(conn: psycopg.Connection, recipients: Iterable[T], compose: Compose, *,
          address: Callable[[T], tuple[str, str]] = _pair,
          not_before: dt.datetime | None = None, topic: str | None = None,
          district: str | None = None, round_id: int | None = None,
          project_id: int | None = None, process_id: int | None = None,
          community_id: int | None = None, announcement_id: int | None = None,
          batch_size: int = MAX_RECIPIENTS) -> list[Batch[T]]:
    """Write one notice to ``recipients`` as outbox multicast rows.

    Args:
        recipients: the residents to tell; by default (LINE user id, language) pairs.
        compose: language ("th"/"en") → the LINE messages (1–5), called once per language.
        address: item → (LINE user id, language), for items of another shape.
        not_before: the earliest send time (quiet hours: :func:`quiet_start`); None = now.
        topic: tag each row in :mod:`pb.sent_messages` with this topic and the group
            (``district``, ``round_id``, ``project_id``, ``process_id``, ``community_id``);
            None = untagged.
        announcement_id: the staff announcement the rows deliver (its queuing job,
            :mod:`pb.announcement_queue`, writes its recipients this way).
        batch_size: user ids per row, 1 to :data:`MAX_RECIPIENTS`.

    Returns:
        the rows written, languages in sorted order ("en" before "th"), each language's
        recipients in the order given, ≤ ``batch_size`` per row.

    Raises:
        ValueError: ``batch_size`` out of range, ``compose`` giving 0 or over 5 messages,
            or an unknown ``topic``.
    """
    if not 1 <= batch_size <= MAX_RECIPIENTS:
        raise ValueError(f"batch size must be 1 to {MAX_RECIPIENTS}")
    by_language: dict[str, list[tuple[str, T]]] = {}
    for item in recipients:
        user_id, language = address(item)
        by_language.setdefault(language_of(language), []).append((user_id, item))
    written: list[Batch[T]] = []
    for language in sorted(by_language):
        people = by_language[language]
        messages = compose(language)
        for start in range(0, len(people), batch_size):
            part = people[start:start + batch_size]
            outbox_id = outbox.add(conn, kind="multicast", messages=messages,
                                   recipients=[user_id for user_id, _item in part],
                                   not_before=not_before, announcement_id=announcement_id)
            if topic is not None:
                sent_messages.tag(conn, outbox_id, topic, len(part), district=district,
                                  round_id=round_id, project_id=project_id,
                                  process_id=process_id, community_id=community_id)
            written.append(Batch(outbox_id, language, [item for _user, item in part]))
    return written


def ids(batches: Iterable[Batch[Any]]) -> list[int]:
    """The outbox ids of ``batches``, in order (to enqueue their delivery)."""
    return [batch.outbox_id for batch in batches]
