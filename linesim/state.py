"""The emulator's in-memory LINE platform: users, messages, tokens, calls, faults.

One :class:`Platform` per emulator app. Every method takes the platform's
lock, so the Flask views (run by a threaded server) and a test thread can
share it. Nothing here does I/O: delivering webhooks lives in
:mod:`linesim.webhook`, the HTTP surface in :mod:`linesim.api` and
:mod:`linesim.control`.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import itertools
import random
import secrets
import threading
import time
import uuid
from typing import Any

RETRY_KEY_TTL_S = 24 * 3600  # LINE keeps an accepted X-Line-Retry-Key for 24 hours
# Bounds that keep a long demo (100k+ ideas) flat in memory; tests never reach them.
MAX_CALLS = 200_000
MAX_EVENTS = 200_000


def new_user_id() -> str:
    """A fresh LINE-shaped user id: ``U`` + 32 lowercase hex digits."""
    return "U" + uuid.uuid4().hex


def new_request_id() -> str:
    """A request id like LINE's ``x-line-request-id`` (a UUID)."""
    return str(uuid.uuid4())


DEFAULT_BOT_USER_ID = "U" + "5e1a9" + "0" * 27  # "Siang" in hex-ish; matches U[0-9a-f]{32}


@dataclasses.dataclass(frozen=True)
class SimConfig:
    """How the emulator is wired to one LINE channel and one bot.

    Attributes:
        channel_secret: signs webhook bodies (``X-Line-Signature``).
        channel_access_token: the only Bearer token the Messaging API accepts.
        webhook_url: where webhook events are POSTed (the bot's ``/callback``).
        bot_user_id: the webhook body's ``destination``.
        webhook_timeout_s: how long a webhook POST may take, seconds.
        redeliver: send an event again (``isRedelivery`` true) while the bot
            answers it with an error or not at all, as LINE's webhook
            redelivery does when it is turned on in the console.
        redeliver_after_s: the waits before each redelivery, seconds.
    """

    channel_secret: str
    channel_access_token: str
    webhook_url: str
    bot_user_id: str = DEFAULT_BOT_USER_ID
    webhook_timeout_s: float = 10.0
    redeliver: bool = False
    redeliver_after_s: tuple[float, ...] = (1, 2, 4, 8, 16, 32, 60, 60, 60, 60)


@dataclasses.dataclass
class User:
    """A simulated LINE user as the platform knows them."""

    user_id: str
    display_name: str
    language: str = "th"
    following: bool = False
    ever_followed: bool = False
    has_chatted: bool = False
    loading_until: float = 0.0
    rich_menu_id: str | None = None

    def profile(self) -> dict[str, Any]:
        """The ``UserProfileResponse`` body."""
        return {"displayName": self.display_name, "userId": self.user_id,
                "language": self.language}


