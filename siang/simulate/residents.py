"""Residents of the simulated city: LINE users acting through the emulator only.

Each resident follows the account, consents, names their district and sends
their ideas (Traffy Fondue reports in their real district and order), some
with the report's location first and some with a photo after; when the bot
shows similar ideas they tap its own "support" or "send as new" button. In
the vote they open the ballot with "โหวต", tap the carousel's add/remove
buttons and the summary's confirm; some change their ballot before the round
closes. Every step waits for the bot's answer (a person reads it first); an
event the webhook refused (503 while the database is down) is redelivered as
LINE does. What each resident meant is kept in :class:`Intent` for the
invariants.
"""

from __future__ import annotations

import random
import re
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from bot.messages import postback_data
from siang.simulate.inputs import Idea

REPLY_TIMEOUT_S = 90.0


def tiny_png(seed: int) -> bytes:
    """A valid 8×8 PNG whose colour depends on ``seed`` (a resident's photo)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rgb = bytes([seed % 256, (seed * 7) % 256, (seed * 13) % 256])
    raw = b"".join(b"\x00" + rgb * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@dataclass
class Intent:
    """What a resident meant to do, for the invariants."""

    user_id: str
    district: str
    ideas: list[Idea] = field(default_factory=list)
    new_ideas: int = 0                   # ideas they sent as new (or that had no similar one)
    supported: set[int] = field(default_factory=set)   # idea ids they tapped "support" on
    opted_out: bool = False
    ballot: list[int] | None = None      # the last confirmed picks (district project indexes)
    confirms: int = 0
    events: list[str] = field(default_factory=list)     # webhookEventIds of their acts
    turns: int = 0
    unanswered: int = 0


@dataclass
class Stats:
    """Reply latencies (sent epoch s, latency s) and counts, shared by all residents."""

    latencies: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    redelivered: int = 0
    vote_problems: dict = field(default_factory=dict)    # what stopped a vote -> count

    def problem(self, what: str) -> None:
        with self.lock:
            self.vote_problems[what] = self.vote_problems.get(what, 0) + 1


def actions(messages: list[dict]) -> list[dict]:
    """Every postback action in messages: quick replies and Flex buttons."""
    found, stack = [], list(messages)
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("type") == "postback":
                found.append(action)
            stack.extend(v for k, v in node.items() if k != "action")
        elif isinstance(node, list):
            stack.extend(node)
    return found


def data_of(action: dict) -> dict[str, str]:
    """A postback action's data as a dict."""
    return dict(parse_qsl(action.get("data", "")))


