"""RQ jobs of voting rounds: open it, tell residents it opened, close and tally it, tell voters
the result and the authors of projects not selected the outcome.

Jobs take a round id and are idempotent (STYLE.md habit 7): each notice is
claimed by a timestamp on the round (``open_notice_at``,
``result_notice_at``) in the same transaction that writes its outbox rows,
so a second run finds it claimed and sends nothing; closing and tallying
check the round's state under a row lock. Outbox rows are multicast
batches of at most 500 LINE user ids (LINE's limit), one language per
batch, each with its own ``X-Line-Retry-Key`` (:func:`pb.multicast.write`); they are
enqueued for delivery after the commit (the sweeper re-enqueues any that were missed).

The sweeper (``workers.sweeper``) enqueues :func:`notify_round_open` for
rounds whose window has started, :func:`close_round` for rounds past
``closes_at``, :func:`tally_first` for closed rounds never tallied, and
:func:`notify_round_result` for published rounds whose voters were not told;
staff enqueue :func:`open_round` and :func:`close_round` (their request is
carried out here, so the admin page never waits on it: issue 16),
:func:`tally_round` on demand and :func:`notify_round_result` by publishing.
Every notice row is tagged in :mod:`pb.sent_messages` for the admin.
"""

from __future__ import annotations

import logging

import psycopg

from bot import catalog
from bot import notices
from pb import (announcements, ballots, multicast, outcome_notices, results, round_changes,
                rounds)
from workers import runtime
from workers.queues import (DELIVER_OUTBOX, FAILURE_TTL_S, RESULT_TTL_S, outbox_job_id,
                            round_job_id)

log = logging.getLogger(__name__)


def _enqueue_delivery(outbox_ids: list[int]) -> None:
    queue = runtime.get().queue
    for outbox_id in outbox_ids:
        queue.enqueue(DELIVER_OUTBOX, outbox_id, job_id=outbox_job_id(outbox_id),
                      result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)


def notify_round_open(round_id: int) -> int:
    """Tell consenting residents in scope (not opted out of news) that a round is open.

    Runs once the round's window has started; before that (or after it was
    done) it does nothing.

    Returns:
        outbox rows written (0 when not due or already done).
    """
    conn = runtime.get().connection()
    with conn.transaction():
        if not rounds.mark_open_notice(conn, round_id):
            return 0
        found = rounds.load(conn, round_id)
        assert found is not None
        recipients = rounds.residents_in_scope(conn, found.district)
        ids = multicast.ids(multicast.write(
            conn, recipients, lambda language: notices.open_notice(found, language, catalog.t),
            topic="round_open", district=found.district, round_id=round_id))
    log.info("round %s open notice: %s residents in %s batches", round_id, len(recipients), len(ids))
    _enqueue_delivery(ids)
    return len(ids)


def open_round(round_id: int) -> str:
    """Carry out a staff member's "Open voting" (:func:`pb.round_changes.request_step`),
    then tell residents at once if the window has started (else the sweeper does at
    the opening time). Job id ``round-open-<id>``, as the notice's.

    Returns:
        "done", "failed" (the error is kept for the round's page) or "none".
    """
    conn = runtime.get().connection()
    with conn.transaction():
        outcome = round_changes.carry_out_step(conn, round_id, "open")
    if outcome == "done":
        notify_round_open(round_id)
    return outcome


def close_round(round_id: int) -> str:
    """Close a round: as staff asked ("Close voting now", carried out as them), or
    because its closing time passed; then tally it (once: a round that is already
    tallied is left alone).

    Returns:
        "tallied", or "skipped" (not due, not open, or already tallied).
    """
    conn = runtime.get().connection()
    with conn.transaction():
        round_changes.carry_out_step(conn, round_id, "close")
    with conn.transaction():
        rounds.close_due(conn, round_id)
    return tally_round(round_id, first_only=True)


