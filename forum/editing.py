"""Editing a published post: the edit is a draft that names the post (`drafts.edits_post_id`).

So an edit gets everything a new post gets: the same editor, preview and support panel while
writing, and at publish the same checks, sanitising render and crisis scan. What differs is the
ending: the post keeps its place, number and anonymity, the text it had is kept for moderators
(`storage.own_posts.apply_edit`), and it is marked edited. An edit that turns urgent under a
"hold" crisis policy, or that pre-moderation would have held, takes the post down (`hidden`)
until a moderator has looked, exactly as a new post would wait; approving it puts it back.
"""

from __future__ import annotations

from forum import markup, posting
from forum.moderation import crisis, escalation, sanctions
from forum.moderation import queue as mod_queue
from forum.storage import drafts, groups, own_posts, posts, topics
from forum.storage.db import Conn
from forum.storage.drafts import Draft


async def publish_edit(conn: Conn, draft: Draft) -> posting.Published:
    """Apply an edit draft to its post; raises posting.PublishRefused or posting.StaleDraft."""
    assert draft.edits_post_id is not None
    problems = posting.publish_problems(draft)
    if problems:
        raise posting.PublishRefused(" ".join(problems))
    post = await own_posts.get_own_post(conn, draft.edits_post_id, draft.author_id)
    if post is None or post.state != "published":
        raise posting.PublishRefused(
            "This post can no longer be edited: it was taken down or deleted. Your text is kept"
            " in this draft."
        )
    if (draft.body, draft.content_warning.strip()) == (post.body_source, post.content_warning):
        # Nothing changed: no "edited" mark, no history entry, no new scan; the draft goes.
        if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
            raise posting.StaleDraft()
        return posting.Published(topics.NewPost(post.topic_id, post.id, post.number), "none")
    group = await groups.get_group_by_slug(conn, draft.group_slug)
    if group is None or group.archived_at is not None:
        raise posting.PublishRefused("This group is closed to new posts. Your draft is kept.")
    blocked = await sanctions.posting_block(conn, draft.author_id, group)
    if blocked:
        raise posting.PublishRefused(blocked + " Your draft is kept.")
    if not await groups.is_active_member(conn, group.id, draft.author_id):
        raise posting.PublishRefused(f"Join “{group.name}” to edit your post. Your draft is kept.")
    scanned = crisis.scan(draft.body, await escalation.lexicon_for(conn, group.id))
    urgent_hold = scanned.level == "urgent" and group.crisis_policy == "hold"
    held = urgent_hold or await mod_queue.needs_review(conn, group, draft.author_id)
    async with conn.transaction():
        if not await drafts.delete_published_draft(conn, draft.id, draft.author_id, draft.version):
            raise posting.StaleDraft()
        if not await own_posts.apply_edit(
            conn,
            post.id,
            draft.author_id,
            body_source=draft.body,
            body_html=markup.render(draft.body),
            content_warning=draft.content_warning.strip(),
        ):
            raise posting.PublishRefused("This post can no longer be edited. Your draft is kept.")
        if held:
            await posts.hide(conn, post.id)
        if scanned.level != "none":
            await escalation.flag(
                conn,
                group=group,
                post_id=post.id,
                author_id=draft.author_id,
                result=scanned,
                held=held,
            )
        elif held:
            await mod_queue.hold(conn, group=group, post_id=post.id, author_id=draft.author_id)
    return posting.Published(
        topics.NewPost(post.topic_id, post.id, post.number, held=held), scanned.level
    )
