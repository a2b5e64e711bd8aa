"""Background work every process runs: crisis re-escalation, webhook delivery and housekeeping.

All of it is safe to run in N processes at once (rows are taken with SKIP LOCKED, deletions are
idempotent), so no process is special and any of them can stop without the work stopping. Each
job is a plain function of a connection and the clock; `every` runs one in a loop, beside the
server, for as long as its block lasts. A failed round is logged and the next one retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from forum.live import events, listening, webhooks
from forum.members import retention
from forum.moderation.crisis import escalation
from forum.storage import drafts, live_events, own_data, password_resets, two_factor

log = logging.getLogger(__name__)

CRISIS_EVERY = 5.0
HOUSEKEEPING_EVERY = 3600.0
#: Deleted accounts' anonymous and per-group-name posts are removed at their own moments: this
#: often, the ones whose moment has come.
REMOVALS_EVERY = 60.0


@contextlib.asynccontextmanager
async def every(
    seconds: float, work: Callable[[], Awaitable[object]], *, what: str
) -> AsyncIterator[None]:
    """Run `work` now and then every `seconds` in a task, until the block ends."""

    async def loop() -> None:
        while True:
            try:
                await work()
            except Exception:  # keep going; the next round retries
                log.exception("%s failed", what)
            await asyncio.sleep(seconds)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        await listening.stop(task)


async def crisis_round(pool: asyncpg.Pool, post: webhooks.Post, webhooks_key: bytes) -> None:
    """Re-escalate overdue urgent items, then deliver the webhook outbox."""
    async with pool.acquire() as conn:
        now = datetime.now(UTC)
        await escalation.reescalate_due(conn, now)
        await webhooks.deliver_due(conn, post, webhooks_key, now)


async def removals(pool: asyncpg.Pool) -> None:
    """Apply the post removals of deleted accounts that are due (see storage.own_data)."""
    async with pool.acquire() as conn:
        await own_data.apply_due_removals(conn)


#: The advisory lock one process at a time holds while it applies the retention policy.
RETENTION_LOCK = 0x464F52554D5254  # "FORUMRT"
#: How long a published draft still leads to its post (a retry, a second tab left open).
PUBLISHED_DRAFTS_KEPT = timedelta(days=7)


async def housekeeping(pool: asyncpg.Pool) -> None:
    """Apply the retention policy (one process at a time: the others skip the round), delete
    half-finished sign-ins, old reset links, live events no stream can resume from and week-old
    records of published drafts, and free released pseudonyms."""
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RETENTION_LOCK):
            try:
                await retention.enforce(conn)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", RETENTION_LOCK)
        await live_events.delete_older_than(conn, timedelta(seconds=events.KEPT_FOR_SECONDS))
        await drafts.forget_published(conn, PUBLISHED_DRAFTS_KEPT)
        await two_factor.delete_expired_challenges(conn)
        await password_resets.delete_old(conn, timedelta(days=7))
        await own_data.release_old_pseudonyms(conn)
