""" "This helped me" and "me too": private thanks from readers to a post's author.

Only the author ever reads them back, and only as counts per post: who responded is never
selected for display, and there are no totals across posts, rankings or streaks. A member may
respond to posts they can read, other than their own, once per kind (a second press takes the
response back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn

KINDS = ("helped", "me-too")


@dataclass(frozen=True, slots=True)
class HelpedPost:
    """One of the author's own posts that others responded to."""

    id: int
    topic_id: int
    topic_title: str
    group_name: str
    anonymous: bool
    excerpt: str
    created_at: datetime
    helped: int
    me_too: int


async def toggle(conn: Conn, post_id: int, member_id: int, kind: str) -> bool | None:
    """Add the response, or take it back if it was there: is it there now? None when the post
    is the member's own or not published (there is nothing to respond to)."""
    row = await conn.fetchrow(
        "WITH target AS (SELECT id FROM posts WHERE id = $1 AND author_id <> $2"
        "                AND state = 'published'),"
        " removed AS (DELETE FROM post_responses WHERE post_id IN (SELECT id FROM target)"
        "             AND member_id = $2 AND kind = $3 RETURNING 1),"
        " added AS (INSERT INTO post_responses (post_id, member_id, kind)"
        "           SELECT id, $2, $3 FROM target WHERE NOT EXISTS (SELECT 1 FROM removed)"
        "           ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT EXISTS (SELECT 1 FROM target) AS found, EXISTS (SELECT 1 FROM added) AS added",
        post_id,
        member_id,
        kind,
    )
    assert row is not None
    return bool(row["added"]) if row["found"] else None


async def list_helped(
    conn: Conn, author_id: int, *, before_id: int | None, limit: int
) -> list[HelpedPost]:
    """The author's published posts that others marked, newest post first (keyset on id)."""
    rows = await conn.fetch(
        "SELECT p.id, p.topic_id, t.title AS topic_title, g.name AS group_name, p.anonymous,"
        " left(p.body_source, 200) AS excerpt, p.created_at, c.helped, c.me_too"
        " FROM (SELECT r.post_id,"
        "        count(*) FILTER (WHERE r.kind = 'helped') AS helped,"
        "        count(*) FILTER (WHERE r.kind = 'me-too') AS me_too"
        "       FROM post_responses r JOIN posts mine ON mine.id = r.post_id"
        "       WHERE mine.author_id = $1 AND ($2::bigint IS NULL OR mine.id < $2)"
        "       GROUP BY r.post_id) c"
        " JOIN posts p ON p.id = c.post_id JOIN topics t ON t.id = p.topic_id"
        " JOIN groups g ON g.id = t.group_id"
        " WHERE p.state = 'published' AND t.state = 'published'"
        " ORDER BY p.id DESC LIMIT $3",
        author_id,
        before_id,
        limit,
    )
    return [HelpedPost(**r) for r in rows]
