"""Cluster review: list and filters, actions, version checks, and a recluster that
keeps every staff decision."""

from __future__ import annotations

import pytest

from pb import audit, cluster_edits, moderation, review
from pb.scope import ReadOnlyError, Scope, ScopeError
from tests.admin_support import (HOME, OTHER, accounts, cluster_of, resident,  # noqa: F401
                                 seed_ideas, signed_in, version_of)
from workers.clustering import recluster, refresh_keywords

ROADS = ["ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ รถติดมาก",
         "ถนนซอยประชาอุทิศ 45 เป็นหลุมบ่อ ซ่อมด่วน",
         "ถนนซอยประชาอุทิศ 45 พังเป็นหลุมเป็นบ่อ"]
LIGHTS = ["ไฟฟ้าส่องสว่างในซอยดับ มืดมาก อันตราย",
          "ไฟฟ้าส่องสว่างในซอยดับหลายดวง มืดมาก",
          "ไฟฟ้าส่องสว่างในซอยดับ กลางคืนมืดมาก"]
FLOOD = ["น้ำท่วมขังหน้าตลาดทุกครั้งที่ฝนตก",
         "น้ำท่วมขังหน้าตลาดเวลาฝนตกหนัก"]


@pytest.fixture
def seeded(db, clean):
    items = [(HOME, t) for t in ROADS + LIGHTS + FLOOD] + [(OTHER, "ขยะล้นถังริมคลองทุกวัน")]
    seeded = seed_ideas(db, clean, items)
    refresh_keywords(db, seeded.process_id, HOME)
    refresh_keywords(db, seeded.process_id, OTHER)
    return seeded


def admin_scope(accounts):
    return Scope.for_staff(accounts["admin"], "แอดมิน", "admin", [])


def test_similar_ideas_share_a_cluster(db, seeded):
    roads = {cluster_of(db, i) for i in seeded.ideas[:3]}
    lights = {cluster_of(db, i) for i in seeded.ideas[3:6]}
    assert len(roads) == 1 and len(lights) == 1 and roads != lights


def test_list_filters_and_sorts(db, seeded, accounts):
    scope = admin_scope(accounts)
    rows, total = review.list_clusters(db, scope)
    assert total == len(rows) >= 4
    assert [r.size for r in rows] == sorted((r.size for r in rows), reverse=True)
    home, _n = review.list_clusters(db, scope, district=HOME)
    assert {r.district for r in home} == {HOME}
    found, n = review.list_clusters(db, scope, q="น้ำท่วม")
    assert n == 1 and found[0].size == 2 and "น้ำท่วม" in found[0].medoid_text
    big, _n = review.list_clusters(db, scope, min_size=3)
    assert all(r.size >= 3 for r in big) and len(big) == 2
    small, _n = review.list_clusters(db, scope, max_size=1)
    assert all(r.size <= 1 for r in small)
    newest, _n = review.list_clusters(db, scope, sort="newest")
    assert newest[0].newest_at >= newest[-1].newest_at
    assert review.list_clusters(db, scope, q="100%_\\")[1] == 0     # LIKE characters are literal
    road = cluster_of(db, seeded.ideas[0])
    cluster_edits.rename(db, scope, road, version_of(db, road), "ถนนพัง")
    db.commit()
    assert [r.id for r in review.list_clusters(db, scope, status="reviewed")[0]] == [road]
    assert road not in [r.id for r in review.list_clusters(db, scope, status="new")[0]]
    assert review.list_clusters(db, scope, q="ถนนพัง")[0][0].id == road


def test_officer_sees_only_their_districts(db, seeded, accounts):
    officer = Scope.for_staff(accounts["officer"], "สมชาย", "officer", [HOME])
    rows, _n = review.list_clusters(db, officer)
    assert {r.district for r in rows} == {HOME}
    assert review.list_clusters(db, officer, district=OTHER)[1] == 0
    other = cluster_of(db, seeded.ideas[-1])
    with pytest.raises(ScopeError):
        review.get_cluster(db, officer, other)
    with pytest.raises(ScopeError):
        cluster_edits.rename(db, officer, other, 1, "x")
    db.rollback()
    viewer = Scope.for_staff(accounts["viewer"], "ผู้ดู", "viewer", [])
    assert review.get_cluster(db, viewer, other).district == OTHER
    with pytest.raises(ReadOnlyError):
        cluster_edits.rename(db, viewer, other, 1, "x")


