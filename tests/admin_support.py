"""Helpers and fixtures for the admin tests: staff accounts, seeded ideas, signed-in clients.

Test modules import the fixtures they use from here (``from tests.admin_support
import ...``), so the shared ``conftest.py`` stays small.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
import pytest

from pb import clusters, ideas, processes, residents
from pb import staff as staff_rows

PASSWORD = "correct horse battery staple"
HOME = "ทุ่งครุ"          # the officer's district
OTHER = "บางรัก"          # a district the officer does not work in

_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html) or re.search(r'id="csrf_token" name="csrf_token" '
                                             r'type="hidden" value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


class StaffClient:
    """A Flask test client signed in as one staff member."""

    def __init__(self, app, username: str, password: str = PASSWORD) -> None:
        self.client = app.test_client()
        self.username = username
        self.token = ""
        if username:
            response = self.login(username, password)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def login(self, username: str, password: str):
        page = self.client.get("/admin/login")
        return self.client.post("/admin/login", data={
            "csrf_token": csrf_token(page.get_data(as_text=True)), "username": username,
            "password": password})

    def get(self, url: str, **kwargs):
        response = self.client.get(url, **kwargs)
        html = response.get_data(as_text=True)
        if 'name="csrf_token"' in html:
            self.token = csrf_token(html)
        return response

    def post(self, url: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        if csrf and not self.token:
            self.get("/admin/clusters")
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return self.client.post(url, data=form, **kwargs)


@dataclass
class Seeded:
    process_id: int
    ideas: list[int]


def seed_ideas(conn: psycopg.Connection, runtime, items: Iterable[tuple[str, str]], *,
               resident_id: int | None = None, lat_lon: tuple[float, float] | None = None
               ) -> Seeded:
    """Store ideas as the idea handler does: embed (fake embedder), assign online.

    ``items``: (district, text) pairs. Commits.
    """
    ids = []
    with conn.transaction():
        process_id = processes.current_id(conn)
        for n, (district, text) in enumerate(items):
            idea_id, _created = ideas.insert(
                conn, process_id=process_id, resident_id=resident_id, district=district,
                text=text, normalised_text=text.lower(), webhook_event_id=None, source="import")
            raw, centred = runtime.embed(text)
            ideas.store_embedding(conn, idea_id, runtime.embedder.name, raw)
            clusters.assign(conn, idea_id, process_id, district, centred,
                            runtime.assign_threshold)
            if lat_lon:
                conn.execute("UPDATE ideas SET latitude = %s, longitude = %s WHERE id = %s",
                             (lat_lon[0] + n * 0.002, lat_lon[1] + n * 0.003, idea_id))
            ids.append(idea_id)
    conn.commit()   # in case the caller had a transaction open (then the block was a savepoint)
    return Seeded(process_id, ids)


def resident(conn: psycopg.Connection, line_user_id: str, district: str = HOME, *,
             language: str = "th") -> int:
    """A consenting, following resident; commits."""
    with conn.transaction():
        row = residents.follow(conn, line_user_id, language)
        residents.give_consent(conn, row.id)
        residents.set_district(conn, row.id, district)
    conn.commit()
    return row.id


def cluster_of(conn: psycopg.Connection, idea_id: int) -> int:
    found = clusters.cluster_of(conn, idea_id)
    assert found is not None
    conn.commit()
    return found[0]


def version_of(conn: psycopg.Connection, cluster_id: int) -> int:
    row = conn.execute("SELECT review_version FROM clusters WHERE id = %s",
                       (cluster_id,)).fetchone()
    conn.commit()
    return int(row[0])


@pytest.fixture
def accounts(db):
    """admin, an officer of ทุ่งครุ, an officer of บางรัก, a viewer; all with PASSWORD."""
    with db.transaction():
        ids = {
            "admin": staff_rows.create(db, username="admin", display_name="แอดมิน",
                                       password=PASSWORD, role="admin"),
            "officer": staff_rows.create(db, username="somchai", display_name="สมชาย ใจดี",
                                         password=PASSWORD, role="officer", assigned=[HOME]),
            "other_officer": staff_rows.create(db, username="somsri",
                                               display_name="สมศรี มีสุข", password=PASSWORD,
                                               role="officer", assigned=[OTHER]),
            "viewer": staff_rows.create(db, username="viewer", display_name="ผู้ดู",
                                        password=PASSWORD, role="viewer"),
        }
    db.commit()
    return ids


USERNAMES = {"admin": "admin", "officer": "somchai", "other_officer": "somsri",
             "viewer": "viewer"}


@pytest.fixture
def signed_in(stack, accounts):
    """role → a StaffClient signed in with that role (made on first use)."""
    made: dict[str, StaffClient] = {}

    def get(role: str) -> StaffClient:
        if role not in made:
            made[role] = StaffClient(stack["app"], USERNAMES[role])
        return made[role]
    return get
