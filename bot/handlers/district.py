"""Choosing a district: quick-reply pages of districts, or a typed name."""

from __future__ import annotations

from bot import messages as m
from bot.context import Context
from bot.handlers import follow
from pb import districts, residents

PAGE_SIZE = 12  # 12 districts + "more" = 13 quick-reply items, LINE's maximum


def district_prompt(ctx: Context, key: str = "district_question", page: int = 0) -> dict:
    """A question with one page of district quick replies and a "more" button."""
    names = districts.THAI_NAMES if ctx.language == "th" else tuple(
        districts.ENGLISH_NAMES[n] for n in districts.THAI_NAMES)
    pages = (len(names) + PAGE_SIZE - 1) // PAGE_SIZE
    page = page % pages
    start = page * PAGE_SIZE
    items = [
        m.postback_action(label, m.postback_data("district", d=th), display_text=label)
        for label, th in zip(names[start:start + PAGE_SIZE],
                             districts.THAI_NAMES[start:start + PAGE_SIZE])
    ]
    items.append(m.postback_action(ctx.t("more_districts"),
                                   m.postback_data("districts", p=(page + 1) % pages)))
    return m.text(ctx.t(key), quick_reply=items)


def ready(ctx: Context) -> bool:
    """True when the resident may take part in their district (following, consent given,
    a district chosen); otherwise False, and they are guided to the step they still owe."""
    resident = ctx.resident
    if resident is None or not resident.followed:
        follow.on_follow(ctx)
    elif not resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
    elif resident.district is None:
        ctx.reply(district_prompt(ctx))
    else:
        return True
    return False


def saved_message(ctx: Context, name: str) -> dict:
    shown = name if ctx.language == "th" else districts.ENGLISH_NAMES[name]
    return m.text(ctx.t("district_saved", district=shown))


def choose(ctx: Context, name: str) -> None:
    assert ctx.resident is not None
    residents.set_district(ctx.conn, ctx.resident.id, name)
    ctx.reply(saved_message(ctx, name))


def on_pick(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=district&d=<Thai name>``."""
    if ctx.resident is None or not ctx.resident.has_consented:
        return
    name = values.get("d", "")
    if districts.is_district(name):
        choose(ctx, name)
    else:
        ctx.reply(district_prompt(ctx, "stale_action"))


def on_page(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=districts&p=<page>``: the next page of districts."""
    if ctx.resident is None or not ctx.resident.has_consented:
        return
    try:
        page = int(values.get("p", "0"))
    except ValueError:
        page = 0
    ctx.reply(district_prompt(ctx, page=page))


def on_text(ctx: Context, typed: str) -> None:
    """A typed district name while the resident has none yet."""
    name = districts.match_district(typed)
    if name is None:
        ctx.reply(m.text(ctx.t("district_unknown", text=typed[:40])), district_prompt(ctx))
    else:
        choose(ctx, name)