def test_rename_and_lock_are_audited_with_before_and_after(db, seeded, accounts):
    scope = admin_scope(accounts)
    road = cluster_of(db, seeded.ideas[0])
    cluster_edits.rename(db, scope, road, 1, "  ถนนประชาอุทิศ   45 ชำรุด ")
    cluster_edits.set_locked(db, scope, road, 2, True)
    db.commit()
    cluster = review.get_cluster(db, scope, road)
    assert (cluster.label, cluster.locked, cluster.version) == ("ถนนประชาอุทิศ 45 ชำรุด", True, 3)
    lock, rename = audit.entries(db, target_type="cluster", target_id=road)
    assert (rename.action, rename.before, rename.after) == (
        "cluster.rename", {"label": None}, {"label": "ถนนประชาอุทิศ 45 ชำรุด"})
    assert (lock.action, lock.staff_name, lock.district) == ("cluster.lock", "แอดมิน", HOME)


def test_second_staff_member_gets_a_version_conflict(db, seeded, accounts):
    scope = admin_scope(accounts)
    road = cluster_of(db, seeded.ideas[0])
    seen = version_of(db, road)
    cluster_edits.rename(db, scope, road, seen, "ชื่อของคนแรก")
    db.commit()
    with pytest.raises(review.VersionConflict) as conflict:
        cluster_edits.rename(db, scope, road, seen, "ชื่อของคนที่สอง")
    db.rollback()
    assert conflict.value.changed_by == "แอดมิน"
    assert review.get_cluster(db, scope, road).label == "ชื่อของคนแรก"


def test_a_new_idea_from_line_does_not_cause_a_conflict(db, seeded, accounts, clean):
    scope = admin_scope(accounts)
    road = cluster_of(db, seeded.ideas[0])
    seen = version_of(db, road)
    seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่ออีกแล้ว")])
    cluster_edits.rename(db, scope, road, seen, "ถนน")      # no VersionConflict
    db.commit()


def test_two_staff_in_the_browser_the_second_is_told_clearly(signed_in, db, seeded):
    road = cluster_of(db, seeded.ideas[0])
    first, second = signed_in("admin"), signed_in("officer")
    page = f"/admin/clusters/{road}"
    first.get(page), second.get(page)
    version = version_of(db, road)
    assert first.post(f"{page}/rename", {"version": version, "label": "ถนนพัง"}).status_code == 303
    response = second.post(f"{page}/rename", {"version": version, "label": "ถนนชำรุด"})
    assert response.status_code == 303
    html = second.get(page).get_data(as_text=True)
    assert "แอดมิน แก้ไขกลุ่มนี้เมื่อ" in html and "ยังไม่ถูกบันทึก" in html
    assert review.get_cluster(db, Scope.system(), road).label == "ถนนพัง"


