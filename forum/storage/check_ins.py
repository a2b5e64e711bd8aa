"""Check-in messages between a queue item's moderators and the author of its post (issue 18).

Two views of one thread, keyed by the queue item: the author's (`list_for_author`, only with
their own member id) and the moderators' (`list_for_item`), whose rows carry no member id and
no pseudonym of the author; a moderator's own messages name the moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage import live_events
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    from_author: bool
    moderator_name: str | None  # None for the author's own messages
    body: str
    safe: bool
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Thread:
    item_id: int
    group_name: str
    group_slug: str
    unread: int
    safe: bool
    last_at: datetime


_MESSAGE = (
    "SELECT c.id, c.from_author, CASE WHEN c.from_author THEN NULL ELSE"
    " coalesce(m.pseudonym, 'a moderator') END AS moderator_name, c.body, c.safe, c.created_at,"
    " c.read_at FROM check_in_messages c LEFT JOIN members m ON m.id = c.moderator_id"
)


async def add_from_moderator(
    conn: Conn, *, item_id: int, author_id: int, moderator_id: int, body: str
) -> int:
    """Store the message and wake the author's inbox streams (on commit)."""
    message_id: int = await conn.fetchval(
        "INSERT INTO check_in_messages (item_id, member_id, from_author, moderator_id, body)"
        " VALUES ($1, $2, false, $3, $4) RETURNING id",
        item_id,
        author_id,
        moderator_id,
        body,
    )
    # Item 0 in the inbox stream: "something new, reload the list" (the unread count is sent).
    await live_events.add(conn, "inbox", author_id, {"item": 0})
    return message_id


async def add_from_author(
    conn: Conn, *, item_id: int, author_id: int, body: str, safe: bool
) -> int | None:
    """The author's answer, only in a thread a moderator opened with them; else None."""
    message_id: int | None = await conn.fetchval(
        "INSERT INTO check_in_messages (item_id, member_id, from_author, body, safe)"
        " SELECT $1, $2, true, $3, $4 WHERE EXISTS (SELECT 1 FROM check_in_messages"
        "   WHERE item_id = $1 AND member_id = $2 AND NOT from_author)"
        " RETURNING id",
        item_id,
        author_id,
        body,
        safe,
    )
    return message_id


async def list_for_item(conn: Conn, item_id: int) -> list[Message]:
    rows = await conn.fetch(_MESSAGE + " WHERE c.item_id = $1 ORDER BY c.id", item_id)
    return [Message(**r) for r in rows]


async def list_for_author(conn: Conn, item_id: int, author_id: int) -> list[Message]:
    rows = await conn.fetch(
        _MESSAGE + " WHERE c.item_id = $1 AND c.member_id = $2 ORDER BY c.id", item_id, author_id
    )
    return [Message(**r) for r in rows]


async def mark_read(conn: Conn, item_id: int, author_id: int) -> None:
    await conn.execute(
        "UPDATE check_in_messages SET read_at = now() WHERE item_id = $1 AND member_id = $2"
        " AND NOT from_author AND read_at IS NULL",
        item_id,
        author_id,
    )


async def list_threads(conn: Conn, author_id: int, limit: int = 20) -> list[Thread]:
    """The author's check-in threads, newest activity first."""
    rows = await conn.fetch(
        "SELECT c.item_id, g.name AS group_name, g.slug AS group_slug,"
        " count(*) FILTER (WHERE NOT c.from_author AND c.read_at IS NULL)::int AS unread,"
        " bool_or(c.safe) AS safe, max(c.created_at) AS last_at"
        " FROM check_in_messages c JOIN queue_items q ON q.id = c.item_id"
        " JOIN groups g ON g.id = q.group_id WHERE c.member_id = $1"
        " GROUP BY c.item_id, g.name, g.slug ORDER BY max(c.id) DESC LIMIT $2",
        author_id,
        limit,
    )
    return [Thread(**r) for r in rows]


async def accepts_check_ins(conn: Conn, member_id: int) -> bool:
    allowed = await conn.fetchval(
        "SELECT coalesce((SELECT check_ins FROM reader_preferences WHERE member_id = $1), true)"
        " AND EXISTS (SELECT 1 FROM members WHERE id = $1 AND deleted_at IS NULL)",
        member_id,
    )
    return bool(allowed)
