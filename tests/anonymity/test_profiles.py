"""A member's public page, /m/{pseudonym}: only the posts they signed with their pseudonym.

Never anonymous posts, never posts made under a per-group name, and only from groups the viewer
may read. A deleted member has no page, answered exactly like a name no one has.
"""

from __future__ import annotations

import re

import asyncpg
import pytest

from forum.storage import groups, posts
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import set_name
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, MakeGroup, MakeMember, Publish


@pytest.fixture
async def private(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("private", name="Quiet room", visibility="members", members_=[author])


@pytest.fixture
async def behind_the_door(private: Group, author: Member, publish: Publish) -> NewPost:
    """The author's signed topic in the members-only group."""
    return await publish(author, private, title="Behind the door", body="members only words")


@pytest.fixture
async def others_topic(grief: Group, other: Member, publish: Publish) -> NewPost:
    return await publish(other, grief, title="Their topic")


@pytest.fixture
async def reply_to_other(
    grief: Group, author: Member, others_topic: NewPost, publish: Publish
) -> NewPost:
    """The author's signed reply in a topic another member opened."""
    return await publish(author, grief, topic_id=others_topic.topic_id, body="my reply words")


async def profile(client: ForumClient, pseudonym: str = SECRET) -> str:
    resp = await client.get(f"/m/{pseudonym}")
    assert resp.status == 200
    return await resp.text()


def listed_posts(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/p/(\d+)"', page)]


async def test_the_profile_shows_the_pseudonym(client: ForumClient, author: Member) -> None:
    page = await profile(client)
    assert f"<h1>{SECRET}</h1>" in page


async def test_the_profile_lists_posts_signed_with_the_pseudonym(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, grief, title="In my own name", body="I signed this")
    reply = await publish(author, grief, topic_id=topic.topic_id, body="And this")
    page = await profile(client)
    assert listed_posts(page) == [reply.post_id, topic.post_id]
    assert "I signed this" in page


async def test_the_profile_never_lists_anonymous_posts(
    client: ForumClient, grief: Group, author: Member, other: Member, publish: Publish
) -> None:
    topic = await publish(author, grief, title="Hard to say", body="unsigned words", anonymous=True)
    named = await publish(other, grief, title="Open topic")
    await publish(author, grief, topic_id=named.topic_id, body="quiet reply", anonymous=True)
    page = await profile(client)
    assert listed_posts(page) == []
    for text in ("Hard to say", "unsigned words", "Open topic", "quiet reply"):
        assert text not in page
    assert str(topic.topic_id) not in re.findall(r'href="/[tp]/(\d+)"', page)


async def test_the_profile_never_lists_posts_under_a_group_name(
    client: ForumClient, db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> None:
    await set_name(db, grief, author, "stillwater")
    await publish(author, grief, title="Under another name", body="other words")
    page = await profile(client)
    assert listed_posts(page) == []
    assert "stillwater" not in page
    assert "Under another name" not in page


async def test_the_profile_still_lists_named_posts_written_before_a_group_name(
    client: ForumClient, db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> None:
    before = await publish(author, grief, title="Before the new name")
    await set_name(db, grief, author, "stillwater")
    await publish(author, grief, title="After the new name")
    assert listed_posts(await profile(client)) == [before.post_id]


async def test_a_members_only_group_is_not_listed_for_a_visitor(
    client: ForumClient, behind_the_door: NewPost
) -> None:
    page = await profile(client)
    assert "Behind the door" not in page
    assert "members only words" not in page


async def test_a_members_only_group_is_not_listed_for_a_member_outside_it(
    make_client: ClientFactory, other: Member, behind_the_door: NewPost
) -> None:
    assert "Behind the door" not in await profile(await make_client(other))


async def test_a_members_only_group_is_listed_for_its_members(
    make_client: ClientFactory,
    make_member: MakeMember,
    db: asyncpg.Connection,
    private: Group,
    behind_the_door: NewPost,
) -> None:
    insider = await make_member("insider")
    await groups.join_group(db, private, insider.id)
    assert "Behind the door" in await profile(await make_client(insider))


async def test_a_members_only_group_is_listed_for_an_admin(
    make_client: ClientFactory, make_member: MakeMember, behind_the_door: NewPost
) -> None:
    admin = await make_client(await make_member("overseer", is_admin=True))
    assert "Behind the door" in await profile(admin)


@pytest.mark.parametrize("state", ["hidden", "removed", "deleted"])
async def test_posts_no_longer_published_are_not_listed(
    client: ForumClient, db: asyncpg.Connection, reply_to_other: NewPost, state: str
) -> None:
    await db.execute("UPDATE posts SET state = $2 WHERE id = $1", reply_to_other.post_id, state)
    page = await profile(client)
    assert listed_posts(page) == []
    assert "my reply words" not in page


async def test_posts_in_a_removed_topic_are_not_listed(
    client: ForumClient, db: asyncpg.Connection, others_topic: NewPost, reply_to_other: NewPost
) -> None:
    await posts.take_down(db, others_topic.post_id)
    page = await profile(client)
    assert "Their topic" not in page
    assert "my reply words" not in page


async def test_a_held_post_is_not_listed(
    client: ForumClient, make_group: MakeGroup, author: Member, publish: Publish
) -> None:
    group = await make_group("careful", moderation="all", members_=[author])
    await publish(author, group, title="Waiting for review")
    assert "Waiting for review" not in await profile(client)


async def test_an_unknown_member_is_404(client: ForumClient) -> None:
    assert (await client.get("/m/nobody-here")).status == 404


async def test_a_deleted_member_answers_like_an_unknown_one(
    client: ForumClient, db: asyncpg.Connection, author: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", author.id)
    gone = await client.get(f"/m/{SECRET}")
    unknown = await client.get("/m/nobodyhere")
    assert gone.status == unknown.status == 404
    assert (await gone.text()).replace(SECRET, "nobodyhere") == await unknown.text()


async def test_the_profile_is_found_whatever_the_letter_case(
    client: ForumClient, author: Member
) -> None:
    assert f"<h1>{SECRET}</h1>" in await profile(client, "QuietHeron")


async def test_a_named_post_links_to_its_authors_profile(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, grief)
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert f'href="/m/{SECRET}"' in page


async def test_no_post_by_an_anonymous_author_links_to_a_profile(
    client: ForumClient,
    db: asyncpg.Connection,
    grief: Group,
    author: Member,
    other: Member,
    publish: Publish,
) -> None:
    topic = await publish(author, grief, anonymous=True)
    await set_name(db, grief, other, "northstar")
    await publish(other, grief, topic_id=topic.topic_id)
    await publish(author, grief, topic_id=topic.topic_id, anonymous=True)
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert "/m/" not in page


async def test_a_deleted_members_post_does_not_link_to_a_profile(
    client: ForumClient, db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, grief)
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", author.id)
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert "/m/" not in page
    assert "deleted member" in page