def test_merge_move_split_and_moderate(db, seeded, accounts):
    scope = admin_scope(accounts)
    road, light = cluster_of(db, seeded.ideas[0]), cluster_of(db, seeded.ideas[3])
    flood = cluster_of(db, seeded.ideas[6])
    outcome = cluster_edits.merge(db, scope, flood, version_of(db, flood), road)
    db.commit()
    assert outcome.moved == 2 and cluster_of(db, seeded.ideas[6]) == road
    gone = review.get_cluster(db, scope, flood)
    assert (gone.size, gone.merged_into_id) == (0, road)
    assert review.get_cluster(db, scope, road).size == 5
    cluster_edits.move(db, scope, road, version_of(db, road), [seeded.ideas[7]], light)
    db.commit()
    assert cluster_of(db, seeded.ideas[7]) == light
    outcome = cluster_edits.split(db, scope, road, version_of(db, road), [seeded.ideas[6]], "น้ำท่วม")
    db.commit()
    new = outcome.new_cluster_id
    assert cluster_of(db, seeded.ideas[6]) == new
    assert review.get_cluster(db, scope, new).label == "น้ำท่วม"
    moderation.moderate(db, scope, light, version_of(db, light), [seeded.ideas[7]], "spam",
                    "โฆษณาขายของ")
    db.commit()
    members, _n = review.members(db, scope, light)
    spam = next(m for m in members if m.id == seeded.ideas[7])
    assert (spam.status, spam.moderation_reason) == ("spam", "โฆษณาขายของ")
    assert review.get_cluster(db, scope, light).size == 3
    moderation.restore(db, scope, light, version_of(db, light), [seeded.ideas[7]])
    db.commit()
    assert review.get_cluster(db, scope, light).size == 4
    actions = [e.action for e in audit.entries(db, action="cluster.")] + \
              [e.action for e in audit.entries(db, action="idea.")]
    assert sorted(actions) == ["cluster.merge", "cluster.move", "cluster.split",
                               "idea.restore", "idea.spam"]


def test_actions_refuse_nonsense_and_change_nothing(db, seeded, accounts):
    scope = admin_scope(accounts)
    road, light = cluster_of(db, seeded.ideas[0]), cluster_of(db, seeded.ideas[3])
    cases = [
        (lambda v: cluster_edits.merge(db, scope, road, v, road), "self_merge"),
        (lambda v: cluster_edits.move(db, scope, road, v, [seeded.ideas[3]], light), "not_members"),
        (lambda v: cluster_edits.move(db, scope, road, v, [], light), "no_ideas"),
        (lambda v: cluster_edits.split(db, scope, road, v, seeded.ideas[:3]), "all_ideas"),
        (lambda v: moderation.moderate(db, scope, road, v, seeded.ideas[:1], "spam", "  "),
         "reason_required"),
        (lambda v: cluster_edits.rename(db, scope, road, v, "ก" * 201), "label_too_long"),
        (lambda v: moderation.restore(db, scope, road, v, seeded.ideas[:1]), "nothing_to_restore"),
    ]
    for action, code in cases:
        with pytest.raises(review.ReviewError) as error:
            action(version_of(db, road))
        db.rollback()
        assert error.value.code == code
    assert review.get_cluster(db, scope, road).version == 1
    assert audit.entries(db, action="cluster.") == []


def test_recluster_never_undoes_a_staff_action(db, clean, accounts):
    """Merges, moves, splits, renames, locks and spam marks all survive a full recluster."""
    items = [(HOME, t) for t in ROADS + LIGHTS + FLOOD] + [
        (HOME, "ต้นไม้ล้มขวางทางเดินริมคลอง"), (HOME, "ต้นไม้ล้มขวางทางเดินในซอย"),
        (HOME, "สุนัขจรจัดเห่าไล่กัดคนเดินผ่าน"), (HOME, "สุนัขจรจัดในซอยดุมาก"),
        (HOME, "ขายยาลดความอ้วน ทักไลน์มา"), (HOME, "ขายยาลดความอ้วนราคาถูก ทักไลน์")]
    seeded = seed_ideas(db, clean, items)
    ids = seeded.ideas
    scope = admin_scope(accounts)
    road, light, flood = (cluster_of(db, ids[i]) for i in (0, 3, 6))
    tree, dog, spam_c = (cluster_of(db, ids[i]) for i in (8, 10, 12))
    # Every kind of staff decision, each on its own cluster.
    cluster_edits.merge(db, scope, flood, 1, road)                              # merge
    cluster_edits.move(db, scope, light, 1, [ids[5]], tree)                     # move
    split = cluster_edits.split(db, scope, dog, 1, [ids[11]], "").new_cluster_id  # split
    cluster_edits.rename(db, scope, light, version_of(db, light), "ไฟดับ")     # rename
    cluster_edits.set_locked(db, scope, dog, version_of(db, dog), True)         # lock
    moderation.moderate(db, scope, spam_c, 1, [ids[12]], "spam", "โฆษณา")    # spam mark
    db.commit()
    before = {i: cluster_of(db, i) for i in ids}
    statuses = dict(db.execute("SELECT id, status FROM ideas").fetchall())
    db.commit()

    summary = recluster(db, clean.assign_threshold, seeded.process_id,
                        min_cluster_size=2)
    assert summary["kept"] >= 6

    after = {i: cluster_of(db, i) for i in ids}
    assert after == before
    assert dict(db.execute("SELECT id, status FROM ideas").fetchall()) == statuses
    db.commit()
    assert after[ids[6]] == after[ids[7]] == road                        # merged stays merged
    assert after[ids[5]] == tree                                         # moved stays moved
    assert after[ids[11]] == split != after[ids[10]]                     # split stays split
    labels = dict(db.execute("SELECT id, label FROM clusters").fetchall())
    assert labels[light] == "ไฟดับ"
    assert db.execute("SELECT locked FROM clusters WHERE id = %s", (dog,)).fetchone()[0]
    assert statuses[ids[12]] == "spam"
    db.commit()


