"""Shared fixtures: a real PostgreSQL per test worker, a fresh schema state per test, clients.

The server is the embedded one (the same code `forum serve` uses) unless TEST_DATABASE_URL names
an external server; either way each xdist worker gets its own database, migrated once, and every
table is truncated before each test (Warehouse's pattern), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from forum.config import Settings
from forum.members import passwords
from forum.moderation.crisis import model as learned
from forum.ops.embedded_pg import EmbeddedPostgres
from forum.storage import sessions
from forum.storage.members import Member
from forum.web.app import create_app
from forum.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests import databases
from tests.clients import PASSWORD, TEST_SECRET, ClientFactory, ForumClient


@pytest.fixture(autouse=True)
def _crisis_lexicon_alone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process scans use the lexicon alone, as a forum without a model file does, unless the
    test is marked `shipped_model`: publishing, queue and privacy tests post plain sentences
    whose level must not move each time the model is retrained. The model's own behaviour is
    tested on the corpus (tests/moderation/crisis/test_model.py) and in the flows marked
    `shipped_model`; subprocess tests (`forum crisis-scan`, `forum serve`) use whatever model
    file is there."""
    if request.node.get_closest_marker("shipped_model") is None:
        monkeypatch.setattr(learned, "default", lambda: None)


@pytest.fixture(scope="session")
def pg_admin_url(worker_id: str) -> Iterator[str]:
    """A URL to a maintenance database on the server the tests use."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    data_dir = Path(tempfile.mkdtemp(prefix=f"forum-test-pg-{worker_id}-"))
    server = EmbeddedPostgres(data_dir / "pg", fast_and_unsafe=True)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def make_database(pg_admin_url: str, worker_id: str) -> Callable[[str], str]:
    """Creates (afresh) and migrates a database named for this worker; returns its URL."""

    def make(purpose: str) -> str:
        url = asyncio.run(databases.recreate(pg_admin_url, f"forum_{purpose}_{worker_id}"))
        asyncio.run(databases.migrate(url))
        return url

    return make


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[str], str]) -> str:
    return make_database("test")


@pytest.fixture(scope="session")
def password_hash() -> str:
    return asyncio.run(passwords.hash_password(PASSWORD))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a database whose tables are empty at the start of the test."""
    conn = await asyncpg.connect(database_url)
    await databases.truncate_all(conn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, data_dir=tmp_path, host="127.0.0.1", port=0, secret=TEST_SECRET
    )


@pytest.fixture
async def server(aiohttp_server: Any, settings: Settings, db: asyncpg.Connection) -> Any:
    """The real application on a real socket (its pool talks to the test database)."""
    return await aiohttp_server(create_app(settings))


@pytest.fixture
def make_client(aiohttp_client: Any, server: Any, db: asyncpg.Connection) -> ClientFactory:
    """`await make_client()` is a visitor; `await make_client(member)` is signed in as member."""

    async def make(member: Member | None = None) -> ForumClient:
        http = await aiohttp_client(server)
        if member is None:
            binding = secrets.token_urlsafe(16)
            http.session.cookie_jar.update_cookies({CSRF_COOKIE: binding})
        else:
            session = await sessions.create_session(db, member)
            binding = session.token
            http.session.cookie_jar.update_cookies({SESSION_COOKIE: binding})
        return ForumClient(http, binding, member, db)

    return make


@pytest.fixture
async def client(make_client: ClientFactory) -> ForumClient:
    return await make_client()


pytest_plugins = ["tests.factories", "tests.processes"]
