"""Help, language switch, and the answer to anything unexpected: never silence."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from pb import residents


def help_quick_replies(ctx: Context) -> list[dict]:
    """Shortcuts under the help text: the menu's main items and the other language."""
    items = [
        m.postback_action(ctx.t("menu_open"), m.postback_data("menu", m="open"),
                          display_text=ctx.t("menu_open")),          # issue 18: what's open
        m.postback_action(ctx.t("menu_idea"), m.postback_data("menu", m="idea"),
                          display_text=ctx.t("menu_idea")),
        m.postback_action(ctx.t("menu_mine"), m.postback_data("menu", m="mine"),
                          display_text=ctx.t("menu_mine")),
        m.postback_action(ctx.t("menu_privacy"), m.postback_data("menu", m="privacy"),
                          display_text=ctx.t("menu_privacy")),
    ]
    other = ctx.t("menu_language")
    items.append(m.message_action(other, other))
    return items


def on_help(ctx: Context, _text: str = "") -> None:
    ctx.reply(m.text(ctx.t("help"), quick_reply=help_quick_replies(ctx)))


def on_menu(ctx: Context) -> None:
    """Rich menu "ช่วยเหลือ"."""
    on_help(ctx)


def on_sticker(ctx: Context) -> None:
    ctx.reply(m.text(ctx.t("sticker_only")))


def on_unsupported(ctx: Context) -> None:
    ctx.reply(m.text(ctx.t("unsupported")))


def set_language(ctx: Context, language: str) -> None:
    if ctx.resident is not None:
        residents.set_language(ctx.conn, ctx.resident.id, language)
        ctx.resident.language = language
    ctx.reply(m.text(ctx.t("language_set")))