def test_refresh_rebuilds_the_centroid_after_a_split(db, seeded, accounts, clean):
    scope = admin_scope(accounts)
    road = cluster_of(db, seeded.ideas[0])
    new = cluster_edits.split(db, scope, road, 1, [seeded.ideas[2]]).new_cluster_id
    db.commit()
    assert db.execute("SELECT centroid IS NULL FROM clusters WHERE id = %s",
                      (new,)).fetchone()[0]
    db.commit()
    refresh_keywords(db, seeded.process_id, HOME)
    has_centroid, keywords = db.execute(
        "SELECT centroid IS NOT NULL, keywords FROM clusters WHERE id = %s", (new,)).fetchone()
    assert has_centroid and keywords
    db.commit()


def test_cluster_page_shows_ideas_escaped_with_be_dates_and_no_line_id(signed_in, db, clean):
    rid = resident(db, "U" + "f" * 32)
    seeded = seed_ideas(db, clean, [(HOME, "<script>alert(1)</script> ถนนพัง"),
                                    (HOME, "<script>alert(1)</script> ถนนพังมาก")],
                        resident_id=rid, lat_lon=(13.64, 100.50))
    cluster = cluster_of(db, seeded.ideas[0])
    staff = signed_in("officer")
    html = staff.get(f"/admin/clusters/{cluster}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "U" + "f" * 32 not in html
    year = db.execute("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Bangkok')::int"
                      ).fetchone()[0] + 543
    db.commit()
    assert f"/{year}" in html
    assert "<svg" in html and html.count('class="map-point"') == 2
    refresh_keywords(db, seeded.process_id, HOME)      # the medoid is listed
    listing = staff.get("/admin/clusters").get_data(as_text=True)
    assert "&lt;script&gt;" in listing and "<script>alert" not in listing


def test_cluster_actions_through_the_admin(signed_in, db, seeded):
    staff = signed_in("officer")
    road, light = cluster_of(db, seeded.ideas[0]), cluster_of(db, seeded.ideas[3])
    page = f"/admin/clusters/{road}"
    staff.get(page)
    response = staff.post(f"{page}/ideas", {"version": version_of(db, road), "action": "split",
                                            "idea": [str(seeded.ideas[2])],
                                            "label": "หลุมบ่อ"})
    assert response.status_code == 303
    new = cluster_of(db, seeded.ideas[2])
    assert response.headers["Location"].endswith(f"/admin/clusters/{new}")
    assert staff.post(f"{page}/merge", {"version": version_of(db, road),
                                        "target": str(light)}).status_code == 303
    assert cluster_of(db, seeded.ideas[0]) == light
    missing_reason = staff.post(f"/admin/clusters/{light}/ideas", {
        "version": version_of(db, light), "action": "spam", "idea": [str(seeded.ideas[0])]})
    assert missing_reason.status_code == 303
    html = staff.get(f"/admin/clusters/{light}").get_data(as_text=True)
    assert "กรุณาระบุเหตุผล" in html
    bad = staff.post(f"{page}/ideas", {"version": "x", "action": "split"})
    assert bad.status_code == 400


def test_concurrent_merges_lose_nothing(db, seeded, accounts, settings):
    """Two staff act on one cluster at the same moment, on two connections: the
    second waits for the first's row lock, then sees the new version and stops."""
    import threading

    import psycopg

    scope = admin_scope(accounts)
    road, light = cluster_of(db, seeded.ideas[0]), cluster_of(db, seeded.ideas[3])
    flood = cluster_of(db, seeded.ideas[6])
    seen = version_of(db, flood)
    first = psycopg.connect(settings.database_url)
    second = psycopg.connect(settings.database_url)
    outcome: dict[str, object] = {}

    def later() -> None:
        try:
            with second.transaction():
                cluster_edits.merge(second, scope, flood, seen, light)
            outcome["second"] = "merged"
        except review.VersionConflict:
            outcome["second"] = "conflict"

    try:
        with first.transaction():
            cluster_edits.merge(first, scope, flood, seen, road)       # holds the row lock ...
            thread = threading.Thread(target=later)
            thread.start()
            thread.join(0.5)
            assert thread.is_alive()                            # ... so the second waits
        thread.join(10)
    finally:
        first.close()
        second.close()
    assert outcome == {"second": "conflict"}
    assert cluster_of(db, seeded.ideas[6]) == road == cluster_of(db, seeded.ideas[7])
    assert len(audit.entries(db, action="cluster.merge")) == 1


def test_flagged_ideas_wait_for_staff_then_join_a_cluster(signed_in, db, clean, work):
    from pb import abuse

    held = seed_ideas(db, clean, [(HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"),
                                  (HOME, "ถนนซอยประชาอุทิศ 45 พังเป็นหลุม ...คำหยาบ"),
                                  (OTHER, "ขยะล้นถัง ...คำหยาบ")])
    for idea_id in held.ideas[1:]:                  # as the idea handler stores them
        db.execute("DELETE FROM cluster_members WHERE idea_id = %s", (idea_id,))
        abuse.flag(db, idea_id, ["คำหยาบ"])
    db.commit()
    staff = signed_in("officer")
    page = staff.get("/admin/flagged").get_data(as_text=True)
    assert "พังเป็นหลุม" in page and "ขยะล้นถัง" not in page          # other district hidden
    nothing = staff.post("/admin/flagged", {"decision": "spam", "idea": str(held.ideas[1])})
    assert nothing.status_code == 303
    assert "กรุณาระบุเหตุผล" in staff.get("/admin/flagged").get_data(as_text=True)
    other = staff.post("/admin/flagged", {"decision": "publish", "idea": str(held.ideas[2])})
    assert other.status_code == 404
    done = staff.post("/admin/flagged", {"decision": "publish", "idea": str(held.ideas[1])})
    assert done.status_code == 303
    work()                                          # workers.jobs.cluster_idea
    assert cluster_of(db, held.ideas[1]) == cluster_of(db, held.ideas[0])
    statuses = dict(db.execute("SELECT id, status FROM ideas").fetchall())
    db.commit()
    assert (statuses[held.ideas[1]], statuses[held.ideas[2]]) == ("active", "flagged")
    again = staff.post("/admin/flagged", {"decision": "spam", "reason": "x",
                                          "idea": str(held.ideas[1])})
    assert again.status_code == 303                 # decided already: told, nothing changes
    assert "ผู้อื่นตัดสินใจไปแล้ว" in staff.get("/admin/flagged").get_data(as_text=True)
    entry = audit.entries(db, action="idea.flag_")[0]
    assert (entry.action, entry.after["ideas"]) == ("idea.flag_publish", [held.ideas[1]])
