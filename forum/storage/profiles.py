"""A member's public page: their pseudonym and the posts they signed with it.

Only posts published under the pseudonym itself are listed: never anonymous posts, never posts
made under a per-group name (listing those would link the two names), and only from groups the
viewer may read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    pseudonym: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PublicPost:
    id: int
    topic_id: int
    topic_title: str
    group_slug: str
    group_name: str
    excerpt: str
    created_at: datetime
    content_warning: str = ""  # the excerpt stays behind it, as the post does


async def get_profile(conn: Conn, pseudonym: str) -> Profile | None:
    row = await conn.fetchrow(
        "SELECT id, pseudonym, created_at FROM members"
        " WHERE lower(pseudonym) = lower($1) AND deleted_at IS NULL",
        pseudonym,
    )
    return Profile(**row) if row else None


async def list_public_posts(
    conn: Conn, member_id: int, viewer_id: int | None, viewer_is_admin: bool, limit: int = 30
) -> list[PublicPost]:
    rows = await conn.fetch(
        "SELECT p.id, p.topic_id, t.title AS topic_title, g.slug AS group_slug,"
        " g.name AS group_name, left(p.body_source, 200) AS excerpt, p.created_at,"
        " p.content_warning"
        " FROM posts p JOIN topics t ON t.id = p.topic_id JOIN groups g ON g.id = t.group_id"
        " LEFT JOIN group_members gm ON gm.group_id = g.id AND gm.member_id = $2"
        " WHERE p.author_id = $1 AND NOT p.anonymous AND p.persona IS NULL"
        "   AND p.state = 'published' AND t.state = 'published'"
        "   AND (g.visibility = 'public' OR gm.state = 'active' OR $3::boolean)"
        " ORDER BY p.id DESC LIMIT $4",
        member_id,
        viewer_id,
        viewer_is_admin,
        limit,
    )
    return [PublicPost(**r) for r in rows]
