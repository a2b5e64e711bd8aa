"""Connecting to PostgreSQL: one pool per process, sized for a small machine.

Nothing waits on the database for ever. A request waits at most `acquire_timeout` for a
connection (asyncpg's own default is for ever, so a pool emptied by a hung database would hang
every request behind it), and a statement runs at most `statement_timeout`: PostgreSQL cancels it
(`statement_timeout`), and asyncpg gives up a little later if the server does not even answer (a
network that hangs). Either raises TimeoutError or QueryCanceledError, which the error pages
answer with a calm 503.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

#: What every storage function takes: a plain connection, or one lent by the pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


#: How much longer than the statement timeout asyncpg waits for a server that does not answer.
CLIENT_MARGIN_S = 2.0


class Pool(asyncpg.Pool):
    """asyncpg's pool with a default time limit on `acquire()`, for every caller at once."""

    acquire_timeout: float | None = None

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    acquire_timeout: float = 5.0,
    statement_timeout: float = 10.0,
    init: Callable[[asyncpg.Connection[asyncpg.Record]], Coroutine[Any, Any, None]] | None = None,
) -> Pool:
    """`init` runs on each new connection (the query-count tests attach a query logger)."""
    pool = Pool(
        url,
        init=init,
        reset=_keep_session,
        min_size=min_size,
        max_size=max_size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        connect=None,
        setup=None,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        command_timeout=statement_timeout + CLIENT_MARGIN_S,
        timeout=acquire_timeout,  # connecting, when the pool opens a connection for a request
        # Page reads are short; a statement that runs away is cut off instead of holding a worker.
        server_settings={
            "application_name": "forum",
            "statement_timeout": f"{int(statement_timeout * 1000)}ms",
            "idle_in_transaction_session_timeout": "60s",
        },
    )
    pool.acquire_timeout = acquire_timeout
    await pool
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
