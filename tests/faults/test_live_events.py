"""Live events through a database outage, end to end: the forum in a subprocess, its PostgreSQL
behind a TCP proxy the test cuts, and a moderator's browser stream held open across the cut.

The promise from the issue: an urgent crisis alert raised while this forum cannot reach the
database (written by another process, on another machine, that can) reaches the moderator's
open page as soon as the database is back, once; and /healthz says the database is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from forum.moderation import events
from forum.storage import groups, members, sessions
from tests.clients import next_message
from tests.faults.proxy import Proxy, proxied
from tests.processes import Serving, forum_env, serving


@pytest.fixture
def database(make_database: Callable[[str], str]) -> str:
    return make_database("livefaults")


@pytest.fixture
def db_proxy(database: str) -> Iterator[Proxy]:
    with proxied(database) as proxy:
        yield proxy


@pytest.fixture
def forum(db_proxy: Proxy, tmp_path: Path) -> Iterator[Serving]:
    env = forum_env(tmp_path / "data", DATABASE_URL=db_proxy.url, FORUM_DB_ACQUIRE_SECONDS="1")
    with serving(env, tmp_path / "serve.log", "--workers", "2") as running:
        yield running


async def moderator_of_a_group(url: str, password_hash: str) -> tuple[int, str]:
    conn = await asyncpg.connect(url)
    try:
        keeper = await members.create_member(conn, "keeper", password_hash)
        group = await groups.create_group(conn, "grief", "Grief")
        await conn.execute(
            "INSERT INTO group_moderators (group_id, member_id) VALUES ($1, $2)",
            group.id,
            keeper.id,
        )
        return group.id, (await sessions.create_session(conn, keeper)).token
    finally:
        await conn.close()


async def healthz(base_url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(base_url + "/healthz") as resp:
        return resp.status


async def test_an_urgent_alert_raised_during_an_outage_reaches_the_open_page_once_it_ends(
    forum: Serving, db_proxy: Proxy, database: str, password_hash: str
) -> None:
    """Fault: this forum's every connection to PostgreSQL cut (and new ones refused) while
    another process writes an urgent crisis event. Promise: the moderator's stream, open all
    along, gets the alert after the database is back, exactly once."""
    group_id, token = await moderator_of_a_group(database, password_hash)
    async with (
        aiohttp.ClientSession(cookies={"forum_session": token}) as moderator,
        moderator.get(forum.base_url + "/mod/events") as stream,
    ):
        assert stream.status == 200
        await next_message(stream.content, "ready")

        db_proxy.cut()
        elsewhere = await asyncpg.connect(database)  # another machine still reaches it
        try:
            async with elsewhere.transaction():
                await events.notify(elsewhere, events.Event(7, group_id, "opened", "urgent"))
        finally:
            await elsewhere.close()
        await asyncio.sleep(2)  # the outage goes on a while, the stream stays open
        assert await healthz(forum.base_url) == 503
        db_proxy.restore()

        _, alert = await next_message(stream.content, "queue", within=20)
        assert alert == {"item": 7, "group": group_id, "change": "opened", "level": "urgent"}
        with pytest.raises(TimeoutError):  # once
            await next_message(stream.content, "queue", within=6)
    assert "Traceback" not in forum.log.read_text()
