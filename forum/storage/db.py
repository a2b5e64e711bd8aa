"""Connecting to PostgreSQL: one pool per process, sized for a small machine."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

#: What every storage function takes: a plain connection, or one lent by the pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    init: Callable[[asyncpg.Connection[asyncpg.Record]], Coroutine[Any, Any, None]] | None = None,
) -> asyncpg.Pool:
    """`init` runs on each new connection (the query-count tests attach a query logger)."""
    pool = await asyncpg.create_pool(
        url,
        init=init,
        reset=_keep_session,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        # Page reads are short; a statement that runs away is cut off instead of holding a worker.
        server_settings={
            "application_name": "forum",
            "statement_timeout": "30s",
            "idle_in_transaction_session_timeout": "60s",
        },
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Release without asyncpg's default reset query (advisory unlock, CLOSE ALL, UNLISTEN *,
    RESET ALL): it costs a round trip on every release, three or four per page, and pooled code
    leaves nothing to reset. Nothing here takes session-level locks or settings (migrations and
    the LISTEN connections use connections of their own), and asyncpg still rolls back any
    transaction left open before this runs."""


async def ping(conn: Conn) -> None:
    """Raises if the database does not answer (for /healthz)."""
    await conn.fetchval("SELECT 1")
