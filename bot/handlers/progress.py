"""ความคืบหน้า (progress, BMA PB stage 4): the projects a resident stands behind, in LINE.

The rich menu's "ความคืบหน้า" (or the typed word) answers with the projects
the resident's ideas or supports went into, or that they voted for: each
as a Flex bubble with its status, a progress bar and percent, baht
disbursed of baht allocated, the latest report and a link to the public
progress page (:mod:`bot.progress_card`). Furthest along first, at most
:data:`SHOWN`.

A quick reply turns project announcements off or back on (handled by
:func:`bot.handlers.privacy.news`, postback ``a=priv&c=news&v=off|on``).
"""

from __future__ import annotations

from bot import messages as m
from bot import progress_card
from bot.context import Context
from pb import progress_summaries

SHOWN = 10  # bubbles (LINE allows 12 per carousel)


def news_action(ctx: Context) -> dict:
    """The quick reply that turns project announcements off (or back on)."""
    resident = ctx.resident
    if resident is not None and resident.announcements_opt_out:
        key, value = "news_on_button", "on"
    else:
        key, value = "news_off_button", "off"
    label = ctx.t(key)
    return m.postback_action(label, m.postback_data("priv", c="news", v=value),
                             display_text=label)


def _note(ctx: Context, from_ideas: bool, voted: bool) -> str:
    if from_ideas and voted:
        return ctx.t("progress_why_both")
    return ctx.t("progress_why_voted") if voted else ctx.t("progress_why_idea")


def on_menu(ctx: Context) -> None:
    """Rich menu "ความคืบหน้า" (also typed)."""
    resident = ctx.resident
    assert resident is not None
    news = ctx.t("progress_news_off" if resident.announcements_opt_out else "progress_news_on")
    linked = progress_summaries.projects_of_resident(ctx.conn, resident.id, limit=SHOWN)
    if not linked:
        ctx.reply(m.text(ctx.t("progress_none") + news, quick_reply=[news_action(ctx)]))
        return
    base = ctx.settings.public_base_url
    bubbles = [progress_card.bubble(project, ctx.language, base, _note(ctx, ideas, voted))
               for project, ideas, voted in linked]
    ctx.reply(m.text(ctx.t("progress_intro", n=len(linked)) + news),
              m.flex(ctx.t("progress_alt", n=len(linked)), m.carousel(bubbles),
                     quick_reply=[news_action(ctx)]))
