"""Unmasking the author of one anonymous post: admins only, with a written reason, on the record.

The reveal is an audit-log entry naming the admin, the post and the reason; the author is told
at once that their post was unmasked and why. Nothing else in the forum ever joins an anonymous
post to its author for display.
"""

from __future__ import annotations

from forum.moderation.queue import ActionRefused
from forum.storage import audit, notifications, posts
from forum.storage.db import Conn
from forum.storage.members import Member

REASON_MIN = 10


async def reveal_author(conn: Conn, admin: Member, post_id: int, reason: str) -> int:
    """Record the reveal and tell the author; returns the audit entry that shows the name."""
    if not admin.is_admin:
        raise PermissionError("only admins reveal authors")
    reason = reason.strip()[:1000]
    if len(reason) < REASON_MIN:
        raise ActionRefused(
            "Please write why the author must be revealed (at least a sentence): the reason is"
            " kept in the log and sent to the member."
        )
    found = await posts.get_anonymous_post(conn, post_id)
    if found is None:
        raise ActionRefused("Only an anonymous post's author can be revealed.")
    group_id, group_name, author_id = found
    async with conn.transaction():
        entry_id = await audit.record(
            conn,
            actor_id=admin.id,
            action="reveal",
            group_id=group_id,
            post_id=post_id,
            subject_id=author_id,
            reason=reason,
        )
        await notifications.notify(
            conn,
            author_id,
            "revealed",
            f"An admin looked up who wrote one of your anonymous posts in {group_name}. Their"
            f" reason: {reason}. Your name was shown to that admin only, not to other members.",
            post_id=post_id,
        )
    return entry_id
