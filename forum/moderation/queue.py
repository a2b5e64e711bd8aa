"""Moderation decisions: what enters the queue and what moderators do with it.

Each action is one transaction: a conditional UPDATE of the item (so of two moderators acting at
once exactly one wins; the other gets `ActionConflict` with the item as it now stands), the
change to the post, one audit-log row, the author's notification and a NOTIFY for live queues.
Actions return nothing on success and are safe to retry: a repeat finds the item closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from forum import markup
from forum.moderation import events, reasons
from forum.moderation.events import Event
from forum.storage import audit, inbox, moderators, notifications, posts, queue_items
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.queue_items import Item

REPORT_REASONS = {
    "crisis": "Someone may be at risk",
    "harassment": "Harassment or bullying",
    "hate": "Hateful or discriminatory",
    "spam": "Spam or advertising",
    "identifying": "Shares identifying or private information",
    "medical": "Harmful medical advice",
    "other": "Something else",
}


class ActionConflict(Exception):
    """Someone else got there first; `item` is how it stands now."""

    def __init__(self, item: Item | None) -> None:
        super().__init__("conflict")
        self.item = item


class ActionRefused(Exception):
    """The action does not apply to this item as it is (the message says why)."""


async def scope(conn: Conn, member: Member) -> list[int] | None:
    """The groups a member moderates: None means all of them (admins)."""
    if member.is_admin:
        return None
    return await moderators.moderated_group_ids(conn, member.id)


async def is_moderator(conn: Conn, member: Member | None) -> bool:
    if member is None:
        return False
    return member.is_admin or bool(await moderators.moderated_group_ids(conn, member.id))


async def get_visible_item(conn: Conn, item_id: int, member: Member) -> Item | None:
    item = await queue_items.get_item(conn, item_id)
    if item is None:
        return None
    allowed = await scope(conn, member)
    return item if allowed is None or item.group_id in allowed else None


async def needs_review(conn: Conn, group: Group, author_id: int) -> bool:
    """Pre-moderation: should this author's next post in this group wait for a moderator?"""
    if group.moderation == "open":
        return False
    if await moderators.is_moderator(conn, group.id, author_id):
        return False
    if group.moderation == "all":
        return True
    published = await posts.count_published_in_group(
        conn, author_id, group.id, up_to=group.moderation_first_posts
    )
    return published < group.moderation_first_posts


async def hold(conn: Conn, *, group: Group, post_id: int, author_id: int) -> int:
    """Queue a just-written held post. Call inside the publishing transaction."""
    item_id, _ = await queue_items.open_item(
        conn, group_id=group.id, post_id=post_id, kind="held", priority=queue_items.PRIORITY["held"]
    )
    await audit.record(
        conn,
        actor_id=None,
        action="hold",
        group_id=group.id,
        item_id=item_id,
        post_id=post_id,
        reason=f"pre-moderation: {group.moderation}",
    )
    await notifications.notify(
        conn,
        author_id,
        "held",
        f"Your post in {group.name} is waiting for a moderator. Only you"
        " can see it until then; you'll hear here when it has been reviewed.",
        post_id=post_id,
    )
    await events.notify(conn, Event(item_id, group.id, "opened"))
    return item_id


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    new_report: bool
    hidden: bool


class _AlreadyReported(Exception):
    """Rolls back the item opened for a report that turned out to be a repeat."""


