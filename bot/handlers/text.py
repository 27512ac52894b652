"""Text messages: commands through a table, otherwise the resident's next step."""

from __future__ import annotations

from collections.abc import Callable

from bot import messages as m
from bot.context import Context
from bot.handlers import consent, district, follow, help, idea

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
}


def command_key(text: str) -> str:
    return "".join(text.split()).lower()


def on_text(ctx: Context, text: str) -> None:
    """Route a text message: a command, else consent → district → idea."""
    command = COMMANDS.get(command_key(text))
    if command is not None:
        command(ctx, text)
    elif ctx.resident is None or not ctx.resident.followed:
        follow.on_follow(ctx)  # a chat that began before Siang: treat as a first contact
    elif not ctx.resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
    elif ctx.resident.district is None:
        district.on_text(ctx, text)
    else:
        idea.on_text(ctx, text)
