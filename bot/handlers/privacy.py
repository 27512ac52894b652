"""ความเป็นส่วนตัว (privacy, Thailand's PDPA): the notice, my data, erase, withdraw consent.

Postbacks ``a=priv&c=...``:

* ``notice``: the privacy notice again (with the consent question if they
  have not consented);
* ``data``: a summary of everything stored about them;
* ``erase``: asks how to treat their ideas, then ``eraseok&m=delete|anon``
  with the question's nonce erases (:func:`pb.erasure.erase`);
* ``consentoff``: asks to confirm, then ``consentoffok`` withdraws consent
  (:func:`pb.erasure.withdraw_consent`);
* ``news&v=on|off``: project announcements on or off;
* ``cancel``: drops the pending question.

Confirmations carry a nonce kept in the conversation state, so a forged,
stale or repeated tap changes nothing.
"""

from __future__ import annotations

from bot import conversation, intake
from bot import messages as m
from bot.context import Context
from bot.handlers import community, follow
from bot.handlers import council, hearing
from pb import erasure, erasure_ledger, ideas, photos, residents, supports
from pb.thaidate import be_date


def _action(ctx: Context, key: str, **values: str) -> dict:
    label = ctx.t(key)
    return m.postback_action(label, m.postback_data("priv", **values), display_text=label)


def menu_quick_replies(ctx: Context) -> list[dict]:
    resident = ctx.resident
    items = [_action(ctx, "privacy_notice_button", c="notice"),
             _action(ctx, "my_data_button", c="data"),
             _action(ctx, "erase_button", c="erase")]
    if resident is not None and resident.has_consented:
        items.append(_action(ctx, "consent_off_button", c="consentoff"))
        if resident.announcements_opt_out:
            items.append(_action(ctx, "news_on_button", c="news", v="on"))
        else:
            items.append(_action(ctx, "news_off_button", c="news", v="off"))
        if resident.district is not None:
            items.append(community.my_data_button(ctx))      # issue 18: my community
    return items


def on_menu(ctx: Context) -> None:
    """Rich menu "ความเป็นส่วนตัว" (also typed)."""
    ctx.reply(m.text(ctx.t("privacy_menu"), quick_reply=menu_quick_replies(ctx)))


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """A privacy button (``a=priv&c=...``); a tap from a user with no row never gets
    here (:func:`bot.handlers.dispatch.on_postback` answers it)."""
    step = STEPS.get(values.get("c", ""))
    if step is None:
        ctx.reply(m.text(ctx.t("stale_action")))
    else:
        step(ctx, values)


def notice(ctx: Context, _values: dict[str, str] | None = None) -> None:
    assert ctx.resident is not None
    if ctx.resident.has_consented:
        ctx.reply(m.text(ctx.t("privacy_notice"), quick_reply=menu_quick_replies(ctx)))
    else:
        ctx.reply(*follow.consent_prompt(ctx))


def _pending_summary(ctx: Context, resident_id: int) -> str:
    items = []
    if conversation.get(ctx, "pending_idea") is not None:
        items.append(ctx.t("pending_idea_item"))
    if conversation.get(ctx, "edit") is not None:
        items.append(ctx.t("edit_item"))
    held = ctx.conn.execute(
        "SELECT count(*) FROM idea_photos WHERE resident_id = %s AND idea_id IS NULL",
        (resident_id,)).fetchone()
    if held and held[0]:
        items.append(ctx.tn("held_photos_item", int(held[0])))
    if conversation.get(ctx, "held_location") is not None:
        items.append(ctx.t("held_location_item"))
    return ", ".join(items) if items else ctx.t("none")


def my_data(ctx: Context, _values: dict[str, str] | None = None) -> None:
    """A summary of everything stored about the resident (PDPA right of access, section 30)."""
    resident = ctx.resident
    assert resident is not None
    language = ctx.t(f"language_{resident.language}")
    if not resident.has_consented:
        ctx.reply(m.text(ctx.t("my_data_follow_only", lang=language),
                         quick_reply=menu_quick_replies(ctx)))
        return
    counts = ideas.count_of_resident(ctx.conn, resident.id)
    total = sum(counts.values())
    detail = ", ".join(ctx.t(f"ideas_detail_{status}", n=n) for status, n in sorted(counts.items())
                       if f"ideas_detail_{status}" in _DETAIL_KEYS)
    located = sum(1 for i in ideas.of_resident(ctx.conn, resident.id, limit=10_000,
                                               include_withdrawn=True) if i.has_location)
    ballots = erasure.ballots_of(ctx.conn, resident.id)
    community_line = community.my_data_line(ctx)         # issue 18: "" when none
    ctx.reply(m.text("\n".join(filter(None, [ctx.t(
        "my_data",
        lang=language,
        consent=be_date(resident.consent_at),
        district=intake.district_shown(ctx, resident.district) if resident.district
        else ctx.t("none"),
        ideas=ctx.t("ideas_summary", n=total, detail=f" ({detail})" if detail else ""),
        photos=photos.count_of_resident(ctx.conn, resident.id),
        located=located,
        supports=supports.count_of_resident(ctx.conn, resident.id),
        ballots=ctx.t("ballots_none_yet") if not ballots else ballots,
        news=ctx.t("no_word") if resident.announcements_opt_out else ctx.t("yes_word"),
        pending=_pending_summary(ctx, resident.id),
    ), community_line, council.my_data_line(ctx), hearing.my_data_line(ctx)])),
        quick_reply=menu_quick_replies(ctx)))


