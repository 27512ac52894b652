"""The Flex card of a project's progress, for the chat's "ความคืบหน้า" and staff announcements.

One bubble: the project's name, district and fiscal year, its status, a
progress bar (a box inside a box, the bar's ``width`` the percent: Flex has
no progress component), baht disbursed of baht allocated, the latest report
and a button to the public progress page. Text comes from ``bot.catalog``.
"""

from __future__ import annotations

from typing import Any

from bot import catalog
from bot import messages as m
from pb import districts
from pb.progress_summaries import ProjectProgress
from pb.thaidate import be_date

TRACK = "#E5E7EB"
LATEST_SHOWN = 120   # characters of the latest report's narrative


def public_url(base_url: str, project_id: int) -> str:
    """The project's page on the public progress site."""
    return f"{base_url.rstrip('/')}/progress/project/{project_id}"


def bar(percent: int) -> dict[str, Any]:
    """A Flex progress bar: a grey track with a teal box ``percent`` wide (0–100)."""
    percent = max(0, min(100, int(percent)))
    return {"type": "box", "layout": "vertical", "height": "8px", "backgroundColor": TRACK,
            "cornerRadius": "4px", "margin": "md",
            "contents": [{"type": "box", "layout": "vertical", "height": "8px",
                          "width": f"{percent}%", "backgroundColor": m.PRIMARY,
                          "cornerRadius": "4px", "contents": []}]}


def status_text(project: ProjectProgress, language: str) -> str:
    key = f"project_{project.state}"
    return catalog.t(key, language) if catalog.has(key) else project.state


def district_name(district: str, language: str) -> str:
    return districts.ENGLISH_NAMES.get(district, district) if language == "en" else district


def bubble(project: ProjectProgress, language: str, base_url: str,
           note: str | None = None) -> dict[str, Any]:
    """The progress bubble of one project in ``language`` ("th"/"en").

    Args:
        note: an extra muted line (e.g. why the resident sees this project).
    """
    t = lambda key, **v: catalog.t(key, language, **v)  # noqa: E731
    body: list[dict[str, Any]] = [
        m.flex_text(m.clip(project.title, 120), size="md", weight="bold", max_lines=3),
        m.flex_text(t("progress_card_meta", district=district_name(project.district, language),
                      fy=project.fiscal_year), size="xs", color=m.MUTED),
        m.flex_text(status_text(project, language), color=m.PRIMARY, weight="bold"),
    ]
    if project.state in ("in_progress", "done") or project.reports:
        body.append(bar(project.percent))
        body.append(m.flex_text(t("progress_percent", percent=project.percent), size="sm"))
        allocated = project.allocated_baht
        if allocated:
            money = t("progress_card_money", disbursed=f"{project.disbursed_baht:,}",
                      allocated=f"{allocated:,}")
            body.append(m.flex_text(money, size="xs", color=m.MUTED))
        if project.latest_date is not None:
            body.append(m.flex_text(
                t("progress_card_latest", date=be_date(project.latest_date),
                  text=m.clip(project.latest_narrative or "", LATEST_SHOWN)),
                size="xs", color=m.MUTED, max_lines=4))
        else:
            body.append(m.flex_text(t("progress_card_no_report"), size="xs", color=m.MUTED))
    if note:
        body.append(m.flex_text(note, size="xs", color=m.MUTED))
    footer = None
    if project.state in ("selected", "in_progress", "done"):
        footer = [m.flex_button({"type": "uri", "label": t("progress_card_button"),
                                 "uri": public_url(base_url, project.id)})]
    return m.bubble(header=t("progress_card_header"), body=body, footer=footer)


def alt_text(project: ProjectProgress, language: str) -> str:
    return catalog.t("progress_card_alt", language, title=project.title, percent=project.percent)


def opt_out_action(language: str) -> dict[str, Any]:
    """The quick reply under every announcement: stop project news (``a=priv&c=news&v=off``)."""
    label = catalog.t("news_off_button", language)
    return m.postback_action(label, m.postback_data("priv", c="news", v="off"),
                             display_text=label)


def announcement_messages(text_th: str, text_en: str, project: ProjectProgress | None,
                          language: str, base_url: str) -> list[dict[str, Any]]:
    """The LINE messages of a staff announcement for residents reading ``language``:
    the text (English when given and the resident reads English), then the card; the
    last message carries the "stop project news" quick reply."""
    body = text_en if language == "en" and text_en else text_th
    quick = [opt_out_action(language)]
    if project is None:
        return [m.text(body, quick_reply=quick)]
    return [m.text(body), m.flex(alt_text(project, language),
                                 bubble(project, language, base_url), quick_reply=quick)]
