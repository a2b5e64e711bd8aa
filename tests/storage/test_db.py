"""forum.storage.db against a real database: the pool `create_pool` builds (its size, the session
settings every connection starts with, `init` run once per new connection), releasing a
connection without asyncpg's reset query (the session is kept, an open transaction is still
rolled back), and `ping` on a live, a closed and a terminated connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from forum.storage import db as storage_db


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of one connection, so each acquire gets the connection the last one released."""
    made = await storage_db.create_pool(database_url, min_size=1, max_size=1)
    try:
        yield made
    finally:
        await made.close()


async def test_the_pool_opens_min_size_connections_and_runs_init_on_each(
    database_url: str,
) -> None:
    started: list[int] = []

    async def init(conn: asyncpg.Connection[asyncpg.Record]) -> None:
        started.append(conn.get_server_pid())

    made = await storage_db.create_pool(database_url, min_size=2, max_size=3, init=init)
    try:
        assert (made.get_min_size(), made.get_max_size()) == (2, 3)
        assert made.get_size() == 2
        assert len(set(started)) == 2
        async with made.acquire() as conn:
            assert conn.get_server_pid() in started
        assert len(started) == 2  # reusing a connection does not run init again
    finally:
        await made.close()


async def test_every_connection_starts_with_the_forums_session_settings(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT current_setting('application_name') AS application_name,"
            " current_setting('statement_timeout') AS statement_timeout,"
            " current_setting('idle_in_transaction_session_timeout') AS idle_timeout"
        )
        assert row is not None
        assert tuple(row) == ("forum", "10s", "1min")
        seen = await conn.fetchval(
            "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        )
        assert seen == "forum"


async def test_releasing_keeps_the_session_but_rolls_back_an_open_transaction(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        pid = conn.get_server_pid()
        await conn.execute("CREATE TEMPORARY TABLE kept (n int)")
        await conn.execute("SET search_path TO pg_temp, public")
        await conn.execute("INSERT INTO kept VALUES (1)")
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("INSERT INTO kept VALUES (2)")
        # released with the transaction still open
    async with pool.acquire() as conn:
        assert conn.get_server_pid() == pid
        assert not conn.is_in_transaction()
        # No RESET ALL / DISCARD: the session's table and setting are still there...
        assert await conn.fetchval("SHOW search_path") == "pg_temp, public"
        # ...but what the abandoned transaction wrote is gone.
        assert await conn.fetchval("SELECT array_agg(n ORDER BY n) FROM kept") == [1]


async def test_ping_answers_on_a_pooled_and_on_a_plain_connection(
    pool: asyncpg.Pool, database_url: str
) -> None:
    async with pool.acquire() as conn:
        await storage_db.ping(conn)
    plain = await asyncpg.connect(database_url)
    try:
        await storage_db.ping(plain)
    finally:
        await plain.close()


async def test_ping_raises_when_the_connection_is_gone(database_url: str) -> None:
    plain = await asyncpg.connect(database_url)
    await plain.close()
    with pytest.raises(asyncpg.InterfaceError):
        await storage_db.ping(plain)


async def test_ping_raises_when_the_server_ended_the_session(database_url: str) -> None:
    victim = await asyncpg.connect(database_url)
    plain = await asyncpg.connect(database_url)
    try:
        ended = await plain.fetchval("SELECT pg_terminate_backend($1)", victim.get_server_pid())
        assert ended is True
        # asyncpg answers a query on a connection it is still tearing down with its own
        # InternalClientError; once it has noticed, with ConnectionDoesNotExistError.
        gone = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)
        with pytest.raises(gone):
            await _ping_until_it_fails(victim)
    finally:
        victim.terminate()
        await plain.close()


async def _ping_until_it_fails(conn: storage_db.Conn) -> None:
    """Termination is asynchronous: the ping that fails comes within moments."""
    for _ in range(50):
        await storage_db.ping(conn)
        await asyncio.sleep(0.02)


async def test_waiting_for_a_connection_is_bounded_by_default(database_url: str) -> None:
    """asyncpg waits for ever for a free connection; the forum's pool gives up, so a pool held
    by a hung database turns into a quick 503 instead of a hung request."""
    made = await storage_db.create_pool(database_url, min_size=1, max_size=1, acquire_timeout=0.2)
    try:
        async with made.acquire():
            with pytest.raises(TimeoutError):
                async with made.acquire():
                    pass
        async with made.acquire(timeout=5) as conn:  # a caller may still ask for longer
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await made.close()


async def test_a_statement_past_the_timeout_is_cancelled(database_url: str) -> None:
    made = await storage_db.create_pool(database_url, min_size=1, max_size=1, statement_timeout=1)
    try:
        async with made.acquire() as conn:
            with pytest.raises(asyncpg.QueryCanceledError):
                await conn.execute("SELECT pg_sleep(3)")
    finally:
        await made.close()
