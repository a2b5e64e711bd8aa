"""Drafts: every topic and reply is written here first, visible to its author alone.

Reads always filter on the author, so another member's draft is simply not found (404), and a
save carries the version it was based on so a stale tab cannot overwrite newer text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    author_id: int
    group_id: int
    group_slug: str
    group_name: str
    group_anonymous: str
    topic_id: int | None
    topic_title: str | None
    title: str
    body: str
    anonymous: bool
    content_warning: str
    version: int
    created_at: datetime
    updated_at: datetime
    edits_post_id: int | None = None  # an edit of this published post, not a new one
    preview_html: str | None = None  # `markup.render(body)` as of `preview_version`
    preview_version: int | None = None

    @property
    def stored_preview(self) -> str | None:
        """The body's rendered HTML, if it was stored for this very version."""
        return self.preview_html if self.preview_version == self.version else None

    @property
    def is_reply(self) -> bool:
        return self.topic_id is not None


_COLUMNS = """
    SELECT d.id, d.author_id, d.group_id, g.slug AS group_slug, g.name AS group_name,
           g.anonymous AS group_anonymous, d.topic_id, t.title AS topic_title, d.title, d.body,
           d.anonymous, d.content_warning, d.version, d.created_at, d.updated_at,
           d.edits_post_id, d.preview_html, d.preview_version
"""
#: Drafts `d` with the group and topic they belong to.
_JOINS = " JOIN groups g ON g.id = d.group_id LEFT JOIN topics t ON t.id = d.topic_id"
_SELECT = _COLUMNS + " FROM drafts d" + _JOINS


async def create_draft(
    conn: Conn,
    author_id: int,
    group_id: int,
    topic_id: int | None,
    *,
    title: str = "",
    body: str = "",
    anonymous: bool = False,
    content_warning: str = "",
) -> int:
    draft_id = await conn.fetchval(
        "INSERT INTO drafts (author_id, group_id, topic_id, title, body, anonymous, content_warning)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        author_id,
        group_id,
        topic_id,
        title,
        body,
        anonymous,
        content_warning,
    )
    return int(draft_id)


async def get_own_draft(conn: Conn, draft_id: int, author_id: int) -> Draft | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE d.id = $1 AND d.author_id = $2", draft_id, author_id
    )
    return Draft(**row) if row else None


async def list_own_drafts(conn: Conn, author_id: int) -> list[Draft]:
    rows = await conn.fetch(
        _SELECT + " WHERE d.author_id = $1 ORDER BY d.updated_at DESC, d.id DESC LIMIT 200",
        author_id,
    )
    return [Draft(**r) for r in rows]


async def save_draft(
    conn: Conn,
    draft_id: int,
    author_id: int,
    *,
    version: int,
    title: str,
    body: str,
    anonymous: bool,
    content_warning: str,
) -> Draft | None:
    """The draft as saved (its version one up), or None when `version` is stale (saved
    elsewhere since) or the draft is not the author's. One round trip: the UPDATE's row is
    joined to its group and topic as `get_own_draft` reads them."""
    row = await conn.fetchrow(
        "WITH d AS (UPDATE drafts SET title = $4, body = $5, anonymous = $6,"
        " content_warning = $7, version = version + 1, updated_at = now(),"
        " retention_notice_at = NULL"
        " WHERE id = $1 AND author_id = $2 AND version = $3 RETURNING *)"
        + _COLUMNS
        + " FROM d"
        + _JOINS,
        draft_id,
        author_id,
        version,
        title,
        body,
        anonymous,
        content_warning,
    )
    return Draft(**row) if row else None


async def store_preview(conn: Conn, draft_id: int, version: int, html: str) -> None:
    """Keep the rendered body of this version (nothing, if the draft was saved again since)."""
    await conn.execute(
        "UPDATE drafts SET preview_html = $3, preview_version = $2 WHERE id = $1 AND version = $2",
        draft_id,
        version,
        html,
    )


async def delete_draft(conn: Conn, draft_id: int, author_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM drafts WHERE id = $1 AND author_id = $2", draft_id, author_id
    )
    return status != "DELETE 0"


async def delete_published_draft(conn: Conn, draft_id: int, author_id: int, version: int) -> bool:
    """Removes the draft being published; False when it changed (or went) since it was read."""
    status = await conn.execute(
        "DELETE FROM drafts WHERE id = $1 AND author_id = $2 AND version = $3",
        draft_id,
        author_id,
        version,
    )
    return status != "DELETE 0"


@dataclass(frozen=True, slots=True)
class Became:
    """The post a published draft became, as it is now."""

    post_id: int
    topic_id: int
    group_id: int
    number: int | None  # None while it waits for review
    state: str
    body_source: str
    content_warning: str
    topic_title: str
    opening: bool  # the post opened its topic (the draft started a topic)
    anonymous_allowed: bool  # the group offers anonymous posting

    def holds(self, title: str, body: str, content_warning: str) -> bool:
        """Whether the post already says this (a topic's title counts for its opening post)."""
        same_title = not self.opening or title.strip() == self.topic_title
        return same_title and (body, content_warning.strip()) == (
            self.body_source,
            self.content_warning,
        )


async def record_published(conn: Conn, draft_id: int, author_id: int, post_id: int) -> None:
    """In the publishing transaction: remember which post the draft became."""
    await conn.execute(
        "INSERT INTO published_drafts (draft_id, author_id, post_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (draft_id) DO UPDATE SET post_id = EXCLUDED.post_id, published_at = now()",
        draft_id,
        author_id,
        post_id,
    )


async def became(conn: Conn, draft_id: int, author_id: int) -> Became | None:
    """The post the author's draft became, if it was published (and the post still exists)."""
    row = await conn.fetchrow(
        "SELECT p.id AS post_id, p.topic_id, t.group_id, p.number, p.state, p.body_source,"
        " p.content_warning, t.title AS topic_title,"
        " p.id = (SELECT min(o.id) FROM posts o WHERE o.topic_id = p.topic_id) AS opening,"
        " g.anonymous = 'optional' AS anonymous_allowed"
        " FROM published_drafts d JOIN posts p ON p.id = d.post_id"
        " JOIN topics t ON t.id = p.topic_id JOIN groups g ON g.id = t.group_id"
        " WHERE d.draft_id = $1 AND d.author_id = $2",
        draft_id,
        author_id,
    )
    return Became(**row) if row else None


async def forget_published(conn: Conn, older_than: timedelta) -> int:
    status = await conn.execute(
        "DELETE FROM published_drafts WHERE published_at < now() - $1::interval", older_than
    )
    return int(status.split()[-1])
