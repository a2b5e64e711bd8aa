"""The live-events table (migration 0026): written by the transaction that made a change, read
by every process in (xid, id) order up to the oldest transaction still in progress.

`read_since` returns, with its rows, the snapshot's xmin as seen by the same statement: every
transaction below it has finished, so no row with a smaller xid can still appear, and a reader
that has taken every row below it may move its horizon there (`forum.live.events`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from forum.storage.db import Conn

Feed = Literal["mod", "inbox"]
#: The channel the table's trigger announces new rows on (once per transaction).
CHANNEL = "live_events"


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    xid: int
    feed: Feed
    key: int
    payload: str  # JSON, as the stream sends it


async def add(conn: Conn, feed: Feed, key: int, payload: dict[str, object]) -> None:
    """Record an event in the caller's transaction: it exists if and only if the change does."""
    await conn.execute(
        "INSERT INTO live_events (feed, key, payload) VALUES ($1, $2, $3::jsonb)",
        feed,
        key,
        json.dumps(payload),
    )


async def horizon(conn: Conn) -> int:
    """The oldest transaction id still in progress: where a reader starting now begins."""
    return int(await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))


async def next_xid(conn: Conn) -> int:
    """The id the next transaction will take: no event of this database is at or past it."""
    return int(await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))


async def read_since(
    conn: Conn,
    since: int,
    *,
    limit: int,
    seen: list[int] | None = None,
    feed: Feed | None = None,
    keys: list[int] | None = None,
) -> tuple[int, list[Row]]:
    """(the snapshot's xmin, committed rows with xid >= `since` in (xid, id) order, but those in
    `seen`), optionally of one feed and some keys, at most `limit` of them."""
    records = await conn.fetch(
        "WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)"
        " SELECT s.xmin, e.id, e.xid, e.feed, e.key, e.payload FROM s LEFT JOIN LATERAL ("
        "   SELECT id, xid::text::bigint AS xid, feed, key, payload::text AS payload"
        "   FROM live_events"
        "   WHERE xid >= $1::text::xid8"
        "     AND ($2::text IS NULL OR feed = $2)"
        "     AND ($3::bigint[] IS NULL OR key = ANY($3))"
        "     AND NOT (id = ANY($5::bigint[]))"
        "   ORDER BY xid, id LIMIT $4"
        " ) e ON true",
        str(since),
        feed,
        keys,
        limit,
        seen or [],
    )
    xmin = int(records[0]["xmin"])
    rows = [
        Row(r["id"], r["xid"], r["feed"], r["key"], r["payload"])
        for r in records
        if r["id"] is not None
    ]
    return xmin, rows


async def delete_older_than(conn: Conn, age: timedelta, *, batch: int = 5000) -> int:
    """Forget events older than `age` (a stream away that long reloads instead), in batches."""
    deleted = 0
    while True:
        done = await conn.fetchval(
            "WITH old AS (SELECT id FROM live_events WHERE at < now() - $1::interval"
            " ORDER BY at LIMIT $2) , gone AS (DELETE FROM live_events e USING old"
            " WHERE e.id = old.id RETURNING 1) SELECT count(*) FROM gone",
            age,
            batch,
        )
        deleted += int(done)
        if done < batch:
            return deleted
