"""Test fixtures: real PostgreSQL + pgvector and real Redis, the LINE emulator, a fake embedder.

The embedded servers live under ``var/test`` (or ``$SIANG_TEST_DATA_DIR``)
and are reused across runs; each test starts from empty tables and an
empty queue. With ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` set, those
servers are used instead.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import psycopg
import pytest
import redis as redis_lib
from rq import SimpleWorker
from werkzeug.serving import make_server

from bot.settings import Settings
from pb import db as pbdb

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("SIANG_TEST_DATA_DIR", REPO / "var" / "test")).absolute()
SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
SECRET_KEY = "test-secret-key"      # the web refuses to start without one (siang.app)
TEST_DB = "siang_test"


class _Late:
    """A WSGI app filled in after its server is bound (the bot and the emulator call each other)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture(scope="session")
def services(tmp_path_factory):
    """PostgreSQL (embedded and shared, or given) with a database of this session's own,
    and a Redis of this session's own: parallel test runs never see each other's data.
    """
    from siang.services import start_postgres, start_redis

    admin_url = os.environ.get("TEST_DATABASE_URL", "")
    pg_server = None
    if not admin_url:
        pg_server, admin_url = start_postgres(DATA_DIR)
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    redis_handle = None
    if not redis_url:
        redis_handle, redis_url = start_redis(tmp_path_factory.mktemp("redis"))
    test_db = f"siang_test_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {test_db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {test_db}")
    test_url = psycopg.conninfo.make_conninfo(admin_url, dbname=test_db)
    with pbdb.connection(test_url) as conn:
        pbdb.upgrade(conn)
    yield Settings(channel_secret=SECRET, channel_access_token=TOKEN, data_dir=DATA_DIR,
                   database_url=test_url, redis_url=redis_url, secret_key=SECRET_KEY)
    from siang.services import EmbeddedServices

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {test_db} WITH (FORCE)")
    # The embedded PostgreSQL is shared by concurrent local runs; CI stops it.
    EmbeddedServices(None, pg_server if os.environ.get("CI") else None, redis_handle).stop()


@pytest.fixture(scope="session")
def stack(services):
    """The bot's web app and the LINE emulator, each on its own loopback port."""
    from siang.app import create_app
    from linesim.app import create_app as create_sim

    bot_slot, sim_slot = _Late(), _Late()
    bot_url, bot_server = _serve(bot_slot)
    sim_url, sim_server = _serve(sim_slot)
    settings = services.replace(line_api_base=sim_url, line_data_api_base=sim_url,
                                embedder="fake", admin_password="test-admin-password",
                                line_timeout_s=5.0)
    bot_slot.app = create_app(settings)
    sim_slot.app = create_sim(SECRET, TOKEN, f"{bot_url}/callback")
    yield {"settings": settings, "bot_url": bot_url, "sim_url": sim_url,
           "app": bot_slot.app, "sim_app": sim_slot.app}
    bot_server.shutdown()
    sim_server.shutdown()
    bot_slot.app.extensions["siang"].pool.close()


@pytest.fixture(scope="session")
def settings(stack) -> Settings:
    return stack["settings"]


@pytest.fixture(scope="session")
def runtime(settings):
    """The worker runtime with the deterministic fake embedder."""
    from nlp.embedder import FakeEmbedder
    from workers import runtime as rt

    yield rt.init(settings, embedder=FakeEmbedder())
    rt.reset()


@pytest.fixture
def clean(settings, runtime):
    """Empty tables and an empty queue before the test."""
    conn = runtime.connection()
    if conn.info.transaction_status != 0:
        conn.rollback()
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'schema_migrations'").fetchall()]
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    conn.commit()
    runtime.redis.flushdb()
    return runtime


@pytest.fixture
def db(clean, settings):
    """A connection to the test database (autocommit off; rolled back after the test)."""
    with psycopg.connect(settings.database_url) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def work(clean):
    """Run every queued job now, in this process (RQ SimpleWorker, burst mode)."""

    def run() -> None:
        SimpleWorker(clean.queues, connection=clean.redis).work(burst=True,
                                                                  logging_level="WARNING")
    return run


@pytest.fixture
def sim(stack):
    from linesim.client import SimClient

    client = SimClient(stack["sim_url"])
    client.reset_calls()
    return client


@pytest.fixture
def chat(sim, work):
    """A resident chatting with Siang, read like a transcript (see tests/chatting.py)."""
    from tests.chatting import ChatFactory

    return ChatFactory(sim, work)


@pytest.fixture
def client(stack, clean):
    """Flask test client of the bot's web app."""
    return stack["app"].test_client()


@pytest.fixture
def redis(clean) -> redis_lib.Redis:
    return clean.redis
