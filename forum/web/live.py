"""Live feeds: one bounded Hub per feed, the limits on open streams, and the sessions feed.

A feed is a PostgreSQL channel (`live.listening` keeps one LISTEN connection per channel and
process) whose payloads are parsed into `(key, event)` and handed to this process's `Hub`. Each
open stream subscribes to the keys it may see (a moderator's groups, a member's own id; `None`
means every key, for admins), so an event reaches only the streams that asked for its key, at a
cost that does not grow with the other streams. A stream's queue is bounded: one that falls
`backlog` events behind is emptied and given a single `RESYNC` instead, so memory per connection
stays bounded and the browser refreshes the whole page once rather than replaying the backlog.

The streams themselves are `forum.web.streams`'. A stopping server ends each with a "reconnect"
event and a retry time (`closing_key`), so the page says it is reconnecting rather than that it
failed, and the browser's EventSource comes back to another worker (or to this forum when it is
up again) by itself. Each open stream holds a connection, so a process lends at most STREAMS_PER_MEMBER of them to one
member and STREAMS_PER_ADDRESS to one client address (a tab per page is far below either); one
more answers 429. The counts are this process's own: they protect its file descriptors. Only
connections still open count: a browser that left a page closed its stream at once, though the
stream's handler notices only at its next ping, so a member clicking through eight pages in ten
seconds is never refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from aiohttp import web

from forum.live.listening import listening
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


_closing_at_key = web.AppKey("closing_at", list)


def setup(app: web.Application) -> None:
    app[closing_key] = asyncio.Event()
    app[_closing_at_key] = []

    async def closing(app: web.Application) -> None:
        app[_closing_at_key].append(asyncio.get_running_loop().time())
        app[closing_key].set()

    app.on_shutdown.append(closing)


def closing_at(app: web.Application) -> float:
    """When the server began to shut down (the loop's clock), or now if it has not."""
    marks = app[_closing_at_key]
    return float(marks[0]) if marks else asyncio.get_running_loop().time()


class Resync(Enum):
    """Sent instead of a backlog the stream fell too far behind to receive."""

    RESYNC = "resync"


RESYNC = Resync.RESYNC


@dataclass(eq=False)
class Subscription(Generic[K, E]):
    keys: frozenset[K] | None  # None: every key
    queue: asyncio.Queue[E | Resync]
    #: The latest of a value set on every stream at once (`Hub.mark`), not queued: the live
    #: feeds' horizon, which would otherwise fill a busy stream's queue on its own.
    mark: int = 0


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
            self._put(subscription, event)

    def mark(self, value: int) -> None:
        """Set every stream's `mark` to `value` (if higher)."""
        keyed = {s for subscribers in self._by_key.values() for s in subscribers}
        for subscription in keyed | self._everything:
            subscription.mark = max(subscription.mark, value)

    def broadcast(self, event: E) -> None:
        """To every stream, whatever its keys."""
        keyed = {s for subscribers in self._by_key.values() for s in subscribers}
        for subscription in keyed | self._everything:
            self._put(subscription, event)

    @staticmethod
    def _put(subscription: Subscription[K, E], event: E) -> None:
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
    reconnected: E | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx that puts a Hub on the app and fills it from `channel` while the app runs.

    `parse` raises ValueError, KeyError or TypeError on a payload it cannot read; such a payload
    is logged (by channel, never its content) and dropped. If given, `reconnected` is sent to
    every stream when the LISTEN connection comes back: what was announced meanwhile is lost.
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

        def on_up(_conn: Any) -> None:
            if reconnected is not None:
                hub.broadcast(reconnected)

        async with listening(
            url, channel, on_payload, what=what, application_name=application_name, on_up=on_up
        ):
            yield

    return run


#: What the sessions feed tells a stream: its session was deleted, or "check it is still there".
ENDED, RECHECK = "ended", "recheck"


def _parse_ended(payload: str) -> tuple[str, str]:
    if len(payload) != 16:
        raise ValueError("not a session key")
    return payload, ENDED


#: This process's streams, by the session they were opened with, told when it is deleted. A
#: session may have ended while the LISTEN connection was down: then every stream checks.
sessions_hub_key = web.AppKey("sessions_ended", Hub[str, str])
sessions_feed = feed(
    sessions_hub_key,
    "forum_sessions_ended",
    _parse_ended,
    backlog=1,
    what="ended sessions",
    application_name="forum-sessions",
    reconnected=RECHECK,
)
