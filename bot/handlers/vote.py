"""Voting in LINE (BMA PB stage 3): pick projects within the envelope, confirm, get a receipt.

"โหวต" (rich menu or typed) shows the open round of the resident's district
(or the city) as a Flex carousel, at most 12 bubbles per message: one per
project with its cost in baht, a short description and an add or remove
button; with more than 12 projects, pages of 11 and a page bubble. Each
change answers with a running summary (picks used of k, or baht used of the
envelope) and a "confirm" quick reply; confirming casts the ballot
(:func:`pb.ballots.cast`) and answers with a receipt. A resident may change
their ballot until the round closes.

Postbacks (``a=vote``), all checked against the round and the resident:

* ``c=open&r=<round>[&g=<page>]``: the carousel (page ``g``);
* ``c=add&r=<round>&p=<round project>`` / ``c=rm&...``: change the picks;
* ``c=sum&r=<round>``: the summary;
* ``c=ok&r=<round>&v=<draft version>``: confirm the picks the summary showed.

Only consenting residents with a district in the round's scope may vote,
while the round is open. A forged button (unknown command, round, project),
a stale one (round closed, a summary older than the picks) or a double tap
(project already picked, ballot already saved) changes nothing and gets a
clear answer. The picks in progress live in ``ballot_drafts``; the
resident's row lock (held for the whole event) serialises their taps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import messages as m
from bot import catalog
from bot.context import Context
from pb import ballots, districts, rounds
from pb.ballots import BallotDraft, BallotError
from pb.rounds import Round, RoundProject
from pb.thaidate import be_datetime

CAROUSEL_MAX = m.CAROUSEL_MAX      # 12 bubbles per message (LINE)
PAGE_SIZE = CAROUSEL_MAX - 1       # with more than 12 projects: 11 per page + a page bubble
DESCRIPTION_SHOWN = 140            # characters of a project's description in its bubble
TITLE_SHOWN = 80
SUMMARY_LISTED = 15                # picks listed in a summary before "and N more"


# --- wording helpers ---------------------------------------------------------------


def when(ctx: Context, moment: dt.datetime) -> str:
    """``dd/mm/BBBB HH:MM`` in Bangkok time (Buddhist Era), as residents read dates."""
    return be_datetime(moment)


def baht(value: int) -> str:
    return f"{value:,}"


def area(ctx: Context, found: Round) -> str:
    """The round's scope in the resident's language: เขตบางรัก / Bang Rak, or Bangkok."""
    if found.district is None:
        return ctx.t("vote_city")
    if ctx.language == "en":
        return districts.ENGLISH_NAMES.get(found.district, found.district)
    return f"เขต{found.district}"


def rule_line(ctx: Context, found: Round) -> str:
    if found.ballot_type == "approval":
        return ctx.tn("vote_rule_approval", found.max_picks or 0)
    return ctx.t("vote_rule_knapsack", budget=baht(found.budget_baht))


def _data(command: str, found_id: int, **values: Any) -> str:
    return m.postback_data("vote", c=command, r=found_id, **values)


def _action(ctx: Context, key: str, command: str, found_id: int, **values: Any) -> dict:
    label = ctx.t(key)
    return m.postback_action(label, _data(command, found_id, **values), display_text=label)


# --- entry points ---------------------------------------------------------------------


def on_menu(ctx: Context) -> None:
    """Rich menu "โหวต" (and the typed word): the resident's open round, or why there is none.

    The menu has already checked consent and district.
    """
    resident = ctx.resident
    assert resident is not None and resident.district is not None
    open_now = rounds.open_for(ctx.conn, resident.district)
    if len(open_now) == 1:
        show_round(ctx, open_now[0], 0, intro=True)
    elif open_now:
        items = [m.postback_action(m.clip(r.title, m.LABEL_MAX), _data("open", r.id),
                                   display_text=m.clip(r.title, 300)) for r in open_now[:13]]
        ctx.reply(m.text(ctx.tn("vote_choose_round", len(open_now)), quick_reply=items))
    else:
        ctx.reply(m.text(_none_text(ctx, resident.district)))


def _none_text(ctx: Context, district: str) -> str:
    upcoming = rounds.upcoming_for(ctx.conn, district)
    if upcoming is not None:
        return ctx.t("vote_upcoming", title=upcoming.title, opens=when(ctx, upcoming.opens_at))
    closed = rounds.recently_closed_for(ctx.conn, district)
    if closed is not None and closed.state == "published":
        return ctx.t("vote_closed_published", title=closed.title, url=results_url(ctx, closed.id))
    if closed is not None:
        return ctx.t("vote_closed_counting", title=closed.title)
    return ctx.t("vote_none")


def results_url(ctx: Context, round_id: int) -> str:
    return f"{ctx.settings.public_base_url}/results/{round_id}"


def on_postback(ctx: Context, values: dict[str, str]) -> None:
    """Postback ``a=vote&c=open|add|rm|sum|ok&r=<round>...`` (see the module doc)."""
    step = COMMANDS.get(values.get("c", ""))
    found_id = _int(values.get("r"))
    if step is None or found_id is None:
        ctx.reply(m.text(ctx.t("vote_err_bad_button")))
        return
    resident = ctx.resident
    if resident is None or not resident.followed or not resident.has_consented \
            or resident.district is None:
        ctx.reply(m.text(ctx.t("vote_not_eligible")))
        return
    found = rounds.load(ctx.conn, found_id)
    try:
        ballots.check_window(found, resident.district, _now(ctx))
    except BallotError as exc:
        ctx.reply(m.text(error_text(ctx, exc, found)))
        return
    assert found is not None
    step(ctx, found, values)


def _int(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 12:
        return None
    return int(raw)


def _now(ctx: Context) -> dt.datetime:
    row = ctx.conn.execute("SELECT now()").fetchone()
    return row[0]


def error_text(ctx: Context, exc: BallotError, found: Round | None) -> str:
    """A clear sentence for a refused vote, in the resident's language."""
    values = dict(exc.values)
    if exc.code == "closed" and found is not None:
        key = "vote_err_closed_published" if found.state == "published" else "vote_err_closed"
        return ctx.t(key, title=found.title, closes=when(ctx, found.closes_at),
                     url=results_url(ctx, found.id))
    if exc.code == "not_open_yet" and found is not None:
        return ctx.t("vote_err_not_open_yet", title=found.title, opens=when(ctx, found.opens_at))
    if exc.code == "not_in_scope" and found is not None:
        mine = ctx.resident.district if ctx.resident else ""
        if ctx.language == "en" and mine:
            mine = districts.ENGLISH_NAMES.get(mine, mine)
        return ctx.t("vote_err_not_in_scope", area=area(ctx, found), district=mine or "-")
    if exc.code == "too_many":
        return ctx.tn("vote_err_too_many", values.get("k", 0))
    if exc.code == "over_budget":
        return ctx.t("vote_err_over_budget", total=baht(values.get("total", 0)),
                     budget=baht(values.get("budget", 0)))
    key = f"vote_err_{exc.code}"
    return ctx.t(key) if catalog.has(key) else ctx.t("vote_err_bad_button")