@dataclasses.dataclass
class Fault:
    """An injected failure for the next ``count`` calls whose path starts with ``path_prefix``.

    ``status`` None means "only delay". ``accepted`` True means the call is
    carried out (messages delivered, retry key stored) before the error is
    returned, like a LINE timeout after acceptance.
    """

    path_prefix: str
    status: int | None
    count: int = 1
    delay_s: float = 0.0
    accepted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The fault as the JSON ``/_sim/faults`` takes and returns."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class FaultMix:
    """Faults drawn at random for Messaging API calls that no counted :class:`Fault` takes.

    Each call whose path starts with ``path_prefix`` gets a 500 with probability
    ``p500``, a 429 with ``p429``, or a slow answer with ``p_slow``: the call is
    carried out after ``slow_s`` seconds (longer than the client's timeout, the
    caller sees a timeout while LINE accepted it). Draws come from a generator
    seeded with ``seed``, so a run can be repeated call for call.
    """

    p500: float = 0.0
    p429: float = 0.0
    p_slow: float = 0.0
    slow_s: float = 6.0
    seed: int = 0
    path_prefix: str = "/v2/bot/"

    def as_dict(self) -> dict[str, Any]:
        """The mix as ``/_sim/faults/mix`` takes and returns it."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class TokenBucket:
    """Token bucket: ``rate`` requests per second, burst of ``rate`` (at least 1)."""

    rate: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        """Take one token at monotonic time ``now`` (seconds); False when the bucket is empty."""
        capacity = max(self.rate, 1.0)
        if self.tokens < 0:
            self.tokens, self.updated = capacity, now
        self.tokens = min(capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Platform:
    """All emulator state, guarded by one lock.

    Args:
        reply_token_ttl_s: seconds a reply token stays usable (LINE: about one
            minute after the webhook).
        rate_limits: requests per second per path prefix, e.g.
            ``{"/v2/bot/message/push": 10}``; empty means no rate limit.
    """

    def __init__(self, reply_token_ttl_s: float = 60.0,
                 rate_limits: dict[str, float] | None = None) -> None:
        self.lock = threading.RLock()
        #: Notified whenever the bot's message lands in a transcript (long polls wait on it).
        self.arrived = threading.Condition(self.lock)
        self.reply_token_ttl_s = reply_token_ttl_s
        self.rate_limits: dict[str, float] = dict(rate_limits or {})
        # Sequences survive a reset so that a poller's ``since`` never goes stale.
        self._seq = itertools.count(1)
        self._message_ids = itertools.count(int(time.time() * 1000) * 1000)
        self.reset()

    def reset(self) -> None:
        """Forget everything (users, transcripts, tokens, calls, faults, rich menus).

        Keeps the reply-token lifetime and the rate limits.
        """
        with self.lock:
            self._reset()

    def _reset(self) -> None:
        self.users: dict[str, User] = {}
        # Transcript per user: what the bot sent and what the user did, by seq.
        self.messages_by_user: dict[str, list[dict[str, Any]]] = {}
        self.quota_usage = 0  # messages delivered by push, multicast, broadcast
        self.calls: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}  # webhookEventId → event
        self.reply_tokens: dict[str, dict[str, Any]] = {}
        self.retry_keys: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.fault_mix: FaultMix | None = None
        self._fault_rng = random.Random(0)
        self.mix_injected: dict[str, int] = {"500": 0, "429": 0, "slow": 0}
        self.buckets: dict[str, TokenBucket] = {}
        self.contents: dict[str, tuple[bytes, str]] = {}  # messageId → (bytes, content type)
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.rich_menu_images: dict[str, tuple[bytes, str]] = {}
        self.default_rich_menu_id: str | None = None
        self.narrowcasts: dict[str, dict[str, Any]] = {}

    # ids ------------------------------------------------------------------
    def next_seq(self) -> int:
        """The next value of the one sequence shared by messages, calls and deliveries."""
        with self.lock:
            return next(self._seq)

    def new_message_id(self) -> str:
        """A numeric string message id, as LINE uses."""
        with self.lock:
            return str(next(self._message_ids))

    # users ----------------------------------------------------------------
    def user(self, user_id: str, *, create: bool = True) -> User | None:
        """The user with this id, created with a default profile when ``create``."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None and create:
                user = User(user_id=user_id, display_name=f"ผู้ใช้ {user_id[-4:]}")
                self.users[user_id] = user
            return user

    def set_profile(self, user_id: str, display_name: str | None, language: str | None) -> User:
        """Create or update a user's profile; returns the user."""
        with self.lock:
            user = self.user(user_id)
            assert user is not None
            if display_name:
                user.display_name = display_name
            if language:
                user.language = language
            return user

    def profile_visible(self, user_id: str) -> dict[str, Any] | None:
        """The profile the Messaging API may return, or None (unknown or blocked user).

        LINE returns profiles of friends and of users who have messaged the
        account; a user who blocked the account gets 404.
        """
        with self.lock:
            user = self.users.get(user_id)
            if user is None or not (user.following or (user.has_chatted and not user.ever_followed)):
                return None
            return user.profile()

    # transcript -----------------------------------------------------------
    def record_bot_message(self, user_id: str, via: str, message: dict[str, Any],
                           sent_id: str, request_id: str) -> dict[str, Any]:
        """Append one message the bot sent to ``user_id``; returns the entry."""
        with self.lock:
            entry = {"seq": next(self._seq), "from": "bot", "user_id": user_id, "via": via,
                     "message": copy.deepcopy(message), "id": sent_id,
                     "request_id": request_id, "at": time.time()}
            if via in ("push", "multicast", "broadcast"):
                self.quota_usage += 1
            self.messages_by_user.setdefault(user_id, []).append(entry)
            user = self.users.get(user_id)
            if user is not None:
                user.loading_until = 0.0  # LINE hides the loading animation when a message arrives
            self.arrived.notify_all()
            return entry

    def record_user_message(self, user_id: str, event: dict[str, Any], *,
                            display: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append what the user did (the webhook event) to the transcript.

        ``display`` is how the chat shows it (e.g. a postback's displayText as a
        text bubble); defaults to the event's message, if any.
        """
        with self.lock:
            entry = {"seq": next(self._seq), "from": "user", "user_id": user_id,
                     "via": event.get("type"), "event_type": event.get("type"),
                     "message": copy.deepcopy(display if display is not None else event.get("message")),
                     "webhookEventId": event.get("webhookEventId"), "at": time.time()}
            self.messages_by_user.setdefault(user_id, []).append(entry)
            return entry

    def transcript(self, user_id: str, since: int = 0, *, with_user: bool = False) -> list[dict[str, Any]]:
        """Entries for ``user_id`` with ``seq > since``, oldest first.

        Bot messages only unless ``with_user``.
        """
        with self.lock:
            out = []
            for m in self.messages_by_user.get(user_id, ()):
                if m["seq"] <= since:
                    continue
                if m["from"] == "user" and not with_user:
                    continue
                out.append(copy.deepcopy(m))
            return out

    def wait_for_bot(self, user_id: str, since: int, timeout_s: float) -> list[dict[str, Any]]:
        """The bot's messages to ``user_id`` after ``since``, waiting up to ``timeout_s``
        seconds for the first one (a long poll; [] when none came).

        One API call's messages are recorded under one hold of the lock, so a
        waiter wakes with the whole reply, never half of it.
        """
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while True:
                found = self.transcript(user_id, since)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                self.arrived.wait(remaining)

    # reply tokens ---------------------------------------------------------
    def issue_reply_token(self, user_id: str, webhook_event_id: str) -> str:
        """Register a fresh reply token for an event from ``user_id``."""
        token = secrets.token_hex(16)
        with self.lock:
            if len(self.reply_tokens) >= 10_000:
                self._drop_expired_reply_tokens()
            self.reply_tokens[token] = {"user_id": user_id, "issued": time.time(),
                                        "used": False, "webhookEventId": webhook_event_id}
        return token

    def _drop_expired_reply_tokens(self) -> None:
        # An expired token answers "Invalid reply token" like an unknown one,
        # so forgetting it changes nothing the bot can observe.
        cutoff = time.time() - self.reply_token_ttl_s
        self.reply_tokens = {t: i for t, i in self.reply_tokens.items()
                             if i["issued"] >= cutoff and not i["used"]}

    def remember_event(self, event: dict[str, Any]) -> None:
        """Keep an event for redelivery (the oldest are forgotten past ``MAX_EVENTS``)."""
        with self.lock:
            self.events[event["webhookEventId"]] = event
            if len(self.events) > MAX_EVENTS:
                for key in list(self.events)[: len(self.events) - MAX_EVENTS]:
                    del self.events[key]

    def consume_reply_token(self, token: Any) -> str | None:
        """Use a reply token once; returns its user id, or None when unknown, used or expired."""
        with self.lock:
            info = self.reply_tokens.get(token) if isinstance(token, str) else None
            if info is None or info["used"]:
                return None
            if time.time() - info["issued"] > self.reply_token_ttl_s:
                return None
            info["used"] = True
            return info["user_id"]

    # retry keys -----------------------------------------------------------
    def accepted_retry(self, key: str) -> dict[str, Any] | None:
        """The stored outcome of an accepted request with this retry key, if any (24 h)."""
        with self.lock:
            hit = self.retry_keys.get(key)
            if hit and time.time() - hit["at"] > RETRY_KEY_TTL_S:
                del self.retry_keys[key]
                return None
            return hit

    def remember_retry(self, key: str, request_id: str, body: dict[str, Any]) -> None:
        """Store an accepted request's id and answer under its retry key (kept 24 h)."""
        with self.lock:
            self.retry_keys[key] = {"request_id": request_id, "body": body, "at": time.time()}

    # calls ----------------------------------------------------------------
    def record_call(self, call: dict[str, Any]) -> dict[str, Any]:
        """Append one Messaging API call to the record, stamped with a seq; returns it."""
        with self.lock:
            call = {"seq": next(self._seq), **call}
            self.calls.append(call)
            if len(self.calls) > MAX_CALLS * 1.1:
                del self.calls[: len(self.calls) - MAX_CALLS]
            return call

    def calls_since(self, since: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded calls with ``seq > since``, oldest first (copies); at most ``limit``."""
        with self.lock:
            start = bisect.bisect_right(self.calls, since, key=lambda c: c["seq"])
            part = self.calls[start:start + limit] if limit else self.calls[start:]
            return [copy.deepcopy(c) for c in part]

    def reset_calls(self) -> None:
        """Forget recorded calls; users, transcripts and tokens stay."""
        with self.lock:
            self.calls.clear()

    # faults and rate limits -----------------------------------------------
    def set_faults(self, faults: list[Fault]) -> None:
        """Replace the pending faults."""
        with self.lock:
            self.faults = list(faults)

    def set_fault_mix(self, mix: FaultMix | None) -> None:
        """Replace the random fault mix (None: no random faults); reseeds its generator."""
        with self.lock:
            self.fault_mix = mix
            self._fault_rng = random.Random(mix.seed if mix else 0)

    def take_fault(self, path: str) -> Fault | None:
        """The first pending fault matching ``path``, with one use taken from it;
        else one drawn from the fault mix, if any."""
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and path.startswith(fault.path_prefix):
                    fault.count -= 1
                    taken = dataclasses.replace(fault)
                    self.faults = [f for f in self.faults if f.count > 0]
                    return taken
            mix = self.fault_mix
            if mix is None or not path.startswith(mix.path_prefix):
                return None
            draw = self._fault_rng.random()
            if draw < mix.p500:
                kind, fault = "500", Fault(path, 500)
            elif draw < mix.p500 + mix.p429:
                kind, fault = "429", Fault(path, 429)
            elif draw < mix.p500 + mix.p429 + mix.p_slow:
                kind, fault = "slow", Fault(path, None, delay_s=mix.slow_s)
            else:
                return None
            self.mix_injected[kind] += 1
            return fault

    def set_rate_limits(self, limits: dict[str, float]) -> None:
        """Replace the rate limits (path prefix → requests per second; 0 drops a prefix)."""
        with self.lock:
            self.rate_limits = {k: float(v) for k, v in limits.items() if v}
            self.buckets.clear()

    def rate_limited(self, path: str) -> bool:
        """True when the longest matching prefix's bucket has no token left."""
        with self.lock:
            prefixes = [p for p in self.rate_limits if path.startswith(p)]
            if not prefixes:
                return False
            prefix = max(prefixes, key=len)
            bucket = self.buckets.setdefault(prefix, TokenBucket(self.rate_limits[prefix]))
            return not bucket.take(time.monotonic())

    def loading_until(self, user_id: str, seconds: int) -> None:
        """Show the loading animation to ``user_id`` for ``seconds`` (or until a message lands)."""
        with self.lock:
            user = self.user(user_id)
            assert user is not None
            user.loading_until = time.time() + seconds
