"""The handler context: what a conversation step may touch, passed explicitly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg

from bot import catalog
from bot.settings import Settings
from pb.residents import Resident


@dataclasses.dataclass
class Context:
    """One webhook event being handled, inside the worker's transaction.

    Attributes:
        conn: the open connection; the worker owns the transaction.
        settings: Siang's settings.
        event: the raw LINE webhook event (dict, as LINE sent it).
        webhook_event_id: LINE's id of that event (dedupe key).
        resident: the sender, row-locked, or None before a follow.
        embed: text → (raw unit vector (384,) float32, grouping unit vector (384,) float32;
            ``nlp.represent``: what clustering and the similar-idea search compare).
        assign_threshold: cosine (centred space) above which an idea joins a cluster.
        model_name: the embedder's name, stored with each embedding.
        profile_language: asks LINE for a user's language ("th", "en", None).
        mean: centring vector for stored grouping vectors: zeros (they are centred already).
        show_loading: starts LINE's loading animation for a user id (before slow work).
        message_content: (message id, max bytes) → ``bot.line.MessageContent`` (photos).
        replies: messages to send back through the reply token, in order.
    """

    conn: psycopg.Connection
    settings: Settings
    event: dict[str, Any]
    webhook_event_id: str
    resident: Resident | None
    embed: Callable[[str], tuple[np.ndarray, np.ndarray]]
    assign_threshold: float
    model_name: str = "unknown"
    profile_language: Callable[[str], str | None] = lambda user_id: None
    mean: np.ndarray | None = None
    show_loading: Callable[[str], Any] = lambda user_id: None
    message_content: Callable[[str, int], Any] | None = None
    replies: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def user_id(self) -> str | None:
        source = self.event.get("source")
        user_id = source.get("userId") if isinstance(source, dict) else None
        return user_id if isinstance(user_id, str) else None

    @property
    def language(self) -> str:
        return self.resident.language if self.resident else "th"

    def t(self, key: str, **values: Any) -> str:
        """Catalog text in the resident's language."""
        return catalog.t(key, self.language, **values)

    def reply(self, *messages: dict[str, Any]) -> None:
        """Queue messages for the reply token (LINE allows 5 per reply)."""
        self.replies.extend(messages)