# --- the carousel -----------------------------------------------------------------------


def pages_of(on_ballot: list[RoundProject]) -> list[list[RoundProject]]:
    """Projects split into carousel pages: all in one if they fit 12 bubbles, else pages of 11."""
    if len(on_ballot) <= CAROUSEL_MAX:
        return [on_ballot]
    return [on_ballot[i:i + PAGE_SIZE] for i in range(0, len(on_ballot), PAGE_SIZE)]


def show_round(ctx: Context, found: Round, page: int, *, intro: bool = False) -> None:
    """Reply with one page of the round's projects (and, first time, what the vote is)."""
    assert ctx.resident is not None
    on_ballot = rounds.projects_of(ctx.conn, found.id)
    current = ballots.start_draft(ctx.conn, found.id, ctx.resident.id)
    pages = pages_of(on_ballot)
    page = min(max(page, 0), len(pages) - 1)
    out = []
    if intro:
        ballot = ballots.of_resident(ctx.conn, found.id, ctx.resident.id)
        status = (ctx.t("vote_status_voted", number=ballot.id, at=when(ctx, ballot.updated_at))
                  if ballot else ctx.t("vote_status_not_yet"))
        out.append(m.text(ctx.t("vote_intro", title=found.title, area=area(ctx, found),
                                budget=baht(found.budget_baht), rule=rule_line(ctx, found),
                                closes=when(ctx, found.closes_at), status=status)))
    out.append(carousel_message(ctx, found, on_ballot, pages, page, current))
    ctx.reply(*out)


