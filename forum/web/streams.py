"""The live streams members and moderators hold open: the moderation queue and the inbox.

`durable_feeds` runs this process's `forum.live.events.Reader` and hands what it reads to one Hub
per feed (`forum.web.live`). `stream` serves one server-sent-events stream: a "ready" event, what
a reconnecting browser missed since its `Last-Event-ID` (or a resync when that cannot be
resumed), then one message per event until the browser goes away (noticed by aiohttp-sse's
pings), its session ends, or the server stops (a final "reconnect" event). Each message's id is
the stream's own sealed cursor (`forum.live.events.Cursor`). Payloads carry ids only, never text.
Each open stream counts against its member and its address (`forum.web.live`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response

from forum.live import events
from forum.live.events import RELOAD, Cursor, Delivered, Horizon, Signal
from forum.live.listening import listening, stop
from forum.storage import live_events, sessions
from forum.web import auth, security
from forum.web.keys import pool_key, settings_key
from forum.web.live import (
    ENDED,
    PING_SECONDS,
    RECONNECT_MS,
    RESYNC,
    STREAMS_PER_ADDRESS,
    STREAMS_PER_MEMBER,
    Hub,
    Resync,
    Subscription,
    closing_key,
    open_streams_key,
    sessions_hub_key,
)

#: What a stream sends for an event's payload (or for RESYNC: "reload"): (data, event name).
Render = Callable[[str | Resync], Awaitable[tuple[str, str]]]
Hubs = dict[live_events.Feed, Hub[int, Signal]]
hubs_key = web.AppKey("live_hubs", Hubs)
reader_key = web.AppKey("live_reader", events.Reader)
#: Whether this process can hear the others (its live-events LISTEN connection is up), for /readyz.
hearing_key = web.AppKey("live_hearing", dict)
#: A stream of the moderation queue holds at most this many events it has not sent yet, and a
#: reconnecting one catches up on at most this many; beyond, its page reloads (RESYNC).
BACKLOG: dict[live_events.Feed, int] = {"mod": 100, "inbox": 50}
#: How long start-up waits for the reader's starting point before serving without it.
READY_SECONDS = 5


async def durable_feeds(app: web.Application) -> AsyncIterator[None]:
    """The moderation and inbox feeds: a Hub each, filled by this process's `events.Reader`,
    which reads the live-events table on each announcement, after its LISTEN connection comes
    back (so what was written meanwhile arrives), and every few seconds regardless."""
    hubs: Hubs = {feed: Hub(BACKLOG[feed]) for feed in events.FEEDS}
    app[hubs_key] = hubs

    def publish(feed: live_events.Feed, signal: Signal) -> None:
        hub = hubs[feed]
        if isinstance(signal, Delivered):
            hub.publish(signal.key, signal)
        elif isinstance(signal, Horizon):
            hub.mark(signal.xid)
        else:
            hub.broadcast(signal)

    reader = app[reader_key] = events.Reader(publish)
    hearing = app[hearing_key] = {"listening": False}
    wake = asyncio.Event()
    wake.set()  # until the first read has set the reader's starting point

    def up(_conn: Any) -> None:
        hearing["listening"] = True
        wake.set()  # what was written while we could not hear

    def down() -> None:
        hearing["listening"] = False

    url = app[settings_key].database_url
    assert url is not None
    async with listening(
        url,
        events.CHANNEL,
        lambda _payload: wake.set(),
        what="live events",
        application_name="forum-live-events",
        on_up=up,
        on_down=down,
    ):
        # The starting point, before the first request: a stream opened now must not begin
        # before the reader does (it would wait for events the reader then skips).
        with contextlib.suppress(Exception):
            async with asyncio.timeout(READY_SECONDS), app[pool_key].acquire() as conn:
                await reader.read(conn)
                wake.clear()
        task = asyncio.create_task(events.keep_reading(reader, app[pool_key].acquire, wake))
        try:
            yield
        finally:
            await stop(task)


async def stream(
    request: web.Request,
    feed: live_events.Feed,
    keys: frozenset[int] | None,
    render: Render,
) -> web.StreamResponse:
    """Serve one SSE stream of `feed` for `keys`, resuming from `Last-Event-ID` if it has one."""
    with _counted(request):
        return await _serve(request, feed, keys, render)


@contextlib.contextmanager
def _counted(request: web.Request) -> Iterator[None]:
    """Count the stream against its member and its address, or answer 429 if either is full."""
    member = auth.viewer(request)
    holders = [(f"a:{security.client_rate_key(request)}", STREAMS_PER_ADDRESS)]
    if member is not None:
        holders.append((f"m:{member.id}", STREAMS_PER_MEMBER))
    streams = request.app[open_streams_key]
    if any(_still_open(streams[who]) >= limit for who, limit in holders):
        raise web.HTTPTooManyRequests(
            text="Too many live updates are open from here; close a tab or two.",
            headers={"Retry-After": "30"},
        )
    transport = request.transport
    if transport is None:  # gone before it began
        raise web.HTTPNoContent()
    for who, _ in holders:
        streams[who].add(transport)
    try:
        yield
    finally:
        for who, _ in holders:
            streams[who].discard(transport)
            if not streams[who]:
                del streams[who]


def _still_open(transports: set[asyncio.BaseTransport]) -> int:
    """How many of `transports` are still open: a closed stream is ending already."""
    return sum(1 for t in transports if not t.is_closing())


async def _serve(
    request: web.Request,
    feed: live_events.Feed,
    keys: frozenset[int] | None,
    render: Render,
) -> web.StreamResponse:
    hub = request.app[hubs_key][feed]
    seal_key = request.app[settings_key].key("live-events")
    subscription = hub.subscribe(keys)  # before catching up: nothing falls between the two
    token = request.get(security.SESSION_TOKEN_KEY)
    sessions_hub = request.app[sessions_hub_key]
    ended = sessions_hub.subscribe(frozenset({sessions.stream_key(token)} if token else ()))
    over: asyncio.Future[None] | None = None
    try:
        start = await _start(request, feed, keys)
        cursor = start.cursor
        async with sse_response(
            request, headers={"Cache-Control": "no-store"}, ping_interval=PING_SECONDS
        ) as response:
            # The ready event's id is where the stream starts, not where it will be once it has
            # sent what was missed: a connection lost in between resumes from here again. None
            # when a reload is due: the browser keeps its old id until the RESYNC that follows.
            ready_id = None if start.reload else cursor.seal(seal_key)
            await response.send("{}", event="ready", id=ready_id)
            closing = request.app[closing_key]
            closed = over = asyncio.ensure_future(
                _until_over(request, response, ended if token else None)
            )
            if start.reload:
                await _send(response, RESYNC, cursor, render, seal_key, subscription)
            for event in start.missed:  # the cursor moves past each as it goes, no further
                await _send(response, event, cursor, render, seal_key, subscription, settle=False)
            cursor.advance(start.horizon)
            async for signal in _events(subscription, closed):
                if signal is RESYNC or signal is RELOAD:
                    cursor = _fresh(request, feed, keys) or cursor
                    await _send(response, RESYNC, cursor, render, seal_key, subscription)
                    continue
                assert isinstance(signal, Delivered)
                if not cursor.saw(signal.id, signal.xid):
                    await _send(response, signal, cursor, render, seal_key, subscription)
            if closing.is_set():
                await response.send("{}", event="reconnect", retry=RECONNECT_MS)
        return response
    except (ConnectionResetError, StalledClient):
        return web.Response(status=204)
    finally:
        if over is not None:
            over.cancel()
        hub.unsubscribe(subscription)
        sessions_hub.unsubscribe(ended)


class StalledClient(Exception):
    """The browser stopped reading (aiohttp-sse's send timed out and cut the connection)."""


async def _until_over(
    request: web.Request, response: Any, ended: Subscription[str, str] | None
) -> None:
    """Return when the stream is over: the browser went away, the server is stopping, or the
    stream's session ended (signed out, anywhere). After the sessions feed could not hear for a
    while, every stream checks that its session still exists, and ends if it does not."""
    gone = asyncio.ensure_future(response.wait())
    stopping = asyncio.ensure_future(request.app[closing_key].wait())
    heard: asyncio.Future[str | Resync] | None = None
    try:
        while True:
            if ended is not None:
                heard = asyncio.ensure_future(ended.queue.get())
            await asyncio.wait(
                [f for f in (gone, stopping, heard) if f is not None],
                return_when=asyncio.FIRST_COMPLETED,
            )
            if heard is None or not heard.done() or heard.result() == ENDED:
                return
            token = request.get(security.SESSION_TOKEN_KEY)
            async with request.app[pool_key].acquire() as conn:
                if not token or not await sessions.is_live(conn, token):
                    return
    finally:
        for future in (gone, stopping, heard):
            if future is not None:
                future.cancel()


async def _send(
    response: Any,
    event: Delivered | Resync,
    cursor: Cursor,
    render: Render,
    seal_key: bytes,
    subscription: Subscription[int, Signal],
    *,
    settle: bool = True,
) -> None:
    if isinstance(event, Delivered):
        cursor.add(event.id, event.xid)
        data, name = await render(event.payload)
    else:
        data, name = await render(RESYNC)
    # The process's horizon applies once every event it delivered before it has been taken
    # from the queue: then nothing below it is still on its way to this stream.
    if settle and subscription.queue.empty() and subscription.mark > cursor.horizon:
        cursor.advance(subscription.mark)
    try:
        await response.send(data, event=name, id=cursor.seal(seal_key))
    except TimeoutError:
        raise StalledClient() from None


@dataclass(frozen=True, slots=True)
class _Start:
    cursor: Cursor
    missed: list[Delivered]
    horizon: int  # where the cursor stands once `missed` is sent
    reload: bool  # the browser sent a cursor that cannot be resumed: RESYNC first


async def _start(
    request: web.Request, feed: live_events.Feed, keys: frozenset[int] | None
) -> _Start:
    """The stream's cursor, and what it must send first: what a resuming browser missed, or a
    reload when it sent a cursor that cannot be resumed (not ours, too old, too far behind, from
    another database)."""
    last = request.headers.get("Last-Event-ID", "")
    resumed = Cursor.open(last, request.app[settings_key].key("live-events")) if last else None
    if resumed is not None and not resumed.stale():
        async with request.app[pool_key].acquire() as conn:
            missed = await events.catch_up(conn, resumed, feed, keys, limit=BACKLOG[feed])
        if missed is not None:
            return _Start(resumed, missed.events, missed.horizon, reload=False)
    cursor = _fresh(request, feed, keys)
    if cursor is None:  # this process has not read the table yet (the database was away)
        async with request.app[pool_key].acquire() as conn:
            cursor = Cursor(await live_events.horizon(conn))
        request.app[reader_key].started_at(cursor.horizon)
    return _Start(cursor, [], cursor.horizon, reload=bool(last))


def _fresh(
    request: web.Request, feed: live_events.Feed, keys: frozenset[int] | None
) -> Cursor | None:
    return request.app[reader_key].cursor_for(feed, keys)


async def _events(
    subscription: Subscription[int, Signal], closed: asyncio.Future[Any]
) -> AsyncIterator[Signal | Resync]:
    """The subscription's events, until the browser has gone away."""
    while True:
        getter = asyncio.ensure_future(subscription.queue.get())
        waiting: list[asyncio.Future[Any]] = [getter, closed]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await getter
            return
        yield getter.result()
