"""Connections a slow or greedy client cannot hoard: headers and idle connections time out, live
streams are capped per member and per address, and failed requests log one line a minute.

The server here is the real application with the handler options `forum serve` uses, except a
one-second keep-alive (the real one is `KEEPALIVE_SECONDS`) so the test does not wait long. Like
`forum serve` (and unlike aiohttp's test server) it does not cancel a handler whose client has
gone, so a closed live stream's handler runs on until its next ping.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from forum.config import Settings
from forum.ops import logs
from forum.ops import server as forum_server
from forum.storage.members import Member
from forum.web import live
from forum.web.app import create_app
from tests.clients import ClientFactory

QUICK = {**forum_server.HANDLER_OPTIONS, "keepalive_timeout": 1.0}


class ServedLikeForumServe(TestServer):
    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        kwargs.pop(
            "handler_cancellation"
        )  # aiohttp's test server turns it on; forum serve does not
        return web.AppRunner(self.app, **kwargs)


@pytest.fixture
async def server(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[TestServer]:
    """Overrides the suite's server: the same app, served with `forum serve`'s options."""
    served = ServedLikeForumServe(create_app(settings), host="127.0.0.1")
    await served.start_server(shutdown_timeout=0.5, **QUICK)  # streams left open are cut
    try:
        yield served
    finally:
        await served.close()


@pytest.fixture
async def raw(server: Any) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        yield reader, writer
    finally:
        writer.close()


def test_forum_serve_runs_with_a_bounded_keep_alive() -> None:
    assert forum_server.HANDLER_OPTIONS["keepalive_timeout"] == forum_server.KEEPALIVE_SECONDS
    assert 5 <= forum_server.KEEPALIVE_SECONDS <= 30


async def test_a_client_trickling_its_headers_is_cut_off(
    raw: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    reader, writer = raw
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: forum\r\n")
    started = asyncio.get_running_loop().time()
    closed_after = None
    for n in range(40):  # a header line every 0.1 s, never the blank line that ends them
        writer.write(f"X-Slow-{n}: a\r\n".encode())
        try:
            await writer.drain()
        except ConnectionError:
            closed_after = asyncio.get_running_loop().time() - started
            break
        if reader.at_eof() or (await _read_or_none(reader)) == b"":
            closed_after = asyncio.get_running_loop().time() - started
            break
    assert closed_after is not None, "the connection was still open after 4 s of trickling"
    assert closed_after < 3


async def _read_or_none(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await asyncio.wait_for(reader.read(1), 0.1)
    except TimeoutError:
        return None


async def test_an_idle_connection_is_closed_after_its_response(
    raw: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    reader, writer = raw
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: forum\r\n\r\n")
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    assert status.startswith(b"HTTP/1.1 ")
    rest = await asyncio.wait_for(reader.read(), 5)  # until the server closes the connection
    assert b"\r\n\r\n" in rest


async def test_an_open_live_stream_outlives_the_keep_alive(
    make_client: ClientFactory, member: Member
) -> None:
    client = await make_client(member)
    resp = await client.get("/inbox/events")
    assert resp.status == 200
    await asyncio.sleep(2.5)
    assert not resp.content.at_eof()
    resp.close()


async def test_live_streams_are_capped_per_member(
    make_client: ClientFactory, member: Member
) -> None:
    client = await make_client(member)
    opened = [await client.get("/inbox/events") for _ in range(live.STREAMS_PER_MEMBER)]
    assert [r.status for r in opened] == [200] * live.STREAMS_PER_MEMBER
    for r in opened:
        await r.content.readline()  # the ready event: the stream is counted
    refused = await client.get("/inbox/events")
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "30"
    opened.pop().close()
    await asyncio.sleep(0.3)  # the closed connection reaches the server; its handler has not ended
    again = await client.get("/inbox/events")
    assert again.status == 200  # a closed stream never holds its place until the next ping
    for r in [*opened, again]:
        r.close()


# -- Quiet error logs ------------------------------------------------------------------------------


def _failure(message: str = "Error handling request") -> logging.LogRecord:
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError:
        exc_info = sys.exc_info()
    return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, message, None, exc_info)


def test_repeated_request_failures_log_one_line_a_minute_with_a_count() -> None:
    now = [1000.0]
    quiet = logs.QuietErrors(seconds=60, clock=lambda: now[0])
    first = _failure()
    assert quiet.filter(first)
    assert first.exc_info is None  # no traceback
    assert first.getMessage() == "Error handling request (ConnectionResetError)"
    assert [quiet.filter(_failure()) for _ in range(499)] == [False] * 499
    now[0] += 61
    later = _failure()
    assert quiet.filter(later)
    assert later.getMessage() == (
        "Error handling request (ConnectionResetError) [and 499 more like it in the last 60s]"
    )


def test_a_different_failure_is_logged_even_within_the_minute() -> None:
    quiet = logs.QuietErrors(seconds=60, clock=lambda: 0.0)
    assert quiet.filter(_failure("Error handling request"))
    assert quiet.filter(_failure("Unhandled exception"))
    info = logging.LogRecord("aiohttp.server", logging.INFO, __file__, 1, "fine", None, None)
    assert quiet.filter(info)
    assert quiet.filter(logging.LogRecord("x", logging.INFO, __file__, 1, "fine", None, None))
