"""Live events that never silently drop: a cursor over the `live_events` table, per process and
per stream.

Every event is a row written by the transaction that made the change (`storage.live_events`),
and NOTIFY on the `live_events` channel only says "there is something to read". Each process
runs one `Reader`: on each announcement, after its LISTEN connection comes back, and every few
seconds in any case, it reads the rows it has not delivered and hands them to its streams. So an
alert raised while a process could not hear (its LISTEN connection down, the database away)
reaches the moderators as soon as the process can read again.

Ids are taken in one order and committed in another: a transaction that took id 10 may commit
after the one that took id 11. A cursor is therefore not "the last id" but a `Cursor`: a
horizon (the snapshot's xmin at the last read: every transaction below it had finished, so every
event below it has been seen) and the few events seen above it. Nothing below the horizon can
still appear, and nothing seen above it is delivered twice.

Each stream keeps its own cursor, sent to the browser as the SSE `id` after every event, sealed
(AES-GCM with a key derived from the forum secret): a browser that reconnects, to this process or
any other, sends it back as `Last-Event-ID` and is given exactly what it missed. Sealed, the id
tells the browser nothing (not how busy the forum is, not other members' activity), and it
cannot be forged into someone else's feed: the catch-up reads only the stream's own keys anyway.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from forum.storage import live_events as store
from forum.storage.db import Conn

log = logging.getLogger(__name__)

CHANNEL = store.CHANNEL
#: How often a process reads the table even without an announcement (a lost NOTIFY, a LISTEN
#: connection that is down but not yet noticed).
POLL_SECONDS = 5.0
#: At most this many rows per read; beyond it every stream is told to reload (a burst no page
#: would follow event by event).
MAX_BATCH = 2000
#: Events are kept this long; a cursor older than this cannot be resumed, its page reloads.
KEPT_FOR_SECONDS = 24 * 3600
#: A stream's cursor names at most this many events above its horizon (they pile up only while
#: an old transaction stays open); beyond it the oldest are forgotten, which could repeat an
#: event after a reconnect but never lose one.
MAX_SEEN = 64
_AAD = b"forum live cursor v1"


@dataclass(frozen=True, slots=True)
class Delivered:
    """One event, as a process's streams receive it."""

    id: int
    xid: int
    key: int
    payload: str


@dataclass(frozen=True, slots=True)
class Horizon:
    """The process has delivered every event below `xid`: streams may move their cursor."""

    xid: int


class Reload(Enum):
    """More happened at once than a page would follow event by event: reload instead."""

    RELOAD = "reload"


RELOAD = Reload.RELOAD


@dataclass(slots=True)
class Cursor:
    """Every event below `horizon`, and those in `seen` (id -> xid), has been sent."""

    horizon: int
    seen: dict[int, int] = field(default_factory=dict)
    since: float = field(default_factory=time.time)

    def saw(self, event_id: int, xid: int) -> bool:
        return xid < self.horizon or self.seen.get(event_id) == xid

    def add(self, event_id: int, xid: int) -> None:
        if xid >= self.horizon:
            self.seen[event_id] = xid

    def advance(self, horizon: int) -> None:
        """Every event below `horizon` has been sent, as of now (so the cursor is fresh again,
        even on a quiet forum where the horizon has not moved)."""
        if horizon >= self.horizon:
            self.since = time.time()
        if horizon > self.horizon:
            self.horizon = horizon
            self.seen = {i: x for i, x in self.seen.items() if x >= horizon}

    def copy(self, keep: Callable[[int], bool] = lambda _id: True) -> Cursor:
        return Cursor(self.horizon, {i: x for i, x in self.seen.items() if keep(i)}, self.since)

    def stale(self, now: float | None = None) -> bool:
        """Too old to resume: the events since may have been deleted."""
        return (now if now is not None else time.time()) - self.since > KEPT_FOR_SECONDS - 3600

    def seal(self, key: bytes) -> str:
        seen = sorted(self.seen.items())[-MAX_SEEN:]
        plain = json.dumps({"h": self.horizon, "s": seen, "t": int(self.since)}).encode()
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(nonce, plain, _AAD)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    @classmethod
    def open(cls, token: str, key: bytes) -> Cursor | None:
        """The cursor in `token`, or None if it is not one this forum sealed."""
        if not token or len(token) > 4096:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], _AAD)
            data = json.loads(plain)
            return cls(
                int(data["h"]),
                {int(i): int(x) for i, x in data["s"]},
                float(data["t"]),
            )
        except (ValueError, binascii.Error, InvalidTag, KeyError, TypeError):
            return None