def ask_erase(ctx: Context, _values: dict[str, str] | None = None) -> None:
    assert ctx.resident is not None
    n = sum(ideas.count_of_resident(ctx.conn, ctx.resident.id).values())
    entry = conversation.put(ctx, "confirm", what="erase", nonce=conversation.new_nonce())
    nonce = entry["nonce"]
    if n:   # two ways to treat their ideas, then cancel
        options = [_action(ctx, "erase_delete", c="eraseok", m="delete", n=nonce),
                   _action(ctx, "erase_anonymise", c="eraseok", m="anon", n=nonce)]
        prompt = ctx.t("erase_choose", n=n)
    else:   # no ideas: one choice, worded as such
        options = [_action(ctx, "erase_confirm", c="eraseok", m="delete", n=nonce)]
        prompt = ctx.t("erase_choose_none")
    options.append(_action(ctx, "cancel", c="cancel", n=nonce))
    ctx.reply(m.text(prompt, quick_reply=options))


def erase(ctx: Context, values: dict[str, str]) -> None:
    resident = ctx.resident
    assert resident is not None
    mode = {"delete": "delete", "anon": "anonymise"}.get(values.get("m", ""))
    confirm = conversation.get(ctx, "confirm")
    if mode is None or confirm is None or confirm.get("what") != "erase" \
            or conversation.answer(ctx, "confirm", values.get("n")) is None:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    key = erasure_ledger.load_key(ctx.settings.erasure_key,  # the ledger survives restores
                                  ctx.settings.data_dir / erasure_ledger.KEY_FILE_NAME)
    counts = erasure.erase(ctx.conn, resident.id, ctx.user_id, mode, ledger_key=key)
    ctx.sender_erased = True  # the stored copy of this very event loses the user id too
    done = ctx.tn("erase_done_deleted" if mode == "delete" else "erase_done_anonymised",
                  counts.ideas)
    ctx.reply(m.text(ctx.t("erase_done", ideas=done)))
    resident.line_user_id = None
    resident.district = None
    resident.consent_at = None
    resident.state = {}


def ask_consent_off(ctx: Context, _values: dict[str, str] | None = None) -> None:
    assert ctx.resident is not None
    if not ctx.resident.has_consented:
        ctx.reply(m.text(ctx.t("nothing_to_withdraw")))
        return
    entry = conversation.put(ctx, "confirm", what="consent_off", nonce=conversation.new_nonce())
    ctx.reply(m.text(ctx.t("consent_off_confirm"), quick_reply=[
        _action(ctx, "consent_off_button", c="consentoffok", n=entry["nonce"]),
        _action(ctx, "cancel", c="cancel", n=entry["nonce"]),
    ]))


def consent_off(ctx: Context, values: dict[str, str]) -> None:
    resident = ctx.resident
    assert resident is not None
    confirm = conversation.get(ctx, "confirm")
    if confirm is None or confirm.get("what") != "consent_off" \
            or conversation.answer(ctx, "confirm", values.get("n")) is None:
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    n = erasure.withdraw_consent(ctx.conn, resident.id)
    resident.consent_at = None
    resident.district = None
    resident.state = {}
    ctx.reply(m.text(ctx.tn("consent_withdrawn", n)))


def news(ctx: Context, values: dict[str, str]) -> None:
    resident = ctx.resident
    assert resident is not None
    if not resident.has_consented or values.get("v") not in ("on", "off"):
        ctx.reply(m.text(ctx.t("choice_done")))
        return
    opt_out = values["v"] == "off"
    residents.set_announcements_opt_out(ctx.conn, resident.id, opt_out)
    resident.announcements_opt_out = opt_out
    ctx.reply(m.text(ctx.t("news_off" if opt_out else "news_on")))


def cancel(ctx: Context, values: dict[str, str]) -> None:
    if conversation.answer(ctx, "confirm", values.get("n")) is None:
        ctx.reply(m.text(ctx.t("choice_done")))
    else:
        ctx.reply(m.text(ctx.t("cancelled")))


STEPS = {
    "notice": notice,
    "data": my_data,
    "erase": ask_erase,
    "eraseok": erase,
    "consentoff": ask_consent_off,
    "consentoffok": consent_off,
    "news": news,
    "cancel": cancel,
}

_DETAIL_KEYS = ("ideas_detail_active", "ideas_detail_flagged", "ideas_detail_withdrawn",
                "ideas_detail_hidden", "ideas_detail_spam", "ideas_detail_merged")
