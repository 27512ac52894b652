"""Big audiences (issue 19): Send only counts and stores the messages; the
``queue_announcement`` job on the upkeep queue resolves the audience and writes the
batches chunk by chunk, with progress "n of N", resumes after a crash without queuing
anyone twice, stops when staff cancel, and is re-enqueued by the sweeper when it stalls."""

from __future__ import annotations

from collections import Counter

import pytest

from pb import announcement_queue
from pb import announcements as ann
from pb.scope import Scope
from tests.test_announce_audience import DAYTIME, daytime  # noqa: F401
from workers import jobs, sweeper
from workers.queues import UPKEEP_QUEUE, announcement_job_id

N = 23
TEXT = "ประกาศทดสอบค่ะ"


def populate(db, n: int = N, *, english_every: int = 5) -> None:
    with db.transaction():
        for k in range(1, n + 1):
            db.execute("""INSERT INTO residents (line_user_id, district, consent_at, language)
                          VALUES (%s, 'ทุ่งครุ', now(), %s)""",
                       (f"U{k:032x}", "en" if k % english_every == 0 else "th"))
        db.execute("""INSERT INTO residents (line_user_id, district, consent_at,
                                             announcements_opt_out)
                      VALUES ('U' || repeat('f', 32), 'ทุ่งครุ', now(), true)""")
    db.commit()


def start(db) -> int:
    scope = Scope.system()
    with db.transaction():
        announcement_id = ann.create(db, scope, ann.AnnouncementDraft(
            audience="district", district="ทุ่งครุ", text_th=TEXT, text_en="A test."))
        due = announcement_queue.start(db, scope, announcement_id, 1, lambda language: [
            {"type": "text", "text": f"{TEXT} ({language})"}], now=DAYTIME)
    db.commit()
    assert due == []
    return announcement_id


def progress(db, announcement_id: int) -> tuple[str, int, int, int]:
    row = db.execute("SELECT state, queued_count, audience_size, batches FROM announcements "
                     "WHERE id = %s", (announcement_id,)).fetchone()
    db.commit()
    return row


def queued_residents(db, announcement_id: int) -> Counter:
    rows = db.execute("SELECT resident_id FROM announcement_recipients WHERE announcement_id = %s",
                      (announcement_id,)).fetchall()
    db.commit()
    return Counter(r[0] for r in rows)


def test_send_leaves_the_audience_to_a_job_that_reports_progress_and_resumes(
        db, clean, daytime, monkeypatch):
    populate(db)
    announcement_id = start(db)
    assert progress(db, announcement_id) == ("queuing", 0, N, 0)
    # A first run writes one chunk and dies (the job's process killed after a commit).
    with db.transaction():
        chunk = announcement_queue.write_chunk(db, announcement_id, chunk=10, batch_size=4,
                                               now=DAYTIME)
    db.commit()
    assert (chunk.written, chunk.finished) == (10, False)
    state, done, total, first_batches = progress(db, announcement_id)
    assert (state, done, total) == ("queuing", 10, N)
    found = ann.get(db, Scope.system(), announcement_id)
    assert found.queued_percent == 43
    # The job (again, as the sweeper would start it) carries on from the cursor.
    monkeypatch.setattr(announcement_queue, "CHUNK", 10)
    monkeypatch.setattr(announcement_queue.write_chunk, "__kwdefaults__",
                        {"chunk": 10, "batch_size": 4, "now": None})
    assert jobs.queue_announcement(announcement_id) == "done"
    assert jobs.queue_announcement(announcement_id) == "skipped"        # idempotent
    state, done, total, batches = progress(db, announcement_id)
    assert (state, done, total) == ("queued", N, N)
    counts = queued_residents(db, announcement_id)
    assert len(counts) == N and set(counts.values()) == {1}           # each resident once
    rows = db.execute("SELECT recipients, messages->0->>'text' FROM outbox "
                      "WHERE announcement_id = %s", (announcement_id,)).fetchall()
    db.commit()
    assert len(rows) == batches and all(1 <= len(r[0]) <= 4 for r in rows)
    english = {u for r, text in rows if text.endswith("(en)") for u in r}
    assert english == {f"U{k:032x}" for k in range(5, N + 1, 5)}
    assert "U" + "f" * 32 not in {u for r, _t in rows for u in r}     # opted out
    # The job enqueued each batch it wrote (the dead run's are due in Postgres: the sweeper's).
    assert clean.queue.count == batches - first_batches


def test_staff_cancel_stops_the_job_between_chunks(db, clean, daytime):
    populate(db)
    announcement_id = start(db)
    with db.transaction():
        announcement_queue.write_chunk(db, announcement_id, chunk=5, now=DAYTIME)
    db.commit()
    with db.transaction():
        announcement_queue.cancel(db, Scope.system(), announcement_id, 2)
    db.commit()
    assert jobs.queue_announcement(announcement_id) == "skipped"
    assert progress(db, announcement_id)[:2] == ("cancelled", 5)
    assert db.execute("SELECT count(*) FROM outbox WHERE announcement_id = %s AND "
                      "state <> 'failed'", (announcement_id,)).fetchone()[0] == 0


def test_the_sweeper_enqueues_a_stalled_queuing_job(db, clean, daytime):
    populate(db, 3)
    announcement_id = start(db)
    assert sweeper.sweep_once()["announcements"] == 0                  # its job may still run
    db.execute("UPDATE announcements SET updated_at = now() - interval '2 minutes' "
               "WHERE id = %s", (announcement_id,))
    db.commit()
    assert sweeper.sweep_once()["announcements"] == 1
    assert announcement_job_id(announcement_id) in clean.upkeep.job_ids
    assert clean.upkeep.name == UPKEEP_QUEUE


@pytest.mark.parametrize("audience", ["all", "supporters"])
def test_every_audience_resolves_through_the_chunked_query(db, clean, daytime, audience):
    """The chunk query filters residents directly for everyone and a district, and
    through the audience's ids for the others (no resident of another project)."""
    sql = announcement_queue._residents_sql(audience)
    assert "r.id > %(after)s" in sql and "LIMIT %(chunk)s" in sql
    assert ("IN (SELECT resident_id" in sql) == (audience == "supporters")