def carousel_message(ctx: Context, found: Round, on_ballot: list[RoundProject],
                     pages: list[list[RoundProject]], page: int, current: BallotDraft) -> dict:
    """One page as a Flex carousel (≤12 bubbles), with summary and page quick replies."""
    picked = set(current.picks)
    number = {p.id: n for n, p in enumerate(on_ballot, start=1)}
    bubbles = [project_bubble(ctx, found, p, number[p.id], len(on_ballot), p.id in picked)
               for p in pages[page]]
    if len(pages) > 1:
        bubbles.append(page_bubble(ctx, found, page, len(pages)))
    quick = [_action(ctx, "vote_summary_button", "sum", found.id)]
    if len(pages) > 1:
        quick.insert(0, _action(ctx, "vote_next_button", "open", found.id,
                                g=(page + 1) % len(pages)))
    alt = ctx.t("vote_carousel_alt", title=found.title, page=page + 1, pages=len(pages))
    return m.flex(alt, m.carousel(bubbles), quick_reply=quick)


def project_bubble(ctx: Context, found: Round, project: RoundProject, number: int, total: int,
                   picked: bool) -> dict:
    body = [m.flex_text(m.clip(project.title, TITLE_SHOWN), size="md", weight="bold", max_lines=3),
            m.flex_text(ctx.t("vote_cost", cost=baht(project.cost_baht)), color=m.PRIMARY,
                        weight="bold")]
    if project.description:
        body.append(m.flex_text(m.clip(" ".join(project.description.split()), DESCRIPTION_SHOWN),
                                color=m.MUTED, max_lines=5))
    if picked:
        body.append(m.flex_text(ctx.t("vote_picked_mark"), weight="bold"))
    if picked:
        button = m.flex_button(_action(ctx, "vote_remove_button", "rm", found.id, p=project.id),
                               style="secondary")
    else:
        button = m.flex_button(_action(ctx, "vote_add_button", "add", found.id, p=project.id))
    return m.bubble(header=ctx.t("vote_project_header", n=number, total=total), body=body,
                    footer=[button])


def page_bubble(ctx: Context, found: Round, page: int, pages: int) -> dict:
    buttons = []
    if page + 1 < pages:
        buttons.append(m.flex_button(_action(ctx, "vote_next_button", "open", found.id, g=page + 1)))
    if page > 0:
        buttons.append(m.flex_button(_action(ctx, "vote_previous_button", "open", found.id,
                                             g=page - 1), style="secondary"))
    buttons.append(m.flex_button(_action(ctx, "vote_summary_button", "sum", found.id),
                                 style="secondary"))
    return m.bubble(header=ctx.t("vote_page_header", page=page + 1, pages=pages),
                    body=[m.flex_text(ctx.t("vote_page_body", page=page + 1, pages=pages))],
                    footer=buttons)


# --- steps ------------------------------------------------------------------------------


def on_open(ctx: Context, found: Round, values: dict[str, str]) -> None:
    page = _int(values.get("g"))
    show_round(ctx, found, page or 0, intro=page is None)


def _project(ctx: Context, found: Round, values: dict[str, str]
             ) -> tuple[dict[int, RoundProject], RoundProject | None]:
    on_ballot = {p.id: p for p in rounds.projects_of(ctx.conn, found.id)}
    project_id = _int(values.get("p"))
    return on_ballot, on_ballot.get(project_id) if project_id is not None else None


