"""The member's inbox: replies to topics they started or follow, and who follows or mutes what.

Fan-out is one `INSERT ... SELECT` per published reply, run in the publishing transaction, that
also writes one live event per recipient (`live_events`, announced on commit, so a rolled-back
reply tells nobody). Who may still see an item is decided when the inbox is read (`_VISIBLE`): a reply that
is later removed, or a members-only group the member has left, simply drops out.

Anonymity: items are shown with the post's public name (NULL for anonymous, plus its per-topic
label), never the author's pseudonym. A member mute applies only to posts shown under the muted
member's pseudonym; applying it to anonymous or per-group-name posts would let the muter tell
which of those posts share an author (by what reaches them, or what is collapsed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn
from forum.storage.topics import _NAME_EXPR


def parse_delivery(payload: str) -> int:
    """The inbox item id (0: "something new, reload the list") of a live event's payload, as
    `deliver` builds it in SQL. Raises ValueError, KeyError or TypeError for anything else."""
    return int(json.loads(payload)["item"])


#: The header badge counts up to here ("99+" is enough to know there is a lot).
UNREAD_CAP = 99

#: Inbox items `i` with their post, topic and group, and the viewer's membership of that group.
_FROM = (
    " FROM inbox_items i JOIN posts p ON p.id = i.post_id JOIN topics t ON t.id = p.topic_id"
    " JOIN groups g ON g.id = t.group_id"
    " LEFT JOIN group_members gm ON gm.group_id = g.id AND gm.member_id = i.member_id"
)
#: When item `i` may still be shown to its member: published, and in a group they may see.
_VISIBLE = (
    " p.state = 'published' AND t.state = 'published'"
    " AND (g.visibility = 'public' OR gm.state = 'active')"
)
VISIBLE_ITEMS = f"{_FROM} WHERE {_VISIBLE}"

#: Unread replies, and unread check-ins from moderators (`check_ins.py`), both capped.
UNREAD_COUNT_SQL = (
    f"SELECT (SELECT count(*) FROM (SELECT 1 {VISIBLE_ITEMS} AND i.member_id = $1"
    f" AND i.read_at IS NULL LIMIT {UNREAD_CAP}) unread)"
    " + (SELECT count(*) FROM (SELECT 1 FROM check_in_messages c WHERE c.member_id = $1"
    f" AND c.read_at IS NULL AND NOT c.from_author LIMIT {UNREAD_CAP}) checks)"
)


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    post_id: int
    topic_id: int
    topic_title: str
    group_name: str
    author_name: str | None  # None: an anonymous reply (shown by its label only)
    anon_label: int | None
    reason: str  # "your-topic" or "following"
    content_warning: str
    excerpt: str  # the start of the reply's text, for a member who may read it anyway
    created_at: datetime
    read_at: datetime | None


async def follow_by_default(conn: Conn, topic_id: int, member_id: int) -> None:
    """Starting or replying follows the topic, unless the member chose otherwise before."""
    await conn.execute(
        "INSERT INTO topic_follows (topic_id, member_id, state) VALUES ($1, $2, 'following')"
        " ON CONFLICT (topic_id, member_id) DO NOTHING",
        topic_id,
        member_id,
    )


async def set_follow(conn: Conn, topic_id: int, member_id: int, *, following: bool) -> None:
    await conn.execute(
        "INSERT INTO topic_follows (topic_id, member_id, state) VALUES ($1, $2, $3)"
        " ON CONFLICT (topic_id, member_id) DO UPDATE SET state = $3, updated_at = now()",
        topic_id,
        member_id,
        "following" if following else "muted",
    )


async def is_following(conn: Conn, topic_id: int, member_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM topic_follows WHERE topic_id = $1 AND member_id = $2"
            " AND state = 'following')",
            topic_id,
            member_id,
        )
    )


async def deliver(conn: Conn, post_id: int) -> None:
    """Put a just-published reply in the inbox of everyone who should hear of it.

    Not its author; only followers who may see the group now; not those who muted the author
    (for posts under the author's pseudonym only). Call inside the publishing transaction.
    """
    await conn.execute(
        "WITH reply AS ("
        "  SELECT p.id, p.topic_id, p.author_id, t.author_id AS topic_author, t.group_id,"
        "         (NOT p.anonymous AND p.persona IS NULL) AS named"
        "  FROM posts p JOIN topics t ON t.id = p.topic_id"
        "  WHERE p.id = $1 AND p.state = 'published' AND t.state = 'published'),"
        " delivered AS ("
        "  INSERT INTO inbox_items (member_id, post_id, reason)"
        "  SELECT f.member_id, r.id,"
        "         CASE WHEN f.member_id = r.topic_author THEN 'your-topic' ELSE 'following' END"
        "  FROM reply r"
        "  JOIN topic_follows f ON f.topic_id = r.topic_id AND f.state = 'following'"
        "  JOIN members m ON m.id = f.member_id AND m.deleted_at IS NULL"
        "  JOIN groups g ON g.id = r.group_id"
        "  LEFT JOIN group_members gm ON gm.group_id = g.id AND gm.member_id = f.member_id"
        "  WHERE f.member_id <> r.author_id"
        "    AND (g.visibility = 'public' OR gm.state = 'active')"
        "    AND NOT (r.named AND EXISTS (SELECT 1 FROM member_mutes mm"
        "             WHERE mm.member_id = f.member_id AND mm.muted_id = r.author_id))"
        "  ON CONFLICT (member_id, post_id) DO NOTHING"
        "  RETURNING id, member_id)"
        " INSERT INTO live_events (feed, key, payload)"
        " SELECT 'inbox', member_id, jsonb_build_object('item', id) FROM delivered",
        post_id,
    )


async def unread_count(conn: Conn, member_id: int) -> int:
    return int(await conn.fetchval(UNREAD_COUNT_SQL, member_id))


async def list_items(
    conn: Conn, member_id: int, *, before_id: int | None, limit: int
) -> list[InboxItem]:
    """Newest first, keyset-paged on the item id."""
    rows = await conn.fetch(
        "SELECT i.id, i.post_id, t.id AS topic_id, t.title AS topic_title, g.name AS group_name,"
        f" {_NAME_EXPR.format(alias='p')} AS author_name, p.anon_label, i.reason, i.created_at,"
        " i.read_at, p.content_warning, left(p.body_source, 160) AS excerpt"
        f" {_FROM} JOIN members m ON m.id = p.author_id WHERE {_VISIBLE}"
        " AND i.member_id = $1 AND ($2::bigint IS NULL OR i.id < $2)"
        " ORDER BY i.id DESC LIMIT $3",
        member_id,
        before_id,
        limit,
    )
    return [InboxItem(**r) for r in rows]


async def open_item(conn: Conn, member_id: int, item_id: int) -> int | None:
    """Mark one item read; the post it is about, or None if it is not theirs or not visible."""
    post_id = await conn.fetchval(
        f"SELECT i.post_id {VISIBLE_ITEMS} AND i.member_id = $1 AND i.id = $2", member_id, item_id
    )
    if post_id is None:
        return None
    await conn.execute(
        "UPDATE inbox_items SET read_at = now() WHERE id = $1 AND read_at IS NULL", item_id
    )
    return int(post_id)


async def mark_all_read(conn: Conn, member_id: int) -> None:
    await conn.execute(
        "UPDATE inbox_items SET read_at = now() WHERE member_id = $1 AND read_at IS NULL",
        member_id,
    )


async def mute_member(conn: Conn, member_id: int, muted_id: int) -> None:
    await conn.execute(
        "INSERT INTO member_mutes (member_id, muted_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        member_id,
        muted_id,
    )


async def unmute_member(conn: Conn, member_id: int, muted_id: int) -> None:
    await conn.execute(
        "DELETE FROM member_mutes WHERE member_id = $1 AND muted_id = $2", member_id, muted_id
    )


async def has_muted(conn: Conn, member_id: int, muted_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM member_mutes WHERE member_id = $1 AND muted_id = $2)",
            member_id,
            muted_id,
        )
    )


async def list_muted_posts(conn: Conn, member_id: int, post_ids: list[int]) -> set[int]:
    """Which of these posts are shown under the pseudonym of someone the member muted."""
    rows = await conn.fetch(
        "SELECT p.id FROM posts p JOIN member_mutes mm ON mm.muted_id = p.author_id"
        " WHERE mm.member_id = $1 AND p.id = ANY($2::bigint[])"
        "   AND NOT p.anonymous AND p.persona IS NULL",
        member_id,
        post_ids,
    )
    return {int(r["id"]) for r in rows}
