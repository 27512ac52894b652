"""Voting rounds in the admin and on the public results page, and the ``siang pb`` commands:
create (bad input → a clear message, nothing saved), open, close, tally in a worker,
publish, paper ballots with their validation report, .pb export and import, scope."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pb import ballots, rounds
from pb.pabulib import read_pb
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401
from tests.voting_support import count, project, resident, round_project_ids

PABULIB = Path(os.environ.get("SIANG_PABULIB_DIR",
                              Path(__file__).resolve().parents[2] / "shared/data/pabulib"))
ASSEN = PABULIB / "Netherlands_Assen_2024.pb"


def _english(client) -> None:
    client.get("/admin/rounds")
    client.post("/admin/language", {"lang": "en", "next": "/admin/rounds"})


def _form(project_ids: list[int], **changes) -> dict:
    data = {"title": "โหวตโครงการเขตทุ่งครุ 2569", "district": HOME, "budget_baht": "1,000,000",
            "ballot_type": "approval", "max_picks": "2", "quorum_kind": "ballots",
            "quorum_value": "1", "opens_at": "01/01/2568 08:00", "closes_at": "31/12/2600 20:00",
            "rule": "greedy", "completion": "default", "project": [str(p) for p in project_ids]}
    data.update(changes)
    return data


@pytest.fixture
def home_projects(db):
    return [project(db, "ซ่อมถนนซอยประชาอุทิศ 45", 600_000, HOME),
            project(db, "ไฟส่องสว่างซอย 7", 500_000, HOME),
            project(db, "ลานกีฬาชุมชน", 300_000, HOME)]


def _round_id(response) -> int:
    match = re.search(r"/admin/rounds/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_a_round_from_creation_to_published_results(db, signed_in, home_projects, work):
    officer = signed_in("officer")
    _english(officer)
    page = officer.get("/admin/rounds/new")
    assert page.status_code == 200 and "ซ่อมถนนซอยประชาอุทิศ 45" in page.get_data(as_text=True)

    created = officer.post("/admin/rounds/new", _form(home_projects))
    assert created.status_code == 303
    round_id = _round_id(created)
    found = rounds.load(db, round_id)
    assert (found.state, found.budget_baht, found.max_picks, found.district) == ("draft", 1_000_000, 2, HOME)
    assert found.opens_at.isoformat().startswith("2025-01-01T01:00")          # 08:00 Bangkok
    db.commit()

    opened = officer.post(f"/admin/rounds/{round_id}/open", {"version": found.version})
    assert opened.status_code == 303
    db.commit()
    # Issue 16: the request returns at once; the page shows the step until the upkeep job ran.
    assert rounds.load(db, round_id).state == "draft"
    waiting = officer.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "Opening the round in the background" in waiting and 'reload_soon.js' in waiting
    assert "Not valid" not in waiting and "Voting has not begun" in waiting
    db.commit()
    work()
    assert rounds.load(db, round_id).state == "open"
    db.commit()
    rp = round_project_ids(db, round_id)
    for n, picks in enumerate([[rp[0], rp[2]], [rp[2]], [rp[1]]]):
        rid = resident(db, f"U{n:032d}", HOME)
        with db.transaction():
            ballots.cast(db, round_id, picks, resident_id=rid, district=HOME)
    db.commit()
    assert officer.get(f"/admin/rounds/{round_id}/export.pb").status_code == 404   # not while open

    closed = officer.post(f"/admin/rounds/{round_id}/close", {"version": rounds.load(db, round_id).version})
    db.commit()
    assert closed.status_code == 303
    work()                                                   # the tally job
    page = officer.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "Valid: quorum met" in page and "<svg" in page and "Method of Equal Shares" in page
    assert "Publish results" in page
    assert officer.client.get(f"/results/{round_id}").status_code == 404     # not published yet

    version = rounds.load(db, round_id).version
    db.commit()
    published = officer.post(f"/admin/rounds/{round_id}/publish", {"version": version})
    assert published.status_code == 303
    states = dict(db.execute("SELECT id, state FROM projects").fetchall())
    db.commit()
    assert states == {home_projects[0]: "selected", home_projects[1]: "not_selected",
                      home_projects[2]: "selected"}

    public = officer.client.application.test_client().get(f"/results/{round_id}")
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "<svg" in html and "<script" not in html
    assert "ซ่อมถนนซอยประชาอุทิศ 45" in html and "ผลโหวตนับได้" in html
    assert "default-src 'none'" in public.headers["Content-Security-Policy"]
    english = officer.client.application.test_client().get(f"/results/{round_id}?lang=en")
    assert "The vote counts: 3 people voted" in english.get_data(as_text=True)

    exported = officer.get(f"/admin/rounds/{round_id}/export.pb")
    assert exported.status_code == 200
    instance = read_pb(exported.get_data(as_text=True))
    assert instance.meta["max_length"] == "2" and len(instance.votes) == 3
    assert all(v.voter_id.isdigit() for v in instance.votes)        # never a LINE or resident id
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target_type = 'round' "
                                        "ORDER BY id").fetchall()]
    db.commit()
    assert actions[:5] == ["round.create", "round.open_requested", "round.open",
                           "round.close_requested", "round.close"]
    assert "round.publish" in actions


@pytest.mark.parametrize(("changes", "message"), [
    ({"project": []}, "A round needs at least one project"),
    ({"budget_baht": "100,000"}, "The budget envelope is smaller than every project"),
    ({"max_picks": "7"}, "k cannot be more than the number of projects (3)"),
    ({"closes_at": "01/01/2568 07:00"}, "Voting must close after it opens."),
    ({"opens_at": "2025-01-01"}, "Write the time as dd/mm/yyyy HH:MM"),
    ({"quorum_kind": "percent", "quorum_value": "250"}, "between 0 and 100"),
])
def test_bad_rounds_get_a_clear_message_and_nothing_is_saved(db, signed_in, home_projects,
                                                            changes, message):
    officer = signed_in("officer")
    _english(officer)
    response = officer.post("/admin/rounds/new", _form(home_projects, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, "SELECT count(*) FROM voting_rounds") == 0


def test_scope_and_roles(db, signed_in, home_projects):
    officer = signed_in("officer")
    round_id = _round_id(officer.post("/admin/rounds/new", _form(home_projects)))
    other = signed_in("other_officer")
    assert other.get(f"/admin/rounds/{round_id}").status_code == 404
    assert str(round_id) not in re.findall(r"/admin/rounds/(\d+)", other.get("/admin/rounds").get_data(as_text=True))
    assert other.post(f"/admin/rounds/{round_id}/open", {"version": 1}).status_code == 404
    viewer = signed_in("viewer")
    assert viewer.get(f"/admin/rounds/{round_id}").status_code == 200
    assert viewer.post(f"/admin/rounds/{round_id}/open", {"version": 1}).status_code == 403
    assert viewer.post("/admin/rounds/new", _form(home_projects)).status_code == 403
    # A district (or city-wide) outside the scope is a forged form: 404, as for every scope miss.
    assert officer.post("/admin/rounds/new", _form(home_projects, district="")).status_code == 404
    assert officer.post("/admin/rounds/new", _form(home_projects, district=OTHER)).status_code == 404
    assert count(db, "SELECT count(*) FROM voting_rounds") == 1
    assert rounds.load(db, round_id).state == "draft"
    db.commit()


def test_paper_ballot_upload_shows_a_validation_report(db, signed_in, home_projects, work):
    officer = signed_in("officer")
    _english(officer)
    round_id = _round_id(officer.post("/admin/rounds/new", _form(home_projects)))
    officer.post(f"/admin/rounds/{round_id}/open", {"version": 1})
    work()
    a, b, c = (str(p) for p in home_projects)
    bad = f"voter_ref,projects\nP1,{a} {b} {c}\nP3,12345\nP2,{a}\nP2,{b}\n".encode()
    from io import BytesIO

    response = officer.post(f"/admin/rounds/{round_id}/paper",
                            {"file": (BytesIO(bad), "paper.csv")},
                            content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "4 of 4 lines have a problem. Nothing was imported" in html
    assert "more picks than k" in html and "unknown project" in html
    assert "voter reference repeated in the file" in html
    assert count(db, "SELECT count(*) FROM ballots") == 0

    good = f"P1,{a} {c}\nP2,{b}\n".encode()
    response = officer.post(f"/admin/rounds/{round_id}/paper",
                            {"file": (BytesIO(good), "paper.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 200 and "2 paper ballots were imported" in response.get_data(as_text=True)
    assert count(db, "SELECT count(*) FROM ballots WHERE source = 'paper'") == 2


@pytest.mark.skipif(not ASSEN.exists(), reason="no pabulib data")
def test_admins_import_a_pb_file_officers_cannot(db, signed_in, work):
    from io import BytesIO

    data = ASSEN.read_bytes()
    officer = signed_in("officer")
    refused = officer.post("/admin/rounds/import", {"file": (BytesIO(data), "assen.pb")},
                           content_type="multipart/form-data")
    assert refused.status_code == 403
    admin = signed_in("admin")
    created = admin.post("/admin/rounds/import", {"file": (BytesIO(data), "assen.pb"), "rule": "mes"},
                         content_type="multipart/form-data")
    assert created.status_code == 303
    round_id = _round_id(created)
    assert admin.post(f"/admin/rounds/{round_id}/tally", {"version": 1}).status_code == 303
    work()
    found = rounds.load(db, round_id)
    assert (found.state, found.rule, found.origin) == ("tallied", "mes", "pabulib")
    db.commit()
    broken = admin.post("/admin/rounds/import", {"file": (BytesIO(b"META\nkey;value\n"), "x.pb")},
                        content_type="multipart/form-data")
    assert broken.status_code == 303
    assert count(db, "SELECT count(*) FROM voting_rounds") == 1


@pytest.mark.skipif(not ASSEN.exists(), reason="no pabulib data")
def test_siang_pb_import_and_export(db, settings, tmp_path):
    from siang.cli import main

    env = settings.as_env()
    result = CliRunner().invoke(main, ["pb", "import", str(ASSEN), "--rule", "mes"], env=env)
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert last["ballots"] == 84 and last["rule"] == "mes" and last["selected"]
    tallied = CliRunner().invoke(main, ["pb", "tally", str(ASSEN), "--rule", "mes"], env=env)
    assert json.loads(tallied.output.strip().splitlines()[-1])["selected"] == last["selected"]

    out = tmp_path / "round.pb"
    exported = CliRunner().invoke(main, ["pb", "export", str(last["round"]), str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert read_pb(out).meta == read_pb(ASSEN).meta
    missing = CliRunner().invoke(main, ["pb", "export", "999999", str(out)], env=env)
    assert missing.exit_code != 0 and "no voting round 999999" in missing.output
    krakow = PABULIB / "Poland_Krakow_2023_Podgorze.pb"
    if krakow.exists():
        refused = CliRunner().invoke(main, ["pb", "import", str(krakow)], env=env)
        assert refused.exit_code != 0 and "unsupported_vote_type" in refused.output
    assert count(db, "SELECT count(*) FROM voting_rounds") == 1


def test_quorum_not_met_is_shown_to_staff_and_the_public(db, signed_in, home_projects, work):
    officer = signed_in("officer")
    _english(officer)
    round_id = _round_id(officer.post("/admin/rounds/new", _form(home_projects, quorum_value="5")))
    officer.post(f"/admin/rounds/{round_id}/open", {"version": 1})
    work()
    rp = round_project_ids(db, round_id)
    rid = resident(db, "U" + "7" * 32, HOME)
    with db.transaction():
        ballots.cast(db, round_id, [rp[0]], resident_id=rid, district=HOME)
    db.commit()
    officer.post(f"/admin/rounds/{round_id}/close", {"version": rounds.load(db, round_id).version})
    db.commit()
    work()
    page = officer.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "Not valid: quorum not met" in page and "is below the quorum (5)" in page
    version = rounds.load(db, round_id).version
    db.commit()
    response = officer.post(f"/admin/rounds/{round_id}/publish", {"version": version})
    assert response.status_code == 303
    assert "published as not valid" in officer.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    public = officer.client.application.test_client().get(f"/results/{round_id}")
    assert "ผลโหวตไม่นับ: มีผู้โหวต 1 คน น้อยกว่าเกณฑ์ขั้นต่ำ 5 คน" in public.get_data(as_text=True)
    assert count(db, "SELECT count(*) FROM projects WHERE state = 'ready_for_vote'") == 3


def test_only_drafts_are_edited_and_edits_are_audited(db, signed_in, home_projects, work):
    officer = signed_in("officer")
    _english(officer)
    round_id = _round_id(officer.post("/admin/rounds/new", _form(home_projects)))
    page = officer.get(f"/admin/rounds/{round_id}/edit")
    assert page.status_code == 200 and 'value="1,000,000"' in page.get_data(as_text=True)
    edited = officer.post(f"/admin/rounds/{round_id}/edit",
                          {**_form(home_projects[:2], budget_baht="1,200,000"), "version": "1"})
    assert edited.status_code == 303
    found = rounds.load(db, round_id)
    assert (found.budget_baht, found.version) == (1_200_000, 2)
    assert len(rounds.projects_of(db, round_id)) == 2
    entry = db.execute("SELECT before, after FROM audit_log WHERE action = 'round.update'").fetchone()
    db.commit()
    assert entry[0]["budget_baht"] == 1_000_000 and entry[1]["budget_baht"] == 1_200_000
    stale = officer.post(f"/admin/rounds/{round_id}/edit",
                         {**_form(home_projects, budget_baht="900,000"), "version": "1"})
    assert stale.status_code == 400 and "Someone changed this round" in stale.get_data(as_text=True)
    officer.post(f"/admin/rounds/{round_id}/open", {"version": "2"})
    work()
    assert officer.get(f"/admin/rounds/{round_id}/edit").status_code == 303
    assert rounds.load(db, round_id).budget_baht == 1_200_000
    db.commit()