def on_add(ctx: Context, found: Round, values: dict[str, str]) -> None:
    """Add a project to the picks, unless it is there already or would break k / the envelope."""
    assert ctx.resident is not None
    on_ballot, project = _project(ctx, found, values)
    if project is None:
        ctx.reply(m.text(ctx.t("vote_err_unknown_project")))
        return
    current = ballots.start_draft(ctx.conn, found.id, ctx.resident.id)
    if project.id in current.picks:
        ctx.reply(summary_message(ctx, found, on_ballot, current,
                                  ctx.t("vote_already_picked", title=m.clip(project.title, 80))))
        return
    problem = ballots.limit_problem(found, on_ballot, [*current.picks, project.id])
    if problem is not None:
        if problem.code == "over_budget":
            used = sum(on_ballot[p].cost_baht for p in current.picks)
            note = ctx.t("vote_refused_over_budget", title=m.clip(project.title, 80),
                         cost=baht(project.cost_baht), left=baht(found.budget_baht - used))
        else:
            note = ctx.tn("vote_refused_too_many", found.max_picks or 0)
        ctx.reply(summary_message(ctx, found, on_ballot, current, note))
        return
    current = ballots.set_draft(ctx.conn, current, [*current.picks, project.id])
    ctx.reply(summary_message(ctx, found, on_ballot, current,
                              ctx.t("vote_added", title=m.clip(project.title, 80))))


