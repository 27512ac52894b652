"""Follow and unfollow: the first contact asks for consent (PDPA) before anything else."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from pb import residents


def consent_prompt(ctx: Context) -> list[dict]:
    """The privacy notice and the explicit consent question with two quick replies."""
    return [
        m.text(ctx.t("privacy_notice")),
        m.text(ctx.t("consent_question"), quick_reply=[
            m.postback_action(ctx.t("consent_yes"), m.postback_data("consent", v="yes"),
                              display_text=ctx.t("consent_yes")),
            m.postback_action(ctx.t("consent_no"), m.postback_data("consent", v="no"),
                              display_text=ctx.t("consent_no")),
        ]),
    ]


def on_follow(ctx: Context) -> None:
    """Welcome a new (or returning) follower and ask for consent."""
    user_id = ctx.user_id
    if user_id is None:
        return
    language = "en" if (ctx.profile_language(user_id) or "").startswith("en") else "th"
    ctx.resident = residents.follow(ctx.conn, user_id, language)
    ctx.reply(m.text(ctx.t("welcome")), *consent_prompt(ctx))


def on_unfollow(ctx: Context) -> None:
    """The resident blocked the account: stop pushing; a re-follow starts fresh."""
    if ctx.resident is not None:
        residents.unfollow(ctx.conn, ctx.resident.id)
