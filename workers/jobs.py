"""RQ jobs: module-level functions that take ids and are idempotent (STYLE.md habit 7).

Running a job twice leaves the same state as running it once: events are
claimed with a row lock and marked processed in the same transaction as
their effects; ideas are keyed by their webhook event; outbox rows carry a
retry key and a lease.
"""

from __future__ import annotations

import logging

from bot.context import Context
from bot.handlers import dispatch
from pb import events, outbox, residents
from workers import delivery, runtime

log = logging.getLogger(__name__)
MAX_EVENT_ATTEMPTS = 5


def _user_id(payload: dict) -> str | None:
    source = payload.get("source")
    user_id = source.get("userId") if isinstance(source, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def process_event(event_id: int) -> str:
    """Handle one stored webhook event exactly once, in its resident's order, then reply.

    A resident's events are handled one at a time and in the order they
    happened, whichever worker holds which job: under the user's advisory
    lock, the worker first handles any earlier pending event of the same
    user (a resident who taps "consent" and types their district at once
    must not have the district read before the consent). The job of an
    event handled that way finds it processed and returns "skipped".

    Returns:
        "done", "skipped" (already processed, or held by another worker) or
        "gave-up" (failed ``MAX_EVENT_ATTEMPTS`` times; kept with its error).

    Raises:
        Whatever handling the event raised, after counting the attempt on the
        event that failed (it stays pending; the sweeper retries it).
    """
    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        user_id = events.user_of(conn, event_id)
    while True:
        outbox_ids: list[int] = []
        current = event_id
        try:
            with conn.transaction():
                if user_id is not None:
                    events.lock_user(conn, user_id)
                    if events.is_processed(conn, event_id):
                        return "skipped"
                    current = events.oldest_pending_of_user(conn, user_id) or event_id
                outcome = _handle(rt, conn, current, outbox_ids)
        except Exception as exc:
            _count_failure(conn, current, exc)
            raise
        for outbox_id in outbox_ids:
            delivery.deliver(outbox_id)
        if current == event_id:
            return outcome


def _handle(rt: runtime.Runtime, conn, event_id: int, outbox_ids: list[int]) -> str:
    """Claim one event, run its conversation step and write its replies to the outbox,
    inside the caller's transaction; the outbox ids to send after commit go to ``outbox_ids``."""
    event = events.claim(conn, event_id)
    if event is None:
        return "skipped"
    if event.attempts > MAX_EVENT_ATTEMPTS:
        events.mark_processed(conn, event, error=f"gave up after {MAX_EVENT_ATTEMPTS} attempts: "
                                                 f"{event.error or 'unknown error'}")
        return "gave-up"
    payload = event.payload if isinstance(event.payload, dict) else {}
    user_id = _user_id(payload)
    resident = residents.get_for_update(conn, user_id) if user_id else None
    ctx = Context(conn=conn, settings=rt.settings, event=payload,
                  webhook_event_id=event.webhook_event_id, resident=resident,
                  embed=rt.embed, assign_threshold=rt.assign_threshold,
                  model_name=rt.embedder.name,
                  profile_language=rt.line.profile_language,
                  mean=rt.mean, show_loading=rt.line.show_loading,
                  message_content=rt.line.message_content)
    dispatch(ctx)
    reply_token = payload.get("replyToken")
    if ctx.replies and isinstance(reply_token, str) and ctx.resident is not None:
        for start in range(0, len(ctx.replies), 5):
            kind = "reply" if start == 0 else "push"
            outbox_ids.append(outbox.add(
                conn, kind=kind, messages=ctx.replies[start:start + 5],
                resident_id=ctx.resident.id,
                reply_token=reply_token if kind == "reply" else None,
                recipients=[] if kind == "reply" else [user_id or ""],
                webhook_event_id=event.webhook_event_id))
    events.mark_processed(conn, event)
    return "done"


def _count_failure(conn, event_id: int, exc: Exception) -> None:
    """Count a failed attempt on the event; only the exception's type is kept (its
    message may quote what the resident wrote). Never raises: the original error matters."""
    try:
        if conn.info.transaction_status != 0:
            conn.rollback()
        with conn.transaction():
            events.record_failure(conn, event_id, type(exc).__name__)
    except Exception as inner:   # e.g. the database is gone: the sweeper retries later
        log.warning("could not record the failure of event %s (%s)", event_id,
                    type(inner).__name__)


def deliver_outbox(outbox_id: int) -> str:
    """Send one outbox row (after a back-off, or after a sender died mid-call)."""
    return delivery.deliver(outbox_id)


def refresh_keywords(process_id: int, district: str) -> int:
    """Recompute c-TF-IDF keywords and medoids of a district's clusters; returns clusters updated."""
    from workers.clustering import refresh_keywords as refresh

    rt = runtime.get()
    return refresh(rt.connection(), rt.mean, process_id, district)


def recluster(process_id: int) -> dict:
    """Full recluster of a process (keeps staff decisions); returns a summary."""
    from workers.clustering import recluster as run

    from nlp.clustering import recluster_distance
    from nlp.represent import for_embedder

    rt = runtime.get()
    rep = rt.representation or for_embedder(rt.embedder.name)
    return run(rt.connection(), rt.mean, rt.assign_threshold, process_id,
               distance_threshold=recluster_distance(rep.name))



def cluster_idea(idea_id: int) -> str:
    """Put an active, embedded idea that has no cluster into one (online assignment).

    Used when staff publish an idea that was held back as ``flagged`` (the
    admin enqueues it after its commit). Idempotent: an idea that is not
    active, not embedded or already in a cluster is left alone.

    Returns:
        "done" or "skipped".
    """
    from nlp.clustering import centre
    from pb import clusters
    from pb.vectors import as_array, register as register_vectors

    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        register_vectors(conn)
        row = conn.execute(
            """SELECT i.process_id, i.district, e.grouping FROM ideas i
                 JOIN idea_embeddings e ON e.idea_id = i.id
                WHERE i.id = %s AND i.status = 'active' AND e.grouping IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cluster_members m WHERE m.idea_id = i.id)
                FOR UPDATE OF i""", (idea_id,)).fetchone()
        if row is None:
            return "skipped"
        process_id, district, embedding = row
        centred = centre(as_array(embedding)[None, :], rt.mean)[0]
        clusters.assign(conn, idea_id, process_id, district, centred, rt.assign_threshold)
    return "done"