def on_remove(ctx: Context, found: Round, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    on_ballot, project = _project(ctx, found, values)
    if project is None:
        ctx.reply(m.text(ctx.t("vote_err_unknown_project")))
        return
    current = ballots.start_draft(ctx.conn, found.id, ctx.resident.id)
    if project.id not in current.picks:
        ctx.reply(summary_message(ctx, found, on_ballot, current,
                                  ctx.t("vote_not_picked", title=m.clip(project.title, 80))))
        return
    current = ballots.set_draft(ctx.conn, current, [p for p in current.picks if p != project.id])
    ctx.reply(summary_message(ctx, found, on_ballot, current,
                              ctx.t("vote_removed", title=m.clip(project.title, 80))))


def on_summary(ctx: Context, found: Round, values: dict[str, str]) -> None:
    assert ctx.resident is not None
    on_ballot = {p.id: p for p in rounds.projects_of(ctx.conn, found.id)}
    current = ballots.start_draft(ctx.conn, found.id, ctx.resident.id)
    ctx.reply(summary_message(ctx, found, on_ballot, current, None))


def summary_message(ctx: Context, found: Round, on_ballot: dict[int, RoundProject],
                    current: BallotDraft, note: str | None) -> dict:
    """The running summary: picks used of k (approval) or baht used of the envelope
    (knapsack), the picks, whether they are saved; quick replies to confirm or go on."""
    picks = [on_ballot[p] for p in current.picks if p in on_ballot]
    used = sum(p.cost_baht for p in picks)
    if found.ballot_type == "approval":
        head = ctx.tn("vote_used_picks", found.max_picks or len(on_ballot), used=len(picks))
    else:
        head = ctx.t("vote_used_budget", used=baht(used), budget=baht(found.budget_baht),
                     left=baht(found.budget_baht - used))
    lines = [note] if note else []
    lines.append(head)
    for n, p in enumerate(picks[:SUMMARY_LISTED], start=1):
        lines.append(f"{n}. {m.clip(p.title, 60)} ({baht(p.cost_baht)} {ctx.t('vote_baht')})")
    if len(picks) > SUMMARY_LISTED:
        lines.append(ctx.t("vote_and_more", n=len(picks) - SUMMARY_LISTED))
    saved = current.saved_version == current.version
    if not picks:
        lines.append(ctx.t("vote_nothing_picked"))
    elif saved:
        lines.append(ctx.t("vote_saved_state"))
    else:
        lines.append(ctx.t("vote_unsaved_state"))
    quick = []
    if picks and not saved:
        quick.append(_action(ctx, "vote_confirm_button", "ok", found.id, v=current.version))
    quick.append(_action(ctx, "vote_projects_button", "open", found.id, g=0))
    return m.text("\n".join(lines), quick_reply=quick)


def on_confirm(ctx: Context, found: Round, values: dict[str, str]) -> None:
    """Cast the picks the summary showed (its draft version), once."""
    assert ctx.resident is not None
    version = _int(values.get("v"))
    on_ballot = {p.id: p for p in rounds.projects_of(ctx.conn, found.id)}
    current = ballots.draft(ctx.conn, found.id, ctx.resident.id)
    if current is None or version is None:
        current = ballots.start_draft(ctx.conn, found.id, ctx.resident.id)
        ctx.reply(summary_message(ctx, found, on_ballot, current, ctx.t("vote_stale_summary")))
        return
    if version != current.version:
        ctx.reply(summary_message(ctx, found, on_ballot, current, ctx.t("vote_stale_summary")))
        return
    existing = ballots.of_resident(ctx.conn, found.id, ctx.resident.id)
    if current.saved_version == current.version and existing is not None:
        ctx.reply(m.text(ctx.t("vote_already_saved", number=existing.id)),
                  receipt_message(ctx, found, on_ballot, existing))
        return
    try:
        with ctx.conn.transaction():       # a savepoint: a refused ballot leaves no trace
            outcome = ballots.cast(ctx.conn, found.id, current.picks, resident_id=ctx.resident.id,
                                   district=ctx.resident.district, source="chat")
    except BallotError as exc:
        ctx.reply(summary_message(ctx, found, on_ballot, current, error_text(ctx, exc, found)))
        return
    ballots.mark_draft_saved(ctx.conn, current)
    ballot = ballots.of_resident(ctx.conn, found.id, ctx.resident.id)
    assert ballot is not None
    key = "vote_recorded" if outcome.created else "vote_changed"
    ctx.reply(m.text(ctx.t(key, title=found.title, closes=when(ctx, found.closes_at))),
              receipt_message(ctx, found, on_ballot, ballot))


def receipt_message(ctx: Context, found: Round, on_ballot: dict[int, RoundProject],
                    ballot: ballots.Ballot) -> dict:
    """The receipt: ballot number, the picks with their costs, when, and until when it can change."""
    picks = [on_ballot[p] for p in ballot.picks if p in on_ballot]
    body = [m.flex_text(m.clip(found.title, 120), weight="bold", max_lines=2),
            m.flex_text(ctx.t("vote_receipt_number", number=ballot.id,
                              version=ballot.version), color=m.MUTED)]
    for p in picks[:SUMMARY_LISTED]:
        body.append(m.flex_text(f"✅ {m.clip(p.title, 60)} · {baht(p.cost_baht)} "
                                f"{ctx.t('vote_baht')}", max_lines=2))
    if len(picks) > SUMMARY_LISTED:
        body.append(m.flex_text(ctx.t("vote_and_more", n=len(picks) - SUMMARY_LISTED)))
    body.append(m.flex_text(ctx.tn("vote_receipt_total", len(picks),
                                   total=baht(sum(p.cost_baht for p in picks))), weight="bold"))
    body.append(m.flex_text(ctx.t("vote_receipt_when", at=when(ctx, ballot.updated_at),
                                  closes=when(ctx, found.closes_at)), color=m.MUTED))
    footer = [m.flex_button(_action(ctx, "vote_change_button", "open", found.id, g=0),
                            style="secondary")]
    alt = ctx.t("vote_receipt_alt", number=ballot.id, title=found.title)
    return m.flex(alt, m.bubble(header=ctx.t("vote_receipt_header"), body=body, footer=footer))


COMMANDS = {
    "open": on_open,
    "add": on_add,
    "rm": on_remove,
    "sum": on_summary,
    "ok": on_confirm,
}
