"""Help, language switch, and the answer to anything unexpected: never silence."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from pb import residents


def on_help(ctx: Context, _text: str = "") -> None:
    ctx.reply(m.text(ctx.t("help")))


def on_sticker(ctx: Context) -> None:
    ctx.reply(m.text(ctx.t("sticker_only")))


def on_unsupported(ctx: Context) -> None:
    ctx.reply(m.text(ctx.t("unsupported")))


def set_language(ctx: Context, language: str) -> None:
    if ctx.resident is not None:
        residents.set_language(ctx.conn, ctx.resident.id, language)
        ctx.resident.language = language
    ctx.reply(m.text(ctx.t("language_set")))