async def report(
    conn: Conn, *, post_id: int, group: Group, reporter: Member, reason: str, details: str
) -> ReportOutcome:
    """File a member's report; hide the post once enough different members have reported it."""
    try:
        async with conn.transaction():
            # The item first, then the report: concurrent reports on a post queue up on the item
            # row, and each report is stamped after that item exists, so it always counts towards
            # it (even one whose request began before another request opened the item).
            # "Someone may be at risk" goes to the crisis section, ahead of held posts.
            kind, priority = (
                ("crisis", queue_items.PRIORITY["crisis-concern"])
                if reason == "crisis"
                else ("report", queue_items.PRIORITY["report"])
            )
            item_id, opened = await queue_items.open_item(
                conn, group_id=group.id, post_id=post_id, kind=kind, priority=priority
            )
            if not await queue_items.create_report(conn, post_id, reporter.id, reason, details):
                raise _AlreadyReported
            item = await queue_items.get_item(conn, item_id)
            assert item is not None
            # Worried readers never take down the post of the person they worry about: a crisis
            # report escalates (above) and does not count towards hiding. Others count by their
            # reporters' standing, so a few fresh accounts cannot hide a post.
            weight = await queue_items.weigh_reporters_since(conn, post_id, item.created_at)
            hidden = (
                kind != "crisis"
                and weight >= group.report_hide_threshold
                and await posts.hide(conn, post_id)
            )
            reporters = await queue_items.count_reporters_since(conn, post_id, item.created_at)
            if hidden:
                await audit.record(
                    conn,
                    actor_id=None,
                    action="auto-hide",
                    group_id=group.id,
                    item_id=item_id,
                    post_id=post_id,
                    reason=f"reported by {reporters} members",
                )
                # Done by the forum, not a person, and only until one has looked: the author is
                # told so. What the moderator then decides comes with its reasons, to appeal.
                await notifications.notify(
                    conn,
                    item.author_id,
                    "hidden",
                    f"Your post in {group.name} was hidden automatically after several members"
                    " reported it, until a moderator has looked. No person has decided anything"
                    " yet; you'll hear here what they decide, and why.",
                    post_id=post_id,
                )
            await events.notify(conn, Event(item_id, group.id, "opened" if opened else "updated"))
    except _AlreadyReported:  # nothing new: the transaction above is rolled back
        return ReportOutcome(new_report=False, hidden=False)
    return ReportOutcome(new_report=True, hidden=hidden)


async def _decided(conn: Conn, item: Item, moderator: Member, outcome: str) -> None:
    """Close the item (or raise ActionConflict) and any other open items on the same post."""
    if not await queue_items.close(conn, item.id, moderator.id, outcome):
        raise ActionConflict(await queue_items.get_item(conn, item.id))
    for other in await queue_items.close_other_open_items(
        conn, item.post_id, moderator.id, outcome
    ):
        await events.notify(conn, Event(other, item.group_id, "closed"))
    await events.notify(conn, Event(item.id, item.group_id, "closed"))


async def _record(conn: Conn, item: Item, moderator: Member, action: str, reason: str = "") -> None:
    """One audit-log row for a moderator's action on an item; the post's author is its subject."""
    await audit.record(
        conn,
        actor_id=moderator.id,
        action=action,
        group_id=item.group_id,
        item_id=item.id,
        post_id=item.post_id,
        subject_id=item.author_id,
        reason=reason,
    )


async def _tell_author(conn: Conn, item: Item, kind: str, message: str) -> None:
    await notifications.notify(conn, item.author_id, kind, message, post_id=item.post_id)


async def claim(conn: Conn, item: Item, moderator: Member) -> None:
    async with conn.transaction():
        if not await queue_items.claim(conn, item.id, moderator.id):
            raise ActionConflict(await queue_items.get_item(conn, item.id))
        await _record(conn, item, moderator, "claim")
        await events.notify(conn, Event(item.id, item.group_id, "claimed"))


