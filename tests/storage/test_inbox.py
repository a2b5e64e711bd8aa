"""forum.storage.inbox against a real database: following and muting topics, who a reply is
delivered to (followers who may see the group, never its author, not muters of a signed reply),
the notification sent on commit, what an item shows (never an anonymous author's pseudonym),
paging, reading, the capped unread count, and items dropping out when no longer visible."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from forum.storage import groups, inbox, live_events, own_data, posts, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.factories import (
    SECRET,
    MakeGroup,
    MakeMember,
    Publish,
    inbox_rows,
    make_reply,
    make_thread,
    make_topic,
)

# `starter` ("willow"), `replier` (SECRET) and `grief` (both active members, anonymity
# optional) come from tests.factories.


@pytest.fixture
async def topic(db: asyncpg.Connection, grief: Group, starter: Member) -> NewPost:
    """The starter's topic in grief, followed by the starter as publishing would."""
    new = await make_topic(db, grief, starter, "Evenings")
    await inbox.follow_by_default(db, new.topic_id, starter.id)
    return new


@pytest.fixture
async def follower(
    db: asyncpg.Connection, make_member: MakeMember, grief: Group, topic: NewPost
) -> Member:
    """A member of grief, besides the starter and the replier, who follows the topic."""
    third = await make_member("third")
    await groups.add_member(db, grief.id, third.id)
    await inbox.set_follow(db, topic.topic_id, third.id, following=True)
    return third


async def _reply(
    db: asyncpg.Connection,
    topic: NewPost,
    author: Member,
    body: str = "A reply",
    *,
    anonymous: bool = False,
) -> int:
    """A published reply, delivered: its post id."""
    new = await make_reply(db, topic.topic_id, author, body=body, anonymous=anonymous)
    await inbox.deliver(db, new.post_id)
    return new.post_id


async def _reasons(db: asyncpg.Connection, post_id: int) -> dict[int, str]:
    rows = await db.fetch("SELECT member_id, reason FROM inbox_items WHERE post_id = $1", post_id)
    return {r["member_id"]: r["reason"] for r in rows}


async def _items(db: asyncpg.Connection, member: Member, limit: int = 50) -> list[inbox.InboxItem]:
    return await inbox.list_items(db, member.id, before_id=None, limit=limit)


# -- parse_delivery --------------------------------------------------------------------------


