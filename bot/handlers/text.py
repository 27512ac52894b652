"""Text messages: commands through a table, otherwise the resident's next step."""

from __future__ import annotations

from collections.abc import Callable

from bot import messages as m
from bot.context import Context
from bot import conversation
from bot.handlers import consent, district, edit, follow, help, idea, menu, privacy
from bot.handlers import whats_open
from bot.handlers import council
from bot.handlers import hearing
from bot.handlers import community

# Typed commands, matched on the whole message (case and spaces ignored).
COMMANDS: dict[str, Callable[[Context, str], None]] = {
    "help": help.on_help,
    "ช่วยเหลือ": help.on_help,
    "วิธีใช้": help.on_help,
    "english": lambda ctx, _t: help.set_language(ctx, "en"),
    "ภาษาไทย": lambda ctx, _t: help.set_language(ctx, "th"),
    "thai": lambda ctx, _t: help.set_language(ctx, "th"),
    "ยินยอม": lambda ctx, _t: consent.on_consent(ctx, {"v": "yes"}),
    "consent": lambda ctx, _t: consent.on_consent(ctx, {"v": "yes"}),
    "เปลี่ยนเขต": lambda ctx, _t: ctx.reply(district.district_prompt(ctx)),
    "changedistrict": lambda ctx, _t: ctx.reply(district.district_prompt(ctx)),
    # The rich menu's words, typed (issue 4).
    "ส่งไอเดีย": lambda ctx, _t: menu.open_item(ctx, "idea"),
    "sendanidea": lambda ctx, _t: menu.open_item(ctx, "idea"),
    "โหวต": lambda ctx, _t: menu.open_item(ctx, "vote"),
    "vote": lambda ctx, _t: menu.open_item(ctx, "vote"),
    "ไอเดียของฉัน": lambda ctx, _t: menu.open_item(ctx, "mine"),
    "myideas": lambda ctx, _t: menu.open_item(ctx, "mine"),
    "ความคืบหน้า": lambda ctx, _t: menu.open_item(ctx, "progress"),
    "progress": lambda ctx, _t: menu.open_item(ctx, "progress"),
    "ความเป็นส่วนตัว": lambda ctx, _t: menu.open_item(ctx, "privacy"),
    "privacy": lambda ctx, _t: menu.open_item(ctx, "privacy"),
    "ข้อมูลของฉัน": lambda ctx, _t: privacy.on_postback(ctx, {"c": "data"}),
    "mydata": lambda ctx, _t: privacy.on_postback(ctx, {"c": "data"}),
    "ลบข้อมูลของฉัน": lambda ctx, _t: privacy.on_postback(ctx, {"c": "erase"}),
    "erasemydata": lambda ctx, _t: privacy.on_postback(ctx, {"c": "erase"}),
    "ถอนความยินยอม": lambda ctx, _t: privacy.on_postback(ctx, {"c": "consentoff"}),
    "withdrawconsent": lambda ctx, _t: privacy.on_postback(ctx, {"c": "consentoff"}),
    # Project announcements off and on (issue 7), as the quick replies say them.
    "ไม่รับข่าวโครงการ": lambda ctx, _t: privacy.on_postback(ctx, {"c": "news", "v": "off"}),
    "stopprojectnews": lambda ctx, _t: privacy.on_postback(ctx, {"c": "news", "v": "off"}),
    "รับข่าวโครงการ": lambda ctx, _t: privacy.on_postback(ctx, {"c": "news", "v": "on"}),
    "getprojectnews": lambda ctx, _t: privacy.on_postback(ctx, {"c": "news", "v": "on"}),
    # Which community I live in (issue 18), typed or from "my data".
    "ชุมชน": community.on_typed,
    "ชุมชนของฉัน": community.on_typed,
    "community": community.on_typed,
    "mycommunity": community.on_typed,
    "ยกเลิก": edit.cancel_typed,
    "cancel": edit.cancel_typed,
    # A question to the district city council (issue 18).
    "ถามสภา": council.on_typed,
    "askcouncil": council.on_typed,
}


def command_key(text: str) -> str:
    return "".join(text.split()).lower()


def on_text(ctx: Context, text: str) -> None:
    """Route a text message: a command, else consent → district → idea."""
    command = COMMANDS.get(command_key(text))
    if command is not None:
        command(ctx, text)
    elif whats_open.is_request(text):
        menu.open_item(ctx, "open")       # "มีอะไรเปิดอยู่", "what's open" (issue 18)
    elif ctx.resident is None or not ctx.resident.followed:
        follow.on_follow(ctx)  # a chat that began before Siang: treat as a first contact
    elif not ctx.resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
    elif ctx.resident.district is None:
        district.on_text(ctx, text)
    elif conversation.get(ctx, hearing.STATE) is not None:
        hearing.on_text(ctx, text)  # the answer to a hearing question (issue 18)
    elif council.is_waiting(ctx):
        council.on_text(ctx, text)  # a question to the district city council (issue 18)
    elif community.is_waiting(ctx):
        community.on_text(ctx, text)  # a community name searched (issue 18)
    elif conversation.get(ctx, "edit") is not None:
        edit.on_text(ctx, text)  # the new text of an idea being edited
    else:
        idea.on_text(ctx, text)
