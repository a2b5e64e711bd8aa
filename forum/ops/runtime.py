"""Getting a database for a command: the configured one, or the embedded one started for it.

`database(settings)` is a context manager used by every CLI command: it yields a reachable URL
with migrations applied, and on exit stops the embedded server if this process started it.
Failures become ConfigError / StartupError with one line naming what to fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import asyncpg

from forum.config import ConfigError, Settings
from forum.ops.embedded_pg import EmbeddedPostgres, EmbeddedUnavailable
from forum.storage import migrations


class StartupError(Exception):
    """The forum cannot start; the message says why in one line."""


class CommandError(Exception):
    """The command could not do what was asked; exit status 1."""


class InputError(Exception):
    """What came in on standard input is not what the command reads; exit status 2."""


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'local socket'}:{parts.port or 5432}"


async def prepare(url: str, variable: str, *, migrate: bool = True) -> list[str]:
    """Check that the database answers, and apply pending migrations."""
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (
        TimeoutError,
        OSError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        ValueError,
    ) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{variable}: cannot connect to {_where(url)}: {reason}") from None
    try:
        return await migrations.apply_pending(conn) if migrate else []
    finally:
        await conn.close()


@contextmanager
def database(settings: Settings, *, migrate: bool = True) -> Iterator[str]:
    if settings.database_url is not None:
        asyncio.run(prepare(settings.database_url, "DATABASE_URL", migrate=migrate))
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir / "pg")
    try:
        url = server.start()
    except EmbeddedUnavailable as exc:
        raise StartupError(str(exc)) from None
    try:
        asyncio.run(prepare(url, "FORUM_DATA_DIR (embedded PostgreSQL)", migrate=migrate))
        yield url
    finally:
        server.stop()
