"""RQ jobs: module-level functions that take ids and are idempotent (STYLE.md habit 7).

Running a job twice leaves the same state as running it once: events are
claimed with a row lock and marked processed in the same transaction as
their effects; ideas are keyed by their webhook event; outbox rows carry a
retry key and a lease.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from bot import events as webhook_events
from bot import metrics
from bot.context import Context, LineCall, NeedsLine
from bot.handlers.dispatch import dispatch
from pb import events, outbox, residents
from workers import delivery, runtime
from workers.queues import Queues

log = logging.getLogger(__name__)
MAX_EVENT_ATTEMPTS = 5
#: LINE calls one event may need (loading animation, profile, photo): a bound, not a budget.
MAX_LINE_CALLS = 8


def process_event(event_id: int) -> str:
    """Handle one stored webhook event exactly once, in its resident's order, then reply.

    A resident's events are handled one at a time and in the order they
    happened, whichever worker holds which job: under the user's advisory
    lock, the worker first handles any earlier pending event of the same
    user (a resident who taps "consent" and types their district at once
    must not have the district read before the consent). The job of an
    event handled that way finds it processed and returns "skipped".

    No LINE HTTP call happens while that transaction holds its locks: a step
    that needs one (loading animation, profile language, a photo's bytes)
    raises :class:`bot.context.NeedsLine`; the transaction rolls back, the
    call is made here with no transaction open, and the event runs again
    with the answer. Replies go out after the commit (the outbox).

    Returns:
        "done", "skipped" (already processed, or held by another worker) or
        "gave-up" (failed ``MAX_EVENT_ATTEMPTS`` times; kept with its error).

    Raises:
        Whatever handling the event raised, after counting the attempt on the
        event that failed (it stays pending; the sweeper retries it).
    """
    with metrics.job_timer("process_event") as labels:
        labels["result"] = result = _process_event(event_id)
    log.info("event %s: %s", event_id, result)      # ids only: the job id correlates the rest
    return result


def _process_event(event_id: int) -> str:
    rt = runtime.get()
    conn = rt.connection()
    with conn.transaction():
        user_id = events.user_of(conn, event_id)
    answers: dict[int, dict[LineCall, Any]] = {}   # per event: LINE calls made for it
    while True:
        outbox_ids: list[int] = []
        current = event_id
        stamp: dict[str, Any] = {}     # the event's LINE timestamp, for the reply latency
        try:
            with conn.transaction():
                if user_id is not None:
                    events.lock_user(conn, user_id)
                    if events.is_processed(conn, event_id):
                        return "skipped"
                    current = events.oldest_pending_of_user(conn, user_id) or event_id
                outcome = _handle(rt, conn, current, outbox_ids, answers.setdefault(current, {}),
                                  stamp)
        except NeedsLine as need:          # rolled back: no lock is held now
            made = answers.setdefault(current, {})
            if len(made) >= MAX_LINE_CALLS or need.call in made:
                exc = RuntimeError(f"event needs too many LINE calls ({need.call.kind})")
                _count_failure(conn, current, exc)
                metrics.events_counted("failed")
                raise exc from None
            made[need.call] = _call_line(rt, need.call)
            continue
        except Exception as exc:
            _count_failure(conn, current, exc)
            metrics.events_counted("failed")
            raise
        if outcome in ("done", "gave-up"):
            metrics.events_counted("processed")
        for n, outbox_id in enumerate(outbox_ids):
            sent = delivery.deliver(outbox_id)
            if n == 0 and sent == "sent" and isinstance(stamp.get("timestamp"), (int, float)):
                metrics.reply_answered(stamp["timestamp"])
        if current == event_id:
            return outcome


def _call_line(rt: runtime.Runtime, call: LineCall) -> Any:
    """Make one LINE call a step asked for (never inside a transaction); its answer."""
    if call.kind == "loading":
        return rt.line.show_loading(call.key)
    if call.kind == "profile":
        return rt.line.profile_language(call.key)
    if call.kind == "content":
        return rt.line.message_content(call.key, call.max_bytes)
    raise ValueError(f"unknown LINE call {call.kind!r}")


def _handle(rt: runtime.Runtime, conn, event_id: int, outbox_ids: list[int],
            line_answers: dict[LineCall, Any], stamp: dict[str, Any]) -> str:
    """Claim one event, run its conversation step and write its replies to the outbox,
    inside the caller's transaction; the outbox ids to send after commit go to ``outbox_ids``,
    the event's LINE ``timestamp`` (Unix ms) to ``stamp``.

    The stored JSON becomes a line-bot-sdk model here (``bot.events.parse``);
    an event the SDK cannot parse is answered like an unknown one (help, if
    it has a reply token) and marked processed with its error.

    Raises:
        NeedsLine: the step needs a LINE call first (the caller rolls back).
    """
    event = events.claim(conn, event_id)
    if event is None:
        return "skipped"
    if event.attempts > MAX_EVENT_ATTEMPTS:
        events.mark_processed(conn, event, error=f"gave up after {MAX_EVENT_ATTEMPTS} attempts: "
                                                 f"{event.error or 'unknown error'}")
        return "gave-up"
    payload = event.payload if isinstance(event.payload, dict) else {}
    stamp["timestamp"] = payload.get("timestamp")
    error = None
    try:
        model = webhook_events.parse(payload)
    except webhook_events.MalformedEvent as exc:
        model, error = webhook_events.fallback(payload), exc.reason
    user_id = webhook_events.user_id(payload)
    reply_token = webhook_events.reply_token(payload)
    resident = residents.get_for_update(conn, user_id) if user_id else None
    ctx = Context(conn=conn, settings=rt.settings, event=model,
                  webhook_event_id=event.webhook_event_id, resident=resident,
                  embed=metrics.timed_embed(rt.embed), assign_threshold=rt.assign_threshold,
                  model_name=rt.embedder.name, user_id=user_id, reply_token=reply_token,
                  line_answers=line_answers)
    dispatch(ctx)
    if ctx.sender_erased:    # erased: the stored copy of this very event loses the user id
        payload["source"] = {"type": "user"}
    if ctx.replies and reply_token:
        # A reply needs no resident row: a stranger's old button and a group's
        # invitation are answered too. Only a resident's own chat gets the
        # extra messages beyond LINE's five per reply, as a push.
        resident_id = ctx.resident.id if ctx.resident is not None else None
        for start in range(0, len(ctx.replies), 5):
            kind = "reply" if start == 0 else "push"
            if kind == "push" and (resident_id is None or not user_id):
                break
            outbox_ids.append(outbox.add(
                conn, kind=kind, messages=ctx.replies[start:start + 5],
                resident_id=resident_id,
                reply_token=reply_token if kind == "reply" else None,
                recipients=[] if kind == "reply" else [user_id or ""],
                webhook_event_id=event.webhook_event_id))
    events.mark_processed(conn, event, error=error)
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
    with metrics.job_timer("deliver_outbox") as labels:
        labels["result"] = result = delivery.deliver(outbox_id)
    return result


def refresh_keywords(process_id: int, district: str) -> int:
    """Recompute c-TF-IDF keywords and medoids of a district's clusters; returns clusters updated."""
    from workers.clustering import refresh_keywords as refresh

    with metrics.job_timer("refresh_keywords"):
        return refresh(runtime.get().connection(), process_id, district)


def recluster(process_id: int) -> dict:
    """Full recluster of a process (keeps staff decisions); returns a summary."""
    from workers.clustering import recluster as run

    from nlp.clustering import recluster_distance
    from nlp.represent import for_embedder

    rt = runtime.get()
    rep = rt.representation or for_embedder(rt.embedder.name)
    with metrics.job_timer("recluster"):
        return run(rt.connection(), rt.assign_threshold, process_id,
                   distance_threshold=recluster_distance(rep.name))


def cluster_idea(idea_id: int) -> str:
    """Put an active, embedded idea that has no cluster into one (online assignment).

    Used when staff publish an idea that was held back as ``flagged`` (the
    admin enqueues it after its commit). Idempotent: an idea that is not
    active, not embedded or already in a cluster is left alone.

    Returns:
        "done" or "skipped".
    """
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
        clusters.assign(conn, idea_id, process_id, district, as_array(embedding),
                        rt.assign_threshold)
    return "done"


def queue_announcement(announcement_id: int) -> str:
    """Resolve an announcement's audience and write its outbox batches, chunk by chunk
    (:func:`pb.announcement_queue.write_chunk`, one transaction each), enqueuing each
    chunk's due batches as soon as it is committed, so sending starts while later
    chunks are still being written.

    Idempotent and resumable: the cursor moves with each chunk's commit; an
    announcement that is no longer ``queuing`` (done, or cancelled) is left alone.

    Returns:
        "done" (fully queued now), or "skipped" (nothing was left to queue).
    """
    from pb import announcement_queue

    rt = runtime.get()
    conn = rt.connection()
    queues = Queues(rt.redis, rt.queue, rt.upkeep)
    wrote = False
    size = announcement_queue.FIRST_CHUNK
    with metrics.job_timer("queue_announcement") as labels:
        while True:
            with conn.transaction():
                chunk = announcement_queue.write_chunk(conn, announcement_id,
                                                       chunk=min(size, announcement_queue.CHUNK))
            size = announcement_queue.CHUNK
            metrics.announcement_recipients_queued(chunk.written)
            wrote = wrote or chunk.written > 0
            try:
                queues.enqueue_deliveries(chunk.due)
            except redis.RedisError as exc:    # the rows are due in Postgres: the sweeper sends
                log.warning("announcement %s: enqueue failed (%s)", announcement_id,
                            type(exc).__name__)
            if chunk.finished:
                break
        labels["result"] = "done" if wrote else "skipped"
    log.info("announcement %s: queued", announcement_id)
    return labels["result"]
