"""One reconnecting LISTEN connection per channel and process: the way every process hears what
the others wrote (moderator events, inbox events, page-cache invalidation).

PostgreSQL is the only shared state, so NOTIFY (sent on commit) is how a write in one process
reaches the others. A LISTEN connection can drop (a restart, a failover): the loop reconnects,
and `on_down` lets a user that must not act on stale knowledge (the page cache) switch itself
off until `on_up` says it hears again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg

log = logging.getLogger(__name__)

#: How long start-up waits for the first connection before serving anyway (and retrying).
READY_TIMEOUT_S = 10


async def _keep_listening(
    url: str,
    channel: str,
    on_payload: Callable[[str], None],
    *,
    what: str,
    ready: asyncio.Event,
    application_name: str,
    on_up: Callable[[asyncpg.Connection], None] | None,
    on_down: Callable[[], None] | None,
) -> None:
    while True:
        try:
            conn = await asyncpg.connect(
                url, server_settings={"application_name": application_name}
            )
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("%s: cannot connect (%s); retrying", what, type(exc).__name__)
            await asyncio.sleep(2)
            continue
        try:
            closed = asyncio.Event()
            conn.add_termination_listener(lambda _conn, ended=closed: ended.set())
            await conn.add_listener(
                channel, lambda _conn, _pid, _channel, payload: on_payload(str(payload))
            )
            if on_up is not None:
                on_up(conn)
            ready.set()
            await closed.wait()
            log.warning("%s: LISTEN connection lost; reconnecting", what)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("%s: listening failed (%s); retrying", what, type(exc).__name__)
        finally:
            if on_down is not None:
                on_down()
            with contextlib.suppress(Exception):
                await conn.close()
        await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def listening(
    url: str,
    channel: str,
    on_payload: Callable[[str], None],
    *,
    what: str,
    application_name: str = "forum",
    on_up: Callable[[asyncpg.Connection], None] | None = None,
    on_down: Callable[[], None] | None = None,
) -> AsyncIterator[None]:
    """Listen on `channel` in the background for as long as the block runs; waits (a bounded
    time) for the first connection, so a process starts serving already hearing the others."""
    ready = asyncio.Event()
    task = asyncio.create_task(
        _keep_listening(
            url,
            channel,
            on_payload,
            what=what,
            ready=ready,
            application_name=application_name,
            on_up=on_up,
            on_down=on_down,
        )
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), timeout=READY_TIMEOUT_S)
    try:
        yield
    finally:
        await stop(task)


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait until it has finished. Cancelled again if it is still
    running a second later: on Python 3.11 a cancellation can be lost inside asyncio.wait_for
    or asyncio.timeout (gh-86296), and a task that lost it would keep the process from stopping."""
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=1)
    with contextlib.suppress(asyncio.CancelledError):
        await task
