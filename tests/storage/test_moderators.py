"""forum.storage.moderators against a real database: appointments, claims per moderator, and
admins who moderate every group without an appointment."""

from __future__ import annotations

import asyncpg

from forum.storage import moderators, queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_topic


async def _open_item(db: asyncpg.Connection, group: Group, author: Member) -> int:
    post = await make_topic(db, group, author)
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=post.post_id, kind="report", priority=30
    )
    return item_id


async def test_appointing_a_member_returns_true_and_makes_them_a_moderator(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group()
    assert await moderators.appoint(db, group.id, member.id, None)
    assert await moderators.is_moderator(db, group.id, member.id)


async def test_appointing_twice_returns_false_and_keeps_one_appointment(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    group = await make_group()
    admin = await make_member("admin", is_admin=True)
    target = await make_member("target")
    await moderators.appoint(db, group.id, target.id, admin.id)
    assert not await moderators.appoint(db, group.id, target.id, None)
    rows = await db.fetch("SELECT appointed_by FROM group_moderators")
    assert [r["appointed_by"] for r in rows] == [admin.id]


async def test_removing_a_moderator_returns_true_once_then_false(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group()
    await moderators.appoint(db, group.id, member.id, None)
    assert await moderators.remove(db, group.id, member.id)
    assert not await moderators.is_moderator(db, group.id, member.id)
    assert not await moderators.remove(db, group.id, member.id)


async def test_a_moderator_of_one_group_does_not_moderate_another(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    mine, other = await make_group(), await make_group()
    await moderators.appoint(db, mine.id, member.id, None)
    assert not await moderators.is_moderator(db, other.id, member.id)


async def test_an_admin_moderates_every_group_without_an_appointment(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    group = await make_group()
    admin = await make_member("admin", is_admin=True)
    assert await moderators.is_moderator(db, group.id, admin.id)
    assert await moderators.list_for_group(db, group.id) == []


async def test_a_deleted_admin_moderates_nothing_and_is_not_listed_as_admin(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    group = await make_group()
    live = await make_member("live", is_admin=True)
    gone = await make_member("gone", is_admin=True)
    await make_member("plain")
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", gone.id)
    assert not await moderators.is_moderator(db, group.id, gone.id)
    assert await moderators.list_admin_ids(db) == [live.id]


async def test_list_for_group_orders_moderators_by_pseudonym_ignoring_case(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    group, other = await make_group(), await make_group()
    for name in ("Willow", "aspen", "birch"):
        await moderators.appoint(db, group.id, (await make_member(name)).id, None)
    await moderators.appoint(db, other.id, (await make_member("cedar")).id, None)
    listed = await moderators.list_for_group(db, group.id)
    assert [m.pseudonym for m in listed] == ["aspen", "birch", "Willow"]


async def test_list_for_group_counts_only_live_claims_on_open_items_of_that_group(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    group, other = await make_group(), await make_group()
    author, keeper = await make_member("author"), await make_member("keeper")
    await moderators.appoint(db, group.id, keeper.id, None)
    await moderators.appoint(db, other.id, keeper.id, None)
    live = await _open_item(db, group, author)
    expired = await _open_item(db, group, author)
    closed = await _open_item(db, group, author)
    elsewhere = await _open_item(db, other, author)
    for item_id in (live, expired, closed, elsewhere):
        assert await queue_items.claim(db, item_id, keeper.id)
    await db.execute(
        "UPDATE queue_items SET claimed_until = now() - interval '1 second' WHERE id = $1",
        expired,
    )
    await db.execute(
        "UPDATE queue_items SET state = 'closed', closed_at = now() WHERE id = $1", closed
    )
    [listed] = await moderators.list_for_group(db, group.id)
    assert (listed.member_id, listed.pseudonym, listed.open_claims) == (keeper.id, "keeper", 1)


async def test_moderated_group_ids_lists_the_members_groups_in_id_order(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    first, second, third = await make_group(), await make_group(), await make_group()
    keeper, other = await make_member("keeper"), await make_member("other")
    await moderators.appoint(db, third.id, keeper.id, None)
    await moderators.appoint(db, first.id, keeper.id, None)
    await moderators.appoint(db, second.id, other.id, None)
    assert await moderators.moderated_group_ids(db, keeper.id) == [first.id, third.id]


async def test_moderated_group_ids_is_empty_for_an_admin_who_was_never_appointed(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    await make_group()
    admin = await make_member("admin", is_admin=True)
    assert await moderators.moderated_group_ids(db, admin.id) == []
