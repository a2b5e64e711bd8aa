"""forum.storage.viewer_marks against a real database: what one member alone sees on a topic page,
where a mute never reaches an anonymous or per-group-name post and counts show on own posts only."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import groups, inbox, moderators, responses, viewer_marks
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from forum.storage.viewer_marks import ViewerMarks
from tests.factories import MakeGroup, MakeMember, Publish, make_reply, make_topic


@pytest.fixture
async def topic(db: asyncpg.Connection, grief: Group, starter: Member) -> NewPost:
    """The starter's topic in grief, with its opening post only."""
    return await make_topic(db, grief, starter)


@pytest.fixture
async def reader(make_member: MakeMember) -> Member:
    """A member who only reads the topic, and mutes its replier."""
    return await make_member("reader")


async def test_a_member_with_nothing_on_the_topic_gets_blank_marks(
    db: asyncpg.Connection, topic: NewPost, replier: Member
) -> None:
    marks = await viewer_marks.get_marks(db, replier.id, topic.topic_id, [topic.post_id])
    assert marks == ViewerMarks()
    assert marks.count(topic.post_id, "helped") == 0


async def test_following_shows_only_while_the_member_follows_the_topic(
    db: asyncpg.Connection, starter: Member, topic: NewPost, replier: Member
) -> None:
    await inbox.set_follow(db, topic.topic_id, replier.id, following=True)
    assert (await viewer_marks.get_marks(db, replier.id, topic.topic_id, [])).following
    await inbox.set_follow(db, topic.topic_id, replier.id, following=False)
    assert not (await viewer_marks.get_marks(db, replier.id, topic.topic_id, [])).following
    assert not (await viewer_marks.get_marks(db, starter.id, topic.topic_id, [])).following


async def test_a_moderator_of_the_topics_group_moderates_and_one_of_another_does_not(
    db: asyncpg.Connection, make_group: MakeGroup, grief: Group, topic: NewPost, keeper: Member
) -> None:
    await moderators.appoint(db, (await make_group()).id, keeper.id, None)
    assert not (await viewer_marks.get_marks(db, keeper.id, topic.topic_id, [])).moderates
    await moderators.appoint(db, grief.id, keeper.id, None)
    assert (await viewer_marks.get_marks(db, keeper.id, topic.topic_id, [])).moderates


async def test_an_admin_moderates_every_topic(
    db: asyncpg.Connection, topic: NewPost, make_member: MakeMember
) -> None:
    admin = await make_member("admin", is_admin=True)
    marks = await viewer_marks.get_marks(db, admin.id, topic.topic_id, [], is_admin=True)
    assert marks.moderates


async def test_a_muted_authors_signed_posts_are_collapsed_but_never_their_unsigned_ones(
    db: asyncpg.Connection,
    grief: Group,
    topic: NewPost,
    replier: Member,
    reader: Member,
    publish: Publish,
) -> None:
    signed = await make_reply(db, topic.topic_id, replier)
    unsigned = await make_reply(db, topic.topic_id, replier, anonymous=True)
    await groups.set_display_name(db, grief.id, replier.id, "nightowl")
    other_name = await publish(replier, grief, topic_id=topic.topic_id)
    await inbox.mute_member(db, reader.id, replier.id)
    ids = [topic.post_id, signed.post_id, unsigned.post_id, other_name.post_id]
    marks = await viewer_marks.get_marks(db, reader.id, topic.topic_id, ids)
    assert marks.muted == frozenset({signed.post_id})


async def test_a_mute_collapses_posts_for_the_member_who_muted_only(
    db: asyncpg.Connection,
    starter: Member,
    topic: NewPost,
    replier: Member,
    reader: Member,
) -> None:
    signed = await make_reply(db, topic.topic_id, replier)
    await inbox.mute_member(db, reader.id, replier.id)
    ids = [topic.post_id, signed.post_id]
    assert (await viewer_marks.get_marks(db, starter.id, topic.topic_id, ids)).muted == frozenset()


async def test_responded_lists_the_members_own_responses_on_the_posts_asked_about(
    db: asyncpg.Connection,
    starter: Member,
    topic: NewPost,
    replier: Member,
    make_member: MakeMember,
) -> None:
    other = await make_member("other")
    shown = await make_reply(db, topic.topic_id, starter)
    not_on_page = await make_reply(db, topic.topic_id, starter)
    await responses.toggle(db, topic.post_id, replier.id, "helped")
    await responses.toggle(db, shown.post_id, replier.id, "me-too")
    await responses.toggle(db, not_on_page.post_id, replier.id, "helped")
    await responses.toggle(db, shown.post_id, other.id, "helped")
    marks = await viewer_marks.get_marks(
        db, replier.id, topic.topic_id, [topic.post_id, shown.post_id]
    )
    assert marks.responded == frozenset({(topic.post_id, "helped"), (shown.post_id, "me-too")})


async def test_counts_show_how_many_responded_on_the_viewers_own_posts(
    db: asyncpg.Connection, grief: Group, starter: Member, make_member: MakeMember
) -> None:
    topic = await make_topic(db, grief, starter, anonymous=True)
    readers = [await make_member() for _ in range(3)]
    for reader in readers:
        await responses.toggle(db, topic.post_id, reader.id, "helped")
    await responses.toggle(db, topic.post_id, readers[0].id, "me-too")
    marks = await viewer_marks.get_marks(db, starter.id, topic.topic_id, [topic.post_id])
    assert marks.counts == {topic.post_id: {"helped": 3, "me-too": 1}}
    assert (marks.count(topic.post_id, "helped"), marks.count(topic.post_id, "me-too")) == (3, 1)


async def test_counts_never_show_on_someone_elses_post(
    db: asyncpg.Connection, topic: NewPost, replier: Member, make_member: MakeMember
) -> None:
    await responses.toggle(db, topic.post_id, (await make_member()).id, "helped")
    await responses.toggle(db, topic.post_id, replier.id, "helped")
    marks = await viewer_marks.get_marks(db, replier.id, topic.topic_id, [topic.post_id])
    assert marks.counts == {}
    assert marks.count(topic.post_id, "helped") == 0


async def test_counts_cover_only_the_posts_asked_about(
    db: asyncpg.Connection, starter: Member, topic: NewPost, replier: Member
) -> None:
    later = await make_reply(db, topic.topic_id, starter)
    await responses.toggle(db, topic.post_id, replier.id, "helped")
    await responses.toggle(db, later.post_id, replier.id, "helped")
    marks = await viewer_marks.get_marks(db, starter.id, topic.topic_id, [later.post_id])
    assert marks.counts == {later.post_id: {"helped": 1}}