async def approve(
    conn: Conn, item: Item, moderator: Member, *, new_body: str | None = None, reason: str = ""
) -> None:
    """Publish a held post, or keep (and un-hide) a reported one; optionally edit it first.

    An edit needs a reason: the author's own text is kept beside it (they and the moderators can
    read it), and the author is told what changed and why, and that they may withdraw the post."""
    reason = reason.strip()[:1000]
    if new_body is not None and item.post_state == "deleted":
        raise ActionRefused("Its author deleted this post: there is nothing to edit.")
    if new_body is not None and not reason:
        raise ActionRefused("Please say why you edited the post: the author is told.")
    if new_body is not None and (found := markup.problems(new_body)):
        raise ActionRefused(" ".join(found))
    new_html = None if new_body is None else await asyncio.to_thread(markup.render, new_body)
    async with conn.transaction():
        await _decided(conn, item, moderator, "approved")
        if new_body is not None and new_html is not None:
            if not await posts.replace_body(conn, item.post_id, new_body, new_html, reason=reason):
                raise ActionRefused("Its author deleted this post: there is nothing to edit.")
            await _record(conn, item, moderator, "edit-approve", reason)
            edited = (
                f"A moderator of {item.group_name} edited your post before approving it: {reason}."
                " Your own text is kept under the post's edit history. If you would rather not"
                " have the edited version up, you can delete the post from Your posts."
            )
            await _tell_author(conn, item, "edited", edited)
        else:
            await _record(conn, item, moderator, "approve")
        was_held = await posts.publish_held(conn, item.post_id) is not None
        await posts.unhide(conn, item.post_id)
        if was_held:
            await inbox.deliver(conn, item.post_id)  # replies reach followers once visible
            visible = (
                f"Your post in {item.group_name} was approved and is now visible to the group."
            )
            await _tell_author(conn, item, "approved", visible)


async def reject(
    conn: Conn, item: Item, moderator: Member, reason: str, *, group: Group, rule: str | None = None
) -> None:
    """Take the post down (a held post is never shown) and send the author the statement of
    reasons: the rule (`rule`, a key from `reasons.choices`), the facts (`reason`) and how to
    appeal."""
    if not reason.strip():
        raise ActionRefused("Please give a reason: it is sent to the author.")
    named = await reasons.chosen(conn, group, rule)
    if named is None:
        raise ActionRefused("Choose the rule the post broke from the list.")
    facts = reason.strip()[:1000]
    async with conn.transaction():
        await _decided(conn, item, moderator, "rejected")
        taken = await posts.take_down(conn, item.post_id)
        await _record(conn, item, moderator, "reject", facts)
        if taken is None:  # its author deleted it meanwhile: nothing was done to them
            return
        await reasons.tell(
            conn,
            member_id=item.author_id,
            group=group,
            kind="reject" if taken == "rejected" else "remove-post",
            notice="rejected",
            post_id=item.post_id,
            sanction_id=None,
            rule=named,
            facts=facts,
            detected=reasons.detected_by(item),
            decided_by=moderator.id,
            message=f"A moderator removed your post in {item.group_name}. Their reason: {facts}",
        )


async def resolve(conn: Conn, item: Item, moderator: Member, note: str) -> None:
    """Close an item that needs nothing done to the post (it stays as it is)."""
    if item.post_state in ("held", "hidden"):
        raise ActionRefused("This post is not visible yet: approve or reject it instead.")
    async with conn.transaction():
        await _decided(conn, item, moderator, "resolved")
        await _record(conn, item, moderator, "resolve", note.strip())


async def escalate(conn: Conn, item: Item, moderator: Member, note: str) -> None:
    """Ask the admins to look: they are notified and the item shows as escalated."""
    async with conn.transaction():
        if not await queue_items.escalate(conn, item.id, moderator.id):
            current = await queue_items.get_item(conn, item.id)
            if current is not None and current.state == "open" and current.escalated_at:
                raise ActionRefused("This item has already been escalated to the admins.")
            raise ActionConflict(current)
        await _record(conn, item, moderator, "escalate", note.strip())
        await notifications.notify_all(
            conn,
            await moderators.list_admin_ids(conn),
            "escalated",
            f"A moderator of {item.group_name} asked the admins to look at queue item #{item.id}.",
            post_id=item.post_id,
        )
        await events.notify(conn, Event(item.id, item.group_id, "escalated"))
