"""Vote and result notices: what Siang multicasts about a voting round.

Composed by :mod:`workers.voting` in each recipient language and written to
the outbox; the "vote now" button opens the round's carousel in
:mod:`bot.handlers.vote` (postback ``a=vote&c=open&r=<round>``). Kept apart
from the conversation steps so that jobs need no handler to word a notice.
"""

from __future__ import annotations

from bot import catalog
from bot import messages as m
from pb import districts, results
from pb.rounds import Round
from pb.thaidate import BANGKOK, be_date


def open_notice(found: Round, language: str, t) -> list[dict]:
    """The "voting is open" multicast for residents in scope, in ``language``.

    Args:
        t: ``bot.catalog.t``.
    """
    shown = found.district if language == "th" else districts.ENGLISH_NAMES.get(
        found.district or "", found.district)
    place = t("vote_city", language) if found.district is None else (
        f"เขต{shown}" if language == "th" else shown)
    local = found.closes_at.astimezone(BANGKOK)
    closes = f"{be_date(local)} {local:%H:%M}"
    label = t("vote_now_button", language)
    action = m.postback_action(label, m.postback_data("vote", c="open", r=found.id), display_text=label)
    return [m.text(t("vote_open_notice", language, title=found.title, area=place,
                     budget=f"{found.budget_baht:,}", closes=closes), quick_reply=[action])]


def result_notice(found: Round, result: results.RoundResult, titles: dict[str, str],
                  language: str, url: str, t) -> list[dict]:
    """The result message for the round's voters, in ``language``.

    Args:
        titles: round project code → title.
        url: the public results page.
    """
    if not result.quorum_met:
        return [m.text(catalog.tn("vote_result_invalid", result.ballots, language,
                                  title=found.title, quorum=result.quorum_required, url=url))]
    winners = "\n".join(f"{n}. {m.clip(titles.get(code, code), 80)}"
                        for n, code in enumerate(result.winners[:20], start=1))
    if len(result.winners) > 20:
        winners += "\n" + t("vote_and_more", language, n=len(result.winners) - 20)
    return [m.text(catalog.tn("vote_result_notice", result.ballots, language, title=found.title,
                              winners=winners or "-", used=f"{result.budget_used:,}",
                              budget=f"{found.budget_baht:,}", url=url))]


def outcome_notice(found: Round, titles: list[str], language: str, url: str, t) -> list[dict]:
    """The message to a resident whose idea went into a project that was not selected.

    Args:
        titles: the resident's projects that the vote did not select.
        url: the public results page.
        t: ``bot.catalog.t``.
    """
    listed = "\n".join(f"• {m.clip(title, 80)}" for title in titles[:10])
    return [m.text(t("outcome_not_selected", language, round=found.title, projects=listed,
                     url=url))]
