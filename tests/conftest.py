"""Shared fixtures: a real PostgreSQL per test worker, a fresh schema state per test, clients.

The server is the embedded one (the same code `forum serve` uses) unless TEST_DATABASE_URL names
an external server; either way each xdist worker gets its own database, migrated once, and every
table is truncated before each test (Warehouse's pattern), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from forum.config import Settings
from forum.members import passwords
from forum.ops.embedded_pg import EmbeddedPostgres
from forum.storage import migrations, sessions
from forum.storage.members import Member
from forum.web.app import create_app
from forum.web.security import CSRF_COOKIE, SESSION_COOKIE

TEST_SECRET = b"test-secret-for-signing-cookies-and-tokens"
PASSWORD = "correct horse battery staple"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _recreate_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrations.apply_pending(conn)
    finally:
        await conn.close()


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
        name = f"forum_{purpose}_{worker_id}"
        asyncio.run(_recreate_database(pg_admin_url, name))
        url = _with_database(pg_admin_url, name)
        asyncio.run(_migrate(url))
        return url

    return make


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[str], str]) -> str:
    return make_database("test")


@pytest.fixture(scope="session")
def password_hash() -> str:
    return asyncio.run(passwords.hash_password(PASSWORD))


#: Reference rows that migrations seed (the forum-wide crisis lines): kept across truncation.
_SEEDED: dict[str, list[asyncpg.Record]] = {}


async def truncate_all(conn: asyncpg.Connection) -> None:
    """Empty every table, then put back what the migrations seeded."""
    key = str(await conn.fetchval("SELECT current_database()"))
    if key not in _SEEDED:  # first use of a freshly migrated database: remember its seed
        _SEEDED[key] = await conn.fetch(
            "SELECT region, name, phone, text_number, url, hours, position"
            " FROM crisis_resources WHERE group_id IS NULL ORDER BY id"
        )
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'schema_migrations'"
    )
    names = ", ".join(f'"{t["tablename"]}"' for t in tables)
    await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    await conn.executemany(
        "INSERT INTO crisis_resources (region, name, phone, text_number, url, hours, position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [tuple(r) for r in _SEEDED[key]],
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a database whose tables are empty at the start of the test."""
    conn = await asyncpg.connect(database_url)
    await truncate_all(conn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, data_dir=tmp_path, host="127.0.0.1", port=0, secret=TEST_SECRET
    )


def csrf_for(binding: str, secret: bytes = TEST_SECRET) -> str:
    return hmac.new(secret, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


@dataclass
class ForumClient:
    """An HTTP client for the app that knows its own CSRF token, like a browser with a form."""

    http: TestClient[Any, Any]
    binding: str

    @property
    def csrf_token(self) -> str:
        return csrf_for(self.binding)

    async def get(self, path: str, **kwargs: Any) -> Any:
        kwargs.setdefault("allow_redirects", False)
        return await self.http.get(path, **kwargs)

    async def post_form(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Any:
        form = {k: str(v) for k, v in (data or {}).items() if v is not None}
        if csrf:
            form.setdefault("csrf_token", self.csrf_token)
        kwargs.setdefault("allow_redirects", False)
        return await self.http.post(path, data=form, **kwargs)


ClientFactory = Callable[..., Awaitable[ForumClient]]


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
        return ForumClient(http, binding)

    return make


@pytest.fixture
async def client(make_client: ClientFactory) -> ForumClient:
    return await make_client()


pytest_plugins = ["tests.factories"]
