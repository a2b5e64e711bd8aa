"""State changes of single posts made by moderation: publish a held post, hide, remove, edit.

Held posts have no number; approving one gives it the next number in its topic (and publishes
the topic too when the post opened it), exactly as if it had been published at that moment.
"""

from __future__ import annotations

from forum.storage.db import Conn


async def publish_held(conn: Conn, post_id: int) -> int | None:
    """Publish a held post; its new number, or None if it was not held. Call in a transaction."""
    topic_id = await conn.fetchval(
        "UPDATE posts SET state = 'published' WHERE id = $1 AND state = 'held' RETURNING topic_id",
        post_id,
    )
    if topic_id is None:
        return None
    number = await conn.fetchval(
        "UPDATE topics SET last_post_number = last_post_number + 1,"
        " reply_count = reply_count + CASE WHEN last_post_number >= 1 THEN 1 ELSE 0 END,"
        " state = CASE WHEN state = 'held' THEN 'published' ELSE state END,"
        " last_posted_at = now() WHERE id = $1 RETURNING last_post_number",
        topic_id,
    )
    await conn.execute("UPDATE posts SET number = $2 WHERE id = $1", post_id, number)
    return int(number)


async def hide(conn: Conn, post_id: int) -> bool:
    status = await conn.execute(
        "UPDATE posts SET state = 'hidden' WHERE id = $1 AND state = 'published'", post_id
    )
    return status == "UPDATE 1"


async def unhide(conn: Conn, post_id: int) -> bool:
    status = await conn.execute(
        "UPDATE posts SET state = 'published' WHERE id = $1 AND state = 'hidden'", post_id
    )
    return status == "UPDATE 1"


#: How `take_down` and `restore` change a post's state (and its topic's, for an opening post).
_TAKE_DOWN = (
    "CASE WHEN state = 'held' THEN 'rejected' ELSE 'removed' END",
    ["held", "published", "hidden"],
)
_RESTORE = (
    "CASE WHEN state = 'rejected' THEN 'held' ELSE 'published' END",
    ["rejected", "removed"],
)


async def _change_state(conn: Conn, post_id: int, change: tuple[str, list[str]]) -> str | None:
    """Change the post's state from one of `change`'s (and its topic's, when it is the opening
    post); the new state, or None when it was in none of them."""
    to, states = change
    row = await conn.fetchrow(
        f"UPDATE posts SET state = {to} WHERE id = $1 AND state = ANY($2::text[])"
        " RETURNING state, topic_id",
        post_id,
        states,
    )
    if row is None:
        return None
    opening = await conn.fetchval("SELECT min(id) FROM posts WHERE topic_id = $1", row["topic_id"])
    if opening == post_id:
        await conn.execute(
            f"UPDATE topics SET state = {to} WHERE id = $1 AND state = ANY($2::text[])",
            row["topic_id"],
            states,
        )
    return str(row["state"])


async def take_down(conn: Conn, post_id: int) -> str | None:
    """Reject a held post or remove a visible one; a topic goes with its opening post."""
    return await _change_state(conn, post_id, _TAKE_DOWN)


async def restore(conn: Conn, post_id: int) -> bool:
    """Undo `take_down` (an appeal upheld): a rejected post is published as an approved held one
    is, a removed one is shown again in its place; a topic comes back with its opening post.
    False when there is nothing to undo (the author deleted the post meanwhile)."""
    state = await _change_state(conn, post_id, _RESTORE)
    if state == "held":
        await publish_held(conn, post_id)
    return state is not None


async def replace_body(
    conn: Conn, post_id: int, body_source: str, body_html: str, *, reason: str
) -> bool:
    """A moderator's edit: the text it replaces is kept in post_versions with their reason.
    False when the author deleted the post meanwhile (nothing is written)."""
    status = await conn.execute(
        "WITH old AS ("
        "  INSERT INTO post_versions"
        "   (post_id, body_source, body_html, content_warning, written_at, moderator_reason)"
        "  SELECT id, body_source, body_html, content_warning, coalesce(edited_at, created_at), $4"
        "  FROM posts WHERE id = $1 AND state <> 'deleted' RETURNING post_id)"
        " UPDATE posts SET body_source = $2, body_html = $3, edited_at = now()"
        " WHERE id IN (SELECT post_id FROM old)",
        post_id,
        body_source,
        body_html,
        reason,
    )
    return status == "UPDATE 1"


async def get_post_group(conn: Conn, post_id: int) -> tuple[int, int, str] | None:
    """(group id, author id, state) of a post, for moderation decisions."""
    row = await conn.fetchrow(
        "SELECT t.group_id, p.author_id, p.state FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.id = $1",
        post_id,
    )
    return (row["group_id"], row["author_id"], row["state"]) if row else None


async def count_published_in_group(conn: Conn, author_id: int, group_id: int, *, up_to: int) -> int:
    """How many of the author's posts in the group are published, counting no further than up_to."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM posts p JOIN topics t ON t.id = p.topic_id"
            " WHERE p.author_id = $1 AND t.group_id = $2 AND p.state = 'published' LIMIT $3) firsts",
            author_id,
            group_id,
            up_to,
        )
    )


async def get_anonymous_post(conn: Conn, post_id: int) -> tuple[int, str, int] | None:
    """(group id, group name, author id) of an anonymous post, for an admin's audited reveal."""
    row = await conn.fetchrow(
        "SELECT g.id, g.name, p.author_id FROM posts p JOIN topics t ON t.id = p.topic_id"
        " JOIN groups g ON g.id = t.group_id WHERE p.id = $1 AND p.anonymous",
        post_id,
    )
    return (row["id"], row["name"], row["author_id"]) if row else None
