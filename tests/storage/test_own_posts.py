"""forum.storage.own_posts against a real database: every function filters on the author, edits
keep the text they replace, and the author's own list (anonymous posts included) is theirs alone."""

from __future__ import annotations

import asyncpg

from forum import markup
from forum.storage import drafts, own_posts
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.own_posts import OwnPost
from tests.factories import MakeGroup, Publish, make_reply, make_topic


async def _edit(db: asyncpg.Connection, post_id: int, author: Member, body: str) -> bool:
    return await own_posts.apply_edit(
        db, post_id, author.id, body_source=body, body_html=f"<p>{body}</p>", content_warning=""
    )


async def _own_post(db: asyncpg.Connection, post_id: int, author: Member) -> OwnPost:
    """The author's post, which get_own_post must find."""
    post = await own_posts.get_own_post(db, post_id, author.id)
    assert post is not None
    return post


async def test_get_own_post_finds_the_authors_post_with_its_group(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="my words", anonymous=True, warning="loss")
    post = await _own_post(db, new.post_id, replier)
    assert (post.topic_id, post.group_id, post.number, post.state) == (
        new.topic_id,
        grief.id,
        1,
        "published",
    )
    assert (post.anonymous, post.body_source, post.content_warning) == (True, "my words", "loss")


async def test_get_own_post_finds_nothing_for_another_member_or_an_unknown_id(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, anonymous=True)
    assert await own_posts.get_own_post(db, new.post_id, starter.id) is None
    assert await own_posts.get_own_post(db, 424242, replier.id) is None


async def test_start_edit_copies_the_post_into_a_draft_that_names_it(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="as written", anonymous=True, warning="cw")
    post = await _own_post(db, new.post_id, replier)
    draft = await drafts.get_own_draft(
        db, await own_posts.start_edit(db, post, replier.id), replier.id
    )
    assert draft is not None
    assert (draft.edits_post_id, draft.topic_id, draft.group_id) == (
        new.post_id,
        new.topic_id,
        grief.id,
    )
    assert (draft.body, draft.anonymous, draft.content_warning) == ("as written", True, "cw")


async def test_start_edit_again_returns_the_open_edit_with_its_unsaved_changes(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="as written")
    post = await _own_post(db, new.post_id, replier)
    draft_id = await own_posts.start_edit(db, post, replier.id)
    await drafts.save_draft(
        db,
        draft_id,
        replier.id,
        version=1,
        title="",
        body="half way through my edit",
        anonymous=False,
        content_warning="",
    )
    assert await own_posts.start_edit(db, post, replier.id) == draft_id
    draft = await drafts.get_own_draft(db, draft_id, replier.id)
    assert draft is not None
    assert draft.body == "half way through my edit"
    assert await db.fetchval("SELECT count(*) FROM drafts") == 1


async def test_apply_edit_replaces_the_text_and_keeps_the_old_one(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="before", warning="old warning")
    assert await own_posts.apply_edit(
        db,
        new.post_id,
        replier.id,
        body_source="after",
        body_html="<p>after</p>",
        content_warning="new warning",
    )
    row = await db.fetchrow(
        "SELECT body_source, body_html, content_warning, created_at, edited_at FROM posts"
        " WHERE id = $1",
        new.post_id,
    )
    assert row is not None
    assert (row["body_source"], row["body_html"], row["content_warning"]) == (
        "after",
        "<p>after</p>",
        "new warning",
    )
    assert row["edited_at"] is not None
    [version] = await own_posts.list_versions(db, new.post_id)
    assert (version.body_html, version.content_warning) == (markup.render("before"), "old warning")
    assert version.written_at == row["created_at"]


async def test_each_version_was_written_when_the_text_before_it_was_replaced(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="one")
    await _edit(db, new.post_id, replier, "two")
    await _edit(db, new.post_id, replier, "three")
    first, second = await own_posts.list_versions(db, new.post_id)
    assert (first.body_html, second.body_html) == (markup.render("one"), "<p>two</p>")
    assert second.written_at == first.replaced_at
    assert first.id < second.id


