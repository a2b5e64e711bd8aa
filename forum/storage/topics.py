"""Topics and their posts.

Author names are resolved in SQL: an anonymous row yields NULL for the name, so no template or
handler ever holds an anonymous author's pseudonym to leak. Group pages page by keyset on
(last_posted_at, id); topic pages by post number. Neither counts nor offsets rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

#: A member who deleted their account still has readable posts under this name.
DELETED_NAME = "deleted member"


@dataclass(frozen=True, slots=True)
class TopicSummary:
    id: int
    title: str
    author_name: str | None  # None: posted anonymously
    created_at: datetime
    last_posted_at: datetime
    reply_count: int


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    group_id: int
    title: str
    author_name: str | None
    created_at: datetime
    last_posted_at: datetime
    last_post_number: int
    reply_count: int


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    topic_id: int
    number: int
    author_name: str | None
    body_html: str
    content_warning: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewPost:
    topic_id: int
    post_id: int
    number: int


_AUTHOR_NAME = (
    f"CASE WHEN {{alias}}.anonymous THEN NULL WHEN m.deleted_at IS NOT NULL THEN '{DELETED_NAME}'"
    " ELSE m.pseudonym END AS author_name"
)


async def list_group_topics(
    conn: asyncpg.Connection,
    group_id: int,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[TopicSummary]:
    """Published topics, most recent activity first, strictly after the `before` keyset cursor."""
    before_at, before_id = before if before else (None, None)
    rows = await conn.fetch(
        f"SELECT t.id, t.title, {_AUTHOR_NAME.format(alias='t')}, t.created_at, t.last_posted_at,"
        " t.reply_count"
        " FROM topics t JOIN members m ON m.id = t.author_id"
        " WHERE t.group_id = $1 AND t.state = 'published'"
        "   AND ($2::timestamptz IS NULL OR (t.last_posted_at, t.id) < ($2, $3))"
        " ORDER BY t.last_posted_at DESC, t.id DESC LIMIT $4",
        group_id, before_at, before_id, limit,
    )
    return [TopicSummary(**r) for r in rows]


async def get_topic(conn: asyncpg.Connection, topic_id: int) -> Topic | None:
    """A published topic. Whether the viewer may see its group is the caller's question."""
    row = await conn.fetchrow(
        f"SELECT t.id, t.group_id, t.title, {_AUTHOR_NAME.format(alias='t')}, t.created_at,"
        " t.last_posted_at, t.last_post_number, t.reply_count"
        " FROM topics t JOIN members m ON m.id = t.author_id"
        " WHERE t.id = $1 AND t.state = 'published'",
        topic_id,
    )
    return Topic(**row) if row else None


async def list_posts(
    conn: asyncpg.Connection, topic_id: int, first_number: int, last_number: int
) -> list[Post]:
    rows = await conn.fetch(
        f"SELECT p.id, p.topic_id, p.number, {_AUTHOR_NAME.format(alias='p')}, p.body_html,"
        " p.content_warning, p.created_at, p.edited_at"
        " FROM posts p JOIN members m ON m.id = p.author_id"
        " WHERE p.topic_id = $1 AND p.number BETWEEN $2 AND $3 AND p.state = 'published'"
        " ORDER BY p.number",
        topic_id, first_number, last_number,
    )
    return [Post(**r) for r in rows]


async def get_post_location(conn: asyncpg.Connection, post_id: int) -> tuple[int, int] | None:
    """(topic id, post number) of a published post in a published topic."""
    row = await conn.fetchrow(
        "SELECT p.topic_id, p.number FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.id = $1 AND p.state = 'published' AND t.state = 'published'",
        post_id,
    )
    return (row["topic_id"], row["number"]) if row else None


async def create_topic(
    conn: asyncpg.Connection,
    *,
    group_id: int,
    author_id: int,
    anonymous: bool,
    title: str,
    body_source: str,
    body_html: str,
    content_warning: str,
) -> NewPost:
    """A topic and its opening post (number 1). Call inside a transaction."""
    topic_id = await conn.fetchval(
        "INSERT INTO topics (group_id, author_id, anonymous, title, last_post_number)"
        " VALUES ($1, $2, $3, $4, 1) RETURNING id",
        group_id, author_id, anonymous, title,
    )
    post_id = await conn.fetchval(
        "INSERT INTO posts (topic_id, author_id, anonymous, number, body_source, body_html,"
        " content_warning) VALUES ($1, $2, $3, 1, $4, $5, $6) RETURNING id",
        topic_id, author_id, anonymous, body_source, body_html, content_warning,
    )
    return NewPost(int(topic_id), int(post_id), 1)


async def create_reply(
    conn: asyncpg.Connection,
    *,
    topic_id: int,
    author_id: int,
    anonymous: bool,
    body_source: str,
    body_html: str,
    content_warning: str,
) -> NewPost | None:
    """A reply at the end of a published topic; None if the topic is gone. Call in a transaction.

    Taking the number from the topic row also locks it, so concurrent replies queue up there and
    each gets the next number.
    """
    number = await conn.fetchval(
        "UPDATE topics SET last_post_number = last_post_number + 1, reply_count = reply_count + 1,"
        " last_posted_at = now() WHERE id = $1 AND state = 'published' RETURNING last_post_number",
        topic_id,
    )
    if number is None:
        return None
    post_id = await conn.fetchval(
        "INSERT INTO posts (topic_id, author_id, anonymous, number, body_source, body_html,"
        " content_warning) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        topic_id, author_id, anonymous, number, body_source, body_html, content_warning,
    )
    return NewPost(topic_id, int(post_id), int(number))
