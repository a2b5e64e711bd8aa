"""The application factory: settings and pool on typed keys, middlewares, routes, live feeds and
the background jobs.

Middleware order matters: the metrics count wraps everything (so it sees every answer's final
status), error pages wrap the rest (so even a CSRF refusal is a page), the
member is resolved before the CSRF check (the token is bound to a valid session), what a member
still owes (staff's two-factor set-up, accepting changed rules) is asked after both, and security
headers are added in on_response_prepare so error pages and static files get them too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from aiohttp import web

from forum.config import Settings
from forum.live import background
from forum.storage import db
from forum.web import (
    auth,
    errors,
    handlers,
    live,
    metrics,
    outbound,
    page_cache,
    pages,
    security,
    streams,
)
from forum.web.keys import pool_key, settings_key

log = logging.getLogger(__name__)

#: A post is at most 20,000 characters (up to 80 KB of UTF-8) plus a few small fields.
MAX_REQUEST_BYTES = 256 * 1024


async def _database(app: web.Application) -> AsyncIterator[None]:
    """The pool. A worker started while the database is away (one replaced during an outage)
    starts with no connection open and serves 503s until it is back, rather than dying at
    once, which the parent would count towards a crash loop."""
    settings = app[settings_key]
    assert settings.database_url is not None, "the serving process resolves the database first"
    url = settings.database_url
    acquire, statement = settings.db_acquire_seconds, settings.db_statement_seconds
    try:
        app[pool_key] = await db.create_pool(
            url, acquire_timeout=acquire, statement_timeout=statement
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("the database is not answering (%s); starting without", type(exc).__name__)
        app[pool_key] = await db.create_pool(
            url, min_size=0, acquire_timeout=acquire, statement_timeout=statement
        )
    yield
    # Requests have finished (or had the grace period): what is left of it is the pool's, and
    # a connection still out after that is stuck.
    left = settings.shutdown_seconds - (asyncio.get_running_loop().time() - live.closing_at(app))
    try:
        await asyncio.wait_for(app[pool_key].close(), timeout=max(0.5, left))
    except TimeoutError:
        app[pool_key].terminate()


def _timer(
    seconds: float, job: Callable[[asyncpg.Pool], Awaitable[object]], what: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx running `job` on the pool every `seconds` while the app runs."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        async with background.every(seconds, lambda: job(app[pool_key]), what=what):
            yield

    return run


_housekeeping = _timer(background.HOUSEKEEPING_EVERY, background.housekeeping, "housekeeping")
_removals = _timer(
    background.REMOVALS_EVERY, background.removals, "deleted accounts' post removals"
)


async def _crisis_watch(app: web.Application) -> AsyncIterator[None]:
    """Every process re-escalates overdue crisis items and delivers the webhook outbox."""
    async with outbound.poster() as post:
        secret = app[settings_key].key("webhooks")
        async with background.every(
            background.CRISIS_EVERY,
            lambda: background.crisis_round(app[pool_key], post, secret),
            what="crisis escalation round",
        ):
            yield


#: The timers (not requests) that write: tests that count a page's statements leave them out.
BACKGROUND_JOBS = (_housekeeping, _removals, _crisis_watch)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[
            metrics.count,
            errors.pages,
            security.body_limit,
            auth.load_member,
            security.csrf,
            auth.owed_gate,
        ],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app.on_response_prepare.append(security.add_headers)
    app[settings_key] = settings
    app[live.open_streams_key] = live.OpenStreams(set)
    live.setup(app)
    app.cleanup_ctx.extend(
        [_database, streams.durable_feeds, _housekeeping, _removals, _crisis_watch]
    )
    app.cleanup_ctx.extend([page_cache.listen, live.sessions_feed, metrics.sampling])
    pages.setup(app)
    handlers.setup(app)
    return app
