"""Sanctions on members: warnings, group mutes and removals, site-wide suspensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Sanction:
    id: int
    kind: str
    group_id: int | None
    reason: str
    ends_at: datetime | None
    created_at: datetime


_COLUMNS = "id, kind, group_id, reason, ends_at, created_at"


async def create(
    conn: Conn,
    *,
    member_id: int,
    group_id: int | None,
    kind: str,
    reason: str,
    duration: timedelta | None,
    created_by: int,
    post_id: int | None,
) -> Sanction:
    """Given for `post_id` (None: for no post), under that post's identity (see `list_for`)."""
    row = await conn.fetchrow(
        "INSERT INTO sanctions"
        " (member_id, group_id, kind, reason, ends_at, created_by, post_id, identity)"
        " VALUES ($1, $2, $3, $4, now() + $5::interval, $6, $7, coalesce("
        "   (SELECT post_identity(p.anonymous, p.topic_id, p.persona, t.group_id)"
        "    FROM posts p JOIN topics t ON t.id = p.topic_id WHERE p.id = $7), 'member'))"
        f" RETURNING {_COLUMNS}",
        member_id,
        group_id,
        kind,
        reason,
        duration,
        created_by,
        post_id,
    )
    assert row is not None
    return Sanction(**row)


async def active_posting_blocks(conn: Conn, member_id: int, group_id: int) -> list[Sanction]:
    """Suspensions, and mutes or removals in this group, that are still in force."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sanctions WHERE member_id = $1"
        " AND (kind = 'suspend' OR (kind IN ('mute', 'remove') AND group_id = $2))"
        " AND (ends_at IS NULL OR ends_at > now()) ORDER BY ends_at DESC NULLS FIRST",
        member_id,
        group_id,
    )
    return [Sanction(**r) for r in rows]


async def list_for(conn: Conn, member_id: int, group_id: int, identity: str) -> list[Sanction]:
    """This group's and site-wide sanctions given under `identity` (`queue_items.Item.identity`):
    what the member was sanctioned for under another name is never listed beside this one."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sanctions WHERE member_id = $1 AND identity = $3"
        " AND (group_id = $2 OR group_id IS NULL) ORDER BY id DESC LIMIT 50",
        member_id,
        group_id,
        identity,
    )
    return [Sanction(**r) for r in rows]
