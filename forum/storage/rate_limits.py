"""Fixed-window rate-limit counters in PostgreSQL, so a limit holds across every process.

One upsert per hit: it starts a new window when the old one has passed, otherwise counts. The
caller passes an already-keyed (HMAC) value, so no address or pseudonym is stored in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Window:
    hits: int
    retry_after: int  # seconds until the window resets


async def hit(conn: Conn, bucket: str, key: bytes, window: timedelta) -> Window:
    row = await conn.fetchrow(
        """
        INSERT INTO rate_limits AS r (bucket, key, window_start, hits) VALUES ($1, $2, now(), 1)
        ON CONFLICT (bucket, key) DO UPDATE SET
            hits = CASE WHEN r.window_start <= now() - $3::interval THEN 1 ELSE r.hits + 1 END,
            window_start = CASE WHEN r.window_start <= now() - $3::interval THEN now() ELSE r.window_start END
        RETURNING hits, ceil(extract(epoch FROM r.window_start + $3::interval - now()))::int AS retry_after
        """,
        bucket,
        key,
        window,
    )
    assert row is not None
    return Window(row["hits"], max(1, row["retry_after"]))


async def peek(conn: Conn, bucket: str, key: bytes, window: timedelta) -> Window:
    """The current count without adding to it (0 when the window has passed)."""
    row = await conn.fetchrow(
        "SELECT hits, ceil(extract(epoch FROM window_start + $3::interval - now()))::int AS retry_after"
        " FROM rate_limits WHERE bucket = $1 AND key = $2 AND window_start > now() - $3::interval",
        bucket,
        key,
        window,
    )
    return Window(row["hits"], max(1, row["retry_after"])) if row else Window(0, 0)


async def refund(conn: Conn, bucket: str, key: bytes) -> None:
    await conn.execute(
        "UPDATE rate_limits SET hits = greatest(hits - 1, 0) WHERE bucket = $1 AND key = $2",
        bucket,
        key,
    )


async def clear(conn: Conn, bucket: str, key: bytes) -> None:
    await conn.execute("DELETE FROM rate_limits WHERE bucket = $1 AND key = $2", bucket, key)
