"""Announcements: the audience resolved exactly, opt-outs and unfollows skipped, quiet hours,
batches of ≤500 with their own retry keys, 429 / 5xx / timeout retried with the same key,
broadcast only when it reaches exactly the audience, and the staff pages."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from bot import progress_card
from pb import announcement_delivery, announcement_queue, announcement_stats
from pb import announcements as ann
from pb import progress_summaries
from pb.scope import Scope
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401
from tests.progress_support import file, line_id, report, world  # noqa: F401
from workers import delivery

TODAY = dt.datetime.now(BANGKOK).date()
# Two days ago: every time the tests use, and the 08:00 after it, is already past for the
# database, which decides when a batch is due (outbox.claim compares with now()).
YESTERDAY = TODAY - dt.timedelta(days=2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK)


DAYTIME = at(YESTERDAY, 10)


@pytest.fixture
def daytime(monkeypatch):
    """Run as if it were 10:00 yesterday in Bangkok (outside quiet hours)."""
    clock = {"now": DAYTIME}
    monkeypatch.setattr(ann, "clock", lambda: clock["now"])
    return clock


def compose(db, draft: ann.AnnouncementDraft):
    base = "https://siang.example"
    summary = progress_summaries.summary(db, draft.project_id) if draft.with_card else None
    return lambda language: progress_card.announcement_messages(draft.text_th, draft.text_en,
                                                                summary, language, base)


def queue(db, draft: ann.AnnouncementDraft, *, now=DAYTIME, batch_size: int = 500) -> tuple[int, list[int]]:
    scope = Scope.system()
    with db.transaction():
        announcement_id = ann.create(db, scope, draft)
        ids = announcement_queue.queue(db, scope, announcement_id, 1, compose(db, draft), now=now,
                        batch_size=batch_size)
    db.commit()
    return announcement_id, ids


def deliver_all(clean, work, ids) -> None:
    for outbox_id in ids:
        clean.queue.enqueue("workers.jobs.deliver_outbox", outbox_id, job_id=f"outbox-{outbox_id}")
    work()


def received(sim, user_id: str, via=("multicast", "broadcast")) -> list[dict]:
    return [m["message"] for m in sim.messages(user_id) if m["via"] in via]


SUPPORTERS = ann.AnnouncementDraft(audience="supporters", project_id=None,
                       text_th="โครงการซ่อมถนนซอยประชาอุทิศ 45 คืบหน้าแล้ว 55% ค่ะ",
                       text_en="The Soi Pracha Uthit 45 road repair is 55% done.",
                       with_card=True)


def test_quiet_hours_rules():
    assert not announcement_delivery.in_quiet_hours(at(TODAY, 20, 59)) and announcement_delivery.in_quiet_hours(at(TODAY, 21))
    assert announcement_delivery.in_quiet_hours(at(TODAY, 7, 59)) and not announcement_delivery.in_quiet_hours(at(TODAY, 8))
    assert announcement_delivery.next_allowed(at(TODAY, 22, 30)) == at(TODAY + dt.timedelta(days=1), 8)
    assert announcement_delivery.next_allowed(at(TODAY, 3)) == at(TODAY, 8)
    assert announcement_delivery.next_allowed(at(TODAY, 12)) == at(TODAY, 12)
    # Urgent goes now; a chosen time in quiet hours moves to 08:00 unless urgent.
    assert announcement_delivery.send_time(True, None, at(TODAY, 23)) == at(TODAY, 23)
    tomorrow = TODAY + dt.timedelta(days=1)
    assert announcement_delivery.send_time(False, at(TODAY, 21, 30), at(TODAY, 12)) == at(tomorrow, 8)
    assert announcement_delivery.send_time(False, at(TODAY, 15), at(TODAY, 12)) == at(TODAY, 15)
    utc = dt.datetime(2026, 1, 1, 14, 30, tzinfo=dt.timezone.utc)       # 21:30 in Bangkok
    assert announcement_delivery.in_quiet_hours(utc)


def test_supporters_receive_it_exactly_once(db, clean, work, sim, world, daytime):
    file(db, world, report(dt.date(2025, 11, 1), 55, 650_000))
    draft = ann.AnnouncementDraft(**{**SUPPORTERS.__dict__, "project_id": world.project_id})
    announcement_id, ids = queue(db, draft)
    assert len(ids) == 2                                    # a Thai and an English batch
    rows = db.execute("SELECT kind, recipients, retry_key FROM outbox WHERE id = ANY(%s) "
                      "ORDER BY id", (ids,)).fetchall()
    assert {u for _k, recipients, _r in rows for u in recipients} == world.supporters
    assert len({r[2] for r in rows}) == 2                   # each batch its own retry key
    deliver_all(clean, work, ids)
    deliver_all(clean, work, ids)                           # a second run sends nothing more
    for name, user in world.line_ids.items():
        got = received(sim, user)
        if user in world.supporters:
            assert [m["type"] for m in got] == ["text", "flex"], name
        else:
            assert got == [], name
    thai = received(sim, world.line_ids["author"])
    assert thai[0]["text"] == SUPPORTERS.text_th
    assert thai[1]["altText"] == "ความคืบหน้า \"ซ่อมถนนซอยประชาอุทิศ 45\" 55%"
    assert thai[1]["quickReply"]["items"][0]["action"]["label"] == "ไม่รับข่าวโครงการ"
    english = received(sim, world.line_ids["english"])
    assert english[0]["text"] == SUPPORTERS.text_en and "55% done" in english[1]["altText"]
    stats = announcement_stats.stats(db, announcement_id)
    assert (stats.done, stats.sent, stats.delivered, stats.recipients, stats.retries) == (
        True, 2, 5, 5, 0)
    assert announcement_stats.recipients_of(db, announcement_id) == sorted(
        world.residents[k] for k in ("author", "second", "backer", "cluster_backer", "english"))
    with pytest.raises(ann.AnnouncementError, match="not_draft"), db.transaction():
        announcement_queue.queue(db, Scope.system(), announcement_id, 2, compose(db, draft), now=DAYTIME)


def test_opted_out_and_unfollowed_are_skipped(db, clean, work, sim, world, daytime):
    with db.transaction():
        db.execute("UPDATE residents SET announcements_opt_out = true WHERE id = %s",
                   (world.residents["author"],))
        db.execute("UPDATE residents SET followed = false WHERE id = %s",
                   (world.residents["second"],))
    db.commit()
    draft = ann.AnnouncementDraft(audience="supporters", project_id=world.project_id, text_th="ข่าวโครงการค่ะ")
    count = ann.count_audience(db, draft)
    assert (count.reachable, count.opted_out) == (3, 1)
    announcement_id, ids = queue(db, draft)
    # The cluster backer opts out after queuing, before the batch goes: dropped from it.
    with db.transaction():
        db.execute("UPDATE residents SET announcements_opt_out = true WHERE id = %s",
                   (world.residents["cluster_backer"],))
    db.commit()
    deliver_all(clean, work, ids)
    got = {name: len(received(sim, user)) for name, user in world.line_ids.items()}
    assert got == {"author": 0, "second": 0, "backer": 1, "cluster_backer": 0, "neighbour": 0,
                   "stranger": 0, "english": 1}
    stats = announcement_stats.stats(db, announcement_id)
    assert (stats.delivered, stats.dropped) == (2, 1)


def test_quiet_hours_hold_the_batches_until_eight(db, clean, work, sim, world, daytime):
    late = at(YESTERDAY, 22, 30)
    daytime["now"] = late
    draft = ann.AnnouncementDraft(audience="district", district=HOME, text_th="ประกาศตอนดึกค่ะ")
    announcement_id, ids = queue(db, draft, now=late)
    assert ids == []                                     # nothing to enqueue now
    waiting = db.execute("SELECT not_before FROM outbox WHERE announcement_id = %s",
                         (announcement_id,)).fetchall()
    assert {r[0] for r in waiting} == {at(YESTERDAY + dt.timedelta(days=1), 8)}
    # Urgent: sent at once, even at 22:30.
    urgent = ann.AnnouncementDraft(audience="district", district=HOME, text_th="ด่วน น้ำท่วมค่ะ", urgent=True)
    _urgent_id, urgent_ids = queue(db, urgent, now=late)
    assert urgent_ids
    deliver_all(clean, work, urgent_ids)
    assert [m["text"] for m in received(sim, world.line_ids["neighbour"])] == ["ด่วน น้ำท่วมค่ะ"]
    # A batch due in the day whose sender only gets to it at 21:05 waits for 08:00.
    daytime["now"] = DAYTIME
    _day_id, day_ids = queue(db, ann.AnnouncementDraft(audience="district", district=HOME,
                                           text_th="ประกาศกลางวันค่ะ"), now=DAYTIME)
    daytime["now"] = at(YESTERDAY, 21, 5)
    assert delivery.deliver(day_ids[0]) == "pending"
    state, attempts, not_before = db.execute(
        "SELECT state, attempts, not_before FROM outbox WHERE id = %s", (day_ids[0],)).fetchone()
    assert (state, attempts, not_before) == ("pending", 0, at(YESTERDAY + dt.timedelta(days=1), 8))
    assert len(received(sim, world.line_ids["neighbour"])) == 1
    daytime["now"] = at(YESTERDAY + dt.timedelta(days=1), 8, 1)
    assert delivery.deliver(day_ids[0]) == "sent"
    assert len(received(sim, world.line_ids["neighbour"])) == 2


def _many(db, stack, n: int, district: str = OTHER) -> list[str]:
    """n consenting residents of ``district`` who are LINE friends in the emulator."""
    platform = stack["sim_app"].extensions["linesim"]["platform"]
    users = [line_id(10_000 + i) for i in range(n)]
    for user in users:
        platform.set_profile(user, "resident", "th")
        platform.users[user].following = platform.users[user].ever_followed = True
    with db.cursor() as cur, db.transaction():
        with cur.copy("COPY residents (line_user_id, district, consent_at) FROM STDIN") as copy:
            for user in users:
                copy.write_row((user, district, dt.datetime.now(dt.timezone.utc)))
    db.commit()
    return users


def test_batches_of_at_most_500_each_with_its_own_retry_key(db, clean, work, sim, stack,
                                                              world, daytime):
    users = _many(db, stack, 1001)
    announcement_id, ids = queue(db, ann.AnnouncementDraft(audience="district", district=OTHER,
                                               text_th="ข่าวเขตบางรักค่ะ"))
    rows = db.execute("SELECT recipients, retry_key FROM outbox WHERE id = ANY(%s) ORDER BY id",
                      (ids,)).fetchall()
    assert [len(r[0]) for r in rows] == [500, 500, 2]      # 1,001 + the stranger of บางรัก
    assert len({r[1] for r in rows}) == 3
    deliver_all(clean, work, ids)
    calls = [c for c in sim.calls() if c["path"] == "/v2/bot/message/multicast"]
    assert sorted(c["headers"]["x-line-retry-key"] for c in calls) == sorted(
        str(r[1]) for r in rows)
    platform = stack["sim_app"].extensions["linesim"]["platform"]
    counts = Counter(m["user_id"] for entries in platform.messages_by_user.values()
                     for m in entries if m["via"] == "multicast")
    assert all(counts[u] == 1 for u in users) and sum(counts.values()) == 1002
    assert announcement_stats.stats(db, announcement_id).delivered == 1002


def _due_now(db, outbox_id):
    with db.transaction():
        db.execute("UPDATE outbox SET not_before = now() WHERE id = %s", (outbox_id,))
    db.commit()


def test_429_5xx_and_timeout_retry_with_the_same_key(db, clean, work, sim, world, daytime):
    _id, ids = queue(db, ann.AnnouncementDraft(audience="district", district=HOME, text_th="ทดสอบค่ะ"))
    (outbox_id,) = ids
    multicast = "/v2/bot/message/multicast"
    sim.set_faults([
        {"path_prefix": multicast, "status": 429, "count": 1},
        {"path_prefix": multicast, "status": 503, "count": 1},
        {"path_prefix": multicast, "status": None, "count": 1,     # answered too late: LINE
         "delay_s": clean.settings.line_timeout_s + 0.5},          # took it, we timed out
    ])
    # 429: the same sender tries again at once (after the shared pause); 503: later.
    assert delivery.deliver(outbox_id) == "pending"
    _due_now(db, outbox_id)
    assert delivery.deliver(outbox_id) == "pending"       # timeout: unknown outcome
    time.sleep(1.0)                                       # (the emulator finishes that call)
    _due_now(db, outbox_id)
    assert delivery.deliver(outbox_id) == "sent"          # 409: LINE already has it
    calls = [c for c in sim.calls() if c["path"] == multicast]
    assert [c["status"] for c in calls] == [429, 503, 200, 409]
    assert len({c["headers"]["x-line-retry-key"] for c in calls}) == 1
    for name in ("author", "neighbour", "second"):
        assert len(received(sim, world.line_ids[name])) == 1, name
    stats = announcement_stats.stats(db, _id)
    assert (stats.sent, stats.retries) == (1, 3)
    # LINE accepts a batch, then answers 500: the retry's 409 counts it as sent, once.
    _second, ids = queue(db, ann.AnnouncementDraft(audience="district", district=HOME,
                                       text_th="ครั้งที่สองค่ะ"))
    sim.set_faults([{"path_prefix": multicast, "status": 500, "count": 1, "accepted": True}])
    assert delivery.deliver(ids[0]) == "pending"
    _due_now(db, ids[0])
    assert delivery.deliver(ids[0]) == "sent"
    assert [c["status"] for c in sim.calls() if c["path"] == multicast][-2:] == [500, 409]
    assert len(received(sim, world.line_ids["neighbour"])) == 2


def test_broadcast_only_when_it_reaches_exactly_the_audience(db, clean, work, sim, world,
                                                            daytime):
    everyone = ann.AnnouncementDraft(audience="all", text_th="ประกาศถึงทุกคนค่ะ")
    announcement_id, ids = queue(db, everyone)
    assert db.execute("SELECT kind FROM outbox WHERE id = ANY(%s)", (ids,)).fetchall() == [
        ("broadcast",)]
    deliver_all(clean, work, ids)
    assert all(received(sim, u) for u in world.line_ids.values())
    assert announcement_stats.stats(db, announcement_id).delivered == len(world.line_ids)
    # A follower who never consented is outside every audience: no broadcast then either.
    with db.transaction():
        db.execute("INSERT INTO residents (line_user_id) VALUES (%s)", (line_id(99),))
    db.commit()
    assert not ann.count_audience(db, everyone).broadcast
    with db.transaction():
        db.execute("DELETE FROM residents WHERE line_user_id = %s", (line_id(99),))
    db.commit()
    # Someone opted out: a broadcast would reach them, so it goes as multicast without them.
    with db.transaction():
        db.execute("UPDATE residents SET announcements_opt_out = true WHERE id = %s",
                   (world.residents["stranger"],))
    db.commit()
    _second, ids = queue(db, ann.AnnouncementDraft(audience="all", text_th="ประกาศครั้งที่สองค่ะ"))
    kinds = db.execute("SELECT DISTINCT kind FROM outbox WHERE id = ANY(%s)", (ids,)).fetchall()
    assert kinds == [("multicast",)]
    deliver_all(clean, work, ids)
    assert len(received(sim, world.line_ids["stranger"])) == 1
    assert len(received(sim, world.line_ids["neighbour"])) == 2
    with pytest.raises(ann.AnnouncementError, match="no_recipients"), db.transaction():
        ann.create(db, Scope.system(), ann.AnnouncementDraft(audience="district", district="บางนา",
                                                 text_th="x"))
        announcement_queue.queue(db, Scope.system(), 3, 1, lambda language: [{"type": "text", "text": "x"}],
                  now=DAYTIME)


def test_staff_compose_preview_send_and_follow_delivery(db, clean, work, sim, world, daytime,
                                                        signed_in):
    file(db, world, report(dt.date(2025, 11, 1), 55, 650_000))
    officer = signed_in("officer")
    form = officer.get(f"/admin/announcements/new?project={world.project_id}")
    assert form.status_code == 200
    response = officer.post("/admin/announcements/new", {
        "audience": "supporters", "project": str(world.project_id), "district": "", "round": "",
        "text_th": "โครงการซ่อมถนนคืบหน้าแล้ว 55% ค่ะ", "text_en": "", "with_card": "y",
        "send_on": "", "send_time": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    page_url = response.headers["Location"]
    preview = officer.get(page_url).get_data(as_text=True)
    for expected in ("จะส่งถึงผู้อยู่อาศัย 5 คน", "chat-preview", "ซ่อมถนนซอยประชาอุทิศ 45",
                     "ความคืบหน้า 55%", "w-55", "ไม่รับข่าวโครงการ", "ดูรายละเอียด",
                     "Stop project news"):
        assert expected in preview, expected
    assert "style=" not in preview
    # The whole city is for admins: an officer cannot send to all followers.
    assert officer.post("/admin/announcements/new", {
        "audience": "all", "text_th": "ทุกคน", "project": "", "district": "", "round": ""}
    ).status_code == 403
    assert signed_in("viewer").post(page_url + "/send", {"version": "1"}).status_code == 403
    announcement_id = int(page_url.rstrip("/").split("/")[-1])
    sent = officer.post(page_url + "/send", {"version": "1"})
    assert sent.status_code == 303
    again = officer.post(page_url + "/send", {"version": "1"})    # a double click
    assert again.status_code == 303
    # The request only counted and stored the messages: the batches are the job's.
    assert db.execute("SELECT count(*) FROM outbox WHERE announcement_id = %s",
                      (announcement_id,)).fetchone()[0] == 0
    waiting = officer.get(page_url).get_data(as_text=True)
    assert "เข้าคิวแล้ว 0 จาก 5 คน" in waiting and 'reload_soon.js' in waiting
    assert officer.get(page_url + "/stats.json").get_json()["done"] is False
    work()
    assert db.execute("SELECT count(*) FROM outbox WHERE announcement_id = %s",
                      (announcement_id,)).fetchone()[0] == 2
    stats = officer.get(page_url + "/stats.json").get_json()
    assert (stats["done"], stats["delivered"], stats["recipients"]) == (True, 5, 5)
    page = officer.get(page_url).get_data(as_text=True)
    assert "ส่งครบแล้ว" in page and "reload_soon.js" not in page
    assert "ประกาศถึงผู้อยู่อาศัย" in officer.get("/admin/announcements").get_data(as_text=True)
    for user in world.supporters:
        assert len(received(sim, user)) == 2
    assert signed_in("other_officer").get(page_url).status_code == 404


def test_staff_stop_batches_that_wait(db, clean, work, sim, world, daytime, signed_in):
    late = at(YESTERDAY, 23)
    daytime["now"] = late
    announcement_id, ids = queue(db, ann.AnnouncementDraft(audience="district", district=HOME,
                                               text_th="ประกาศที่รอถึงเช้าค่ะ"), now=late)
    assert ids == []
    officer = signed_in("officer")
    page = officer.get(f"/admin/announcements/{announcement_id}").get_data(as_text=True)
    assert "หยุดชุดที่ยังไม่ได้ส่ง" in page and 'reload_soon.js' in page
    assert officer.post(f"/admin/announcements/{announcement_id}/cancel",
                        {"version": "2"}).status_code == 303
    waiting = db.execute("SELECT id, state, error FROM outbox WHERE announcement_id = %s",
                         (announcement_id,)).fetchall()
    assert [(s, e) for _i, s, e in waiting] == [("failed", "cancelled by staff")]
    daytime["now"] = DAYTIME
    assert delivery.deliver(waiting[0][0]) == "skipped"
    assert all(received(sim, u) == [] for u in world.line_ids.values())
    assert "หยุดแล้ว" in officer.get("/admin/announcements").get_data(as_text=True)


def test_voters_of_a_round_receive_it_exactly(db, clean, work, sim, world, daytime, signed_in):
    with db.transaction():
        round_id = db.execute(
            """INSERT INTO voting_rounds (process_id, title, district, budget_baht, ballot_type,
                                          max_picks, quorum_ballots, opens_at, closes_at, state)
               VALUES (%s, 'โหวตเขตทุ่งครุ', %s, 2000000, 'approval', 3, 1,
                       now() - interval '2 days', now() - interval '1 day', 'closed')
               RETURNING id""", (world.process_id, HOME)).fetchone()[0]
        for name in ("neighbour", "author"):
            db.execute("INSERT INTO ballots (round_id, resident_id, source) VALUES (%s, %s, 'chat')",
                       (round_id, world.residents[name]))
        db.execute("INSERT INTO ballots (round_id, voter_ref, source) VALUES (%s, 'P-001', 'paper')",
                   (round_id,))
    db.commit()
    announcement_id, ids = queue(db, ann.AnnouncementDraft(audience="voters", round_id=round_id,
                                               text_th="ขอบคุณที่ร่วมโหวตค่ะ"))
    deliver_all(clean, work, ids)
    got = {name for name, user in world.line_ids.items() if received(sim, user)}
    assert got == {"neighbour", "author"}
    officer = signed_in("officer")          # the round is in their district: they see it
    assert officer.get(f"/admin/announcements/{announcement_id}").status_code == 200
    assert signed_in("other_officer").get(
        f"/admin/announcements/{announcement_id}").status_code == 404


def test_staff_edit_a_draft_and_bad_input(db, clean, world, daytime, signed_in):
    officer = signed_in("officer")
    response = officer.post("/admin/announcements/new", {
        "audience": "district", "district": HOME, "project": "", "round": "",
        "text_th": "ร่างแรกค่ะ", "send_on": "01/12/2569", "send_time": "25:00"})
    assert response.status_code == 400                      # no such time
    assert "ชช:นน" in response.get_data(as_text=True)
    response = officer.post("/admin/announcements/new", {
        "audience": "district", "district": HOME, "project": "", "round": "",
        "text_th": "ร่างแรกค่ะ", "send_on": "01/12/2569", "send_time": "09:30"})
    assert response.status_code == 303
    url = response.headers["Location"]
    form = officer.get(url + "/edit").get_data(as_text=True)
    assert "ร่างแรกค่ะ" in form and 'value="09:30"' in form and 'value="01/12/2569"' in form
    response = officer.post(url + "/edit", {
        "version": "1", "audience": "district", "district": HOME, "project": "", "round": "",
        "text_th": "ร่างที่สองค่ะ", "urgent": "y", "send_on": "", "send_time": ""})
    assert response.status_code == 303
    page = officer.get(url).get_data(as_text=True)
    assert "ร่างที่สองค่ะ" in page and "จะส่งทันทีเมื่อกด ส่ง" in page
    stale = officer.post(url + "/edit", {
        "version": "1", "audience": "district", "district": HOME, "project": "", "round": "",
        "text_th": "ร่างเก่าค่ะ", "send_on": "", "send_time": ""})
    assert stale.status_code == 400 and "มีผู้อื่นแก้ไขประกาศนี้" in stale.get_data(as_text=True)
    empty = officer.post("/admin/announcements/new", {
        "audience": "supporters", "project": "", "district": "", "round": "", "text_th": "x"})
    assert empty.status_code == 400 and "เลือกโครงการที่จะส่งถึงผู้สนับสนุน" in empty.get_data(
        as_text=True)
