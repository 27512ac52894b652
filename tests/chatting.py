"""A resident talking to Siang through the LINE emulator, for transcript-style tests.

    alice = chat.resident()
    alice.follow()                 # → the bot's welcome and consent question
    alice.tap("ยินยอม")             # taps the quick reply labelled ยินยอม
    alice.say("เขตบางรัก")
    assert "บันทึกเขตบางรักแล้ว" in alice.said_last

Every action runs the queued jobs (a real RQ worker, in process) and
returns the texts the bot sent back.
"""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def text_of(message: dict[str, Any]) -> str:
    """What a resident reads of one message: its text, a Flex altText, or [type]."""
    if message.get("type") == "text":
        return message.get("text", "")
    if message.get("type") == "flex":
        return message.get("altText", "")
    return f"[{message.get('type')}]"


class Resident:
    def __init__(self, sim, work, user_id: str, language: str = "th") -> None:
        self.sim, self.work, self.user_id = sim, work, user_id
        self.seen = 0
        self.last: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        sim.set_profile(user_id, "Test Resident", language)

    def _after(self, answer: dict[str, Any]) -> list[str]:
        self.events.append(answer)
        assert answer.get("status") == 200, answer
        self.work()
        messages = [m["message"] for m in self.sim.messages(self.user_id, since=self.seen)]
        if messages:
            self.seen = self.sim.messages(self.user_id)[-1]["seq"]
        self.last = messages
        return [text_of(m) for m in messages]

    @property
    def said_last(self) -> str:
        """Everything the bot said in its last turn, joined."""
        return "\n".join(text_of(m) for m in self.last)

    def follow(self) -> list[str]:
        return self._after(self.sim.follow(self.user_id))

    def unfollow(self) -> list[str]:
        return self._after(self.sim.unfollow(self.user_id))

    def say(self, text: str) -> list[str]:
        return self._after(self.sim.say(self.user_id, text))

    def sticker(self) -> list[str]:
        return self._after(self.sim.send_sticker(self.user_id))

    def quick_replies(self) -> list[dict[str, Any]]:
        """The quick-reply actions under the bot's last message."""
        for message in reversed(self.last):
            items = (message.get("quickReply") or {}).get("items")
            if items:
                return [item["action"] for item in items]
        return []

    def tap(self, label: str) -> list[str]:
        """Tap the quick reply with this label (postback or message action)."""
        for action in self.quick_replies():
            if action.get("label") == label:
                if action["type"] == "postback":
                    return self._after(self.sim.tap(self.user_id, action["data"],
                                                    display_text=action.get("displayText")))
                return self.say(action["text"])
        raise AssertionError(f"no quick reply {label!r}; have "
                             f"{[a.get('label') for a in self.quick_replies()]}")

    def send_image(self, data: bytes) -> list[str]:
        """Send a photo (the bot fetches the bytes from the emulator's content endpoint)."""
        return self._after(self.sim.send_image(self.user_id, data))

    def send_location(self, latitude: float, longitude: float, address: str = "") -> list[str]:
        return self._after(self.sim.send_location(self.user_id, latitude, longitude, address))

    def bubbles(self) -> list[dict[str, Any]]:
        """The Flex bubbles the bot sent in its last turn, in order."""
        out: list[dict[str, Any]] = []
        for message in self.last:
            contents = message.get("contents") if message.get("type") == "flex" else None
            if not isinstance(contents, dict):
                continue
            out.extend(contents.get("contents", []) if contents.get("type") == "carousel"
                       else [contents])
        return out

    def bubble_texts(self) -> list[str]:
        """Each bubble's text components joined with newlines (header, body, footer)."""
        def texts(node: Any) -> list[str]:
            if isinstance(node, dict):
                own = [node["text"]] if node.get("type") == "text" and "text" in node else []
                return own + [t for key in ("header", "body", "footer", "contents")
                              for t in texts(node.get(key))]
            if isinstance(node, list):
                return [t for item in node for t in texts(item)]
            return []
        return ["\n".join(texts(b)) for b in self.bubbles()]

    def buttons(self) -> list[dict[str, Any]]:
        """Actions of the Flex buttons in the bot's last turn, bubble by bubble."""
        def walk(node: Any) -> list[dict[str, Any]]:
            if isinstance(node, dict):
                own = [node["action"]] if node.get("type") == "button" else []
                return own + [a for key in ("header", "body", "footer", "contents")
                              for a in walk(node.get(key))]
            if isinstance(node, list):
                return [a for item in node for a in walk(item)]
            return []
        return walk(self.bubbles())

    def tap_button(self, label: str, index: int = 0) -> list[str]:
        """Tap the ``index``-th Flex button with this label (postback or message action)."""
        matches = [a for a in self.buttons() if a.get("label") == label]
        if len(matches) <= index:
            raise AssertionError(f"no button {label!r} #{index}; have "
                                 f"{[a.get('label') for a in self.buttons()]}")
        action = matches[index]
        if action["type"] == "postback":
            return self._after(self.sim.tap(self.user_id, action["data"],
                                            display_text=action.get("displayText")))
        return self.say(action["text"])

    def tap_data(self, data: str) -> list[str]:
        """Send a postback with raw data (e.g. a forged or stale one)."""
        return self._after(self.sim.tap(self.user_id, data))


class ChatFactory:
    def __init__(self, sim, work) -> None:
        self.sim, self.work = sim, work

    def resident(self, language: str = "th") -> Resident:
        return Resident(self.sim, self.work, f"U{next(_ids):032x}", language)

    def onboarded(self, district: str = "บางรัก", language: str = "th") -> Resident:
        """A resident who followed, consented and chose a district."""
        resident = self.resident(language)
        resident.follow()
        resident.tap("ยินยอม" if language == "th" else "I consent")
        resident.say(district)
        return resident
