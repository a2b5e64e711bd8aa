"""Private check-ins: a moderator writes to the author of a queue item's post (issue 18).

The moderator never learns who the author is: the message goes to the post's author id, which
only the server reads; the thread on the item names the author "the author". The author reads
it in their inbox (live) and in their notifications, with the group's crisis lines, and may
answer or say they are safe now; the answer goes back to the item for that group's moderators.
Every message is audited (who wrote, never what). Members may switch check-ins off in their
preferences; the moderator is then told that this author does not take check-ins.
"""

from __future__ import annotations

from forum.moderation import events
from forum.moderation.queue import ActionRefused
from forum.storage import audit, check_ins, notifications
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.storage.queue_items import Item

__all__ = ["DEFAULT_MESSAGE", "MAX_CHARS", "answer", "send"]

MAX_CHARS = 2000
DEFAULT_MESSAGE = (
    "Hi, I'm one of the moderators here. I saw your post and wanted to check in: how are you"
    " doing right now? You don't have to reply, but you can, here, privately. If you are in"
    " danger, please use one of the crisis lines below; they are there day and night."
)


def _clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise ActionRefused("Please write a message.")
    if len(body) > MAX_CHARS:
        raise ActionRefused(f"A check-in can be at most {MAX_CHARS:,} characters.")
    return body


async def send(conn: Conn, item: Item, moderator: Member, body: str) -> None:
    body = _clean(body)
    if item.post_state == "deleted":
        raise ActionRefused("Its author deleted this post.")
    async with conn.transaction():
        if not await check_ins.accepts_check_ins(conn, item.author_id):
            raise ActionRefused("This author has chosen not to receive check-ins.")
        await check_ins.add_from_moderator(
            conn, item_id=item.id, author_id=item.author_id, moderator_id=moderator.id, body=body
        )
        await notifications.notify(
            conn,
            item.author_id,
            "check-in",
            f"A moderator of {item.group_name} sent you a private check-in. Only you can read"
            " it, in your inbox.",
            post_id=item.post_id,
        )
        await audit.record(
            conn,
            actor_id=moderator.id,
            action="check-in",
            group_id=item.group_id,
            item_id=item.id,
            post_id=item.post_id,
            subject_id=item.author_id,
        )


async def answer(conn: Conn, item: Item, author: Member, body: str, *, safe: bool) -> None:
    """The author's reply (or "I'm safe now", with or without words)."""
    body = body.strip() or ("I'm safe now." if safe else "")
    body = _clean(body)
    async with conn.transaction():
        if (
            await check_ins.add_from_author(
                conn, item_id=item.id, author_id=author.id, body=body, safe=safe
            )
            is None
        ):
            raise ActionRefused("There is no check-in to answer here.")
        await audit.record(
            conn,
            actor_id=None,
            action="check-in-safe" if safe else "check-in-reply",
            group_id=item.group_id,
            item_id=item.id,
            post_id=item.post_id,
        )
        await events.notify(conn, events.Event(item.id, item.group_id, "updated"))
