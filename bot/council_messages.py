"""LINE messages about a district city council meeting that staff send (issue 18).

Composed per language (Thai, English) from the bot catalog, for outbox rows
the admin writes: the invitation to send questions (an announcement to the
district's residents, so opt-out and quiet hours hold) and the response to a
question group, told to everyone who asked or supported a question of it.
"""

from __future__ import annotations

from typing import Any

from bot import catalog
from bot import messages as m
from pb import districts
from pb.council import Meeting
from pb.thaidate import be_date, be_datetime

RESPONSE_SHOWN = 3000      # characters of a response in the chat message


def district_name(district: str, language: str) -> str:
    """The district as a resident reads it: Thai, or its English name in English."""
    return districts.ENGLISH_NAMES.get(district, district) if language == "en" else district


def ask_action(process_id: int, language: str) -> dict[str, Any]:
    """The quick reply that starts a question to the meeting of process ``process_id``."""
    label = catalog.t("council_ask_button", language)
    return m.postback_action(label, m.postback_data("council", c="ask", p=process_id),
                             display_text=label)


def invitation(meeting: Meeting, language: str) -> list[dict[str, Any]]:
    """The invitation to send questions before a meeting (one text, a quick reply)."""
    body = catalog.t("council_invitation", language,
                     district=district_name(meeting.district, language),
                     date=be_datetime(meeting.meets_at), place=meeting.place,
                     closes=be_datetime(meeting.closes_at))
    return [m.text(body, quick_reply=[ask_action(meeting.process_id, language)])]


def response_notice(meeting: Meeting, response: str, response_en: str, language: str,
                    url: str) -> list[dict[str, Any]]:
    """The council's response to a question group the resident asked or supported."""
    text = response_en if language == "en" and response_en else response
    body = catalog.t("council_response_notice", language,
                     district=district_name(meeting.district, language),
                     date=be_date(meeting.meets_at), response=m.clip(text, RESPONSE_SHOWN),
                     url=url)
    return [m.text(body)]
