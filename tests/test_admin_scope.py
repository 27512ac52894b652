"""District scope and roles, checked on every admin route as every role.

The table ROUTES must name every admin endpoint: a new route fails this test
until it says what kind it is, and then it is walked like the others.
"""

from __future__ import annotations

import io

import pytest

from pb import abuse, audit, projects, review
from pb.scope import Scope
from tests.admin_support import (HOME, OTHER, StaffClient, accounts, cluster_of,  # noqa: F401
                                 seed_ideas, signed_in, version_of)
from workers.clustering import refresh_keywords

# endpoint → kind:
#   public: no sign-in needed; self: any signed-in staff member, about themselves;
#   read: any signed-in staff member, within their districts;
#   write: admin or officer, within their districts; admin: admins only.
ROUTES = {
    "admin.auth.login": "public",
    "admin.auth.logout": "self",
    "admin.auth.password": "self",
    "admin.auth.language": "public",
    "admin.dashboard.index": "read",             # issue 16: the home page, scoped
    "admin.clusters.index": "read",
    "admin.clusters.show": "read",
    "admin.clusters.rename": "write",
    "admin.clusters.lock": "write",
    "admin.clusters.merge": "write",
    "admin.clusters.ideas": "write",
    "admin.clusters.flagged": "read",
    "admin.clusters.decide_flagged": "write",
    "admin.clusters.unmerge": "write",           # issue 16: undo a merge
    "admin.projects.index": "read",
    "admin.projects.show": "read",
    "admin.projects.new": "write",
    "admin.projects.edit": "write",
    "admin.projects.state": "write",
    "admin.projects.add_cluster": "write",
    "admin.projects.dates": "write",             # issue 16: dates corrected after the draft
    "admin.sent.index": "read",                  # issue 16: what residents were told
    "admin.audit.index": "read",                 # issue 16: officers read their districts'
    "admin.staff.index": "admin",
    "admin.staff.new": "admin",                  # issue 16: staff accounts in the web admin
    "admin.staff.show": "admin",
    "admin.staff.access": "admin",
    "admin.staff.reset_password": "admin",
    "admin.staff.set_active": "admin",
    "admin.exports.ideas": "read",               # issue 16: CSV downloads, scoped
    "admin.exports.clusters": "read",
    "admin.exports.projects": "read",
    "admin.exports.results": "read",
    # issue 6: voting rounds (rounds.new lists only the staff member's own projects)
    "admin.rounds.index": "read",
    "admin.rounds.show": "read",
    "admin.rounds.export": "read",
    "admin.rounds.new": "write",
    "admin.rounds.edit": "write",
    "admin.rounds.open_": "write",
    "admin.rounds.close": "write",
    "admin.rounds.tally": "write",
    "admin.rounds.publish": "write",
    "admin.rounds.paper": "write",
    "admin.rounds.import_pb": "admin",
    # issue 7: progress reports and announcements
    "admin.progress.index": "read",
    "admin.progress.show": "read",
    "admin.progress.photo": "read",
    "admin.progress.export_html": "read",
    "admin.progress.export_csv": "read",
    "admin.progress.save_form": "write",
    "admin.progress.add_report": "write",
    "admin.announcements.index": "read",
    "admin.announcements.show": "read",
    "admin.announcements.stats_json": "read",
    "admin.announcements.new": "write",
    "admin.announcements.edit": "write",
    "admin.announcements.send": "write",
    "admin.announcements.cancel": "write",
    # issue 15: the similar-idea rule per process, and marking a repeated idea
    "admin.similar.settings_page": "read",
    "admin.similar.save_settings": "admin",
    "admin.similar.mark_duplicate": "write",
    # issue 18: district city councils (walked with real councils in tests/test_council_admin.py)
    "admin.council.index": "read",
    "admin.council.new": "write",
    "admin.council.show": "read",
    "admin.council.add_member": "write",
    "admin.council.remove_member": "write",
    "admin.council.new_meeting": "write",
    "admin.council.meeting": "read",
    "admin.council.open_window": "write",
    "admin.council.close_window": "write",       # H-G1: close the question window early
    "admin.council.agenda": "write",
    "admin.council.publish": "write",
    # issue 18: district public hearings (walked with real hearings in tests/test_hearings_admin.py)
    "admin.hearings.index": "read",
    "admin.hearings.new": "write",
    "admin.hearings.edit": "write",              # H-G1: change a draft hearing
    "admin.hearings.show": "read",
    "admin.hearings.summary": "read",
    "admin.hearings.export": "read",
    "admin.hearings.open_": "write",
    "admin.hearings.close": "write",
    "admin.hearings.publish": "write",
    # issue 18: the BMA indicator panel (Bangkok-wide figures public; the table scoped)
    "admin.indicators.index": "read",
    "admin.indicators.export": "read",
    # issue 18: communities and their development plans (the community role is walked below)
    "admin.communities.index": "read",
    "admin.communities.import_csv": "write",
    "admin.communities.show": "read",
    "admin.communities.account": "admin",
    "admin.community_plans.index": "read",
    "admin.community_plans.start": "write",
    "admin.community_plans.show": "read",
    "admin.community_plans.add_project": "write",
    "admin.community_plans.remove_project": "write",
    "admin.community_plans.submit": "write",
    "admin.community_plans.return_": "write",
    "admin.community_plans.adopt": "write",
    "admin.community_plans.action_plan_marks": "write",
    "admin.community_plans.action_plan": "read",
    "admin.community_plans.action_plan_csv": "read",
}
MISSING = 999_999  # the id of an object this fixture does not make (another area's)


