"""The moderation audit log: insert and read, never update or delete (a trigger enforces it)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: datetime
    actor_name: str | None
    action: str
    group_slug: str | None
    group_name: str | None
    item_id: int | None
    post_id: int | None
    reason: str


async def record(
    conn: Conn,
    *,
    actor_id: int | None,
    action: str,
    group_id: int | None = None,
    item_id: int | None = None,
    post_id: int | None = None,
    subject_id: int | None = None,
    reason: str = "",
) -> int:
    entry_id = await conn.fetchval(
        "INSERT INTO audit_log (actor_id, action, group_id, item_id, post_id, subject_id, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        actor_id,
        action,
        group_id,
        item_id,
        post_id,
        subject_id,
        reason,
    )
    return int(entry_id)


async def record_if_changed(
    conn: Conn,
    change: Awaitable[bool],
    *,
    actor_id: int | None,
    action: str,
    group_id: int | None = None,
    subject_id: int | None = None,
    reason: str = "",
) -> bool:
    """Await `change` (a write that says whether it changed anything) and, if it did, record
    it, in one transaction: a repeat changes nothing and records nothing."""
    async with conn.transaction():
        changed = await change
        if changed:
            await record(
                conn,
                actor_id=actor_id,
                action=action,
                group_id=group_id,
                subject_id=subject_id,
                reason=reason,
            )
    return changed


async def list_entries(
    conn: Conn, group_ids: list[int] | None, *, before_id: int | None, limit: int
) -> list[Entry]:
    """Newest first. `group_ids` None means every group (admins); the subject is never shown."""
    rows = await conn.fetch(
        "SELECT a.id, a.at, m.pseudonym AS actor_name, a.action, g.slug AS group_slug,"
        " g.name AS group_name, a.item_id, a.post_id, a.reason"
        " FROM audit_log a LEFT JOIN members m ON m.id = a.actor_id"
        " LEFT JOIN groups g ON g.id = a.group_id"
        " WHERE ($1::bigint[] IS NULL OR a.group_id = ANY($1))"
        "   AND ($2::bigint IS NULL OR a.id < $2)"
        " ORDER BY a.id DESC LIMIT $3",
        group_ids,
        before_id,
        limit,
    )
    return [Entry(**r) for r in rows]


@dataclass(frozen=True, slots=True)
class Reveal:
    """An admin's unmasking of one anonymous post: the only place the link is ever shown."""

    id: int
    at: datetime
    admin_name: str | None
    post_id: int
    author_pseudonym: str
    reason: str


async def get_reveal(conn: Conn, entry_id: int, admin_id: int) -> Reveal | None:
    """The reveal, for the admin who asked for it only."""
    row = await conn.fetchrow(
        "SELECT a.id, a.at, actor.pseudonym AS admin_name, a.post_id,"
        " subject.pseudonym AS author_pseudonym, a.reason"
        " FROM audit_log a JOIN members subject ON subject.id = a.subject_id"
        " LEFT JOIN members actor ON actor.id = a.actor_id"
        " WHERE a.id = $1 AND a.action = 'reveal' AND a.actor_id = $2",
        entry_id,
        admin_id,
    )
    return Reveal(**row) if row else None