class Actor:
    """One resident's session with the emulator (its own HTTP session)."""

    def __init__(self, sim, intent: Intent, stats: Stats) -> None:
        self.sim, self.me, self.stats = sim, intent, stats
        self.seen = 0

    def turn(self, act) -> list[dict]:
        """Act, then wait for the bot's answer; returns its messages ([] if none came)."""
        self.me.turns += 1
        sent_at = time.time()
        result = act()
        self.me.events.append(result["event"]["webhookEventId"])
        tries = 0
        while result.get("status") != 200 and tries < 120:   # LINE redelivers a refused event
            time.sleep(1.0)
            tries += 1
            with self.stats.lock:
                self.stats.redelivered += 1
            result = self.sim.redeliver(result["event"]["webhookEventId"])
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            new = self.sim.messages(self.me.user_id, since=self.seen, wait_s=min(20.0, left))
            if new:
                time.sleep(0.05)             # a reply's overflow push follows the reply call
                new = self.sim.messages(self.me.user_id, since=self.seen)
                self.seen = new[-1]["seq"]
                with self.stats.lock:
                    self.stats.latencies.append((sent_at, float(new[0]["at"]) - sent_at))
                return [n["message"] for n in new]
        self.me.unanswered += 1
        return []

    def catch_up(self) -> None:
        """Skip what the bot pushed meanwhile (notices, announcements)."""
        got = self.sim.messages(self.me.user_id, since=self.seen)
        if got:
            self.seen = got[-1]["seq"]

    def onboard(self) -> None:
        """Follow, consent (the bot's button) and name the district, each answered."""
        uid = self.me.user_id
        self.sim.set_profile(uid, f"ผู้อยู่อาศัย {uid[-4:]}", "th")
        self.turn(lambda: self.sim.follow(uid))
        self.turn(lambda: self.sim.tap(uid, postback_data("consent", v="yes"), display_text="ยินยอม"))
        self.turn(lambda: self.sim.say(uid, f"เขต{self.me.district}"))

    def opt_out(self) -> None:
        """Ask for no project news (typed, as the privacy menu's words)."""
        self.turn(lambda: self.sim.say(self.me.user_id, "ไม่รับข่าวโครงการ"))
        self.me.opted_out = True

    def send_idea(self, idea: Idea, rng: random.Random, support_share: float) -> None:
        """The report's place first (if any), its text, the answer to a similar-idea
        offer (support with ``support_share``), then a photo (if any)."""
        uid = self.me.user_id
        if idea.lat is not None:
            self.turn(lambda: self.sim.send_location(uid, idea.lat, idea.lon, f"เขต{idea.district}"))
        answer = self.turn(lambda: self.sim.say(uid, idea.text))
        self._resolve(answer, rng, support_share)
        if idea.photo:
            self.turn(lambda: self.sim.send_image(uid, tiny_png(rng.randrange(1 << 24))))

    def _resolve(self, answer: list[dict], rng: random.Random, support_share: float) -> None:
        """Answer a similar-idea offer with the bot's own buttons; count what was meant."""
        uid = self.me.user_id
        taps = actions(answer)
        new = [a for a in taps if data_of(a).get("a") == "sim" and data_of(a).get("c") == "n"]
        support = [a for a in taps if data_of(a).get("a") == "sim" and data_of(a).get("c") == "s"]
        if not new and not support:
            self.me.new_ideas += 1          # stored straight away
            return
        if support and rng.random() < support_share:
            pick = rng.choice(support)
            answer = self.turn(lambda: self.sim.tap(uid, pick["data"], display_text=pick.get("displayText")))
            again = [a for a in actions(answer) if data_of(a).get("c") == "n"]
            if not again:                  # recorded (or already supported: one support either way)
                self.me.supported.add(int(data_of(pick)["i"]))
                return
            new = again                     # the idea was gone: send as new instead
        if new:
            self.turn(lambda: self.sim.tap(uid, new[0]["data"], display_text=new[0].get("displayText")))
            self.me.new_ideas += 1

    # --- the vote ------------------------------------------------------------------------

    def vote(self, picks: list[int], cost_of: dict[int, int]) -> bool:
        """Open the ballot, make the picks (district project indexes) what it holds, confirm.

        ``cost_of`` maps a project index to its cost (unique in the district): the
        carousel's bubbles are matched by the cost they show. Returns True when the
        receipt came.
        """
        uid = self.me.user_id
        self.catch_up()
        answer = self.turn(lambda: self.sim.say(uid, "โหวต"))
        by_cost = {v: k for k, v in cost_of.items()}
        buttons: dict[int, dict] = {}     # project index -> {add|rm: data}
        for message in answer:
            for bubble in (message.get("contents") or {}).get("contents", []) or []:
                text = str(bubble)
                match = re.search(r"([\d,]+) บาท", text)
                if not match:
                    continue
                index = by_cost.get(int(match.group(1).replace(",", "")))
                for action in actions([bubble]):
                    values = data_of(action)
                    if values.get("a") == "vote" and values.get("c") in ("add", "rm") and index is not None:
                        buttons.setdefault(index, {})[values["c"]] = action["data"]
        if not buttons:
            self.stats.problem("no carousel: " + str(answer)[:150])
            return False
        last = answer
        for index, options in buttons.items():     # remove what is no longer wanted
            if "rm" in options and index not in picks:
                last = self.turn(lambda d=options["rm"]: self.sim.tap(uid, d))
        for index in picks:
            options = buttons.get(index, {})
            if "add" in options:
                last = self.turn(lambda d=options["add"]: self.sim.tap(uid, d))
        confirm = [a for a in actions(last) if data_of(a).get("c") == "ok"]
        if not confirm:      # nothing changed: the summary holds the confirm button
            summary = [a for a in actions(answer) if data_of(a).get("c") == "sum"]
            if summary:
                last = self.turn(lambda: self.sim.tap(uid, summary[0]["data"]))
                confirm = [a for a in actions(last) if data_of(a).get("c") == "ok"]
        if not confirm:
            self.stats.problem("no confirm button: " + str(last)[:150])
            return False
        receipt = self.turn(lambda: self.sim.tap(uid, confirm[0]["data"],
                                                 display_text=confirm[0].get("displayText")))
        if not receipt:
            self.stats.problem("no receipt")
        if receipt:
            self.me.ballot = sorted(picks)
            self.me.confirms += 1
        return bool(receipt)
