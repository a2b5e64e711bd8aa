"""The moderation queue's storage: opening items, ordering, claims, closing, reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.storage import queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_reply, make_topic


# `author` ("willow") and `keeper` come from tests.factories; `warden` is a second moderator.
@pytest.fixture
async def warden(make_member: MakeMember) -> Member:
    return await make_member("warden")


@pytest.fixture
async def group(make_group: MakeGroup) -> Group:
    return await make_group("grief")


async def make_post(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    *,
    anonymous: bool = False,
    body: str = "A body",
) -> int:
    return (await make_topic(db, group, author, body=body, anonymous=anonymous)).post_id


BASE = datetime(2024, 1, 1, tzinfo=UTC)


async def item_at(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    kind: str,
    minutes: int,
    priority: int | None = None,
) -> int:
    """An open item of `kind` on a new post, created `minutes` after BASE."""
    post_id = await make_post(db, group, author)
    item_id: int = await db.fetchval(
        "INSERT INTO queue_items (group_id, post_id, kind, priority, created_at)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        group.id,
        post_id,
        kind,
        queue_items.PRIORITY[kind] if priority is None else priority,
        BASE + timedelta(minutes=minutes),
    )
    return item_id


async def open_item(
    db: asyncpg.Connection, group: Group, post_id: int, kind: str, priority: int | None = None
) -> tuple[int, bool]:
    """queue_items.open_item on the post, at the kind's usual priority unless one is given."""
    return await queue_items.open_item(
        db,
        group_id=group.id,
        post_id=post_id,
        kind=kind,
        priority=queue_items.PRIORITY[kind] if priority is None else priority,
    )


async def expire_claims(db: asyncpg.Connection) -> None:
    """Every claim's time runs out, as if its holder had walked away."""
    await db.execute("UPDATE queue_items SET claimed_until = now() - interval '1 second'")


# -- Ordering --------------------------------------------------------------------------------------


