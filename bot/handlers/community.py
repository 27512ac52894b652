"""ชุมชนของฉัน (issue 18): a resident says which registered community they live in.

Optional. Typed "ชุมชน" (or the "my community" button under "my data") shows
the communities of the resident's district as quick replies and waits for a
typed name to search (state key ``community``); a tap records the choice
(:func:`pb.communities.join`). Ideas sent afterwards carry the community, so
its committee can draw up the community development plan from them.

Postbacks ``a=comm&c=...``: ``start`` (the list), ``pick&id=<community>``,
``page&p=<page>`` (more of the list or of the last search), ``leave`` (no
community), ``cancel``.
"""

from __future__ import annotations

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.handlers import district
from pb import communities

PAGE_SIZE = 10          # + "more", "no community", "cancel": within LINE's 13 quick replies
SEARCH_MAX_CHARS = 60   # a longer text is not a community name


def _action(ctx: Context, label: str, display: str | None = None, **values: str | int) -> dict:
    return m.postback_action(label, m.postback_data("comm", **values),
                             display_text=display or label)


def _choices(ctx: Context, typed: str, page: int) -> tuple[list[dict], int]:
    """Quick replies of one page of the district's communities matching ``typed``,
    and how many match."""
    assert ctx.resident is not None and ctx.resident.district is not None
    found, total = communities.in_district(ctx.conn, ctx.resident.district, typed,
                                           limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    items = [_action(ctx, c.name, c.name, c="pick", id=c.id) for c in found]
    if total > (page + 1) * PAGE_SIZE:
        items.append(_action(ctx, ctx.t("comm_more"), c="page", p=page + 1))
    if communities.of_resident(ctx.conn, ctx.resident.id) is not None:
        items.append(_action(ctx, ctx.t("comm_leave_button"), c="leave"))
    items.append(_action(ctx, ctx.t("cancel"), c="cancel"))
    return items, total


def on_typed(ctx: Context, _text: str = "") -> None:
    """Typed "ชุมชน" / "community", the "my community" button: the list and the search."""
    if district.ready(ctx):
        start(ctx)


def start(ctx: Context, _values: dict[str, str] | None = None) -> None:
    """Where the resident is now, the district's communities, and an invitation to type."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    shown = intake.district_shown(ctx, resident.district)
    items, total = _choices(ctx, "", 0)
    if total == 0:
        conversation.pop(ctx, "community")
        ctx.reply(m.text(ctx.t("comm_none_in_district", district=shown)))
        return
    conversation.put(ctx, "community", q="")
    mine = communities.of_resident(ctx.conn, resident.id)
    lines = [ctx.t("comm_current", community=mine.name, district=shown)] if mine else []
    lines.append(ctx.t("comm_prompt", district=shown))
    ctx.reply(m.text("\n".join(lines), quick_reply=items))


def on_text(ctx: Context, typed: str) -> None:
    """A typed community name (the ``community`` state is live): the matching communities."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    query = " ".join(typed.split())[:SEARCH_MAX_CHARS]
    shown = intake.district_shown(ctx, resident.district)
    items, total = _choices(ctx, query, 0)
    if total == 0:
        conversation.put(ctx, "community", q="")
        everything, _n = _choices(ctx, "", 0)
        ctx.reply(m.text(ctx.t("comm_not_found", text=query[:40], district=shown),
                         quick_reply=everything))
        return
    conversation.put(ctx, "community", q=query)
    ctx.reply(m.text(ctx.t("comm_found", text=query[:40]), quick_reply=items))


def is_waiting(ctx: Context) -> bool:
    """True while a typed text is a community search (``community`` state live)."""
    return conversation.get(ctx, "community") is not None


def pick(ctx: Context, values: dict[str, str]) -> None:
    """``c=pick&id=<community>``: record it, if it is of the resident's district."""
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    raw = values.get("id", "")
    chosen = communities.find(ctx.conn, int(raw)) if raw.isdigit() else None
    if chosen is None or not communities.join(ctx.conn, resident.id, chosen.id,
                                              resident.district):
        items, _total = _choices(ctx, "", 0)
        conversation.put(ctx, "community", q="")
        ctx.reply(m.text(ctx.t("comm_not_in_district"), quick_reply=items))
        return
    conversation.pop(ctx, "community")
    ctx.reply(m.text(ctx.t("comm_joined", community=chosen.name,
                           district=intake.district_shown(ctx, chosen.district))))


def page(ctx: Context, values: dict[str, str]) -> None:
    """``c=page&p=<n>``: the next page of the list or of the last search."""
    entry = conversation.get(ctx, "community") or {}
    raw = values.get("p", "0")
    number = int(raw) if raw.isdigit() and int(raw) < 1000 else 0
    query = str(entry.get("q", ""))
    items, total = _choices(ctx, query, number)
    if total <= number * PAGE_SIZE:
        items, total = _choices(ctx, query, 0)
    conversation.put(ctx, "community", q=query)
    ctx.reply(m.text(ctx.t("comm_found", text=query) if query else
                     ctx.t("comm_prompt", district=intake.district_shown(
                         ctx, ctx.resident.district)), quick_reply=items))


def leave(ctx: Context, _values: dict[str, str] | None = None) -> None:
    """``c=leave``: no community from now on (earlier ideas keep theirs)."""
    assert ctx.resident is not None
    conversation.pop(ctx, "community")
    had = communities.leave(ctx.conn, ctx.resident.id)
    ctx.reply(m.text(ctx.t("comm_left" if had else "choice_done")))


def cancel(ctx: Context, _values: dict[str, str] | None = None) -> None:
    """``c=cancel``: stop waiting for a community name."""
    had = conversation.pop(ctx, "community") is not None
    ctx.reply(m.text(ctx.t("comm_cancelled" if had else "choice_done")))


STEPS = {"start": start, "pick": pick, "page": page, "leave": leave, "cancel": cancel}


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """A community button (``a=comm&c=...``)."""
    step = STEPS.get(values.get("c", ""))
    if step is None:
        ctx.reply(m.text(ctx.t("stale_action")))
    elif district.ready(ctx):
        step(ctx, values)


def my_data_line(ctx: Context) -> str:
    """The "community" line of the resident's data summary ("" when none)."""
    assert ctx.resident is not None
    mine = communities.of_resident(ctx.conn, ctx.resident.id)
    return ctx.t("comm_my_data_line", community=mine.name) if mine else ""


def my_data_button(ctx: Context) -> dict:
    """The "my community" quick reply under "my data"."""
    return _action(ctx, ctx.t("comm_button"), c="start")
