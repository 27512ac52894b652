"""A thin HTTP client for the emulator's control surface, for tests and the demo.

Every ``send`` method makes a simulated user act; the emulator builds the
webhook event, POSTs it signed to the bot, and the method returns the
emulator's answer ``{"event": {...}, "status": <bot HTTP status or None>,
"error": ..., "elapsed_s": ...}``. Methods raise ``requests.HTTPError`` when
the emulator itself refuses (a malformed action, a blocked user).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import requests


class SimClient:
    """Drive a running emulator at ``base_url`` (e.g. ``http://127.0.0.1:8090``).

    Args:
        base_url: the emulator's root URL.
        timeout_s: per-request timeout, seconds; it must exceed the webhook
            timeout (10 s) since sends wait for the bot.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.session.request(method, self.base_url + path, timeout=self.timeout_s, **kwargs)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def send(self, user_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Make ``user_id`` act with a raw event spec (see ``POST /_sim/users/<id>/events``)."""
        return self._call("POST", f"/_sim/users/{quote(user_id, safe='')}/events", json=event)

    def follow(self, user_id: str) -> dict[str, Any]:
        """The user adds the account as a friend (or unblocks it): a follow event with a reply token."""
        return self.send(user_id, {"type": "follow"})

    def unfollow(self, user_id: str) -> dict[str, Any]:
        """The user blocks the account: an unfollow event (no reply token)."""
        return self.send(user_id, {"type": "unfollow"})

    def say(self, user_id: str, text: str) -> dict[str, Any]:
        """The user sends a text message."""
        return self.send(user_id, {"type": "text", "text": text})

    def tap(self, user_id: str, data: str, *, display_text: str | None = None,
            params: dict[str, str] | None = None) -> dict[str, Any]:
        """The user taps a postback action carrying ``data`` (``params`` for date/time pickers)."""
        event: dict[str, Any] = {"type": "postback", "data": data}
        if display_text:
            event["display_text"] = display_text
        if params:
            event["params"] = params
        return self.send(user_id, event)

    def send_sticker(self, user_id: str, package_id: str = "446", sticker_id: str = "1988") -> dict[str, Any]:
        """The user sends a sticker."""
        return self.send(user_id, {"type": "sticker", "package_id": package_id, "sticker_id": sticker_id})

    def send_image(self, user_id: str, data: bytes) -> dict[str, Any]:
        """The user sends an image; the bot fetches the bytes from ``/v2/bot/message/<id>/content``."""
        return self.send(user_id, {"type": "image", "image_b64": base64.b64encode(data).decode("ascii")})

    def send_location(self, user_id: str, latitude: float, longitude: float, address: str = "",
                      title: str | None = None) -> dict[str, Any]:
        """The user shares a location."""
        event: dict[str, Any] = {"type": "location", "latitude": latitude, "longitude": longitude,
                                 "address": address}
        if title:
            event["title"] = title
        return self.send(user_id, event)

    def redeliver(self, webhook_event_id: str) -> dict[str, Any]:
        """Send a past event again with ``deliveryContext.isRedelivery`` true."""
        return self._call("POST", f"/_sim/redeliver/{quote(webhook_event_id, safe='')}")

    def messages(self, user_id: str, since: int = 0, *, with_user: bool = False,
                 wait_s: float = 0.0) -> list[dict[str, Any]]:
        """Messages the bot sent to the user, oldest first: ``[{seq, via, message, at, ...}]``.

        ``wait_s`` > 0 (bot messages only) waits up to that many seconds (at
        most 25) for the first one after ``since``: a long poll.
        """
        params: dict[str, Any] = {"since": since}
        if with_user:
            params["with_user"] = 1
        if wait_s > 0:
            params["wait"] = round(wait_s, 3)
        return self._call("GET", f"/_sim/users/{quote(user_id, safe='')}/messages", params=params)

    def texts(self, user_id: str, since: int = 0) -> list[str]:
        """Just the text of the bot's text messages to the user (handy in assertions)."""
        return [m["message"]["text"] for m in self.messages(user_id, since)
                if m["message"].get("type") == "text"]

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        """Recorded Messaging API calls: ``[{seq, method, path, headers, body, status, response, at}]``."""
        return self._call("GET", "/_sim/calls", params={"since": since})

    def all_calls(self, since: int = 0, page: int = 2000) -> list[dict[str, Any]]:
        """Every recorded call after seq ``since``, fetched ``page`` at a time: a city's
        record (hundreds of thousands of calls, Flex bodies included) is too big for one
        response in time."""
        out: list[dict[str, Any]] = []
        while True:
            part = self._call("GET", "/_sim/calls",
                              params={"since": out[-1]["seq"] if out else since, "limit": page})
            out.extend(part)
            if len(part) < page:
                return out

    def reset_calls(self) -> None:
        """Forget recorded calls."""
        self._call("DELETE", "/_sim/calls")

    def reset(self) -> None:
        """Forget all emulator state (users, transcripts, calls, faults, rich menus)."""
        self._call("POST", "/_sim/reset")

    def deliveries(self, since: int = 0) -> list[dict[str, Any]]:
        """Webhook deliveries and the bot's answers."""
        return self._call("GET", "/_sim/deliveries", params={"since": since})

    def set_faults(self, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace injected faults: ``[{"path_prefix", "status", "count", "delay_s", "accepted"}]``."""
        return self._call("POST", "/_sim/faults", json=faults)

    def set_fault_mix(self, *, p500: float = 0.0, p429: float = 0.0, p_slow: float = 0.0,
                      slow_s: float = 6.0, seed: int = 0,
                      path_prefix: str = "/v2/bot/") -> dict[str, Any] | None:
        """Random faults on later calls: 500s, 429s and slow answers (carried out after
        ``slow_s`` seconds), with these probabilities per call, seeded. All zero turns it off."""
        if not (p500 or p429 or p_slow):
            return self._call("POST", "/_sim/faults/mix", json={})
        return self._call("POST", "/_sim/faults/mix", json={
            "p500": p500, "p429": p429, "p_slow": p_slow, "slow_s": slow_s, "seed": seed,
            "path_prefix": path_prefix})

    def fault_mix(self) -> dict[str, Any]:
        """``{"mix": {...} | None, "injected": {"500": n, "429": n, "slow": n}}``."""
        return self._call("GET", "/_sim/faults/mix")

    def set_rate_limits(self, limits: dict[str, float]) -> dict[str, float]:
        """Set requests-per-second limits per path prefix (``{}`` turns them off)."""
        return self._call("POST", "/_sim/limits", json=limits)

    def set_profile(self, user_id: str, display_name: str | None = None, language: str | None = "th",
                    *, following: bool | None = None) -> dict[str, Any]:
        """Create or update a simulated user's profile (and optionally friendship)."""
        body: dict[str, Any] = {"displayName": display_name, "language": language}
        if following is not None:
            body["following"] = following
        return self._call("POST", f"/_sim/users/{quote(user_id, safe='')}", json=body)

    def user(self, user_id: str) -> dict[str, Any]:
        """The simulated user's profile and state (following, loading, rich menu)."""
        return self._call("GET", f"/_sim/users/{quote(user_id, safe='')}")
