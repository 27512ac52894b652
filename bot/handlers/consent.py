"""The consent answer (postback ``a=consent&v=yes|no`` or typed)."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from bot.handlers import district
from pb import residents


def on_consent(ctx: Context, values: dict[str, str]) -> None:
    """Record an explicit yes; a no stores nothing beyond the follow."""
    if ctx.resident is None:
        return
    if values.get("v") == "yes":
        residents.give_consent(ctx.conn, ctx.resident.id)
        if ctx.resident.district:
            ctx.reply(district.saved_message(ctx, ctx.resident.district))
        else:
            ctx.reply(district.district_prompt(ctx, "consent_thanks"))
    else:
        ctx.reply(m.text(ctx.t("consent_declined")))
