"""My ideas: each of the resident's ideas with its status, as a Flex carousel.

Statuses, from first to last: received → grouped with N similar ideas →
part of project X (issue 5) → up for the vote / selected (issue 6) → in
progress with a percent / done (issue 7); or waiting for staff review
(flagged), not published (hidden, spam). Projects come through the hook
:func:`pb.ideas.project_statuses`, empty until those tables exist. While
the process still collects ideas, each bubble offers "แก้ไข" (edit) and
"ถอนไอเดีย" (withdraw), handled in :mod:`bot.handlers.edit`.
"""

from __future__ import annotations

from bot import conversation
from bot import messages as m
from bot import catalog
from bot.context import Context
from pb import ideas, supports
from pb.thaidate import be_date

SHOWN = 10  # bubbles (LINE allows 12 per carousel)
TEXT_SHOWN = 220


def status_lines(ctx: Context, idea: ideas.ResidentIdea,
                 project: ideas.ProjectStatus | None) -> list[str]:
    """The status of one idea in the resident's language (one or two lines)."""
    if project is not None and idea.status == "active":
        lines = [ctx.t("status_project", title=m.clip(project.title, 80))]
        state = ctx.t(f"project_{project.state}") if catalog.has(f"project_{project.state}") else ""
        if project.percent is not None and project.state in ("in_progress", "done"):
            state = f"{state} · {ctx.t('progress_percent', percent=project.percent)}"
        return lines + ([state] if state else [])
    if idea.status == "flagged":
        return [ctx.t("status_review")]
    if idea.status in ("hidden", "spam"):
        return [ctx.t("status_hidden")]
    if idea.status == "merged":
        return [ctx.t("status_merged")]
    if idea.cluster_size and idea.cluster_size > 1:
        return [ctx.tn("status_grouped", idea.cluster_size - 1)]
    return [ctx.t("status_received")]


def _editable(idea: ideas.ResidentIdea) -> bool:
    return idea.stage == "ideas" and idea.status in ideas.EDITABLE_STATUSES


def idea_bubble(ctx: Context, idea: ideas.ResidentIdea, project: ideas.ProjectStatus | None,
                backers: int) -> dict:
    body = [m.flex_text(m.clip(idea.text, TEXT_SHOWN), size="md", max_lines=6)]
    body += [m.flex_text(line, weight="bold", color=m.PRIMARY)
             for line in status_lines(ctx, idea, project)]
    if idea.status == "active":
        body.append(m.flex_text(ctx.tn("backers", backers), color=m.MUTED))
    extras = []
    if idea.photos:
        extras.append(ctx.tn("has_photos", idea.photos))
    if idea.has_location:
        extras.append(ctx.t("has_location"))
    if extras:
        body.append(m.flex_text(" · ".join(extras), color=m.MUTED))
    sent = ctx.t("sent_on", date=be_date(idea.created_at))
    if idea.edited_at is not None:
        sent += ctx.t("edited_mark")
    body.append(m.flex_text(sent, size="xs", color=m.MUTED))
    footer = None
    if _editable(idea):
        footer = [
            m.flex_button(m.postback_action(ctx.t("edit_button"),
                                            m.postback_data("idea", c="edit", i=idea.id)),
                          style="secondary"),
            m.flex_button(m.postback_action(ctx.t("withdraw_button"),
                                            m.postback_data("idea", c="wd", i=idea.id)),
                          style="link", color="#B91C1C"),
        ]
    return m.bubble(header=ctx.t("idea_number", number=f"{idea.id:,}"), body=body, footer=footer)


def on_menu(ctx: Context) -> None:
    """Rich menu "ไอเดียของฉัน" (also typed)."""
    resident = ctx.resident
    assert resident is not None
    rows = ideas.of_resident(ctx.conn, resident.id, limit=SHOWN)
    counts = ideas.count_of_resident(ctx.conn, resident.id)
    total = sum(n for status, n in counts.items() if status != "withdrawn")
    supported = supports.count_of_resident(ctx.conn, resident.id)
    tail = ""
    if supported:
        tail += ctx.tn("mine_supports", supported)
    if conversation.get(ctx, "pending_idea") is not None:
        tail += ctx.t("mine_pending")
    if not rows:
        # A resident who withdrew every idea did send some: say so, never "not sent yet".
        withdrawn = counts.get("withdrawn", 0)
        none = ctx.tn("mine_none_withdrawn", withdrawn) if withdrawn else ctx.t("mine_none")
        ctx.reply(m.text(none + tail))
        return
    ids = [r.id for r in rows]
    projects = ideas.project_statuses(ctx.conn, ids)
    backers = supports.backers(ctx.conn, ids)
    more = ctx.t("mine_more", shown=len(rows)) if total > len(rows) else ""
    bubbles = [idea_bubble(ctx, r, projects.get(r.id), backers.get(r.id, 1)) for r in rows]
    ctx.reply(m.text(ctx.t("mine_intro", n=total, more=more) + tail),
              m.flex(ctx.t("mine_alt", n=total), m.carousel(bubbles)))
