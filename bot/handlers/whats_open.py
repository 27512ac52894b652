""""มีอะไรเปิดอยู่" (what's open, issue 18): one list of what a resident can take part in now.

The rich menu's "มีอะไรเปิดอยู่" area (``a=menu&m=open``), the typed words
(:func:`is_request`: "มีอะไรเปิดอยู่", "what's open" and near variants) and
the postback ``a=open[&g=<page>]`` show the resident's district's open items
(:func:`pb.whats_open.open_items`: voting rounds, ideas collection,
hearings, council question windows, calls for community plans), soonest
closing first, as a Flex carousel: one bubble per item with its programme,
title, closing time (BE) and one button sending the item's own postback.
More than 12 items: pages of 11 and a "more" bubble (``a=open&g=<page>``).
Nothing open: a polite Thai message, never silence.
"""

from __future__ import annotations

import difflib
import unicodedata

from bot import messages as m
from bot.context import Context
from bot.handlers import district, follow
from pb import districts
from pb import whats_open as listing
from pb.processes import OpenItem
from pb.thaidate import be_datetime

PAGE_SIZE = m.CAROUSEL_MAX - 1      # with more than 12 items: 11 per page + a "more" bubble
TITLE_SHOWN = 80
#: kind → (catalog key of the bubble's header, catalog key of its button)
KIND_TEXTS = {
    listing.VOTING_ROUND: ("open_kind_vote", "open_go_vote"),
    "pb": ("open_kind_ideas", "open_go_ideas"),
    "hearing": ("open_kind_hearing", "open_go_hearing"),
    "council": ("open_kind_council", "open_go_council"),
    "community_plan": ("open_kind_community_plan", "open_go_community_plan"),
}
OTHER_TEXTS = ("open_kind_other", "open_go_other")

#: What residents type, after :func:`_typed_key` (spaces, punctuation and polite endings gone).
PHRASES = frozenset({
    "มีอะไรเปิดอยู่", "มีอะไรเปิดอยู่บ้าง", "มีอะไรเปิดบ้าง", "อะไรเปิดอยู่", "อะไรเปิดอยู่บ้าง",
    "เปิดอะไรอยู่", "เปิดอะไรอยู่บ้าง", "มีอะไรเปิด", "มีอะไรเปิดรับอยู่", "มีอะไรเปิดรับบ้าง",
    "มีอะไรให้ร่วมบ้าง", "มีอะไรให้ร่วมอยู่", "ตอนนี้มีอะไรเปิดอยู่", "ตอนนี้มีอะไรเปิดบ้าง",
    "whatsopen", "whatisopen", "whatsopennow", "whatisopennow", "whatsopenforme",
    "whatcanijoin", "whatsopeninmydistrict",
})
_PUNCTUATION = "?？!！.,。'’‘\"“”…~"
_POLITE_ENDINGS = ("ครับผม", "ครับ", "คับ", "ค่ะ", "คะ", "ค๊ะ", "จ้า", "จ้ะ", "จ๊ะ", "นะ", "please")
_FUZZY_MAX_LEN = 30      # longer texts are ideas, never a mistyped command


def _typed_key(text: str) -> str:
    key = "".join(unicodedata.normalize("NFC", text).split()).lower()
    key = "".join(ch for ch in key if ch not in _PUNCTUATION and ch != "\u200b")
    changed = True
    while changed:
        changed = False
        for ending in _POLITE_ENDINGS:
            if key.endswith(ending) and len(key) > len(ending):
                key, changed = key[: -len(ending)], True
    return key


def is_request(text: str) -> bool:
    """True when ``text`` asks what is open: the Thai or English words, with or
    without spaces, punctuation, a polite ending, or one small typo (difflib
    ratio ≥ 0.85 on texts of at most 30 characters)."""
    key = _typed_key(text)
    if not key:
        return False
    if key in PHRASES:
        return True
    return len(key) <= _FUZZY_MAX_LEN and bool(
        difflib.get_close_matches(key, list(PHRASES), n=1, cutoff=0.85))


def area(ctx: Context, name: str | None) -> str:
    """The resident's district as they read it: เขตบางรัก / Bang Rak; Bangkok if unknown."""
    if name is None:
        return ctx.t("open_city")
    if ctx.language == "en":
        return districts.ENGLISH_NAMES.get(name, name)
    return f"เขต{name}"


def _title(ctx: Context, item: OpenItem) -> str:
    shown = item.title_en if ctx.language == "en" and item.title_en else item.title
    return m.clip(shown or " ", TITLE_SHOWN)


def item_bubble(ctx: Context, item: OpenItem) -> dict:
    """One open item: its programme, title, closing time (BE) and one button to take part."""
    kind_key, go_key = KIND_TEXTS.get(item.kind, OTHER_TEXTS)
    closes = (ctx.t("open_closes", when=be_datetime(item.closes_at)) if item.closes_at
              else ctx.t("open_no_close"))
    title = _title(ctx, item)
    label = ctx.t(go_key)
    action = m.postback_action(label, item.postback, display_text=m.clip(title, 300))
    return m.bubble(header=ctx.t(kind_key),
                    body=[m.flex_text(title, size="md", weight="bold", max_lines=4),
                          m.flex_text(closes, size="sm", color=m.MUTED)],
                    footer=[m.flex_button(action)])


def _more_bubble(ctx: Context, page: int, left: int) -> dict:
    label = ctx.t("open_more_button")
    return m.bubble(body=[m.flex_text(ctx.tn("open_more", left), size="md")],
                    footer=[m.flex_button(m.postback_action(
                        label, m.postback_data("open", g=page + 1), display_text=label),
                        style="secondary")])


def show(ctx: Context, page: int = 0) -> None:
    """Reply with the open items of the resident's district (page ``page``), or why none."""
    resident = ctx.resident
    home = resident.district if resident is not None else None
    items = listing.open_items(ctx.conn, home)
    where = area(ctx, home)
    if not items:
        ctx.reply(m.text(ctx.t("open_none", area=where)))
        return
    if len(items) <= m.CAROUSEL_MAX:
        page, shown, left = 0, items, 0
    else:
        pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(page, 0), pages - 1)
        shown = items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        left = len(items) - (page + 1) * PAGE_SIZE
    bubbles = [item_bubble(ctx, item) for item in shown]
    if left > 0:
        bubbles.append(_more_bubble(ctx, page, left))
    intro = ctx.tn("open_intro", len(items), area=where)
    titles = "\n".join(f"• {_title(ctx, item)}" for item in shown)
    ctx.reply(m.text(intro), m.flex(f"{intro}\n{titles}", m.carousel(bubbles)))


def on_menu(ctx: Context) -> None:
    """Rich menu "มีอะไรเปิดอยู่" and the typed words (the menu has checked consent and district)."""
    show(ctx, 0)


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=open[&g=<page>]``: the list again, or its next page.

    A page that is not a number shows the first page; a resident who has
    not consented or has no district yet is guided to that step first.
    """
    resident = ctx.resident
    if resident is None or not resident.has_consented:
        ctx.reply(m.text(ctx.t("consent_needed")), *follow.consent_prompt(ctx))
        return
    if resident.district is None:
        ctx.reply(district.district_prompt(ctx))
        return
    raw = values.get("g", "0")
    show(ctx, int(raw) if raw.isdigit() and len(raw) < 6 else 0)
