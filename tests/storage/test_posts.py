"""forum.storage.posts against a real database: a held post is numbered when approved, hiding
and taking down change only posts in the right state, and an opening post takes its topic along."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import posts
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, Publish, make_reply, make_topic, post_state


@pytest.fixture
async def held_group(make_group: MakeGroup, starter: Member, replier: Member) -> Group:
    """Every post by a member is held for a moderator."""
    return await make_group(moderation="all", anonymous="optional", members_=[starter, replier])


async def _topic_row(db: asyncpg.Connection, topic_id: int) -> tuple[str, int, int]:
    row = await db.fetchrow(
        "SELECT state, last_post_number, reply_count FROM topics WHERE id = $1", topic_id
    )
    assert row is not None
    return (row["state"], row["last_post_number"], row["reply_count"])


async def test_publishing_a_held_reply_gives_it_the_next_number_and_counts_it(
    db: asyncpg.Connection, held_group: Group, starter: Member, replier: Member, publish: Publish
) -> None:
    topic = await make_topic(db, held_group, starter)
    await make_reply(db, topic.topic_id, starter)
    held = await publish(replier, held_group, topic_id=topic.topic_id)
    assert (held.held, held.number) == (True, None)
    assert await posts.publish_held(db, held.post_id) == 3
    assert await post_state(db, held.post_id) == "published"
    assert await db.fetchval("SELECT number FROM posts WHERE id = $1", held.post_id) == 3
    assert await _topic_row(db, topic.topic_id) == ("published", 3, 2)


async def test_publishing_a_held_opening_post_publishes_its_topic_as_post_one(
    db: asyncpg.Connection, held_group: Group, replier: Member, publish: Publish
) -> None:
    held = await publish(replier, held_group, title="Waiting topic")
    assert await _topic_row(db, held.topic_id) == ("held", 0, 0)
    assert await posts.publish_held(db, held.post_id) == 1
    assert await _topic_row(db, held.topic_id) == ("published", 1, 0)


async def test_held_replies_are_numbered_in_the_order_they_are_approved(
    db: asyncpg.Connection, held_group: Group, starter: Member, replier: Member, publish: Publish
) -> None:
    topic = await make_topic(db, held_group, starter)
    earlier = await publish(replier, held_group, topic_id=topic.topic_id, body="earlier")
    later = await publish(replier, held_group, topic_id=topic.topic_id, body="later")
    assert await posts.publish_held(db, later.post_id) == 2
    assert await posts.publish_held(db, earlier.post_id) == 3


async def test_publishing_a_post_that_is_not_held_returns_none_and_changes_nothing(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    assert await posts.publish_held(db, topic.post_id) is None
    assert await posts.publish_held(db, 424242) is None
    assert await _topic_row(db, topic.topic_id) == ("published", 1, 0)


async def test_hide_and_unhide_change_only_a_post_in_the_matching_state(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    assert not await posts.unhide(db, topic.post_id)
    assert await posts.hide(db, topic.post_id)
    assert await post_state(db, topic.post_id) == "hidden"
    assert not await posts.hide(db, topic.post_id)
    assert await posts.unhide(db, topic.post_id)
    assert await post_state(db, topic.post_id) == "published"


async def test_hide_leaves_a_held_post_held(
    db: asyncpg.Connection, held_group: Group, replier: Member, publish: Publish
) -> None:
    held = await publish(replier, held_group)
    assert not await posts.hide(db, held.post_id)
    assert await post_state(db, held.post_id) == "held"


async def test_taking_down_a_held_post_rejects_it_and_its_held_topic(
    db: asyncpg.Connection, held_group: Group, replier: Member, publish: Publish
) -> None:
    held = await publish(replier, held_group)
    assert await posts.take_down(db, held.post_id) == "rejected"
    assert await post_state(db, held.post_id) == "rejected"
    assert (await _topic_row(db, held.topic_id))[0] == "rejected"


@pytest.mark.parametrize("hidden_first", [False, True])
async def test_taking_down_a_visible_opening_post_removes_it_and_its_topic(
    db: asyncpg.Connection, grief: Group, starter: Member, hidden_first: bool
) -> None:
    topic = await make_topic(db, grief, starter)
    if hidden_first:
        await posts.hide(db, topic.post_id)
    assert await posts.take_down(db, topic.post_id) == "removed"
    assert await post_state(db, topic.post_id) == "removed"
    assert (await _topic_row(db, topic.topic_id))[0] == "removed"


async def test_taking_down_a_reply_leaves_the_topic_and_other_posts_alone(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    reply = await make_reply(db, topic.topic_id, replier)
    assert await posts.take_down(db, reply.post_id) == "removed"
    assert await post_state(db, topic.post_id) == "published"
    assert (await _topic_row(db, topic.topic_id))[0] == "published"


async def test_taking_down_twice_returns_none_the_second_time(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    await posts.take_down(db, topic.post_id)
    assert await posts.take_down(db, topic.post_id) is None
    assert await post_state(db, topic.post_id) == "removed"


async def test_replace_body_stores_the_new_text_and_marks_the_post_edited(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter, body="my phone number is 555")
    await posts.replace_body(
        db, topic.post_id, "[removed by a moderator]", "<p>[removed]</p>", reason="A number"
    )
    row = await db.fetchrow(
        "SELECT body_source, body_html, edited_at FROM posts WHERE id = $1", topic.post_id
    )
    assert row is not None
    assert (row["body_source"], row["body_html"]) == (
        "[removed by a moderator]",
        "<p>[removed]</p>",
    )
    assert row["edited_at"] is not None
    kept = await db.fetchrow(
        "SELECT body_source, moderator_reason FROM post_versions WHERE post_id = $1",
        topic.post_id,
    )
    assert kept is not None
    assert tuple(kept) == ("my phone number is 555", "A number")


async def test_get_post_group_gives_group_author_and_state_or_none(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    topic = await make_topic(db, grief, replier, anonymous=True)
    assert await posts.get_post_group(db, topic.post_id) == (grief.id, replier.id, "published")
    assert await posts.get_post_group(db, 424242) is None


async def test_count_published_in_group_counts_only_published_posts_there_up_to_the_cap(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_member: MakeMember,
) -> None:
    author, other = await make_member(), await make_member()
    group, elsewhere = await make_group(), await make_group()
    topic = await make_topic(db, group, author)
    for _ in range(3):
        await make_reply(db, topic.topic_id, author)
    hidden = await make_reply(db, topic.topic_id, author)
    await posts.hide(db, hidden.post_id)
    await make_reply(db, topic.topic_id, other)
    await make_topic(db, elsewhere, author)
    assert await posts.count_published_in_group(db, author.id, group.id, up_to=10) == 4
    assert await posts.count_published_in_group(db, author.id, group.id, up_to=2) == 2


async def test_get_anonymous_post_answers_only_for_an_anonymous_post(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    unsigned = await make_reply(db, topic.topic_id, replier, anonymous=True)
    assert await posts.get_anonymous_post(db, unsigned.post_id) == (grief.id, "Grief", replier.id)
    assert await posts.get_anonymous_post(db, topic.post_id) is None
    assert await posts.get_anonymous_post(db, 424242) is None
