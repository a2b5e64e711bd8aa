"""A small per-process cache of the public pages visitors see, kept correct by PostgreSQL.

Reading is most of a support forum's traffic, and most readers are visitors: their directory,
group and topic pages are the same bytes for everyone until something is written. So each
process keeps the last rendered bytes of those pages (LRU, `MAX_ENTRIES`) and serves them
without touching the database.

Correctness before speed:

- Only visitors are served from it, and only pages rendered for a visitor are stored; a signed-in
  member's request never reads or fills it. A page that asked for a CSRF token (so would set a
  cookie) or answered anything but 200 is not stored, so a stored page holds nothing per-visitor.
  A members-only group answers 404 to a visitor, so none of its pages is ever stored.
- Invalidation comes from database triggers (migrations/0008_performance.sql): any write to
  groups, topics, posts (or an author's name) NOTIFYs `page_cache` with the group's id on commit,
  whatever code wrote it. Each process LISTENs on its own connection and drops that group's
  pages, and the directory. '*' drops everything.
- A page rendered from a read that raced with a write is never stored: the cache has a
  generation, bumped by every invalidation; a render stores its bytes only if the generation it
  started under is still current.
- If the LISTEN connection drops, the cache is emptied and switched off until the connection is
  back and listening: without notifications it could not know what changed.
- Entries also expire after `MAX_AGE` seconds, because pages say "3 minutes ago".
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web

from forum.live.listening import listening
from forum.web import auth, security
from forum.web.keys import settings_key

log = logging.getLogger(__name__)

CHANNEL = "page_cache"
#: How the LISTEN connection shows in pg_stat_activity.
APPLICATION_NAME = "forum-page-cache"
ALL = "*"
MAX_ENTRIES = 2000
#: Human times on pages ("just now", "3 minutes ago") move on even when nothing is written.
MAX_AGE = 30.0

_group_key = web.RequestKey("page_cache_group", int)
#: Set afresh for every response (or never stored: Set-Cookie makes a page uncacheable).
_NOT_REPLAYED = frozenset({"content-type", "content-length", "date", "server", "set-cookie"})


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    content_type: str
    charset: str | None
    group_id: int | None  # None: depends on every group (the directory)
    expires: float
    headers: tuple[tuple[str, str], ...] = ()  # what the handler set beyond the body's type


@dataclass(eq=False)
class PageCache:
    max_entries: int = MAX_ENTRIES
    max_age: float = MAX_AGE
    #: False until the LISTEN connection is subscribed, and again whenever it drops.
    enabled: bool = False
    generation: int = 0
    entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        entry = self.entries.get(key)
        if entry is None or entry.expires < time.monotonic():
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: Entry, generation: int) -> bool:
        """Store unless something was invalidated since `generation` was read."""
        if not self.enabled or generation != self.generation:
            return False
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return True

    def invalidate(self, payload: str) -> None:
        """Drop what a write to group `payload` (or '*': anything) may have changed."""
        self.generation += 1
        try:
            group_id = None if payload == ALL else int(payload)
        except ValueError:
            group_id = None
        if group_id is None:
            self.entries.clear()
            return
        stale = [k for k, e in self.entries.items() if e.group_id in (None, group_id)]
        for key in stale:
            del self.entries[key]

    def switch(self, on: bool) -> None:
        self.generation += 1
        self.entries.clear()
        self.enabled = on


page_cache_key = web.AppKey("page_cache", PageCache)
_listener_key = web.AppKey("page_cache_listener", list)  # [connection or None]


def depends_on(request: web.Request, group_id: int) -> None:
    """Say which group a page shows, so writes elsewhere leave it cached."""
    request[_group_key] = group_id


Page = Callable[[web.Request], Awaitable[web.Response]]


def visitor_page(*query: str) -> Callable[[Page], Page]:
    """Serve the decorated GET handler from the cache for visitors.

    `query` lists the query parameters the page reads; a request with any other parameter is
    rendered normally and not stored (random query strings must not fill the cache).
    """
    allowed = frozenset(query)

    def decorate(handler: Page) -> Page:
        @functools.wraps(handler)
        async def cached(request: web.Request) -> web.Response:
            cache = request.app.get(page_cache_key)
            if (
                cache is None
                or not cache.enabled
                or request.method != "GET"
                or auth.viewer(request) is not None
                or not allowed.issuperset(request.query.keys())
            ):
                return await handler(request)
            key = request.path_qs
            entry = cache.get(key)
            if entry is not None:
                response = web.Response(
                    body=entry.body, content_type=entry.content_type, headers=entry.headers
                )
                if entry.charset:
                    response.charset = entry.charset
                return response
            generation = cache.generation
            response = await handler(request)
            if (
                response.status == 200
                and isinstance(response.body, bytes)
                and not security.token_issued(request)
                and "Set-Cookie" not in response.headers
            ):
                cache.put(
                    key,
                    Entry(
                        response.body,
                        response.content_type,
                        response.charset,
                        request.get(_group_key),
                        time.monotonic() + cache.max_age,
                        tuple(
                            (name, value)
                            for name, value in response.headers.items()
                            if name.lower() not in _NOT_REPLAYED
                        ),
                    ),
                    generation,
                )
            return response

        return cached

    return decorate


async def sync(app: web.Application) -> None:
    """Wait until every notification committed before this call has been applied.

    PostgreSQL sends a listening connection its pending notifications before answering a query
    on it, so one round trip on the LISTEN connection is enough. For tests and benchmarks.
    """
    conn = app[_listener_key][0]
    if conn is not None:
        await conn.fetchval("SELECT 1")
        await asyncio.sleep(0)


async def listen(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one LISTEN connection per process; the cache is on only while it listens."""
    cache = app[page_cache_key] = PageCache()
    holder: list[asyncpg.Connection | None] = [None]
    app[_listener_key] = holder
    url = app[settings_key].database_url
    assert url is not None

    def up(conn: asyncpg.Connection) -> None:
        holder[0] = conn
        cache.switch(on=True)

    def down() -> None:
        cache.switch(on=False)
        holder[0] = None

    async with listening(
        url,
        CHANNEL,
        cache.invalidate,
        what="page cache",
        application_name=APPLICATION_NAME,
        on_up=up,
        on_down=down,
    ):
        yield
