"""The rich menu: seven areas, each a postback ``a=menu&m=<item>`` (see ``bot/richmenu.py``).

Typed words reach the same steps through ``bot.handlers.text.COMMANDS``.
Items that act on a resident's ideas or votes need consent (and a
district); help and privacy work for every follower.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import messages as m
from bot.context import Context
from bot.handlers import (district, follow, help, idea, mine, privacy, progress, vote,
                          whats_open)

# item → (entry point, needs consent and a district)
MENU: dict[str, tuple[Callable[[Context], None], bool]] = {
    "idea": (idea.on_menu, True),
    "vote": (vote.on_menu, True),
    "mine": (mine.on_menu, True),
    "progress": (progress.on_menu, True),
    "help": (help.on_menu, False),
    "privacy": (privacy.on_menu, False),
    "open": (whats_open.on_menu, True),       # issue 18: what's open in my district
}


def open_item(ctx: Context, item: str) -> None:
    """Run one menu item, or guide the resident to the step they still owe."""
    entry = MENU.get(item)
    if entry is None:
        ctx.reply(m.text(ctx.t("stale_action")))
        return
    step, gated = entry
    if ctx.resident is None or not ctx.resident.followed:
        follow.on_follow(ctx)
    elif gated and not ctx.resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
    elif gated and ctx.resident.district is None:
        ctx.reply(district.district_prompt(ctx))
    else:
        step(ctx)


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=menu&m=<item>`` from a rich menu area."""
    open_item(ctx, values.get("m", ""))
