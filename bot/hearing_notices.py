"""The LINE messages of a hearing's automatic notices (issue 18), in one language each:
the invitation written when staff open it, and "the summary is published" for everyone
who answered. The admin composes them (``admin.hearings``) and :mod:`pb.hearings`
writes them to the outbox; each is a callable language → messages (``Compose``)."""

from __future__ import annotations

from typing import Any

from bot import catalog
from bot import messages as m
from pb.hearings import Hearing
from pb.thaidate import be_datetime


def _title(hearing: Hearing, language: str) -> str:
    return hearing.title_en if language == "en" and hearing.title_en else hearing.title


def invitation(hearing: Hearing, questions: int, language: str) -> list[dict[str, Any]]:
    """The invitation: what, where, until when, and a "take part" quick reply that starts
    answering (postback ``a=hear&c=start&p=<id>``)."""
    area = hearing.area_en() if language == "en" else hearing.area_th()
    body = catalog.t("hear_invite", language, title=_title(hearing, language), area=area,
                     n=questions, closes=be_datetime(hearing.closes_at))
    label = catalog.t("hear_invite_button", language)
    start = m.postback_action(label, m.postback_data("hear", c="start", p=hearing.id),
                              display_text=label)
    return [m.text(body, quick_reply=[start])]


def published(hearing: Hearing, url: str, language: str) -> list[dict[str, Any]]:
    """"The summary is published", with the public page's address."""
    return [m.text(catalog.t("hear_published", language, title=_title(hearing, language),
                             url=url))]