def test_parse_delivery_reads_the_item() -> None:
    assert inbox.parse_delivery('{"item": 41}') == 41
    assert inbox.parse_delivery('{"item": "41", "extra": true}') == 41


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("not json", ValueError),
        ('{"member": 3}', KeyError),
        ('{"item": "three"}', ValueError),
        ('{"item": null}', TypeError),
        ("[3, 41]", TypeError),
    ],
)
def test_parse_delivery_refuses_anything_else(payload: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        inbox.parse_delivery(payload)


# -- following -------------------------------------------------------------------------------


async def test_following_by_default_follows_and_never_overrides_a_choice(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    assert await inbox.is_following(db, topic.topic_id, starter.id)
    assert not await inbox.is_following(db, topic.topic_id, replier.id)
    await inbox.follow_by_default(db, topic.topic_id, replier.id)
    assert await inbox.is_following(db, topic.topic_id, replier.id)

    await inbox.set_follow(db, topic.topic_id, follower.id, following=False)
    await inbox.follow_by_default(db, topic.topic_id, follower.id)
    assert not await inbox.is_following(db, topic.topic_id, follower.id)
    state = await db.fetchval(
        "SELECT state FROM topic_follows WHERE topic_id = $1 AND member_id = $2",
        topic.topic_id,
        follower.id,
    )
    assert state == "muted"


async def test_set_follow_switches_both_ways_and_touches_only_that_member(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await inbox.set_follow(db, topic.topic_id, starter.id, following=False)
    assert not await inbox.is_following(db, topic.topic_id, starter.id)
    await inbox.set_follow(db, topic.topic_id, replier.id, following=False)
    await inbox.set_follow(db, topic.topic_id, starter.id, following=True)
    assert await inbox.is_following(db, topic.topic_id, starter.id)
    rows = await db.fetch("SELECT member_id, state FROM topic_follows ORDER BY member_id")
    assert [tuple(r) for r in rows] == [(starter.id, "following"), (replier.id, "muted")]


# -- deliver ---------------------------------------------------------------------------------


async def test_a_reply_reaches_every_follower_but_its_author_with_their_reason(
    db: asyncpg.Connection,
    topic: NewPost,
    starter: Member,
    replier: Member,
    follower: Member,
) -> None:
    await inbox.follow_by_default(db, topic.topic_id, replier.id)
    post_id = await _reply(db, topic, replier)
    assert await _reasons(db, post_id) == {starter.id: "your-topic", follower.id: "following"}


async def test_a_reply_reaches_nobody_who_does_not_follow_or_unfollowed(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await inbox.set_follow(db, topic.topic_id, starter.id, following=False)
    assert await _reasons(db, await _reply(db, topic, replier)) == {}


async def test_the_starters_own_reply_reaches_the_other_followers_only(
    db: asyncpg.Connection, topic: NewPost, starter: Member, follower: Member
) -> None:
    assert await _reasons(db, await _reply(db, topic, starter)) == {follower.id: "following"}


async def test_delivering_twice_makes_one_item(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    post_id = await _reply(db, topic, replier)
    await inbox.deliver(db, post_id)
    assert await inbox_rows(db, starter) == [post_id]


async def test_a_held_reply_or_one_in_a_removed_topic_is_not_delivered(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    starter: Member,
    replier: Member,
    publish: Publish,
) -> None:
    reviewed = await make_group(moderation="all", members_=[starter, replier])
    new = await make_topic(db, reviewed, starter, "Reviewed")
    await inbox.follow_by_default(db, new.topic_id, starter.id)
    held = await publish(replier, reviewed, topic_id=new.topic_id, body="held")
    assert held.held
    await inbox.deliver(db, held.post_id)
    visible = await make_reply(db, new.topic_id, replier)
    await db.execute("UPDATE topics SET state = 'removed' WHERE id = $1", new.topic_id)
    await inbox.deliver(db, visible.post_id)
    assert await inbox_rows(db, starter) == []


async def test_a_deleted_follower_gets_nothing(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    async with db.transaction():
        await own_data.delete_account(db, starter.id, remove_posts=False)
    assert await _reasons(db, await _reply(db, topic, replier)) == {follower.id: "following"}


async def test_in_a_members_only_group_only_active_members_are_delivered_to(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, starter: Member
) -> None:
    closed = await make_group(visibility="members", membership="approval")
    await groups.add_member(db, closed.id, starter.id)
    pending, former, active = [await make_member(n) for n in ("pending", "former", "active")]
    assert await groups.join_group(db, closed, pending.id) == "pending"
    for member in (former, active):
        await groups.add_member(db, closed.id, member.id)
    new = await make_topic(db, closed, starter, "Private")
    for member in (pending, former, active):
        await inbox.set_follow(db, new.topic_id, member.id, following=True)
    await groups.leave_group(db, closed.id, former.id)
    admin = await make_member("admin", is_admin=True)  # an admin is no exception here
    await inbox.set_follow(db, new.topic_id, admin.id, following=True)
    post_id = await _reply(db, new, starter)
    assert await _reasons(db, post_id) == {active.id: "following"}


async def test_in_a_public_group_followers_need_not_be_members(
    db: asyncpg.Connection, topic: NewPost, make_member: MakeMember, replier: Member
) -> None:
    outsider = await make_member("outsider")
    await inbox.set_follow(db, topic.topic_id, outsider.id, following=True)
    assert outsider.id in await _reasons(db, await _reply(db, topic, replier))


async def test_a_muted_members_signed_reply_does_not_reach_the_muter(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    await inbox.mute_member(db, starter.id, replier.id)
    assert await _reasons(db, await _reply(db, topic, replier)) == {follower.id: "following"}


async def test_a_muted_members_anonymous_or_group_name_reply_still_arrives(
    db: asyncpg.Connection,
    grief: Group,
    topic: NewPost,
    starter: Member,
    replier: Member,
    publish: Publish,
) -> None:
    """Holding those back would tell the muter which unsigned posts are the muted member's."""
    await inbox.mute_member(db, starter.id, replier.id)
    anonymous = await _reply(db, topic, replier, anonymous=True)
    await groups.set_display_name(db, grief.id, replier.id, "Heron")
    named = await publish(replier, grief, topic_id=topic.topic_id, body="under my group name")
    assert await inbox_rows(db, starter) == [anonymous, named.post_id]


@pytest.fixture
async def listener(database_url: str) -> AsyncIterator[asyncio.Queue[str]]:
    """The announcements of live events, as another connection hears them."""
    conn = await asyncpg.connect(database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(live_events.CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        yield heard
    finally:
        await conn.close()


async def test_each_delivery_is_announced_on_commit_and_a_rollback_announces_nothing(
    db: asyncpg.Connection,
    listener: asyncio.Queue[str],
    topic: NewPost,
    starter: Member,
    replier: Member,
    follower: Member,
) -> None:
    rolled_back = await make_reply(db, topic.topic_id, replier, body="never sent")
    undone = db.transaction()
    await undone.start()
    await inbox.deliver(db, rolled_back.post_id)
    await undone.rollback()
    kept = await make_reply(db, topic.topic_id, replier, body="sent")
    async with db.transaction():
        await inbox.deliver(db, kept.post_id)
        await asyncio.sleep(0.1)
        assert listener.empty()  # not before the commit
    await asyncio.wait_for(listener.get(), 5)  # one announcement for the transaction
    rows = await db.fetch("SELECT member_id, id, post_id FROM inbox_items")
    events = await db.fetch("SELECT key, payload::text FROM live_events WHERE feed = 'inbox'")
    assert {r["post_id"] for r in rows} == {kept.post_id}
    assert {(e["key"], inbox.parse_delivery(e["payload"])) for e in events} == {
        (r["member_id"], r["id"]) for r in rows
    }
    assert {e["key"] for e in events} == {starter.id, follower.id}
    await asyncio.sleep(0.1)
    assert listener.empty()


# -- list_items ------------------------------------------------------------------------------


async def test_an_item_shows_its_reply_topic_and_group(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    body = "Evenings are the hardest part. " * 10
    post_id = await _reply(db, topic, replier, body)
    await db.execute("UPDATE posts SET content_warning = 'loss' WHERE id = $1", post_id)
    (item,) = await _items(db, starter)
    assert (item.post_id, item.topic_id, item.topic_title, item.group_name) == (
        post_id,
        topic.topic_id,
        "Evenings",
        "Grief",
    )
    assert (item.author_name, item.anon_label, item.reason, item.content_warning) == (
        SECRET,
        None,
        "your-topic",
        "loss",
    )
    assert item.excerpt == body[:160]
    assert item.read_at is None
    assert item.created_at is not None


async def test_an_anonymous_reply_shows_its_label_and_never_the_pseudonym(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await _reply(db, topic, replier, "unsigned", anonymous=True)
    (item,) = await _items(db, starter)
    assert (item.author_name, item.anon_label) == (None, 1)
    assert SECRET not in repr(item)


async def test_a_deleted_authors_reply_shows_as_a_deleted_member(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await _reply(db, topic, replier)
    async with db.transaction():
        await own_data.delete_account(db, replier.id, remove_posts=False)
    (item,) = await _items(db, starter)
    assert item.author_name == topics.DELETED_NAME


async def test_items_are_only_the_members_own_newest_first_and_paged_by_id(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    sent = [await _reply(db, topic, replier, f"reply {n}") for n in range(5)]
    first = await inbox.list_items(db, starter.id, before_id=None, limit=2)
    assert [i.post_id for i in first] == [sent[4], sent[3]]
    second = await inbox.list_items(db, starter.id, before_id=first[-1].id, limit=2)
    assert [i.post_id for i in second] == [sent[2], sent[1]]
    last = await inbox.list_items(db, starter.id, before_id=second[-1].id, limit=2)
    assert [i.post_id for i in last] == [sent[0]]
    assert await inbox.list_items(db, starter.id, before_id=last[-1].id, limit=2) == []
    assert await _items(db, replier) == []
    assert {i.reason for i in await _items(db, follower)} == {"following"}


async def test_an_empty_inbox_lists_nothing_and_counts_zero(
    db: asyncpg.Connection, starter: Member
) -> None:
    assert await _items(db, starter) == []
    assert await inbox.unread_count(db, starter.id) == 0


# -- visibility at read time -----------------------------------------------------------------


async def test_a_hidden_or_removed_reply_drops_out_and_an_unhidden_one_returns(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    hidden = await _reply(db, topic, replier, "hidden for now")
    removed = await _reply(db, topic, replier, "removed")
    kept = await _reply(db, topic, replier, "kept")
    assert await posts.hide(db, hidden)
    assert await posts.take_down(db, removed) == "removed"
    assert [i.post_id for i in await _items(db, starter)] == [kept]
    assert await inbox.unread_count(db, starter.id) == 1
    assert await posts.unhide(db, hidden)
    assert [i.post_id for i in await _items(db, starter)] == [kept, hidden]


async def test_a_removed_topic_takes_its_items_with_it(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await _reply(db, topic, replier)
    assert await posts.take_down(db, topic.post_id) == "removed"
    assert await _items(db, starter) == []
    assert await inbox.unread_count(db, starter.id) == 0


async def test_leaving_a_members_only_group_hides_its_items_and_rejoining_restores_them(
    db: asyncpg.Connection, make_group: MakeGroup, starter: Member, replier: Member
) -> None:
    closed = await make_group(visibility="members", members_=[starter, replier])
    new = await make_topic(db, closed, starter, "Private")
    await inbox.follow_by_default(db, new.topic_id, starter.id)
    item_post = await _reply(db, new, replier)
    (item,) = await _items(db, starter)
    await groups.leave_group(db, closed.id, starter.id)
    assert await _items(db, starter) == []
    assert await inbox.unread_count(db, starter.id) == 0
    assert await inbox.open_item(db, starter.id, item.id) is None
    await groups.add_member(db, closed.id, starter.id)
    assert [i.post_id for i in await _items(db, starter)] == [item_post]
    assert (await _items(db, starter))[0].read_at is None  # the refused open marked nothing


async def test_leaving_a_public_group_keeps_its_items(
    db: asyncpg.Connection, grief: Group, topic: NewPost, starter: Member, replier: Member
) -> None:
    post_id = await _reply(db, topic, replier)
    await groups.leave_group(db, grief.id, starter.id)
    assert [i.post_id for i in await _items(db, starter)] == [post_id]


# -- reading ---------------------------------------------------------------------------------


async def test_opening_an_item_marks_it_read_once_and_gives_its_post(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    post_id = await _reply(db, topic, replier)
    other = await _reply(db, topic, replier)
    item_id = await db.fetchval("SELECT id FROM inbox_items WHERE post_id = $1", post_id)
    assert await inbox.open_item(db, starter.id, item_id) == post_id
    first_read = await db.fetchval("SELECT read_at FROM inbox_items WHERE id = $1", item_id)
    assert first_read is not None
    assert await inbox.open_item(db, starter.id, item_id) == post_id
    assert await db.fetchval("SELECT read_at FROM inbox_items WHERE id = $1", item_id) == (
        first_read
    )
    assert await inbox.unread_count(db, starter.id) == 1
    assert [i.post_id for i in await _items(db, starter) if i.read_at is None] == [other]


async def test_another_members_item_or_a_missing_one_opens_nothing(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member
) -> None:
    await _reply(db, topic, replier)
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    assert await inbox.open_item(db, replier.id, item_id) is None
    assert await inbox.open_item(db, starter.id, item_id + 1) is None
    assert await inbox.unread_count(db, starter.id) == 1


async def test_mark_all_read_reads_only_the_members_own_unread_items(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    first = await _reply(db, topic, replier)
    await _reply(db, topic, replier)
    first_item = await db.fetchval(
        "SELECT id FROM inbox_items WHERE post_id = $1 AND member_id = $2", first, starter.id
    )
    await inbox.open_item(db, starter.id, first_item)
    opened_at = await db.fetchval("SELECT read_at FROM inbox_items WHERE id = $1", first_item)
    await inbox.mark_all_read(db, starter.id)
    assert await inbox.unread_count(db, starter.id) == 0
    assert await db.fetchval("SELECT read_at FROM inbox_items WHERE id = $1", first_item) == (
        opened_at
    )
    assert await inbox.unread_count(db, follower.id) == 2


async def test_the_unread_count_stops_at_the_cap(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic_id, thread = await make_thread(db, grief, replier, replies=inbox.UNREAD_CAP + 1)
    await db.execute(
        "INSERT INTO inbox_items (member_id, post_id, reason)"
        " SELECT $1, id, 'following' FROM posts WHERE topic_id = $2 AND number > 1",
        starter.id,
        topic_id,
    )
    assert len(thread) - 1 == inbox.UNREAD_CAP + 1 == 100
    assert await inbox.unread_count(db, starter.id) == 99
    await db.execute(
        "UPDATE inbox_items SET read_at = now() WHERE id IN (SELECT id FROM inbox_items LIMIT 1)"
    )
    assert await inbox.unread_count(db, starter.id) == 99
    await db.execute(
        "UPDATE inbox_items SET read_at = now()"
        " WHERE id IN (SELECT id FROM inbox_items WHERE read_at IS NULL LIMIT 1)"
    )
    assert await inbox.unread_count(db, starter.id) == 98


# -- muting members --------------------------------------------------------------------------


async def test_mute_and_unmute_a_member_one_way_only(
    db: asyncpg.Connection, starter: Member, replier: Member
) -> None:
    assert not await inbox.has_muted(db, starter.id, replier.id)
    await inbox.mute_member(db, starter.id, replier.id)
    await inbox.mute_member(db, starter.id, replier.id)  # again: no error, still one row
    assert await inbox.has_muted(db, starter.id, replier.id)
    assert not await inbox.has_muted(db, replier.id, starter.id)
    assert await db.fetchval("SELECT count(*) FROM member_mutes") == 1
    await inbox.unmute_member(db, starter.id, replier.id)
    assert not await inbox.has_muted(db, starter.id, replier.id)
    await inbox.unmute_member(db, starter.id, replier.id)  # not muted: nothing happens


async def test_a_member_cannot_mute_themselves(db: asyncpg.Connection, starter: Member) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await inbox.mute_member(db, starter.id, starter.id)


async def test_muted_posts_are_the_signed_ones_by_muted_members_among_those_asked_about(
    db: asyncpg.Connection, topic: NewPost, starter: Member, replier: Member, follower: Member
) -> None:
    await inbox.mute_member(db, starter.id, replier.id)
    signed = await _reply(db, topic, replier)
    unsigned = await _reply(db, topic, replier, anonymous=True)
    by_other = await _reply(db, topic, follower)
    named = await _reply(db, topic, replier)
    await db.execute("UPDATE posts SET persona = 'Heron' WHERE id = $1", named)
    asked = [topic.post_id, signed, unsigned, by_other, named]
    assert await inbox.list_muted_posts(db, starter.id, asked) == {signed}
    assert await inbox.list_muted_posts(db, follower.id, asked) == set()
    assert await inbox.list_muted_posts(db, starter.id, []) == set()
