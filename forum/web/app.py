"""The application factory: settings and pool on typed keys, middlewares, routes, housekeeping.

Middleware order matters: error pages wrap everything (so even a CSRF refusal is a page), the
member is resolved before the CSRF check (the token is bound to a valid session), and security
headers are added in on_response_prepare so error pages and static files get them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from forum.config import Settings
from forum.live import background
from forum.moderation import events
from forum.storage import db, own_data, rate_limits, sessions
from forum.web import auth, errors, inbox_events, page_cache, pages, security
from forum.web.handlers import routes
from forum.web.keys import pool_key, settings_key

log = logging.getLogger(__name__)

#: A post is at most 20,000 characters (up to 80 KB of UTF-8) plus a few small fields.
MAX_REQUEST_BYTES = 256 * 1024
HOUSEKEEPING_EVERY = 3600


async def _database(app: web.Application) -> AsyncIterator[None]:
    url = app[settings_key].database_url
    assert url is not None, "the serving process resolves the database before creating the app"
    app[pool_key] = await db.create_pool(url)
    yield
    await app[pool_key].close()


async def _housekeeping(app: web.Application) -> AsyncIterator[None]:
    """Deletes expired sessions and old rate-limit windows; harmless when every process does it."""

    async def loop() -> None:
        while True:
            try:
                async with app[pool_key].acquire() as conn:
                    await sessions.delete_expired(conn)
                    await rate_limits.delete_stale(conn, timedelta(days=1))
                    await own_data.release_old_pseudonyms(conn)
            except Exception:  # never let housekeeping take the server down
                log.exception("housekeeping failed")
            await asyncio.sleep(HOUSEKEEPING_EVERY)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[errors.pages, auth.load_member, security.csrf],
        client_max_size=MAX_REQUEST_BYTES,
    )
    app.on_response_prepare.append(security.add_headers)
    app[settings_key] = settings
    app.cleanup_ctx.extend([_database, events.listen, _housekeeping, background.watch])
    app.cleanup_ctx.extend([inbox_events.listen, page_cache.listen])
    pages.setup(app)
    routes.setup(app)
    return app
