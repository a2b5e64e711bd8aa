"""forum.storage.responses against a real database: "this helped me" and "me too" toggle once per
kind, never on one's own or an unpublished post, and come back to the author as counts only."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import posts, responses
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.factories import MakeGroup, MakeMember, Publish, make_reply, make_topic


@pytest.fixture
async def topic(db: asyncpg.Connection, grief: Group, starter: Member) -> NewPost:
    """The starter's topic in grief, with its opening post only."""
    return await make_topic(db, grief, starter)


async def test_the_first_press_adds_the_response(
    db: asyncpg.Connection, topic: NewPost, replier: Member
) -> None:
    assert await responses.toggle(db, topic.post_id, replier.id, "helped") is True
    row = await db.fetchrow("SELECT post_id, member_id, kind FROM post_responses")
    assert row is not None
    assert tuple(row) == (topic.post_id, replier.id, "helped")


async def test_a_second_press_takes_the_response_back_and_a_third_adds_it_again(
    db: asyncpg.Connection, topic: NewPost, replier: Member
) -> None:
    await responses.toggle(db, topic.post_id, replier.id, "me-too")
    assert await responses.toggle(db, topic.post_id, replier.id, "me-too") is False
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0
    assert await responses.toggle(db, topic.post_id, replier.id, "me-too") is True
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 1


async def test_each_kind_toggles_on_its_own(
    db: asyncpg.Connection, topic: NewPost, replier: Member
) -> None:
    await responses.toggle(db, topic.post_id, replier.id, "helped")
    assert await responses.toggle(db, topic.post_id, replier.id, "me-too") is True
    assert await responses.toggle(db, topic.post_id, replier.id, "helped") is False
    kinds = await db.fetch("SELECT kind FROM post_responses")
    assert [r["kind"] for r in kinds] == ["me-too"]


async def test_responding_to_ones_own_post_finds_nothing_to_respond_to(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    topic = await make_topic(db, grief, replier, anonymous=True)
    assert await responses.toggle(db, topic.post_id, replier.id, "helped") is None
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0


async def test_responding_to_a_post_not_published_finds_nothing_to_respond_to(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    grief: Group,
    starter: Member,
    replier: Member,
    publish: Publish,
) -> None:
    held = await publish(starter, await make_group(moderation="all", members_=[starter]))
    hidden = await make_topic(db, grief, starter)
    await posts.hide(db, hidden.post_id)
    for post_id in (held.post_id, hidden.post_id, 424242):
        assert await responses.toggle(db, post_id, replier.id, "helped") is None
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0


async def test_list_helped_counts_each_kind_per_post(
    db: asyncpg.Connection, grief: Group, make_member: MakeMember, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter, "Nights", body="what helps me")
    readers = [await make_member() for _ in range(3)]
    for reader in readers:
        await responses.toggle(db, topic.post_id, reader.id, "helped")
    await responses.toggle(db, topic.post_id, readers[0].id, "me-too")
    [helped] = await responses.list_helped(db, starter.id, before_id=None, limit=10)
    assert (helped.id, helped.topic_id, helped.topic_title, helped.group_name) == (
        topic.post_id,
        topic.topic_id,
        "Nights",
        "Grief",
    )
    assert (helped.excerpt, helped.helped, helped.me_too) == ("what helps me", 3, 1)


async def test_list_helped_shows_the_author_their_anonymous_posts_too(
    db: asyncpg.Connection, starter: Member, topic: NewPost, replier: Member
) -> None:
    unsigned = await make_reply(db, topic.topic_id, replier, anonymous=True)
    await responses.toggle(db, unsigned.post_id, starter.id, "me-too")
    [helped] = await responses.list_helped(db, replier.id, before_id=None, limit=10)
    assert (helped.id, helped.anonymous) == (unsigned.post_id, True)


async def test_list_helped_lists_only_the_authors_posts_that_someone_marked(
    db: asyncpg.Connection, starter: Member, topic: NewPost, replier: Member
) -> None:
    await make_reply(db, topic.topic_id, starter)  # nobody responded
    theirs = await make_reply(db, topic.topic_id, replier)
    await responses.toggle(db, topic.post_id, replier.id, "helped")
    await responses.toggle(db, theirs.post_id, starter.id, "helped")
    listed = await responses.list_helped(db, starter.id, before_id=None, limit=10)
    assert [p.id for p in listed] == [topic.post_id]


async def test_list_helped_leaves_out_posts_or_topics_taken_down_since(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    removed_topic = await make_topic(db, grief, starter)
    in_removed_topic = await make_reply(db, removed_topic.topic_id, starter)
    other = await make_topic(db, grief, starter)
    hidden = await make_reply(db, other.topic_id, starter)
    for post in (removed_topic, in_removed_topic, hidden):
        await responses.toggle(db, post.post_id, replier.id, "helped")
    await posts.take_down(db, removed_topic.post_id)
    await posts.hide(db, hidden.post_id)
    assert await responses.list_helped(db, starter.id, before_id=None, limit=10) == []


async def test_list_helped_pages_newest_post_first_by_id(
    db: asyncpg.Connection, starter: Member, topic: NewPost, replier: Member
) -> None:
    ids = [topic.post_id] + [
        (await make_reply(db, topic.topic_id, starter)).post_id for _ in range(4)
    ]
    for post_id in ids:
        await responses.toggle(db, post_id, replier.id, "helped")
    first = await responses.list_helped(db, starter.id, before_id=None, limit=2)
    second = await responses.list_helped(db, starter.id, before_id=first[-1].id, limit=2)
    last = await responses.list_helped(db, starter.id, before_id=second[-1].id, limit=2)
    assert [p.id for p in first + second + last] == ids[::-1]
