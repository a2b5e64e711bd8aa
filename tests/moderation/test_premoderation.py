"""Pre-moderation: which posts wait for a moderator, and who can see a post while it waits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from forum.moderation import queue
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.queue_items import Item
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeGroup,
    MakeMember,
    Publish,
    item_for,
    notification_kinds,
    post_state,
    publish_over_http,
)

#: What the `authors_group` and `kept_group` fixtures give.
NewGroup = Callable[[str], Awaitable[Group]]


@pytest.fixture
def authors_group(make_group: MakeGroup, author: Member) -> NewGroup:
    """`await authors_group("all")`: a new group in that moderation mode, `author` a member."""

    async def make(moderation: str) -> Group:
        return await make_group(moderation=moderation, members_=[author])

    return make


@pytest.fixture
def kept_group(authors_group: NewGroup, keeper: Member, appoint: Appoint) -> NewGroup:
    """Like `authors_group`, with `keeper` appointed to moderate the group."""

    async def make(moderation: str) -> Group:
        group = await authors_group(moderation)
        await appoint(group, keeper)
        return group

    return make


async def held_item(db: asyncpg.Connection, post_id: int, moderator: Member) -> Item:
    """The held post's queue item, as the moderator sees it."""
    item = await queue.get_visible_item(db, await item_for(db, post_id), moderator)
    assert item is not None
    return item


async def approve(db: asyncpg.Connection, post_id: int, moderator: Member) -> None:
    await queue.approve(db, await held_item(db, post_id, moderator), moderator)


# -- Each mode -----------------------------------------------------------------------------------