# List pages are asked for the other district; the promotion form for its cluster.
LISTS = {"admin.clusters.index", "admin.projects.index", "admin.clusters.flagged",
         "admin.rounds.index", "admin.rounds.new", "admin.progress.index",
         "admin.announcements.index", "admin.announcements.new", "admin.dashboard.index",
         "admin.audit.index", "admin.exports.ideas", "admin.exports.clusters",
         "admin.exports.projects", "admin.exports.results",
         "admin.similar.settings_page", "admin.sent.index",   # issue 15: the process's rule, no district's data
         "admin.council.index",                                # issue 18: own districts' councils
         "admin.hearings.index", "admin.hearings.new",           # issue 18: own districts' hearings
         "admin.indicators.index", "admin.indicators.export",   # issue 18: own districts only
         "admin.communities.index", "admin.community_plans.index",   # issue 18: communities
         "admin.community_plans.action_plan", "admin.community_plans.action_plan_csv"}
# Forms refused as bad input (400) before any object is looked up: an announcement's
# audience, a registry CSV's rows of another district (each row's problem is listed).
REFUSED_AS_INPUT = {"admin.announcements.new", "admin.communities.import_csv"}
QUERIES = {"admin.clusters.index": "?district={district}",
           "admin.projects.index": "?district={district}",
           "admin.clusters.flagged": "?district={district}",
           "admin.projects.new": "?cluster={cluster}"}


