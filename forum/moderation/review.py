"""What a moderator sees of one queue item: the post, its source, the posts around it, the
reports, and the author's record in the item's group.

The author is only ever the item's author: the view is built from the item, never from a name, so
an anonymous author stays "Anonymous" here as everywhere. Their record (post counts, sanctions) is
the record of the identity the item was posted under, not of the member: an anonymous post's
record is that topic's "Anonymous N", a per-group name's is that name's, so a warning given under
one name never shows up beside another and cannot tie them together.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.storage import queue_items, sanctions, topics
from forum.storage.db import Conn
from forum.storage.queue_items import AuthorHistory, Item, Report
from forum.storage.sanctions import Sanction


@dataclass(frozen=True, slots=True)
class ItemView:
    post: topics.Post | None
    source: str  # the Markdown, for "edit and approve"
    context_posts: list[topics.Post]
    reports: list[Report]
    history: AuthorHistory
    sanctions: list[Sanction]


async def load(conn: Conn, item: Item) -> ItemView:
    return ItemView(
        post=await topics.get_post_for_moderation(conn, item.post_id),
        source=await topics.get_post_source(conn, item.post_id) or "",
        context_posts=await topics.list_context(conn, item.topic_id, item.post_number),
        reports=await queue_items.list_reports(conn, item.post_id, item.created_at),
        history=await queue_items.author_history(
            conn, item.author_id, item.group_id, item.identity
        ),
        sanctions=await sanctions.list_for(conn, item.author_id, item.group_id, item.identity),
    )