Signal = Delivered | Horizon | Reload
Publish = Callable[[store.Feed, Signal], None]
FEEDS: tuple[store.Feed, ...] = ("mod", "inbox")


@dataclass(eq=False)
class Reader:
    """This process's cursor over the table; `read` delivers what is new through `publish`."""

    publish: Publish
    cursor: Cursor | None = None
    _seen_keys: dict[int, tuple[store.Feed, int]] = field(default_factory=dict)
    #: The earliest horizon a stream was given before this reader had one of its own.
    _floor: int | None = None

    def started_at(self, horizon: int) -> None:
        """A stream began at `horizon` before the first read: the reader begins no later."""
        if self.cursor is None:
            self._floor = horizon if self._floor is None else min(self._floor, horizon)

    async def read(self, conn: Conn) -> None:
        if self.cursor is None:  # starting: from now on (pages load the present from the DB),
            # or from where a stream already began, so what it waits for is delivered
            now = await store.horizon(conn)
            self.cursor = Cursor(now if self._floor is None else min(now, self._floor))
            if self._floor is None:
                return
        xmin, rows = await store.read_since(
            conn, self.cursor.horizon, limit=MAX_BATCH, seen=list(self.cursor.seen)
        )
        burst = len(rows) == MAX_BATCH
        if burst:  # every page reloads rather than replaying it (the next read goes on)
            log.warning("live events: %d or more at once; every stream reloads", MAX_BATCH)
            xmin = min(xmin, rows[-1].xid)
        for row in rows:
            self.cursor.add(row.id, row.xid)
            self._seen_keys[row.id] = (row.feed, row.key)
            if not burst:
                self.publish(row.feed, Delivered(row.id, row.xid, row.key, row.payload))
        self.cursor.advance(xmin)
        self._seen_keys = {i: k for i, k in self._seen_keys.items() if i in self.cursor.seen}
        for feed in FEEDS:
            self.publish(feed, RELOAD if burst else Horizon(self.cursor.horizon))

    def cursor_for(self, feed: store.Feed, keys: frozenset[int] | None) -> Cursor | None:
        """Where a new stream of `feed` for `keys` starts: this process's cursor, narrowed."""
        if self.cursor is None:
            return None

        def mine(event_id: int) -> bool:
            event_feed, key = self._seen_keys.get(event_id, (None, None))
            return event_feed == feed and (keys is None or key in keys)

        return self.cursor.copy(mine)


async def keep_reading(
    reader: Reader,
    connect: Callable[[], contextlib.AbstractAsyncContextManager[Conn]],
    wake: asyncio.Event,
    *,
    poll: float | None = None,
) -> None:
    """Read whenever `wake` is set (an announcement, a LISTEN connection back) or every `poll`
    seconds, until cancelled."""
    while True:
        # asyncio.wait, not wait_for: on Python 3.11 a cancellation that meets wait_for's own
        # timeout comes out as TimeoutError, and the loop would never stop (gh-86296).
        waiter = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait([waiter], timeout=poll or POLL_SECONDS)
        finally:
            waiter.cancel()
        wake.clear()
        try:
            async with connect() as conn:
                await reader.read(conn)
        except Exception as exc:  # the database is away: the next round reads what it missed
            log.warning("live events: could not read the table (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1)
            wake.set()


@dataclass(frozen=True, slots=True)
class Missed:
    """What a resuming stream missed, in order, and the horizon it reaches once all are sent."""

    events: list[Delivered]
    horizon: int


async def catch_up(
    conn: Conn, cursor: Cursor, feed: store.Feed, keys: frozenset[int] | None, *, limit: int
) -> Missed | None:
    """The events of `feed` for `keys` a resuming stream missed (the cursor is left as it is:
    it moves as each is sent); None if there are more than `limit`, or if the cursor cannot be
    from this database (its horizon is past every transaction here: a restore, another server),
    and the page reloads instead."""
    xmin, rows = await store.read_since(
        conn,
        cursor.horizon,
        limit=limit + 1,
        seen=list(cursor.seen),
        feed=feed,
        keys=None if keys is None else sorted(keys),
    )
    if len(rows) > limit or cursor.horizon > await store.next_xid(conn):
        return None
    return Missed([Delivered(r.id, r.xid, r.key, r.payload) for r in rows], xmin)
