"""From draft to post: the limits on what may be saved and published, saving, and publishing.

Saving is lenient (a draft may be half-written: no title yet, an empty body) but bounded, so a
draft is never refused for being unfinished, only for being larger than any post may be.
Publishing checks the finished shape, renders once (the same `markup.render` as the preview)
and, in one transaction, turns the draft into a topic or reply and removes the draft. If the
draft changed since the author looked at it (another tab), nothing is saved or published:
`StaleDraft` carries the draft as it now stands. A draft that names a published post
(`edits_post_id`) is an edit: it goes through the same editor, preview, `may_post` check and
crisis scan (of the same fields), and ends by updating that post instead of adding one.
"""

from __future__ import annotations

import asyncio
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


class DraftRefused(Exception):
    """The draft cannot be saved or published as it is; `problems` say why, in plain words."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


class StaleDraft(Exception):
    """The draft was saved elsewhere after the version the author was looking at; `current` is
    the draft as it now stands (None: it is gone, published or deleted from another tab)."""

    def __init__(self, current: Draft | None) -> None:
        super().__init__("stale draft")
        self.current = current


@dataclass(frozen=True, slots=True)
class DraftFields:
    title: str
    body: str
    anonymous: bool
    content_warning: str

    @classmethod
    def of(cls, draft: Draft) -> DraftFields:
        return cls(draft.title, draft.body, draft.anonymous, draft.content_warning)


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
    return problems + markup.problems(fields.body)


def publish_problems(draft: Draft) -> list[str]:
    problems = save_problems(DraftFields.of(draft))
    if not draft.is_reply and len(draft.title.strip()) < TITLE_MIN:
        problems.append(f"Please give your topic a title of at least {TITLE_MIN} characters.")
    if not draft.body.strip():
        problems.append("Your post is empty. Write something before publishing.")
    return problems


async def save(conn: Conn, draft: Draft, fields: DraftFields, *, version: int) -> Draft:
    """Save `fields` over `draft` as of `version`; the saved draft.

    Raises DraftRefused (too large) or StaleDraft (saved from another tab since). An edit keeps
    the anonymity its post was published with; a new post is anonymous only where the group
    offers it."""
    problems = save_problems(fields)
    if problems:
        raise DraftRefused(*problems)
    anonymous = (
        draft.anonymous
        if draft.edits_post_id
        else fields.anonymous and (draft.group_anonymous == "optional")
    )
    saved = await drafts.save_draft(
        conn,
        draft.id,
        draft.author_id,
        version=version,
        title=fields.title,
        body=fields.body,
        anonymous=anonymous,
        content_warning=fields.content_warning,
    )
    if saved is None:
        raise StaleDraft(await drafts.get_own_draft(conn, draft.id, draft.author_id))
    return saved


def check_still_anonymous(asked: Draft, saved: Draft, pseudonym: str) -> None:
    """Raise DraftRefused if saving dropped anonymity the author asked for: the group stopped
    offering it since the draft was written. Never publish under the member's pseudonym before
    they have seen that in the preview."""
    if asked.anonymous and not saved.anonymous and saved.group_anonymous != "optional":
        raise DraftRefused(
            f"{saved.group_name} no longer allows anonymous posts, so this would appear under"
            f" your pseudonym “{pseudonym}”. Your draft is saved; publish again if that is what"
            " you want."
        )


async def rendered(conn: Conn, draft: Draft) -> str:
    """The draft's body as HTML, rendered once per saved version and stored: the preview and the
    published post are the same bytes. Rendering runs off the event loop (it is bounded by
    `markup.problems`, but a large post still takes a moment); raises DraftRefused for a body
    over those bounds (one saved before they existed)."""
    stored = draft.stored_preview
    if stored is not None:
        return stored
    try:
        html = await asyncio.to_thread(markup.render, draft.body)
    except markup.TooComplex as exc:
        raise DraftRefused(str(exc)) from None
    await drafts.store_preview(conn, draft.id, draft.version, html)
    return html


def scanned_text(draft: Draft) -> str:
    """What the crisis scanner reads of a draft: its title and body, for new posts and edits."""
    return f"{draft.title}\n{draft.body}"


async def scan_draft(conn: Conn, draft: Draft) -> scanner.ScanResult:
    """The same scan publishing runs, for the preview."""
    return scanner.scan(scanned_text(draft), await escalation.lexicon_for(conn, draft.group_id))


@dataclass(frozen=True, slots=True)
class Published:
    post: topics.NewPost
    crisis_level: str  # "none", "concern" or "urgent": the author is shown support at once


async def may_post(conn: Conn, draft: Draft) -> groups.Group:
    """The group `draft` may be published in now; raises DraftRefused saying why not.

    One check for new posts and edits: the finished shape, an open group, no sanction, active
    membership; a new post also needs the group's guidelines accepted, and anonymity offered."""
    problems = publish_problems(draft)
    if problems:
        raise DraftRefused(*problems)
    group = await groups.get_group_by_slug(conn, draft.group_slug)
    if group is None or group.archived_at is not None:
        raise DraftRefused("This group is closed to new posts. Your draft is kept.")
    blocked = await sanctions.posting_block(conn, draft.author_id, group)
    if blocked:
        raise DraftRefused(blocked + " Your draft is kept.")
    editing = draft.edits_post_id is not None
    if not await groups.is_active_member(conn, group.id, draft.author_id):
        what = "edit your post" if editing else "post there"
        raise DraftRefused(f"Join “{group.name}” to {what}. Your draft is kept.")
    if editing:
        return group
    if group.guidelines and not await memberships.has_accepted_guidelines(
        conn, group.id, draft.author_id
    ):
        raise DraftRefused(
            f"Before your first post in “{group.name}”, please read its guidelines on the group"
            " page and confirm that you accept them. Your draft is kept."
        )
    if draft.anonymous and group.anonymous != "optional":
        raise DraftRefused(
            f"{group.name} no longer allows anonymous posts. Untick “post anonymously” and check"
            " the preview if you want to publish under your pseudonym."
        )
    return group