@pytest.fixture
def world(db, clean, accounts):
    """Two clusters and a draft project in each of HOME and OTHER."""
    seeded = seed_ideas(db, clean, [
        (HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมเป็นบ่อ"), (HOME, "ถนนซอยประชาอุทิศ 45 เป็นหลุมบ่อมาก"),
        (HOME, "ไฟฟ้าส่องสว่างในซอยดับ มืดมาก"),
        (OTHER, "ขยะล้นถังริมคลองทุกวัน"), (OTHER, "ขยะล้นถังริมคลองส่งกลิ่นเหม็น"),
        (OTHER, "ทางเท้าแตกเดินลำบาก")])
    for district in (HOME, OTHER):
        refresh_keywords(db, seeded.process_id, district)
    ids = seeded.ideas
    home, home2 = cluster_of(db, ids[0]), cluster_of(db, ids[2])
    other, other2 = cluster_of(db, ids[3]), cluster_of(db, ids[5])
    system = Scope.system()
    made = {}
    for name, cluster, district in (("home", home2, HOME), ("other", other2, OTHER)):
        made[name], _outcome = projects.promote(
            db, system, {cluster: version_of(db, cluster)},
            projects.ProjectFields(title=f"โครงการ {district}", district=district,
                                   fiscal_year=2569))
    voting = {name: _draft_round(db, seeded.process_id, district)
              for name, district in (("home", HOME), ("other", OTHER))}
    flagged = seed_ideas(db, clean, [(HOME, "ไอเดียที่มีคำไม่สุภาพ"), (OTHER, "ไอเดียที่มีคำหยาบ")])
    for idea_id in flagged.ideas:
        db.execute("DELETE FROM cluster_members WHERE idea_id = %s", (idea_id,))
        abuse.flag(db, idea_id, ["คำ"])
    db.commit()
    return {"home": {"cluster": home, "cluster2": home2, "project": made["home"],
                     "idea": ids[0], "flagged": flagged.ideas[0], "round": voting["home"]},
            "other": {"cluster": other, "cluster2": other2, "project": made["other"],
                      "idea": ids[3], "flagged": flagged.ideas[1], "round": voting["other"]}}


def _draft_round(db, process_id: int, district: str) -> int:
    """A draft voting round (issue 6) of ``district`` with one project ready for the vote."""
    import datetime as dt

    from pb import round_changes, rounds

    project_id = db.execute(
        """INSERT INTO projects (process_id, title, district, estimated_cost_baht, fiscal_year,
                                 state) VALUES (%s, %s, %s, 500000, 2569, 'ready_for_vote')
           RETURNING id""", (process_id, f"โครงการโหวต {district}", district)).fetchone()[0]
    now = dt.datetime.now(dt.timezone.utc)
    return round_changes.create(db, Scope.system(), rounds.RoundFields(
        title=f"โหวต {district}", district=district, budget_baht=1_000_000,
        ballot_type="approval", max_picks=1, quorum_kind="ballots", quorum_value=0,
        opens_at=now, closes_at=now + dt.timedelta(days=7), rule="greedy",
        project_ids=[project_id]))


def _urls(app, objects) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every admin route, ids taken from ``objects``."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ROUTES:      # test_every_admin_route_is_classified says so
            continue
        values = {"cluster_id": objects["cluster"], "project_id": objects["project"],
                  "round_id": objects["round"]}
        # Other ids (another area's objects, none made here): one that does not exist.
        if rule.endpoint.startswith("admin.progress."):
            # Progress reports are filed for selected projects; none is made here.
            values = {**values, "project_id": MISSING}
        url = rule.build({k: values.get(k, MISSING) for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def _form(endpoint: str, objects, db) -> dict:
    """A form that would succeed if the scope check were missing."""
    cluster = objects["cluster"]
    version = version_of(db, cluster)
    forms = {
        "admin.clusters.rename": {"version": version, "label": "forged name"},
        "admin.clusters.lock": {"version": version, "locked": "1"},
        "admin.clusters.merge": {"version": version, "target": objects["cluster2"]},
        "admin.clusters.unmerge": {"version": version},
        "admin.projects.dates": {"version": "1", "starts_on": "01/01/2569",
                                 "ends_on": "31/12/2569", "reason": "forged"},
        "admin.clusters.ideas": {"version": version, "action": "spam", "reason": "x",
                                 "idea": str(objects["idea"])},
        "admin.projects.new": {"cluster": cluster, f"v{cluster}": version, "title": "forged",
                               "district": OTHER, "fiscal_year": "2569"},
        "admin.projects.edit": {"version": "1", "title": "forged", "district": OTHER,
                                "fiscal_year": "2569"},
        "admin.projects.state": {"version": "1", "state": "ready_for_vote"},
        "admin.clusters.decide_flagged": {"decision": "spam", "reason": "x",
                                          "idea": str(objects["flagged"])},
        "admin.projects.add_cluster": {"version": "1", "cluster": cluster,
                                       "cluster_version": version},
        **{f"admin.rounds.{name}": {"version": "1"}
           for name in ("edit", "open_", "close", "tally", "publish")},
        "admin.communities.import_csv": {"file": (io.BytesIO(           # issue 18
            "name,district,type\nชุมชนปลอม,บางรัก,ชุมชนเมือง\n".encode()), "forged.csv")},
        "admin.community_plans.start": {"community": str(MISSING), "fy": "2569"},
        "admin.hearings.new": {"title": "forged", "area": OTHER, "opens_on": "01/10/2568",  # issue 18
                               "closes_on": "30/09/2569", "questions": "open: forged"},
        "admin.hearings.edit": {"title": "forged", "area": OTHER, "opens_on": "01/10/2568",  # H-G1
                                "closes_on": "30/09/2569", "questions": "open: forged",
                                "version": "1"},
        "admin.council.close_window": {"version": "1"},                      # H-G1
        "admin.council.new": {"district": OTHER, "name": "forged",          # issue 18
                              "established_on": "01/10/2568"},
        "admin.rounds.new": {"title": "forged", "district": OTHER, "budget_baht": "1000000",
                             "ballot_type": "approval", "max_picks": "1",
                             "quorum_kind": "ballots", "quorum_value": "0",
                             "opens_at": "01/01/2568 08:00", "closes_at": "31/12/2600 08:00",
                             "rule": "greedy", "completion": "default"},
    }
    return forms.get(endpoint, {})


def test_every_admin_route_is_classified(stack):
    endpoints = {r.endpoint for r in stack["app"].url_map.iter_rules()
                 if r.endpoint.startswith("admin.") and r.endpoint != "admin.static"}
    unclassified, gone = sorted(endpoints - set(ROUTES)), sorted(set(ROUTES) - endpoints)
    assert not unclassified, f"classify these admin routes in ROUTES: {unclassified}"
    assert not gone, f"these ROUTES entries no longer exist: {gone}"


def _snapshot(db):
    rows = (db.execute("SELECT id, label, locked, review_version, size FROM clusters ORDER BY id")
            .fetchall(),
            db.execute("SELECT id, title, state, version FROM projects ORDER BY id").fetchall(),
            db.execute("SELECT id, status FROM ideas ORDER BY id").fetchall())
    db.commit()
    return rows


@pytest.mark.parametrize("role", ["officer", "viewer", "anonymous"])
def test_walk_every_route_outside_the_scope(role, stack, world, db, signed_in):
    """An officer never reads or changes another district; a viewer never changes
    anything; an anonymous visitor gets nothing."""
    staff = StaffClient(stack["app"], "") if role == "anonymous" else signed_in(role)
    staff.get("/admin/login" if role == "anonymous" else "/admin/clusters")
    before = _snapshot(db)
    for endpoint, method, url in _urls(stack["app"], world["other"]):
        kind = ROUTES[endpoint]
        if kind in ("public", "self"):
            continue
        if method == "GET":
            query = QUERIES.get(endpoint, "").format(cluster=world["other"]["cluster"],
                                                     district=OTHER)
            response = staff.client.get(url + query)
            status = response.status_code
            if endpoint in LISTS and role == "officer":
                # A list page answers, but shows nothing of the other district.
                body = response.get_data(as_text=True)
                assert status == 200, (endpoint, status)
                assert f"/admin/clusters/{world['other']['cluster']}" not in body
                assert f"/admin/projects/{world['other']['project']}" not in body
                continue
        else:
            form = _form(endpoint, world["other"], db)
            status = staff.post(url, form).status_code
        if role == "anonymous":
            expected = {302} if method == "GET" else {401}
        elif kind == "admin":
            expected = {403}
        elif role == "viewer":
            expected = {200} if (method == "GET" and kind == "read") else {403}
            if str(MISSING) in url and method == "GET" and kind == "read":
                expected = {404}             # an object that does not exist
        else:                                   # officer, other district
            expected = {404}
        if (str(MISSING) in url or endpoint in REFUSED_AS_INPUT) and method == "POST" \
                and role == "officer":
            expected = expected | {400}          # refused before the object is even looked up
        assert status in expected, (role, endpoint, method, url, status)
    assert _snapshot(db) == before
    assert audit.entries(db, action="cluster.") == []
    assert audit.entries(db, action="project.") == [] or \
        all(e.staff_id is None for e in audit.entries(db, action="project."))


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_walk_every_read_route_inside_the_scope(role, stack, world, signed_in):
    staff = signed_in(role)
    for endpoint, method, url in _urls(stack["app"], world["home"]):
        if method != "GET" or ROUTES[endpoint] not in ("read", "write") or str(MISSING) in url:
            continue
        if endpoint == "admin.projects.new":
            url += f"?cluster={world['home']['cluster']}"
        assert staff.client.get(url).status_code == 200, (role, endpoint, url)


def test_admin_reaches_every_district(stack, world, signed_in):
    staff = signed_in("admin")
    for objects in (world["home"], world["other"]):
        for endpoint, method, url in _urls(stack["app"], objects):
            if method == "GET" and ROUTES[endpoint] in ("read", "admin") and str(MISSING) not in url:
                assert staff.client.get(url).status_code == 200, (endpoint, url)


def test_officer_cannot_merge_into_or_promote_with_another_district(stack, world, db,
                                                                   signed_in):
    staff = signed_in("officer")
    home = world["home"]["cluster"]
    staff.get(f"/admin/clusters/{home}")
    response = staff.post(f"/admin/clusters/{home}/merge", {
        "version": version_of(db, home), "target": world["other"]["cluster"]})
    assert response.status_code == 404
    response = staff.post(f"/admin/clusters/{home}/ideas", {
        "version": version_of(db, home), "action": "move", "idea": str(world["home"]["idea"]),
        "target": world["other"]["cluster"]})
    assert response.status_code == 404
    page = staff.get(f"/admin/projects/new?cluster={home}")
    choices = page.get_data(as_text=True).split('name="district"')[1].split("</select>")[0]
    assert OTHER not in choices
    response = staff.post(f"/admin/projects/new?cluster={home}", {
        "cluster": home, f"v{home}": version_of(db, home), "title": "x", "district": OTHER,
        "fiscal_year": "2569"})
    assert response.status_code == 400
    assert cluster_of(db, world["home"]["idea"]) == home


def test_scope_lists_only_reachable_clusters_and_projects(stack, world, signed_in):
    officer = signed_in("officer").get("/admin/clusters").get_data(as_text=True)
    assert f"/admin/clusters/{world['home']['cluster']}" in officer
    assert f"/admin/clusters/{world['other']['cluster']}" not in officer
    projects_page = signed_in("officer").get("/admin/projects").get_data(as_text=True)
    assert f"/admin/projects/{world['home']['project']}" in projects_page
    assert f"/admin/projects/{world['other']['project']}" not in projects_page
    other_officer = signed_in("other_officer").get("/admin/clusters").get_data(as_text=True)
    assert f"/admin/clusters/{world['home']['cluster']}" not in other_officer


def test_scope_rules():
    officer = Scope.for_staff(1, "x", "officer", [HOME])
    assert officer.allows(HOME) and not officer.allows(OTHER) and not officer.allows(None)
    assert Scope.for_staff(1, "x", "officer", []).districts == frozenset()
    assert Scope.for_staff(1, "x", "viewer", []).districts is None
    assert Scope.for_staff(1, "x", "viewer", [HOME]).districts == {HOME}
    assert Scope.for_staff(1, "x", "admin", [HOME]).districts is None
    assert not Scope.for_staff(1, "x", "viewer", []).can_write
    with pytest.raises(ValueError):
        Scope.for_staff(1, "x", "root", [])
    assert review.STATUSES and projects.STATES


# --- issue 18: the community role reaches its one community, nothing else -------------------

COMMUNITY_COMPILE = {"admin.community_plans.start", "admin.community_plans.add_project",
                     "admin.community_plans.remove_project", "admin.community_plans.submit"}
COMMUNITY_READ = {"admin.communities.show", "admin.community_plans.show"}


@pytest.fixture
def community_world(db, clean, accounts):
    """Three communities (two in HOME, one in OTHER), each with a plan of one project, and a
    committee account (role ``community``) of the first."""
    from pb import communities, community_plans
    from pb import staff as staff_rows
    from tests.admin_support import PASSWORD

    registry = ("name,district,type\nชุมชนวัดทุ่งครุ,ทุ่งครุ,ชุมชนแออัด\n"
                "ชุมชนประชาอุทิศ,ทุ่งครุ,ชุมชนเมือง\nชุมชนสวนพลู,บางรัก,ชุมชนเมือง\n")
    assert communities.import_csv(db, Scope.system(), registry.encode()).ok
    ids = {name: cid for cid, name in db.execute("SELECT id, name FROM communities").fetchall()}
    made = {}
    for key, name in (("own", "ชุมชนวัดทุ่งครุ"), ("neighbour", "ชุมชนประชาอุทิศ"),
                      ("other", "ชุมชนสวนพลู")):
        plan_id = community_plans.start(db, Scope.system(), ids[name], 2569)
        project_id = community_plans.add_project(db, Scope.system(), plan_id, 1,
                                                 community_plans.ProjectFields(
                                                     f"โครงการของ{name}", 1, 10_000, 2569))
        made[key] = {"community_id": ids[name], "plan_id": plan_id, "project_id": project_id,
                     "name": name}
    staff_rows.create(db, username="committee", display_name="กรรมการชุมชน", password=PASSWORD,
                      role="community", community_id=ids["ชุมชนวัดทุ่งครุ"])
    db.commit()
    return made


def _plans_snapshot(db):
    rows = (db.execute("SELECT id, state, version FROM community_plans ORDER BY id").fetchall(),
            db.execute("SELECT id, title, action_plan_year FROM community_plan_projects "
                       "ORDER BY id").fetchall(),
            db.execute("SELECT count(*) FROM communities").fetchone())
    db.commit()
    return rows


def test_a_community_role_cannot_see_another_community(stack, community_world, db):
    """Least privilege: the committee reads and compiles its own plan; every route with
    another community's objects (in its own district or another) is 404 or 403, district
    pages show it nothing, and it never reviews (adopts) a plan, even its own."""
    app = stack["app"]
    committee = StaffClient(app, "committee")
    own = community_world["own"]
    strangers = [community_world["neighbour"]["name"], community_world["other"]["name"]]
    assert committee.get(f"/admin/communities/{own['community_id']}").status_code == 200
    page = committee.get(f"/admin/community-plans/{own['plan_id']}").get_data(as_text=True)
    assert "โครงการของชุมชนวัดทุ่งครุ" in page
    for url in ("/admin/communities", "/admin/community-plans?fy=2569"):
        body = committee.get(url).get_data(as_text=True)
        assert own["name"] in body and not any(name in body for name in strangers), url
    assert committee.post(f"/admin/community-plans/{own['plan_id']}/adopt", {
        "version": "2", "entering": str(own["project_id"])}).status_code == 403
    before = _plans_snapshot(db)
    for key in ("neighbour", "other"):
        objects = community_world[key]
        form = {"version": "2", "title": "forged", "priority": "1", "estimated_cost_baht": "1",
                "year_be": "2569", "community": str(objects["community_id"]), "fy": "2569",
                "note": "forged", "entering": str(objects["project_id"]), "summary": "forged"}
        for rule in app.url_map.iter_rules():
            kind = ROUTES.get(rule.endpoint)
            if kind is None or kind in ("public", "self"):
                continue
            url = rule.build({k: objects.get(k, MISSING) for k in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = committee.client.get(url)
                    status = response.status_code
                    if rule.endpoint in LISTS and kind == "read":
                        body = response.get_data(as_text=True)
                        assert status == 200, (rule.endpoint, status)
                        assert not any(name in body for name in strangers), rule.endpoint
                        continue
                    expected = {404} if kind == "read" else {403, 404}
                else:
                    status = committee.post(url, dict(form)).status_code
                    if rule.endpoint in COMMUNITY_COMPILE:
                        expected = {404}                 # not its community: as if absent
                    elif rule.endpoint.startswith("admin.communit"):
                        expected = {403}                 # district staff's and admins' only
                    else:
                        expected = {400, 403, 404}       # other areas: refused, nothing changes
                if rule.endpoint in COMMUNITY_READ:
                    expected = {404}
                assert status in expected, (key, rule.endpoint, method, url, status)
    assert _plans_snapshot(db) == before
    assert all(e.staff_id is None for e in audit.entries(db, action="community_plan."))


def test_community_scope_rules():
    committee = Scope.for_staff(7, "x", "community", [HOME], community_id=3)
    assert committee.districts == frozenset() and not committee.can_write
    assert committee.reaches_community(3, HOME) and not committee.reaches_community(4, HOME)
    assert not committee.allows(HOME)
    assert not Scope.for_staff(7, "x", "community", []).reaches_community(3, HOME)
    officer = Scope.for_staff(1, "x", "officer", [HOME])
    assert officer.community_id is None and officer.reaches_community(3, HOME)
    assert not officer.reaches_community(3, OTHER)


def test_an_officer_cannot_reach_another_districts_community(stack, community_world, db,
                                                             signed_in):
    """The district walk with real objects: an officer of HOME gets 404 for every community
    and community-plan route of OTHER's community, reads and writes alike, and nothing
    changes; its listings never name that community."""
    officer = signed_in("officer")
    officer.get("/admin/communities")
    other = community_world["other"]
    before = _plans_snapshot(db)
    form = {"version": "2", "title": "forged", "priority": "1", "estimated_cost_baht": "1",
            "year_be": "2569", "community": str(other["community_id"]), "fy": "2569",
            "note": "forged", "entering": str(other["project_id"]), "summary": "forged"}
    walked = 0
    for rule in stack["app"].url_map.iter_rules():
        if not rule.endpoint.startswith("admin.communit") or not rule.arguments:
            continue
        url = rule.build({k: other.get(k, MISSING) for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                status = officer.client.get(url).status_code
            else:
                status = officer.post(url, dict(form)).status_code
            expected = {403} if ROUTES[rule.endpoint] == "admin" else {404}
            assert status in expected, (rule.endpoint, method, url, status)
            walked += 1
    assert walked >= 9                  # every community route that takes an id
    for url in ("/admin/communities", "/admin/community-plans?fy=2569"):
        assert other["name"] not in officer.get(url).get_data(as_text=True), url
    assert _plans_snapshot(db) == before
