"""A member's own posts: listing them, editing (through a draft) with the old text kept, deleting.

Every function takes the author's id and filters on it, so another member's post is simply not
found. An edit snapshots the text it replaces into `post_versions` in the same statement that
changes the post, so there is never an edit without its history; moderators read that history.
A deleted post keeps its row and number (the thread shows a placeholder), never its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class OwnPost:
    id: int
    topic_id: int
    group_id: int
    number: int | None
    state: str
    anonymous: bool
    body_source: str
    content_warning: str


@dataclass(frozen=True, slots=True)
class OwnPostSummary:
    id: int
    topic_id: int
    topic_title: str
    group_name: str
    state: str
    anonymous: bool
    excerpt: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostVersion:
    id: int
    body_html: str
    content_warning: str
    written_at: datetime
    replaced_at: datetime
    moderator_reason: str | None  # set when a moderator's "edit and approve" replaced it


async def get_own_post(conn: Conn, post_id: int, author_id: int) -> OwnPost | None:
    row = await conn.fetchrow(
        "SELECT p.id, p.topic_id, t.group_id, p.number, p.state, p.anonymous, p.body_source,"
        " p.content_warning FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.id = $1 AND p.author_id = $2",
        post_id,
        author_id,
    )
    return OwnPost(**row) if row else None


async def start_edit(conn: Conn, post: OwnPost, author_id: int) -> int:
    """The draft that edits `post`: the open one if there is one, else a new copy of the post."""
    draft_id = await conn.fetchval(
        "INSERT INTO drafts (author_id, group_id, topic_id, body, anonymous, content_warning,"
        " edits_post_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (edits_post_id) WHERE edits_post_id IS NOT NULL"
        " DO UPDATE SET edits_post_id = EXCLUDED.edits_post_id RETURNING id",
        author_id,
        post.group_id,
        post.topic_id,
        post.body_source,
        post.anonymous,
        post.content_warning,
        post.id,
    )
    return int(draft_id)


async def start_edit_with(
    conn: Conn, post_id: int, author_id: int, *, body: str, content_warning: str
) -> int | None:
    """A new edit draft of the author's published post holding `body`; None if an edit of it is
    open already (it is not overwritten) or the post can no longer be edited."""
    draft_id = await conn.fetchval(
        "INSERT INTO drafts (author_id, group_id, topic_id, body, anonymous, content_warning,"
        " edits_post_id)"
        " SELECT $2, t.group_id, p.topic_id, $3, p.anonymous, $4, p.id"
        " FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.id = $1 AND p.author_id = $2 AND p.state = 'published'"
        " ON CONFLICT (edits_post_id) WHERE edits_post_id IS NOT NULL DO NOTHING RETURNING id",
        post_id,
        author_id,
        body,
        content_warning,
    )
    return int(draft_id) if draft_id is not None else None


async def apply_edit(
    conn: Conn,
    post_id: int,
    author_id: int,
    *,
    body_source: str,
    body_html: str,
    content_warning: str,
) -> bool:
    """Replace a published post's text, keeping the old one; False if it is no longer published."""
    status = await conn.execute(
        "WITH old AS ("
        "  INSERT INTO post_versions (post_id, body_source, body_html, content_warning, written_at)"
        "  SELECT id, body_source, body_html, content_warning, coalesce(edited_at, created_at)"
        "  FROM posts WHERE id = $1 AND author_id = $2 AND state = 'published' RETURNING post_id)"
        " UPDATE posts SET body_source = $3, body_html = $4, content_warning = $5,"
        " edited_at = now() WHERE id IN (SELECT post_id FROM old)",
        post_id,
        author_id,
        body_source,
        body_html,
        content_warning,
    )
    return status == "UPDATE 1"


async def delete_own_post(conn: Conn, post_id: int, author_id: int) -> bool:
    """Take down one's own published post; its place in the thread stays as a placeholder."""
    status = await conn.execute(
        "UPDATE posts SET state = 'deleted', deleted_at = now() WHERE id = $1 AND author_id = $2"
        " AND state = 'published'",
        post_id,
        author_id,
    )
    return status == "UPDATE 1"


async def list_own_posts(
    conn: Conn, author_id: int, *, before_id: int | None, limit: int
) -> list[OwnPostSummary]:
    """All the author's posts, anonymous ones included (this list is theirs alone), newest first."""
    rows = await conn.fetch(
        "SELECT p.id, p.topic_id, t.title AS topic_title, g.name AS group_name, p.state,"
        " p.anonymous, left(p.body_source, 200) AS excerpt, p.created_at, p.edited_at"
        " FROM posts p JOIN topics t ON t.id = p.topic_id JOIN groups g ON g.id = t.group_id"
        " WHERE p.author_id = $1 AND ($2::bigint IS NULL OR p.id < $2)"
        " ORDER BY p.id DESC LIMIT $3",
        author_id,
        before_id,
        limit,
    )
    return [OwnPostSummary(**r) for r in rows]


async def list_versions(conn: Conn, post_id: int) -> list[PostVersion]:
    rows = await conn.fetch(
        "SELECT id, body_html, content_warning, written_at, replaced_at, moderator_reason"
        " FROM post_versions"
        " WHERE post_id = $1 ORDER BY id",
        post_id,
    )
    return [PostVersion(**r) for r in rows]
