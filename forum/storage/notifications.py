"""A member's notifications: what happened to their posts (held, approved, rejected, warned)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    kind: str
    post_id: int | None
    message: str
    created_at: datetime
    read_at: datetime | None
    decision_id: int | None = None  # a statement of reasons, which the member may appeal


async def notify(
    conn: Conn,
    member_id: int,
    kind: str,
    message: str,
    *,
    post_id: int | None = None,
    decision_id: int | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO notifications (member_id, kind, post_id, message, decision_id)"
        " VALUES ($1, $2, $3, $4, $5)",
        member_id,
        kind,
        post_id,
        message,
        decision_id,
    )


async def notify_all(
    conn: Conn, member_ids: Sequence[int], kind: str, message: str, *, post_id: int | None = None
) -> None:
    """The same notification to each of `member_ids` (a group's moderators, the admins), in
    their order, in one statement."""
    await conn.execute(
        "INSERT INTO notifications (member_id, kind, post_id, message)"
        " SELECT m, $2, $3, $4 FROM unnest($1::bigint[]) WITH ORDINALITY AS t(m, n) ORDER BY n",
        list(member_ids),
        kind,
        post_id,
        message,
    )


async def list_for(conn: Conn, member_id: int, limit: int = 100) -> list[Notification]:
    rows = await conn.fetch(
        "SELECT id, kind, post_id, message, created_at, read_at, decision_id FROM notifications"
        " WHERE member_id = $1 ORDER BY id DESC LIMIT $2",
        member_id,
        limit,
    )
    return [Notification(**r) for r in rows]


async def unread_count(conn: Conn, member_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM notifications WHERE member_id = $1"
            " AND read_at IS NULL LIMIT 100) unread",
            member_id,
        )
    )


async def mark_all_read(conn: Conn, member_id: int) -> None:
    await conn.execute(
        "UPDATE notifications SET read_at = now() WHERE member_id = $1 AND read_at IS NULL",
        member_id,
    )
