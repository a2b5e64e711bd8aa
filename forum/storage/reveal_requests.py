"""One admin's request to reveal an anonymous author, waiting for a second admin
(migrations/0022_two_factor.sql). A request names the post, never the author."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    post_id: int
    group_name: str
    requested_by: int | None
    requester_name: str | None
    reason: str
    requested_at: datetime
    expires_at: datetime
    expired: bool
    outcome: str | None
    decider_name: str | None
    decided_at: datetime | None
    reveal_id: int | None


_SELECT = """
    SELECT r.id, r.post_id, g.name AS group_name, r.requested_by, asker.pseudonym AS requester_name,
        r.reason, r.requested_at, r.expires_at, r.expires_at <= now() AS expired, r.outcome,
        decider.pseudonym AS decider_name, r.decided_at, r.reveal_id
    FROM reveal_requests r
    JOIN posts p ON p.id = r.post_id
    JOIN topics t ON t.id = p.topic_id
    JOIN groups g ON g.id = t.group_id
    LEFT JOIN members asker ON asker.id = r.requested_by
    LEFT JOIN members decider ON decider.id = r.decided_by
"""


async def create(conn: Conn, post_id: int, admin_id: int, reason: str, within: timedelta) -> int:
    request_id = await conn.fetchval(
        "INSERT INTO reveal_requests (post_id, requested_by, reason, expires_at)"
        " VALUES ($1, $2, $3, now() + $4::interval) RETURNING id",
        post_id,
        admin_id,
        reason,
        within,
    )
    return int(request_id)


async def get(conn: Conn, request_id: int, *, lock: bool = False) -> Request | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE r.id = $1" + (" FOR UPDATE OF r" if lock else ""), request_id
    )
    return Request(**row) if row else None


async def list_open(conn: Conn) -> list[Request]:
    rows = await conn.fetch(
        _SELECT + " WHERE r.outcome IS NULL AND r.expires_at > now() ORDER BY r.id"
    )
    return [Request(**r) for r in rows]


async def decide(
    conn: Conn, request_id: int, admin_id: int, outcome: str, reveal_id: int | None
) -> bool:
    """Record the second admin's answer; False if it was decided or expired meanwhile."""
    status = await conn.execute(
        "UPDATE reveal_requests SET outcome = $3, decided_by = $2, decided_at = now(),"
        " reveal_id = $4 WHERE id = $1 AND outcome IS NULL AND expires_at > now()",
        request_id,
        admin_id,
        outcome,
        reveal_id,
    )
    return status.endswith(" 1")
