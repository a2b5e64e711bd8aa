"""From draft to post: the limits on what may be saved and published, and publishing itself.

Saving is lenient (a draft may be half-written: no title yet, an empty body) but bounded, so a
draft is never refused for being unfinished, only for being larger than any post may be.
Publishing checks the finished shape, renders once (the same `markup.render` as the preview)
and, in one transaction, turns the draft into a topic or reply and removes the draft. If the
draft changed since the author looked at it (another tab), nothing is published. A draft that
names a published post (`edits_post_id`) is an edit: it goes through the same editor, preview,
checks and scan, and ends by updating that post instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum import markup
from forum.moderation import queue, sanctions
from forum.moderation.crisis import escalation, scanner
from forum.storage import drafts, groups, inbox, memberships, own_posts, posts, topics
from forum.storage.db import Conn
from forum.storage.drafts import Draft

TITLE_MIN, TITLE_MAX = 3, 150
BODY_MAX = 20_000
WARNING_MAX = 100


class PublishRefused(Exception):
    """The draft cannot be published as it is; the message says why, in plain words."""


class StaleDraft(Exception):
    """The draft was saved elsewhere after the version the author was looking at."""


@dataclass(frozen=True, slots=True)
class DraftFields:
    title: str
    body: str
    anonymous: bool
    content_warning: str


def save_problems(fields: DraftFields) -> list[str]:
    problems = []
    if len(fields.title) > TITLE_MAX:
        problems.append(
            f"The title is {len(fields.title):,} characters; it can be at most {TITLE_MAX}."
        )
    if len(fields.body) > BODY_MAX:
        problems.append(
            f"Your post is {len(fields.body):,} characters; it can be at most {BODY_MAX:,}."
            " Your text is still here: shorten it, or split it into two posts."
        )
    if len(fields.content_warning) > WARNING_MAX:
        problems.append(f"A content warning can be at most {WARNING_MAX} characters.")
    return problems


def publish_problems(draft: Draft) -> list[str]:
    fields = DraftFields(draft.title, draft.body, draft.anonymous, draft.content_warning)
    problems = save_problems(fields)
    if not draft.is_reply and len(draft.title.strip()) < TITLE_MIN:
        problems.append(f"Please give your topic a title of at least {TITLE_MIN} characters.")
    if not draft.body.strip():
        problems.append("Your post is empty. Write something before publishing.")
    return problems


def preview(draft: Draft) -> str:
    return markup.render(draft.body)


@dataclass(frozen=True, slots=True)
class Published:
    post: topics.NewPost
    crisis_level: str  # "none", "concern" or "urgent": the author is shown support at once


async def scan_draft(conn: Conn, draft: Draft) -> scanner.ScanResult:
    """The same scan publishing will run, for the preview."""
    lexicon = await escalation.lexicon_for(conn, draft.group_id)
    return scanner.scan(f"{draft.title}\n{draft.body}", lexicon)


async def _require_guidelines_accepted(conn: Conn, group: groups.Group, author_id: int) -> None:
    """A group with guidelines asks each member to accept them once, before their first post."""
    if group.guidelines and not await memberships.has_accepted_guidelines(
        conn, group.id, author_id
    ):
        raise PublishRefused(
            f"Before your first post in “{group.name}”, please read its guidelines on the group"
            " page and confirm that you accept them. Your draft is kept."
        )


async def publish(conn: Conn, draft: Draft) -> Published:
    """Publish `draft` exactly as read (its version); raises PublishRefused or StaleDraft."""
    if draft.edits_post_id is not None:
        return await _publish_edit(conn, draft)
    problems = publish_problems(draft)
    if problems:
        raise PublishRefused(" ".join(problems))
    group = await groups.get_group_by_slug(conn, draft.group_slug)
    if group is None or group.archived_at is not None:
        raise PublishRefused("This group is closed to new posts. Your draft is kept.")
    blocked = await sanctions.posting_block(conn, draft.author_id, group)
    if blocked:
        raise PublishRefused(blocked + " Your draft is kept.")
    if not await groups.is_active_member(conn, group.id, draft.author_id):
        raise PublishRefused(f"Join “{group.name}” to post there. Your draft is kept.")
    await _require_guidelines_accepted(conn, group, draft.author_id)
    if draft.anonymous and group.anonymous != "optional":
        raise PublishRefused(
            f"{group.name} no longer allows anonymous posts. Untick “post anonymously” and check"
            " the preview if you want to publish under your pseudonym."
        )
    scanned = scanner.scan(
        f"{draft.title}\n{draft.body}", await escalation.lexicon_for(conn, group.id)
    )
    urgent_hold = scanned.level == "urgent" and group.crisis_policy == "hold"
    held = urgent_hold or await queue.needs_review(conn, group, draft.author_id)
    persona = await groups.get_display_name(conn, group.id, draft.author_id)
    body_html = markup.render(draft.body)
    async with conn.transaction():
        if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
            raise StaleDraft()
        if draft.topic_id is None:
            new = await topics.create_topic(
                conn,
                group_id=group.id,
                author_id=draft.author_id,
                anonymous=draft.anonymous,
                title=draft.title.strip(),
                body_source=draft.body,
                body_html=body_html,
                content_warning=draft.content_warning.strip(),
                held=held,
                persona=persona,
            )
        else:
            reply = await topics.create_reply(
                conn,
                topic_id=draft.topic_id,
                author_id=draft.author_id,
                anonymous=draft.anonymous,
                body_source=draft.body,
                body_html=body_html,
                content_warning=draft.content_warning.strip(),
                held=held,
                persona=persona,
            )
            if reply is None:
                raise PublishRefused(
                    "This topic is no longer open for replies. Your draft is kept."
                )
            new = reply
        # Starting or replying follows the topic; a published reply reaches its followers.
        await inbox.follow_by_default(conn, new.topic_id, draft.author_id)
        if not held and draft.topic_id is not None:
            await inbox.deliver(conn, new.post_id)
        await _queue_for_moderators(conn, group, new.post_id, draft.author_id, scanned, held)
        return Published(new, scanned.level)


async def _queue_for_moderators(
    conn: Conn,
    group: groups.Group,
    post_id: int,
    author_id: int,
    scanned: scanner.ScanResult,
    held: bool,
) -> None:
    """A crisis match goes to the crisis queue (held or not); otherwise a held post waits in the
    pre-moderation queue. New posts and edits take the same road."""
    if scanned.level != "none":
        await escalation.flag(
            conn, group=group, post_id=post_id, author_id=author_id, result=scanned, held=held
        )
    elif held:
        await queue.hold(conn, group=group, post_id=post_id, author_id=author_id)


async def _publish_edit(conn: Conn, draft: Draft) -> Published:
    """Apply an edit draft (`drafts.edits_post_id`) to its post, in place.

    The same checks, render and crisis scan as a new post; the post keeps its place, number and
    anonymity, its old text goes to `post_versions`, and it is marked edited. An edit that turns
    urgent under a "hold" policy, or that pre-moderation would have held, takes the post down
    (`hidden`) until a moderator has looked, as a new post would wait; approving puts it back.
    """
    assert draft.edits_post_id is not None
    problems = publish_problems(draft)
    if problems:
        raise PublishRefused(" ".join(problems))
    post = await own_posts.get_own_post(conn, draft.edits_post_id, draft.author_id)
    if post is None or post.state != "published":
        raise PublishRefused(
            "This post can no longer be edited: it was taken down or deleted. Your text is kept"
            " in this draft."
        )
    if (draft.body, draft.content_warning.strip()) == (post.body_source, post.content_warning):
        # Nothing changed: no "edited" mark, no history entry, no new scan; the draft goes.
        if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
            raise StaleDraft()
        return Published(topics.NewPost(post.topic_id, post.id, post.number), "none")
    group = await groups.get_group_by_slug(conn, draft.group_slug)
    if group is None or group.archived_at is not None:
        raise PublishRefused("This group is closed to new posts. Your draft is kept.")
    blocked = await sanctions.posting_block(conn, draft.author_id, group)
    if blocked:
        raise PublishRefused(blocked + " Your draft is kept.")
    if not await groups.is_active_member(conn, group.id, draft.author_id):
        raise PublishRefused(f"Join “{group.name}” to edit your post. Your draft is kept.")
    scanned = scanner.scan(draft.body, await escalation.lexicon_for(conn, group.id))
    urgent_hold = scanned.level == "urgent" and group.crisis_policy == "hold"
    held = urgent_hold or await queue.needs_review(conn, group, draft.author_id)
    async with conn.transaction():
        if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
            raise StaleDraft()
        if not await own_posts.apply_edit(
            conn,
            post.id,
            draft.author_id,
            body_source=draft.body,
            body_html=markup.render(draft.body),
            content_warning=draft.content_warning.strip(),
        ):
            raise PublishRefused("This post can no longer be edited. Your draft is kept.")
        if held:
            await posts.hide(conn, post.id)
        await _queue_for_moderators(conn, group, post.id, draft.author_id, scanned, held)
    return Published(topics.NewPost(post.topic_id, post.id, post.number, held=held), scanned.level)