async def test_apply_edit_by_another_member_changes_nothing_and_keeps_no_version(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="mine")
    assert not await _edit(db, new.post_id, starter, "hijacked")
    assert await db.fetchval("SELECT body_source FROM posts WHERE id = $1", new.post_id) == "mine"
    assert await own_posts.list_versions(db, new.post_id) == []


async def test_apply_edit_of_a_post_no_longer_published_returns_false_and_keeps_no_version(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    new = await make_topic(db, grief, replier, body="taken down")
    await db.execute("UPDATE posts SET state = 'hidden' WHERE id = $1", new.post_id)
    assert not await _edit(db, new.post_id, replier, "sneaky edit")
    assert await db.fetchval("SELECT body_source FROM posts WHERE id = $1", new.post_id) == (
        "taken down"
    )
    assert await own_posts.list_versions(db, new.post_id) == []


async def test_delete_own_post_marks_it_deleted_and_keeps_its_number(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    reply = await make_reply(db, topic.topic_id, replier)
    assert await own_posts.delete_own_post(db, reply.post_id, replier.id)
    post = await _own_post(db, reply.post_id, replier)
    assert (post.state, post.number) == ("deleted", reply.number)


async def test_delete_own_post_refuses_another_members_post_and_a_repeat(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    new = await make_topic(db, grief, replier)
    assert not await own_posts.delete_own_post(db, new.post_id, starter.id)
    assert await own_posts.delete_own_post(db, new.post_id, replier.id)
    assert not await own_posts.delete_own_post(db, new.post_id, replier.id)


async def test_delete_own_post_leaves_a_post_held_for_review_as_it_is(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, publish: Publish
) -> None:
    group = await make_group(moderation="all", members_=[member])
    held = await publish(member, group)
    assert not await own_posts.delete_own_post(db, held.post_id, member.id)
    assert await db.fetchval("SELECT state FROM posts WHERE id = $1", held.post_id) == "held"


async def test_list_own_posts_lists_the_authors_posts_anonymous_ones_included_newest_first(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter, "Their topic")
    named = await make_reply(db, topic.topic_id, replier, body="signed")
    hidden = await make_reply(db, topic.topic_id, replier, body="unsigned", anonymous=True)
    await make_reply(db, topic.topic_id, starter, body="theirs")
    listed = await own_posts.list_own_posts(db, replier.id, before_id=None, limit=10)
    assert [(p.id, p.anonymous, p.excerpt) for p in listed] == [
        (hidden.post_id, True, "unsigned"),
        (named.post_id, False, "signed"),
    ]
    assert {(p.topic_title, p.group_name) for p in listed} == {("Their topic", "Grief")}


async def test_list_own_posts_never_lists_someone_elses_anonymous_posts(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    await make_topic(db, grief, replier, "Anonymous topic", anonymous=True)
    assert await own_posts.list_own_posts(db, starter.id, before_id=None, limit=10) == []


async def test_list_own_posts_pages_by_id_before_the_cursor(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    topic = await make_topic(db, grief, replier)
    replies = [await make_reply(db, topic.topic_id, replier) for _ in range(4)]
    ids = [topic.post_id] + [r.post_id for r in replies]
    first = await own_posts.list_own_posts(db, replier.id, before_id=None, limit=2)
    second = await own_posts.list_own_posts(db, replier.id, before_id=first[-1].id, limit=2)
    last = await own_posts.list_own_posts(db, replier.id, before_id=second[-1].id, limit=2)
    assert [p.id for p in first + second + last] == ids[::-1]


async def test_list_own_posts_shows_held_and_deleted_posts_and_cuts_the_excerpt(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, publish: Publish
) -> None:
    group = await make_group(moderation="all", members_=[member])
    held = await publish(member, group, body="x" * 300)
    open_group = await make_group(members_=[member])
    gone = await publish(member, open_group)
    await own_posts.delete_own_post(db, gone.post_id, member.id)
    listed = await own_posts.list_own_posts(db, member.id, before_id=None, limit=10)
    assert [(p.id, p.state) for p in listed] == [(gone.post_id, "deleted"), (held.post_id, "held")]
    assert listed[1].excerpt == "x" * 200