async def test_an_open_group_publishes_a_post_at_once(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    new = await publish(author, await authors_group("open"))
    assert (new.held, new.number) == (False, 1)
    assert await post_state(db, new.post_id) == "published"


async def test_an_open_group_puts_nothing_in_the_queue(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    await publish(author, await authors_group("open"))
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 0


async def test_an_all_group_holds_a_new_topic(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    new = await publish(author, await authors_group("all"))
    assert (new.held, new.number) == (True, None)
    assert await post_state(db, new.post_id) == "held"
    assert await db.fetchval("SELECT state FROM topics WHERE id = $1", new.topic_id) == "held"


async def test_an_all_group_puts_a_held_post_in_the_queue(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    group = await authors_group("all")
    new = await publish(author, group)
    row = await db.fetchrow("SELECT * FROM queue_items WHERE post_id = $1", new.post_id)
    assert row is not None
    assert (row["kind"], row["state"], row["group_id"]) == ("held", "open", group.id)


async def test_an_all_group_holds_a_reply(
    db: asyncpg.Connection, author: Member, keeper: Member, kept_group: NewGroup, publish: Publish
) -> None:
    group = await kept_group("all")
    topic = await publish(keeper, group)
    reply = await publish(author, group, topic_id=topic.topic_id)
    assert reply.held
    assert await post_state(db, reply.post_id) == "held"


async def test_an_all_group_still_holds_a_member_with_many_approved_posts(
    db: asyncpg.Connection, author: Member, keeper: Member, kept_group: NewGroup, publish: Publish
) -> None:
    group = await kept_group("all")
    for _ in range(4):
        await approve(db, (await publish(author, group)).post_id, keeper)
    assert (await publish(author, group)).held


async def test_a_new_members_group_holds_a_members_first_post(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    new = await publish(author, await authors_group("new-members"))
    assert new.held
    assert await item_for(db, new.post_id)


async def test_a_new_members_group_holds_the_first_three_posts_then_publishes(
    db: asyncpg.Connection, author: Member, keeper: Member, kept_group: NewGroup, publish: Publish
) -> None:
    group = await kept_group("new-members")
    held = []
    for n in range(3):
        new = await publish(author, group, title=f"Post {n}")
        held.append(new.held)
        await approve(db, new.post_id, keeper)
    fourth = await publish(author, group, title="Post 4")
    assert held == [True, True, True]
    assert not fourth.held
    assert await post_state(db, fourth.post_id) == "published"


async def test_a_new_members_group_keeps_holding_while_the_first_posts_await_review(
    author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    group = await authors_group("new-members")
    results = [(await publish(author, group, title=f"Post {n}")).held for n in range(4)]
    assert results == [True, True, True, True]


async def test_a_new_members_group_does_not_count_rejected_posts(
    db: asyncpg.Connection, author: Member, keeper: Member, kept_group: NewGroup, publish: Publish
) -> None:
    group = await kept_group("new-members")
    for _ in range(3):
        new = await publish(author, group)
        item = await held_item(db, new.post_id, keeper)
        await queue.reject(db, item, keeper, "Off topic", group=group)
    assert (await publish(author, group)).held


async def test_the_number_of_first_posts_held_is_set_per_group(
    db: asyncpg.Connection, author: Member, keeper: Member, kept_group: NewGroup, publish: Publish
) -> None:
    group = await kept_group("new-members")
    await db.execute("UPDATE groups SET moderation_first_posts = 1 WHERE id = $1", group.id)
    first = await publish(author, group)
    await approve(db, first.post_id, keeper)
    assert first.held
    assert not (await publish(author, group)).held


async def test_posts_in_another_group_do_not_count_as_first_posts(
    author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    elsewhere = await authors_group("open")
    for _ in range(3):
        await publish(author, elsewhere)
    assert (await publish(author, await authors_group("new-members"))).held


@pytest.mark.parametrize("moderation", ["all", "new-members"])
async def test_a_groups_moderator_is_not_held(
    keeper: Member, make_group: MakeGroup, publish: Publish, appoint: Appoint, moderation: str
) -> None:
    group = await make_group(moderation=moderation)
    await appoint(group, keeper)
    assert not (await publish(keeper, group)).held


async def test_a_moderator_of_another_group_is_held(
    keeper: Member, make_group: MakeGroup, publish: Publish, appoint: Appoint
) -> None:
    theirs = await make_group(moderation="all")
    await appoint(theirs, keeper)
    group = await make_group(moderation="all", members_=[keeper])
    assert (await publish(keeper, group)).held


@pytest.mark.parametrize("moderation", ["all", "new-members"])
async def test_an_admin_is_not_held(
    make_member: MakeMember, make_group: MakeGroup, publish: Publish, moderation: str
) -> None:
    admin = await make_member("overseer", is_admin=True)
    group = await make_group(moderation=moderation, members_=[admin])
    assert not (await publish(admin, group)).held


@pytest.mark.parametrize(("moderation", "kinds"), [("all", ["held"]), ("open", [])])
async def test_holding_a_post_tells_its_author_and_publishing_it_tells_nothing(
    db: asyncpg.Connection,
    author: Member,
    authors_group: NewGroup,
    publish: Publish,
    moderation: str,
    kinds: list[str],
) -> None:
    await publish(author, await authors_group(moderation))
    assert await notification_kinds(db, author) == kinds


async def test_changing_a_group_to_all_holds_the_next_post(
    db: asyncpg.Connection, author: Member, authors_group: NewGroup, publish: Publish
) -> None:
    group = await authors_group("open")
    assert not (await publish(author, group)).held
    await db.execute("UPDATE groups SET moderation = 'all' WHERE id = $1", group.id)
    assert (await publish(author, group)).held


# -- Who sees a held post -------------------------------------------------------------------------


@pytest.fixture
async def fern(make_member: MakeMember) -> Member:
    return await make_member("fern")


@pytest.fixture
async def held_group(make_group: MakeGroup, author: Member, fern: Member) -> Group:
    return await make_group("grief", moderation="all", members_=[author, fern])


@pytest.fixture
async def writer(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


@pytest.fixture
async def onlooker(make_client: ClientFactory, fern: Member) -> ForumClient:
    return await make_client(fern)


async def held_topic_url(writer: ForumClient) -> str:
    resp = await publish_over_http(
        writer, {"group": "grief", "title": "Hard week", "body": "Words only I should see for now"}
    )
    assert resp.status == 303, await resp.text()
    return resp.headers["Location"].split("#")[0]


@pytest.fixture
async def moderator(held_group: Group, keeper: Member, appoint: Appoint) -> Member:
    """`keeper`, appointed to moderate `held_group`."""
    await appoint(held_group, keeper)
    return keeper


@pytest.fixture
async def open_topic(held_group: Group, moderator: Member, publish: Publish) -> NewPost:
    return await publish(moderator, held_group, title="Open thread", body="Welcome, everyone")


async def the_held_post(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT id FROM posts WHERE state = 'held'"))


async def held_reply(writer: ForumClient, topic_id: int) -> str:
    resp = await publish_over_http(
        writer, {"topic": topic_id, "body": "A reply that waits for review"}
    )
    assert resp.status == 303, await resp.text()
    return resp.headers["Location"]


async def test_publishing_a_held_topic_takes_its_author_to_it(
    held_group: Group, writer: ForumClient
) -> None:
    url = await held_topic_url(writer)
    resp = await writer.get(url)
    assert resp.status == 200
    assert "Words only I should see for now" in await resp.text()


async def test_a_held_topic_is_marked_awaiting_review_for_its_author(
    held_group: Group, writer: ForumClient
) -> None:
    page = await (await writer.get(await held_topic_url(writer))).text()
    assert "Awaiting review" in page


async def test_a_held_topic_is_not_found_by_a_visitor(
    held_group: Group, writer: ForumClient, client: ForumClient
) -> None:
    url = await held_topic_url(writer)
    assert (await client.get(url)).status == 404


async def test_a_held_topic_is_not_found_by_another_member(
    held_group: Group, writer: ForumClient, onlooker: ForumClient
) -> None:
    url = await held_topic_url(writer)
    assert (await onlooker.get(url)).status == 404


async def test_a_held_topic_is_not_listed_on_the_group_page(
    held_group: Group, writer: ForumClient, onlooker: ForumClient
) -> None:
    await held_topic_url(writer)
    page = await (await onlooker.get("/g/grief")).text()
    assert "Hard week" not in page


async def test_a_held_reply_is_shown_to_its_author_awaiting_review(
    open_topic: NewPost, writer: ForumClient
) -> None:
    location = await held_reply(writer, open_topic.topic_id)
    page = await (await writer.get(location.split("#")[0])).text()
    assert "A reply that waits for review" in page
    assert "Awaiting review" in page


async def test_a_held_reply_is_absent_from_the_topic_for_another_member(
    open_topic: NewPost, writer: ForumClient, onlooker: ForumClient
) -> None:
    await held_reply(writer, open_topic.topic_id)
    resp = await onlooker.get(f"/t/{open_topic.topic_id}")
    assert resp.status == 200
    page = await resp.text()
    assert "Welcome, everyone" in page
    assert "A reply that waits for review" not in page


async def test_a_held_reply_is_absent_from_the_topic_for_a_visitor(
    open_topic: NewPost, writer: ForumClient, client: ForumClient
) -> None:
    await held_reply(writer, open_topic.topic_id)
    page = await (await client.get(f"/t/{open_topic.topic_id}")).text()
    assert "A reply that waits for review" not in page
    assert "Awaiting review" not in page


async def test_a_held_reply_has_no_link_for_anyone(
    db: asyncpg.Connection, open_topic: NewPost, writer: ForumClient, onlooker: ForumClient
) -> None:
    await held_reply(writer, open_topic.topic_id)
    post_id = await the_held_post(db)
    assert (await onlooker.get(f"/p/{post_id}")).status == 404


async def test_an_approved_held_topic_is_visible_to_everyone(
    db: asyncpg.Connection, moderator: Member, writer: ForumClient, client: ForumClient
) -> None:
    url = await held_topic_url(writer)
    await approve(db, await the_held_post(db), moderator)
    page = await (await client.get(url)).text()
    assert "Words only I should see for now" in page
    assert "Awaiting review" not in page


async def test_an_approved_reply_takes_the_next_number_in_its_topic(
    db: asyncpg.Connection,
    open_topic: NewPost,
    moderator: Member,
    writer: ForumClient,
    client: ForumClient,
) -> None:
    await held_reply(writer, open_topic.topic_id)
    post_id = await the_held_post(db)
    await approve(db, post_id, moderator)
    assert await db.fetchval("SELECT number FROM posts WHERE id = $1", post_id) == 2
    page = await (await client.get(f"/t/{open_topic.topic_id}")).text()
    assert 'id="post-2"' in page
    assert "A reply that waits for review" in page