@dataclass(frozen=True, slots=True)
class _Review:
    """What the scan and pre-moderation decided for a post about to go out."""

    scanned: scanner.ScanResult
    held: bool


async def _review(conn: Conn, group: groups.Group, draft: Draft) -> _Review:
    scanned = scanner.scan(scanned_text(draft), await escalation.lexicon_for(conn, group.id))
    urgent_hold = scanned.level == "urgent" and group.crisis_policy == "hold"
    return _Review(scanned, urgent_hold or await queue.needs_review(conn, group, draft.author_id))


async def publish(conn: Conn, draft: Draft) -> Published:
    """Publish `draft` exactly as read (its version); raises DraftRefused or StaleDraft."""
    if draft.edits_post_id is not None:
        return await _publish_edit(conn, draft)
    group = await may_post(conn, draft)
    review = await _review(conn, group, draft)
    persona = await groups.get_display_name(conn, group.id, draft.author_id)
    body_html = await rendered(conn, draft)
    async with conn.transaction():
        await _take_draft(conn, draft)
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
                held=review.held,
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
                held=review.held,
                persona=persona,
            )
            if reply is None:
                raise DraftRefused("This topic is no longer open for replies. Your draft is kept.")
            new = reply
        await drafts.record_published(conn, draft.id, draft.author_id, new.post_id)
        # Starting or replying follows the topic; a published reply reaches its followers.
        await inbox.follow_by_default(conn, new.topic_id, draft.author_id)
        if not review.held and draft.topic_id is not None:
            await inbox.deliver(conn, new.post_id)
        await _queue_for_moderators(conn, group, new.post_id, draft.author_id, review)
        return Published(new, review.scanned.level)


async def _take_draft(conn: Conn, draft: Draft) -> None:
    """Remove the draft being published, or raise StaleDraft if it changed since it was read."""
    if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
        raise StaleDraft(await drafts.get_own_draft(conn, draft.id, draft.author_id))


async def _queue_for_moderators(
    conn: Conn, group: groups.Group, post_id: int, author_id: int, review: _Review
) -> None:
    """A crisis match goes to the crisis queue (held or not); otherwise a held post waits in the
    pre-moderation queue. New posts and edits take the same road."""
    if review.scanned.level != "none":
        await escalation.flag(
            conn,
            group=group,
            post_id=post_id,
            author_id=author_id,
            result=review.scanned,
            held=review.held,
        )
    elif review.held:
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
        raise DraftRefused(*problems)
    post = await own_posts.get_own_post(conn, draft.edits_post_id, draft.author_id)
    if post is None or post.state != "published":
        raise DraftRefused(
            "This post can no longer be edited: it was taken down or deleted. Your text is kept"
            " in this draft."
        )
    if (draft.body, draft.content_warning.strip()) == (post.body_source, post.content_warning):
        # Nothing changed: no "edited" mark, no history entry, no new scan; the draft goes.
        async with conn.transaction():
            await _take_draft(conn, draft)
            await drafts.record_published(conn, draft.id, draft.author_id, post.id)
        return Published(topics.NewPost(post.topic_id, post.id, post.number), "none")
    group = await may_post(conn, draft)
    review = await _review(conn, group, draft)
    body_html = await rendered(conn, draft)
    async with conn.transaction():
        await _take_draft(conn, draft)
        if not await own_posts.apply_edit(
            conn,
            post.id,
            draft.author_id,
            body_source=draft.body,
            body_html=body_html,
            content_warning=draft.content_warning.strip(),
        ):
            raise DraftRefused("This post can no longer be edited. Your draft is kept.")
        await drafts.record_published(conn, draft.id, draft.author_id, post.id)
        if review.held:
            await posts.hide(conn, post.id)
        await _queue_for_moderators(conn, group, post.id, draft.author_id, review)
    published = topics.NewPost(post.topic_id, post.id, post.number, held=review.held)
    return Published(published, review.scanned.level)


@dataclass(frozen=True, slots=True)
class Kept:
    """Where a tab's text went when its draft had been published from elsewhere."""

    draft_id: int
    as_edit: bool  # an edit of the published post (else a new draft for the same place)


async def keep_typed(conn: Conn, author_id: int, became: drafts.Became, typed: DraftFields) -> Kept:
    """A save or publish from a tab that did not know its draft had been published (in another
    tab, or by a retry): keep what was typed there as a fresh draft, never lose it. An edit of
    the post while it can be edited and no other edit of it is open (that one is not
    overwritten); otherwise a draft for the same place: a reply in the topic, or a new topic in
    the group when the post opened one. An edit cannot retitle a topic, so a new title goes
    to a new draft too. The caller checks `save_problems` first."""
    retitled = became.opening and typed.title.strip() != became.topic_title
    if became.state == "published" and not retitled:
        edit = await own_posts.start_edit_with(
            conn, became.post_id, author_id, body=typed.body, content_warning=typed.content_warning
        )
        if edit is not None:
            return Kept(edit, as_edit=True)
    draft_id = await drafts.create_draft(
        conn,
        author_id,
        became.group_id,
        None if became.opening else became.topic_id,
        title=typed.title if became.opening else "",
        body=typed.body,
        anonymous=typed.anonymous and became.anonymous_allowed,
        content_warning=typed.content_warning,
    )
    return Kept(draft_id, as_edit=False)
