"""forum.storage.notifications against a real database: writing one or many, reading a member's
own newest first, and the unread count."""

from __future__ import annotations

import asyncpg

from forum.storage import notifications
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeMember, make_topic


async def test_notify_writes_one_row_for_the_member_that_reads_back(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    post = await make_topic(db, grief, starter)
    await notifications.notify(db, starter.id, "held", "Your post waits", post_id=post.post_id)
    [note] = await notifications.list_for(db, starter.id)
    assert (note.kind, note.post_id, note.message, note.read_at) == (
        "held",
        post.post_id,
        "Your post waits",
        None,
    )


async def test_notify_without_a_post_stores_no_post(db: asyncpg.Connection, member: Member) -> None:
    await notifications.notify(db, member.id, "warned", "A moderator wrote to you")
    [note] = await notifications.list_for(db, member.id)
    assert note.post_id is None


async def test_notify_all_sends_the_same_notification_to_each_member_in_their_order(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    a, b, c = await make_member(), await make_member(), await make_member()
    await notifications.notify_all(db, [c.id, a.id, b.id], "crisis", "Unclaimed urgent post")
    rows = await db.fetch("SELECT member_id, kind, message FROM notifications ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (c.id, "crisis", "Unclaimed urgent post"),
        (a.id, "crisis", "Unclaimed urgent post"),
        (b.id, "crisis", "Unclaimed urgent post"),
    ]


async def test_notify_all_carries_the_post_to_every_member(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    post = await make_topic(db, grief, starter)
    await notifications.notify_all(
        db, [starter.id, replier.id], "crisis", "Look", post_id=post.post_id
    )
    for someone in (starter, replier):
        assert [n.post_id for n in await notifications.list_for(db, someone.id)] == [post.post_id]


async def test_notify_all_to_no_one_writes_nothing(db: asyncpg.Connection) -> None:
    await notifications.notify_all(db, [], "crisis", "Nobody to tell")
    assert await db.fetchval("SELECT count(*) FROM notifications") == 0


async def test_list_for_lists_only_the_members_own_newest_first(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    for text in ("first", "second", "third"):
        await notifications.notify(db, me.id, "approved", text)
    await notifications.notify(db, other.id, "approved", "not mine")
    listed = await notifications.list_for(db, me.id)
    assert [n.message for n in listed] == ["third", "second", "first"]


async def test_list_for_returns_at_most_limit_newest_notifications(
    db: asyncpg.Connection, member: Member
) -> None:
    for n in range(5):
        await notifications.notify(db, member.id, "approved", f"note {n}")
    listed = await notifications.list_for(db, member.id, limit=2)
    assert [n.message for n in listed] == ["note 4", "note 3"]


async def test_unread_count_counts_only_the_members_unread_notifications(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    for _ in range(3):
        await notifications.notify(db, me.id, "approved", "yes")
    await notifications.notify(db, other.id, "approved", "theirs")
    await db.execute(
        "UPDATE notifications SET read_at = now()"
        " WHERE id = (SELECT min(id) FROM notifications WHERE member_id = $1)",
        me.id,
    )
    assert await notifications.unread_count(db, me.id) == 2


async def test_unread_count_stops_counting_at_one_hundred(
    db: asyncpg.Connection, member: Member
) -> None:
    await notifications.notify_all(db, [member.id] * 101, "approved", "many")
    assert await db.fetchval("SELECT count(*) FROM notifications") == 101
    assert await notifications.unread_count(db, member.id) == 100


async def test_mark_all_read_marks_only_that_members_notifications(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    await notifications.notify(db, me.id, "approved", "mine")
    await notifications.notify(db, other.id, "approved", "theirs")
    await notifications.mark_all_read(db, me.id)
    assert await notifications.unread_count(db, me.id) == 0
    assert await notifications.unread_count(db, other.id) == 1
    [note] = await notifications.list_for(db, me.id)
    assert note.read_at is not None


async def test_mark_all_read_keeps_the_time_an_earlier_notification_was_read(
    db: asyncpg.Connection, member: Member
) -> None:
    await notifications.notify(db, member.id, "approved", "old")
    await db.execute("UPDATE notifications SET read_at = now() - interval '1 day'")
    before = await db.fetchval("SELECT read_at FROM notifications")
    await notifications.notify(db, member.id, "approved", "new")
    await notifications.mark_all_read(db, member.id)
    newest, oldest = await notifications.list_for(db, member.id)
    assert oldest.read_at == before
    assert newest.read_at is not None
    assert newest.read_at > before
