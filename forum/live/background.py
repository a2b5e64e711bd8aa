"""Background work every process runs: crisis re-escalation and webhook delivery.

Both are safe to run in N processes at once (rows are taken with SKIP LOCKED), so no process is
special and any of them can stop without the work stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from forum.live import webhooks
from forum.moderation.crisis import escalation
from forum.web.keys import pool_key, settings_key

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0


async def watch(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: every process re-escalates overdue items and delivers the webhook outbox."""

    async def loop() -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with app[pool_key].acquire() as conn:
                        now = datetime.now(UTC)
                        await escalation.reescalate_due(conn, now)
                        await webhooks.deliver_due(conn, http, app[settings_key].secret, now)
                except Exception:  # keep watching; the next round retries
                    log.exception("crisis escalation round failed")
                await asyncio.sleep(POLL_SECONDS)

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