async def test_crisis_comes_before_held_before_reports(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    report = await item_at(db, group, author, "report", 0)
    held = await item_at(db, group, author, "held", 1)
    crisis = await item_at(db, group, author, "crisis", 2, priority=0)
    assert [i.id for i in await queue_items.list_open(db, None)] == [crisis, held, report]


async def test_items_of_one_kind_come_oldest_first(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    newer = await item_at(db, group, author, "held", 10)
    oldest = await item_at(db, group, author, "held", 0)
    middle = await item_at(db, group, author, "held", 5)
    assert [i.id for i in await queue_items.list_open(db, None)] == [oldest, middle, newer]


async def test_an_urgent_crisis_comes_before_a_concern(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    concern = await item_at(
        db, group, author, "crisis", 0, priority=queue_items.PRIORITY["crisis-concern"]
    )
    urgent = await item_at(
        db, group, author, "crisis", 5, priority=queue_items.PRIORITY["crisis-urgent"]
    )
    assert [i.id for i in await queue_items.list_open(db, None)] == [urgent, concern]


async def test_a_new_crisis_comes_before_an_old_held_post(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    old_held = await item_at(db, group, author, "held", 0)
    crisis = await item_at(db, group, author, "crisis", 600, priority=0)
    assert [i.id for i in await queue_items.list_open(db, None)] == [crisis, old_held]


async def test_closed_items_are_not_listed(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    done = await item_at(db, group, author, "held", 0)
    waiting = await item_at(db, group, author, "held", 1)
    assert await queue_items.close(db, done, keeper.id, "approved")
    assert [i.id for i in await queue_items.list_open(db, None)] == [waiting]


async def test_listing_is_limited_to_the_given_groups(
    db: asyncpg.Connection, make_group: MakeGroup, group: Group, author: Member
) -> None:
    other = await make_group("cancer")
    mine = await item_at(db, group, author, "held", 0)
    await item_at(db, other, author, "held", 0)
    assert [i.id for i in await queue_items.list_open(db, [group.id])] == [mine]


async def test_open_items_are_counted_by_kind(
    db: asyncpg.Connection, make_group: MakeGroup, group: Group, author: Member, keeper: Member
) -> None:
    other = await make_group("cancer")
    await item_at(db, group, author, "held", 0)
    await item_at(db, group, author, "held", 1)
    await item_at(db, group, author, "report", 2)
    await item_at(db, other, author, "crisis", 0, priority=0)
    closed = await item_at(db, group, author, "report", 3)
    await queue_items.close(db, closed, keeper.id, "resolved")
    assert await queue_items.count_open_by_kind(db, [group.id]) == {"held": 2, "report": 1}
    assert await queue_items.count_open_by_kind(db, None) == {"held": 2, "report": 1, "crisis": 1}


# -- Opening items ---------------------------------------------------------------------------------


async def test_opening_an_item_twice_returns_the_open_one(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    post_id = await make_post(db, group, author)
    first = await open_item(db, group, post_id, "report")
    again = await open_item(db, group, post_id, "report")
    assert first == (first[0], True)
    assert again == (first[0], False)


async def test_a_post_can_have_open_items_of_different_kinds(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    post_id = await make_post(db, group, author)
    held, _ = await open_item(db, group, post_id, "held")
    report, _ = await open_item(db, group, post_id, "report")
    assert held != report


async def test_a_closed_item_does_not_stop_a_new_one(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    post_id = await make_post(db, group, author)
    first, _ = await open_item(db, group, post_id, "report")
    await queue_items.close(db, first, keeper.id, "resolved")
    second, opened = await open_item(db, group, post_id, "report")
    assert opened
    assert second != first


async def test_reopening_keeps_the_more_urgent_priority(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    post_id = await make_post(db, group, author)
    item_id, _ = await open_item(db, group, post_id, "crisis", priority=10)
    await open_item(db, group, post_id, "crisis", priority=0)
    await open_item(db, group, post_id, "crisis", priority=10)
    current = await queue_items.get_item(db, item_id)
    assert current is not None
    assert current.priority == 0


# -- Claims and closing ----------------------------------------------------------------------------


async def test_a_claimed_item_cannot_be_claimed_by_another(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    assert await queue_items.claim(db, item_id, keeper.id)
    assert not await queue_items.claim(db, item_id, warden.id)


async def test_a_claim_can_be_renewed_by_its_holder(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    assert await queue_items.claim(db, item_id, keeper.id)
    assert await queue_items.claim(db, item_id, keeper.id)


async def test_an_expired_claim_can_be_taken_over(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    await queue_items.claim(db, item_id, keeper.id)
    await expire_claims(db)
    assert await queue_items.claim(db, item_id, warden.id)
    current = await queue_items.get_item(db, item_id)
    assert current is not None
    assert current.claimed_by == warden.id


async def test_the_first_claim_time_is_kept(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    await queue_items.claim(db, item_id, keeper.id)
    first = await db.fetchval("SELECT first_claimed_at FROM queue_items WHERE id = $1", item_id)
    await expire_claims(db)
    await queue_items.claim(db, item_id, warden.id)
    assert (
        await db.fetchval("SELECT first_claimed_at FROM queue_items WHERE id = $1", item_id)
        == first
    )


async def test_another_moderator_cannot_close_a_claimed_item(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    await queue_items.claim(db, item_id, keeper.id)
    assert not await queue_items.close(db, item_id, warden.id, "approved")
    current = await queue_items.get_item(db, item_id)
    assert current is not None
    assert current.state == "open"


async def test_an_item_closes_only_once(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    assert await queue_items.close(db, item_id, keeper.id, "approved")
    assert not await queue_items.close(db, item_id, warden.id, "rejected")
    item = await queue_items.get_item(db, item_id)
    assert item is not None
    assert (item.state, item.outcome, item.closed_by_name) == ("closed", "approved", "keeper")


async def test_a_closed_item_cannot_be_claimed(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    await queue_items.close(db, item_id, keeper.id, "approved")
    assert not await queue_items.claim(db, item_id, keeper.id)


async def test_closing_the_other_items_of_a_post(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    post_id = await make_post(db, group, author)
    held, _ = await open_item(db, group, post_id, "held")
    report, _ = await open_item(db, group, post_id, "report")
    await queue_items.close(db, held, keeper.id, "approved")
    assert await queue_items.close_other_open_items(db, post_id, keeper.id, "approved") == [report]
    current = await queue_items.get_item(db, report)
    assert current is not None
    assert current.state == "closed"


async def test_an_item_can_be_escalated_once(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    item_id = await item_at(db, group, author, "held", 0)
    assert await queue_items.escalate(db, item_id, keeper.id)
    assert not await queue_items.escalate(db, item_id, keeper.id)


# -- Authors and reports ---------------------------------------------------------------------------


async def test_an_item_names_a_named_author(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    post_id = await make_post(db, group, author)
    item_id, _ = await open_item(db, group, post_id, "held")
    current = await queue_items.get_item(db, item_id)
    assert current is not None
    assert current.author_name == "willow"


async def test_an_item_never_names_an_anonymous_author(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    post_id = await make_post(db, group, author, anonymous=True)
    item_id, _ = await open_item(db, group, post_id, "held")
    item = await queue_items.get_item(db, item_id)
    assert item is not None
    assert item.author_name is None
    assert item.author_id == author.id  # so sanctions can still reach them
    assert all(i.author_name is None for i in await queue_items.list_open(db, None))


async def test_a_member_reports_a_post_once(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member
) -> None:
    post_id = await make_post(db, group, author)
    assert await queue_items.create_report(db, post_id, keeper.id, "spam", "")
    assert not await queue_items.create_report(db, post_id, keeper.id, "hate", "again")


async def test_reporters_are_counted_since_a_time(
    db: asyncpg.Connection, group: Group, author: Member, keeper: Member, warden: Member
) -> None:
    post_id = await make_post(db, group, author)
    await queue_items.create_report(db, post_id, keeper.id, "spam", "")
    await db.execute("UPDATE reports SET created_at = now() - interval '1 hour'")
    await queue_items.create_report(db, post_id, warden.id, "spam", "")
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert await queue_items.count_reporters_since(db, post_id, since) == 1
    assert await queue_items.count_reporters_since(db, post_id, since - timedelta(hours=2)) == 2


async def test_an_authors_history_counts_their_posts_in_the_group(
    db: asyncpg.Connection, make_group: MakeGroup, group: Group, author: Member
) -> None:
    for _ in range(2):
        await make_post(db, group, author)
    removed = await make_post(db, group, author)
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", removed)
    await make_post(db, await make_group("cancer"), author)
    history = await queue_items.author_history(db, author.id, group.id, "member")
    assert (history.published_posts, history.removed_posts, history.held_posts) == (2, 1, 0)


async def test_an_authors_history_counts_only_the_posts_under_the_items_identity(
    db: asyncpg.Connection, group: Group, author: Member
) -> None:
    signed = await make_topic(db, group, author)
    await make_post(db, group, author)
    anonymous = await make_reply(db, signed.topic_id, author, anonymous=True)
    await make_reply(db, signed.topic_id, author, anonymous=True)
    removed = await make_topic(db, group, author, anonymous=True)
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", removed.post_id)
    await make_topic(db, group, author, persona="Stillwater")
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=anonymous.post_id, kind="report", priority=30
    )
    item = await queue_items.get_item(db, item_id)
    assert item is not None
    assert (item.identity, item.author_name, item.anon_label) == (
        f"anon:{signed.topic_id}",
        None,
        1,
    )

    def counts(history: queue_items.AuthorHistory) -> tuple[int, int, int]:
        return (history.published_posts, history.removed_posts, history.held_posts)

    in_topic = await queue_items.author_history(db, author.id, group.id, item.identity)
    assert counts(in_topic) == (2, 0, 0)
    other_topic = await queue_items.author_history(
        db, author.id, group.id, f"anon:{removed.topic_id}"
    )
    assert counts(other_topic) == (0, 1, 0)
    signed_only = await queue_items.author_history(db, author.id, group.id, "member")
    assert counts(signed_only) == (2, 0, 0)
    named = await queue_items.author_history(
        db, author.id, group.id, f"persona:{group.id}:stillwater"
    )
    assert counts(named) == (1, 0, 0)
