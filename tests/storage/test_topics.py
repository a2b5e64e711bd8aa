"""forum.storage.topics against a real database: numbering, keyset paging, anonymous authors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.storage import topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_topic


async def try_reply(
    conn: asyncpg.Connection,
    topic_id: int,
    author: Member,
    *,
    anonymous: bool = False,
    body: str = "a reply",
) -> topics.NewPost | None:
    async with conn.transaction():
        return await topics.create_reply(
            conn,
            topic_id=topic_id,
            author_id=author.id,
            anonymous=anonymous,
            body_source=body,
            body_html=f"<p>{body}</p>",
            content_warning="",
        )


async def reply(
    conn: asyncpg.Connection,
    topic_id: int,
    author: Member,
    *,
    anonymous: bool = False,
    body: str = "a reply",
) -> topics.NewPost:
    """A reply to a published topic (so one is always made)."""
    created = await try_reply(conn, topic_id, author, anonymous=anonymous, body=body)
    assert created is not None
    return created


async def set_topic_state(db: asyncpg.Connection, topic_id: int, state: str) -> None:
    """Put the topic in `state` (held, removed, ...) as moderation would."""
    await db.execute("UPDATE topics SET state = $2 WHERE id = $1", topic_id, state)


# -- Creating -----------------------------------------------------------------------------------


async def test_create_topic_makes_post_number_1(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    assert new.number == 1
    assert [p.number for p in await topics.list_posts(db, new.topic_id, 1, 20)] == [1]


async def test_new_topic_has_no_replies(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    topic = await topics.get_topic(db, new.topic_id)
    assert topic is not None
    assert (topic.last_post_number, topic.reply_count) == (1, 0)


async def test_create_reply_numbers_posts_consecutively(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    numbers = [(await reply(db, new.topic_id, river)).number for _ in range(3)]
    assert numbers == [2, 3, 4]


async def test_create_reply_counts_the_reply_and_bumps_the_topic(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await db.execute("UPDATE topics SET last_posted_at = '2024-01-01' WHERE id = $1", new.topic_id)
    await reply(db, new.topic_id, river)
    topic = await topics.get_topic(db, new.topic_id)
    assert topic is not None
    assert (topic.last_post_number, topic.reply_count) == (2, 1)
    assert topic.last_posted_at > datetime(2024, 1, 2, tzinfo=UTC)


async def test_create_reply_to_an_unknown_topic_returns_none(
    db: asyncpg.Connection, river: Member
) -> None:
    assert await try_reply(db, 424242, river) is None


async def test_create_reply_to_a_removed_topic_returns_none(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await set_topic_state(db, new.topic_id, "removed")
    assert await try_reply(db, new.topic_id, river) is None
    assert await db.fetchval("SELECT count(*) FROM posts") == 1


@pytest.fixture
async def two_connections(
    database_url: str, db: asyncpg.Connection
) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    first = await asyncpg.connect(database_url)
    second = await asyncpg.connect(database_url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_concurrent_replies_from_two_connections_get_consecutive_numbers(
    db: asyncpg.Connection,
    group: Group,
    river: Member,
    make_member: MakeMember,
    two_connections: tuple[asyncpg.Connection, asyncpg.Connection],
) -> None:
    other = await make_member("stone")
    new = await make_topic(db, group, river)

    async def write(conn: asyncpg.Connection, who: Member, count: int) -> list[int]:
        numbers = []
        for _ in range(count):
            number = (await reply(conn, new.topic_id, who)).number
            assert number is not None  # the topic is published: replies go straight in
            numbers.append(number)
        return numbers

    first, second = await asyncio.gather(
        write(two_connections[0], river, 15), write(two_connections[1], other, 15)
    )
    assert sorted(first + second) == list(range(2, 32))
    assert first == sorted(first)
    assert second == sorted(second)
    topic = await topics.get_topic(db, new.topic_id)
    assert topic is not None
    assert (topic.last_post_number, topic.reply_count) == (31, 30)


async def test_a_reply_waiting_on_an_uncommitted_reply_takes_the_next_number(
    db: asyncpg.Connection,
    group: Group,
    river: Member,
    two_connections: tuple[asyncpg.Connection, asyncpg.Connection],
) -> None:
    conn_a, conn_b = two_connections
    new = await make_topic(db, group, river)
    pid_b = conn_b.get_server_pid()
    tx_a = conn_a.transaction()
    await tx_a.start()
    first = await topics.create_reply(
        conn_a,
        topic_id=new.topic_id,
        author_id=river.id,
        anonymous=False,
        body_source="A",
        body_html="<p>A</p>",
        content_warning="",
    )
    second_task = asyncio.ensure_future(reply(conn_b, new.topic_id, river, body="B"))
    try:
        # Wait (bounded) until B is really inside its UPDATE, queued behind A's row lock.
        for _ in range(1000):
            if second_task.done() or await db.fetchval(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid_b
            ):
                break
            await asyncio.sleep(0.005)
        assert not second_task.done(), "B did not wait for A's uncommitted reply"
    finally:
        await tx_a.commit()
    second = await second_task
    assert first is not None
    assert (first.number, second.number) == (2, 3)


# -- Reading --------------------------------------------------------------------------------------


async def test_list_posts_returns_the_asked_range_in_order(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    for n in range(2, 8):
        await reply(db, new.topic_id, river, body=f"post {n}")
    found = await topics.list_posts(db, new.topic_id, 3, 5)
    assert [(p.number, p.body_html) for p in found] == [
        (3, "<p>post 3</p>"),
        (4, "<p>post 4</p>"),
        (5, "<p>post 5</p>"),
    ]


async def test_list_posts_gives_a_removed_post_as_a_placeholder_without_body_or_author(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    removed = await reply(db, new.topic_id, river)
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", removed.post_id)
    posts = await topics.list_posts(db, new.topic_id, 1, 20)
    assert [(p.number, p.state) for p in posts] == [(1, "published"), (2, "removed")]
    assert posts[1].body_html == ""
    assert posts[1].author_name is None


async def test_get_topic_returns_none_for_an_unpublished_topic(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await set_topic_state(db, new.topic_id, "held")
    assert await topics.get_topic(db, new.topic_id) is None


async def test_get_post_location_gives_topic_and_number(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    second = await reply(db, new.topic_id, river)
    assert await topics.get_post_location(db, second.post_id) == (new.topic_id, 2)


async def test_get_post_location_hides_posts_of_an_unpublished_topic(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await set_topic_state(db, new.topic_id, "removed")
    assert await topics.get_post_location(db, new.post_id) is None


# -- Anonymous and deleted authors --------------------------------------------------------------


async def test_anonymous_topic_has_no_author_name_in_the_group_list(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, anonymous=True)
    [summary] = await topics.list_group_topics(db, group.id, before=None, limit=10)
    assert summary.author_name is None


async def test_anonymous_topic_has_no_author_name(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, anonymous=True)
    current = await topics.get_topic(db, new.topic_id)
    assert current is not None
    assert current.author_name is None


async def test_anonymous_post_has_no_author_name(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, anonymous=True)
    [post] = await topics.list_posts(db, new.topic_id, 1, 1)
    assert post.author_name is None


async def test_named_reply_in_an_anonymous_topic_keeps_its_name(
    db: asyncpg.Connection, group: Group, river: Member, make_member: MakeMember
) -> None:
    other = await make_member("stone")
    new = await make_topic(db, group, river, anonymous=True)
    await reply(db, new.topic_id, other)
    assert [p.author_name for p in await topics.list_posts(db, new.topic_id, 1, 2)] == [
        None,
        "stone",
    ]


async def test_anonymous_reply_in_a_named_topic_has_no_author_name(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await reply(db, new.topic_id, river, anonymous=True)
    assert [p.author_name for p in await topics.list_posts(db, new.topic_id, 1, 2)] == [
        "river",
        None,
    ]


async def test_deleted_members_posts_show_a_placeholder_name(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", river.id)
    [post] = await topics.list_posts(db, new.topic_id, 1, 1)
    assert post.author_name == topics.DELETED_NAME


async def test_deleted_members_anonymous_post_stays_anonymous(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, anonymous=True)
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", river.id)
    [post] = await topics.list_posts(db, new.topic_id, 1, 1)
    assert post.author_name is None


# -- Keyset paging of a group's topics -------------------------------------------------------------


async def _walk(db: asyncpg.Connection, group_id: int, page_size: int) -> list[int]:
    seen: list[int] = []
    before: tuple[datetime, int] | None = None
    for _ in range(100):
        found = await topics.list_group_topics(db, group_id, before=before, limit=page_size)
        seen.extend(t.id for t in found)
        if len(found) < page_size:
            return seen
        before = (found[-1].last_posted_at, found[-1].id)
    raise AssertionError("paging never ended")


BASE = datetime(2024, 1, 1, tzinfo=UTC)


async def _topics_last_posted_at(
    db: asyncpg.Connection, group: Group, author: Member, times: list[datetime]
) -> list[int]:
    """One topic per time, in order, each last posted to at its time: their ids."""
    ids = [(await make_topic(db, group, author, f"Topic {n}")).topic_id for n in range(len(times))]
    for topic_id, at in zip(ids, times, strict=True):
        await db.execute("UPDATE topics SET last_posted_at = $2 WHERE id = $1", topic_id, at)
    return ids


async def test_list_group_topics_orders_by_latest_activity(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    ids = await _topics_last_posted_at(
        db, group, river, [BASE + timedelta(hours=hours) for hours in (5, 1, 3)]
    )
    found = await topics.list_group_topics(db, group.id, before=None, limit=10)
    assert [t.id for t in found] == [ids[0], ids[2], ids[1]]


async def test_list_group_topics_starts_strictly_after_the_cursor(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    ids = await _topics_last_posted_at(
        db, group, river, [BASE + timedelta(minutes=n) for n in range(4)]
    )
    found = await topics.list_group_topics(
        db, group.id, before=(BASE + timedelta(minutes=2), ids[2]), limit=10
    )
    assert [t.id for t in found] == [ids[1], ids[0]]


async def test_list_group_topics_keyset_visits_each_topic_once(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    # Clusters of equal times straddle page boundaries.
    await _topics_last_posted_at(
        db, group, river, [BASE + timedelta(seconds=n // 4) for n in range(23)]
    )
    expected = [
        r["id"]
        for r in await db.fetch("SELECT id FROM topics ORDER BY last_posted_at DESC, id DESC")
    ]
    assert await _walk(db, group.id, 5) == expected


async def test_list_group_topics_keyset_handles_topics_with_equal_times(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    ids = await _topics_last_posted_at(db, group, river, [BASE + timedelta(microseconds=1)] * 12)
    assert await _walk(db, group.id, 5) == sorted(ids, reverse=True)


async def test_list_group_topics_leaves_out_other_groups(
    db: asyncpg.Connection, group: Group, river: Member, make_group: MakeGroup
) -> None:
    other_group = await make_group("cancer", members_=[river])
    await make_topic(db, other_group, river)
    mine = await make_topic(db, group, river)
    found = await topics.list_group_topics(db, group.id, before=None, limit=10)
    assert [t.id for t in found] == [mine.topic_id]


async def test_list_group_topics_leaves_out_unpublished_topics(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    held = await make_topic(db, group, river, "Held")
    shown = await make_topic(db, group, river, "Shown")
    await set_topic_state(db, held.topic_id, "held")
    found = await topics.list_group_topics(db, group.id, before=None, limit=10)
    assert [t.id for t in found] == [shown.topic_id]


async def test_list_group_topics_reports_reply_counts(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river)
    await reply(db, new.topic_id, river)
    await reply(db, new.topic_id, river)
    [summary] = await topics.list_group_topics(db, group.id, before=None, limit=10)
    assert summary.reply_count == 2
