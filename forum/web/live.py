"""Live feeds: one bounded Hub per feed and one server-sent-events stream helper for all of them.

A feed is a PostgreSQL channel (`live.listening` keeps one LISTEN connection per channel and
process) whose payloads are parsed into `(key, event)` and handed to this process's `Hub`. Each
open stream subscribes to the keys it may see (a moderator's groups, a member's own id; `None`
means every key, for admins), so an event reaches only the streams that asked for its key, at a
cost that does not grow with the other streams. A stream's queue is bounded: one that falls
`backlog` events behind is emptied and given a single `RESYNC` instead, so memory per connection
stays bounded and the browser refreshes the whole page once rather than replaying the backlog.

`stream` is the one SSE loop: a "ready" event, then one message per event until the browser goes
away (noticed by aiohttp-sse's pings) or the server stops. A stopping server ends each stream with
a "reconnect" event and a retry time, so the page says it is reconnecting rather than that it
failed, and the browser's EventSource comes back to another worker (or to this forum when it is
up again) by itself. Payloads carry ids only, never text.
Each open stream holds a connection, so a process lends at most STREAMS_PER_MEMBER of them to one
member and STREAMS_PER_ADDRESS to one client address (a tab per page is far below either); one
more answers 429. The counts are this process's own: they protect its file descriptors. Only
connections still open count: a browser that left a page closed its stream at once, though the
stream's handler notices only at its next ping, so a member clicking through eight pages in ten
seconds is never refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from aiohttp import web
from aiohttp_sse import sse_response

from forum.live.listening import listening
from forum.storage import sessions
from forum.web import auth, security
from forum.web.keys import settings_key

log = logging.getLogger(__name__)

K = TypeVar("K")
E = TypeVar("E")
PING_SECONDS = 10
STREAMS_PER_MEMBER = 8
STREAMS_PER_ADDRESS = 40
#: The connections of the streams this process serves, per "m:<member id>" and "a:<address>".
OpenStreams = defaultdict[str, set[asyncio.BaseTransport]]
open_streams_key = web.AppKey("open_streams", OpenStreams)
#: Set when the server begins to shut down: every stream ends with a "reconnect" event.
closing_key = web.AppKey("closing", asyncio.Event)
#: How long the browser waits before reconnecting after "reconnect" (EventSource's `retry`).
RECONNECT_MS = 2000


def setup(app: web.Application) -> None:
    app[closing_key] = asyncio.Event()

    async def closing(app: web.Application) -> None:
        app[closing_key].set()

    app.on_shutdown.append(closing)


class Resync(Enum):
    """Sent instead of a backlog the stream fell too far behind to receive."""

    RESYNC = "resync"


RESYNC = Resync.RESYNC


@dataclass(eq=False)
class Subscription(Generic[K, E]):
    keys: frozenset[K] | None  # None: every key
    queue: asyncio.Queue[E | Resync]


@dataclass(eq=False)
class Hub(Generic[K, E]):
    """This process's open streams of one feed, by the keys they listen to."""

    backlog: int
    _by_key: defaultdict[K, set[Subscription[K, E]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    _everything: set[Subscription[K, E]] = field(default_factory=set)

    def subscribe(self, keys: frozenset[K] | None) -> Subscription[K, E]:
        subscription: Subscription[K, E] = Subscription(keys, asyncio.Queue(self.backlog))
        if keys is None:
            self._everything.add(subscription)
        for key in keys or ():
            self._by_key[key].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription[K, E]) -> None:
        self._everything.discard(subscription)
        for key in subscription.keys or ():
            subscribers = self._by_key.get(key)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_key[key]

    def publish(self, key: K, event: E) -> None:
        for subscription in [*self._by_key.get(key, ()), *self._everything]:
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
                subscription.queue.put_nowait(RESYNC)

    def __len__(self) -> int:
        """How many streams are open (each counted once)."""
        keyed = {s for subscribers in self._by_key.values() for s in subscribers}
        return len(keyed | self._everything)


def feed(
    hub_key: web.AppKey[Hub[K, E]],
    channel: str,
    parse: Callable[[str], tuple[K, E]],
    *,
    backlog: int,
    what: str,
    application_name: str,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx that puts a Hub on the app and fills it from `channel` while the app runs.

    `parse` raises ValueError, KeyError or TypeError on a payload it cannot read; such a payload
    is logged (by channel, never its content) and dropped.
    """

    async def run(app: web.Application) -> AsyncIterator[None]:
        hub = app[hub_key] = Hub(backlog)
        url = app[settings_key].database_url
        assert url is not None

        def on_payload(payload: str) -> None:
            try:
                key, event = parse(payload)
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a malformed %s notification", channel)
                return
            hub.publish(key, event)

        async with listening(
            url, channel, on_payload, what=what, application_name=application_name
        ):
            yield

    return run


@dataclass(frozen=True, slots=True)
class Message:
    data: str
    event: str
    id: str


async def stream(
    request: web.Request,
    hub: Hub[K, E],
    keys: frozenset[K] | None,
    message: Callable[[E | Resync], Awaitable[Message]],
) -> web.StreamResponse:
    """Serve one SSE stream of `hub` for `keys`, each event turned into a `message`."""
    with _counted(request):
        return await _serve(request, hub, keys, message)


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
    hub: Hub[K, E],
    keys: frozenset[K] | None,
    message: Callable[[E | Resync], Awaitable[Message]],
) -> web.StreamResponse:
    subscription = hub.subscribe(keys)
    token = request.get(security.SESSION_TOKEN_KEY)
    sessions_hub = request.app[sessions_hub_key]
    ended = sessions_hub.subscribe(frozenset({sessions.stream_key(token)} if token else ()))
    waiting: list[asyncio.Future[Any]] = []
    try:
        async with sse_response(
            request, headers={"Cache-Control": "no-store"}, ping_interval=PING_SECONDS
        ) as response:
            await response.send("{}", event="ready")
            closing = request.app[closing_key]
            waiting = [
                asyncio.ensure_future(response.wait()),
                asyncio.ensure_future(closing.wait()),
            ]
            if token:  # signing out (anywhere) ends the stream
                waiting.append(asyncio.ensure_future(ended.queue.get()))
            closed = asyncio.ensure_future(
                asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            )
            async for event in _events(subscription, closed):
                sent = await message(event)
                await response.send(sent.data, event=sent.event, id=sent.id)
            if closing.is_set():
                await response.send("{}", event="reconnect", retry=RECONNECT_MS)
        return response
    except ConnectionResetError:
        return web.Response(status=204)
    finally:
        for future in waiting:
            future.cancel()
        hub.unsubscribe(subscription)
        sessions_hub.unsubscribe(ended)


async def _events(
    subscription: Subscription[K, E], closed: asyncio.Future[Any]
) -> AsyncIterator[E | Resync]:
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


def _parse_ended(payload: str) -> tuple[str, None]:
    if len(payload) != 16:
        raise ValueError("not a session key")
    return payload, None


#: This process's streams, by the session they were opened with, told when it is deleted.
sessions_hub_key = web.AppKey("sessions_ended", Hub[str, None])
sessions_feed = feed(
    sessions_hub_key,
    "forum_sessions_ended",
    _parse_ended,
    backlog=1,
    what="ended sessions",
    application_name="forum-sessions",
)