def tally_round(round_id: int, first_only: bool = False) -> str:
    """Tally a closed (or already tallied) round under both rules and store the results.

    Args:
        first_only: tally only a round not tallied yet (the sweeper's catch-up:
            a second tally of the same ballots would only cost time).

    Returns:
        "tallied", or "skipped" when the round is a draft, open or published
        (or already tallied, with ``first_only``).
    """
    conn = runtime.get().connection()
    try:
        with conn.transaction():
            outcome = results.compute(conn, round_id,
                                      states=("closed",) if first_only else ("closed", "tallied"))
    except rounds.RoundError:
        return "skipped"
    chosen = next(r for r in outcome.values() if r.chosen)
    log.info("round %s tallied: %s ballots, quorum met %s, %s winners (%.1f s)", round_id,
             chosen.ballots, chosen.quorum_met, len(chosen.winners), chosen.seconds)
    return "tallied"


def tally_first(round_id: int) -> str:
    """The sweeper's catch-up tally of a closed round (see :func:`tally_round`)."""
    return tally_round(round_id, first_only=True)


def notify_round_result(round_id: int) -> int:
    """Tell the round's LINE voters the published result (winners, or "not valid").

    Returns:
        outbox rows written (0 when not published or already told).
    """
    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        if not rounds.mark_result_notice(conn, round_id):
            return 0
        found = rounds.load(conn, round_id)
        assert found is not None
        stored = results.of_round(conn, round_id)
        chosen = stored.get(found.rule)
        if chosen is None:
            return 0
        titles = {p.code: p.title for p in rounds.projects_of(conn, round_id)}
        url = f"{rt.settings.public_base_url}/results/{round_id}"
        recipients = ballots.voters_to_tell(conn, round_id)
        ids = multicast.ids(multicast.write(
            conn, recipients,
            lambda language: notices.result_notice(found, chosen, titles, language, url, catalog.t),
            topic="round_result", district=found.district, round_id=round_id))
        ids += _tell_outcomes(conn, found, url)
    _enqueue_delivery(ids)
    return len(ids)


def _tell_outcomes(conn: psycopg.Connection, found: rounds.Round, url: str) -> list[int]:
    """Outbox rows telling the authors of not-selected projects (once each; not in quiet
    hours: the rows wait until 08:00), grouped by language and projects, ≤500 per row."""
    groups: dict[tuple[str, tuple[str, ...]], list[outcome_notices.OutcomeNotice]] = {}
    for notice in outcome_notices.claim(conn, found.id):
        groups.setdefault((multicast.language_of(notice.language), tuple(notice.titles)),
                          []).append(notice)
    not_before = multicast.quiet_start(announcements.clock())
    ids = []
    for (_language, titles), group in sorted(groups.items()):
        for batch in multicast.write(
                conn, group,
                lambda language, titles=titles: notices.outcome_notice(
                    found, list(titles), language, url, catalog.t),
                address=lambda n: (n.line_user_id, n.language), not_before=not_before,
                topic="project_outcome", district=found.district, round_id=found.id):
            for notice in batch.members:
                outcome_notices.record_outbox(conn, notice, batch.outbox_id)
            ids.append(batch.outbox_id)
    return ids


def due_jobs(conn: psycopg.Connection) -> list[tuple[str, int, str]]:
    """What the sweeper should enqueue for voting rounds: (function, round id, job id)."""
    asked = round_changes.pending_steps(conn)
    jobs = [("workers.voting.open_round" if step == "open" else "workers.voting.close_round",
             rid, round_job_id(step, rid)) for rid, step in asked]
    jobs += [("workers.voting.notify_round_open", rid, round_job_id("open", rid))
             for rid in rounds.due_to_notify(conn) if (rid, "open") not in asked]
    jobs += [("workers.voting.close_round", rid, round_job_id("close", rid))
             for rid in rounds.due_to_close(conn) if (rid, "close") not in asked]
    jobs += [("workers.voting.tally_first", rid, round_job_id("tally", rid))
             for rid in rounds.due_to_tally(conn)]
    jobs += [("workers.voting.notify_round_result", rid, round_job_id("result", rid))
             for rid in rounds.due_to_tell_result(conn)]
    return jobs
