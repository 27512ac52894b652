"""A chat with the bot's conversation steps and no servers: a transcript-recording fake.

    chat = FakeChat()                      # a follower who has not consented yet
    chat.sticker()
    assert chat.said_last == catalog.t("sticker_only", "th")
    chat.tap("a=gone")                     # a stale postback

Each action builds the webhook event LINE would send, parses it into its
line-bot-sdk model (``bot.events.parse``, as the worker does) and runs
``bot.handlers.dispatch.dispatch`` on a real :class:`bot.context.Context`
whose connection refuses every use: a step that needs the database belongs
in the end-to-end tests (``tests/chatting.py``). LINE calls a step asks for
(loading animation, profile language, photo bytes) are answered from
:class:`FakeChat`'s own fields and recorded in ``line_calls``, the way
``workers.jobs.process_event`` runs a step again after making the call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

from bot import events
from bot.context import Context, LineCall, NeedsLine
from bot.handlers.dispatch import dispatch
from bot.settings import Settings
from pb.residents import Resident
from tests.chatting import text_of

_ids = itertools.count(1)


class NoDatabase:
    """Stands in for the connection: any use fails the test with a clear message."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"this step used the database (conn.{name}); test it end to end "
                             "with tests/chatting.py instead")


def resident(*, consented: bool = False, district: str | None = None, language: str = "th",
             followed: bool = True, user_id: str = "U" + "f" * 32) -> Resident:
    """An in-memory resident row (nothing is stored)."""
    now = dt.datetime.now(dt.timezone.utc)
    return Resident(id=next(_ids), line_user_id=user_id, district=district, language=language,
                    consent_at=now if consented else None, followed=followed, blocked_at=None,
                    erased_at=None, created_at=now)


@dataclasses.dataclass
class FakeChat:
    """One LINE user talking to the steps; ``transcript`` holds ("resident"|"bot", text)."""

    resident: Resident | None = dataclasses.field(default_factory=resident)
    user_id: str = "U" + "f" * 32
    profile_language: str | None = "th"
    contents: dict[str, Any] = dataclasses.field(default_factory=dict)   # message id → content
    settings: Settings = dataclasses.field(
        default_factory=lambda: Settings(channel_secret="s", channel_access_token="t"))
    transcript: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    line_calls: list[LineCall] = dataclasses.field(default_factory=list)
    last: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    # --- what the resident does --------------------------------------------------------

    def say(self, text: str) -> list[str]:
        return self.send(self.event("message", message={
            "id": str(next(_ids)), "type": "text", "text": text, "quoteToken": "q"}), text)

    def sticker(self) -> list[str]:
        return self.send(self.event("message", message={
            "id": str(next(_ids)), "type": "sticker", "packageId": "446", "stickerId": "1988",
            "stickerResourceType": "STATIC", "quoteToken": "q"}), "[sticker]")

    def tap(self, data: str) -> list[str]:
        """A postback with raw data (a button's, or a forged or stale one)."""
        return self.send(self.event("postback", postback={"data": data}), f"[postback {data}]")

    def follow(self) -> list[str]:
        return self.send(self.event("follow", follow={"isUnblocked": False}), "[follows]")

    def event(self, kind: str, *, reply_token: bool = True, **fields: Any) -> dict[str, Any]:
        """The raw webhook event LINE would send (camelCase JSON)."""
        raw: dict[str, Any] = {
            "type": kind, "mode": "active", "timestamp": 1_700_000_000_000,
            "webhookEventId": f"01FAKE{next(_ids):020d}",
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": self.user_id}, **fields}
        if reply_token:
            raw["replyToken"] = "r" * 32
        return raw

    def send(self, raw: dict[str, Any], shown: str | None = None) -> list[str]:
        """Run one raw event through parse → dispatch; returns the texts the bot replied."""
        if shown is not None:
            self.transcript.append(("resident", shown))
        try:
            model = events.parse(raw)
        except events.MalformedEvent:
            model = events.fallback(raw)
        answers: dict[LineCall, Any] = {}
        while True:
            ctx = Context(conn=NoDatabase(), settings=self.settings, event=model,  # type: ignore[arg-type]
                          webhook_event_id=str(raw.get("webhookEventId")),
                          resident=self.resident, embed=_no_embedder, assign_threshold=0.5,
                          model_name="fake", user_id=events.user_id(raw),
                          reply_token=events.reply_token(raw), line_answers=answers)
            try:
                dispatch(ctx)
                break
            except NeedsLine as need:     # the worker would roll back, call LINE, run again
                self.line_calls.append(need.call)
                answers[need.call] = self._answer(need.call)
        self.resident = ctx.resident
        self.last = list(ctx.replies)
        texts = [text_of(m) for m in ctx.replies]
        self.transcript += [("bot", t) for t in texts]
        return texts

    def _answer(self, call: LineCall) -> Any:
        if call.kind == "profile":
            return self.profile_language
        if call.kind == "content":
            return self.contents[call.key]
        return None

    # --- what the bot said ------------------------------------------------------------

    @property
    def said_last(self) -> str:
        """Everything the bot said in its last turn, joined."""
        return "\n".join(text_of(m) for m in self.last)

    def quick_replies(self) -> list[str]:
        """Labels of the quick replies under the bot's last message."""
        for message in reversed(self.last):
            items = (message.get("quickReply") or {}).get("items")
            if items:
                return [item["action"]["label"] for item in items]
        return []


def _no_embedder(text: str):
    raise AssertionError("this step embedded text; test it end to end")
