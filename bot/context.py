"""The handler context: what a conversation step may touch, passed explicitly.

LINE HTTP calls a step needs (the loading animation, a user's profile
language, a photo's bytes) are never made while the worker's transaction
holds the resident's advisory and row locks or a district's centroid lock.
A step asks the context; when the answer is not known yet the context raises
:class:`NeedsLine`, the job rolls the transaction back (releasing every
lock), makes the call with no transaction open, and runs the event again
with the answer in :attr:`Context.line_answers`. Each call is made at most
once per job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
from linebot.v3.webhooks import Event

from bot import catalog
from bot.settings import Settings
from pb.residents import Resident


@dataclasses.dataclass(frozen=True)
class LineCall:
    """One LINE HTTP call a conversation step needs.

    Attributes:
        kind: "loading" (start the loading animation in ``key``'s chat),
            "profile" (the language of user ``key``) or "content" (the bytes
            of message ``key``, at most ``max_bytes``).
        key: a LINE user id or message id.
        max_bytes: the download limit of "content" (bytes).
    """

    kind: str
    key: str
    max_bytes: int = 0


class NeedsLine(Exception):
    """Raised by :class:`Context` when a step needs a LINE call not made yet.

    The job catches it outside the transaction (see the module doc); it is
    not an error and never reaches RQ.
    """

    def __init__(self, call: LineCall) -> None:
        super().__init__(f"needs LINE call {call.kind}")
        self.call = call


@dataclasses.dataclass
class Context:
    """One webhook event being handled, inside the worker's transaction.

    Attributes:
        conn: the open connection; the worker owns the transaction.
        settings: Siang's settings.
        event: the webhook event as a line-bot-sdk v3 model (``bot.events.parse``).
        webhook_event_id: LINE's id of that event (dedupe key).
        resident: the sender, row-locked, or None before a follow.
        embed: text → (raw unit vector (dim,) float32, grouping vector (dim,)
            float32, unit; ``nlp.represent``: what clustering and the
            similar-idea search compare).
        assign_threshold: cosine between grouping vectors above which an idea
            joins a cluster.
        model_name: the embedder's name, stored with each embedding.
        user_id: the LINE user id of the event's source, or None.
        reply_token: the event's reply token, or None.
        line_answers: answers of LINE calls made for this event (see the module doc).
        replies: messages to send back through the reply token, in order.
        sender_erased: set by the erasure step: the stored event must lose its user id.
    """

    conn: psycopg.Connection
    settings: Settings
    event: Event
    webhook_event_id: str
    resident: Resident | None
    embed: Callable[[str], tuple[np.ndarray, np.ndarray]]
    assign_threshold: float
    model_name: str = "unknown"
    user_id: str | None = None
    reply_token: str | None = None
    line_answers: dict[LineCall, Any] = dataclasses.field(default_factory=dict)
    replies: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    sender_erased: bool = False

    @property
    def language(self) -> str:
        return self.resident.language if self.resident else "th"

    def t(self, key: str, **values: Any) -> str:
        """Catalog text in the resident's language."""
        return catalog.t(key, self.language, **values)

    def tn(self, key: str, count: int, **values: Any) -> str:
        """Catalog text with a plural chosen by ``count``, in the resident's language."""
        return catalog.tn(key, count, self.language, **values)

    def reply(self, *messages: dict[str, Any]) -> None:
        """Queue messages for the reply token (LINE allows 5 per reply)."""
        self.replies.extend(messages)

    def _line(self, call: LineCall) -> Any:
        if call in self.line_answers:
            return self.line_answers[call]
        raise NeedsLine(call)

    def show_loading(self) -> None:
        """Start LINE's loading animation in the sender's chat (before slow work).

        Raises:
            NeedsLine: the animation was not started yet for this event.
        """
        if self.user_id:
            self._line(LineCall("loading", self.user_id))

    def profile_language(self, user_id: str) -> str | None:
        """The user's LINE language ("th", "en", ...) or None if LINE doesn't say.

        Raises:
            NeedsLine: not asked yet for this event.
        """
        return self._line(LineCall("profile", user_id))

    def message_content(self, message_id: str, max_bytes: int) -> Any:
        """What the user sent in message ``message_id`` (``bot.line.MessageContent``).

        Raises:
            NeedsLine: not downloaded yet for this event.
        """
        return self._line(LineCall("content", message_id, max_bytes))
