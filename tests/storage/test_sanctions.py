"""forum.storage.sanctions against a real database: what a sanction records, which ones still
block posting in a group, and a member's record as a group's moderators see it."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from forum.storage import sanctions
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.sanctions import Sanction
from tests.factories import MakeGroup, MakeMember, make_reply, make_topic


async def _sanction(
    db: asyncpg.Connection,
    member: Member,
    by: Member,
    kind: str,
    group: Group | None,
    *,
    duration: timedelta | None = None,
    reason: str = "Please be kind",
    post_id: int | None = None,
) -> Sanction:
    return await sanctions.create(
        db,
        member_id=member.id,
        group_id=None if group is None else group.id,
        kind=kind,
        reason=reason,
        duration=duration,
        created_by=by.id,
        post_id=post_id,
    )


async def test_create_returns_the_sanction_ending_after_its_duration(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    made = await _sanction(db, member, keeper, "mute", group, duration=timedelta(days=3))
    assert (made.kind, made.group_id, made.reason) == ("mute", group.id, "Please be kind")
    assert made.ends_at is not None
    assert made.ends_at - made.created_at == timedelta(days=3)
    row = await db.fetchrow("SELECT member_id, created_by FROM sanctions WHERE id = $1", made.id)
    assert row is not None
    assert tuple(row) == (member.id, keeper.id)


async def test_create_without_a_duration_lasts_until_lifted(
    db: asyncpg.Connection, member: Member, keeper: Member
) -> None:
    made = await _sanction(db, member, keeper, "suspend", None)
    assert (made.group_id, made.ends_at) == (None, None)


async def test_a_suspension_must_be_site_wide_and_other_kinds_need_a_group(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    with pytest.raises(asyncpg.CheckViolationError):
        await _sanction(db, member, keeper, "suspend", group)
    with pytest.raises(asyncpg.CheckViolationError):
        await _sanction(db, member, keeper, "mute", None)


async def test_a_suspension_blocks_posting_in_every_group(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    first, second = await make_group(), await make_group()
    made = await _sanction(db, member, keeper, "suspend", None, duration=timedelta(days=1))
    assert await sanctions.active_posting_blocks(db, member.id, first.id) == [made]
    assert await sanctions.active_posting_blocks(db, member.id, second.id) == [made]


async def test_a_mute_or_removal_blocks_posting_in_its_group_only(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    muted_in, removed_from, elsewhere = await make_group(), await make_group(), await make_group()
    mute = await _sanction(db, member, keeper, "mute", muted_in, duration=timedelta(hours=1))
    removal = await _sanction(db, member, keeper, "remove", removed_from)
    assert await sanctions.active_posting_blocks(db, member.id, muted_in.id) == [mute]
    assert await sanctions.active_posting_blocks(db, member.id, removed_from.id) == [removal]
    assert await sanctions.active_posting_blocks(db, member.id, elsewhere.id) == []


async def test_a_warning_or_an_ended_sanction_blocks_nothing(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    await _sanction(db, member, keeper, "warn", group)
    await _sanction(db, member, keeper, "mute", group, duration=timedelta(seconds=-1))
    await _sanction(db, member, keeper, "suspend", None, duration=timedelta(seconds=-1))
    assert await sanctions.active_posting_blocks(db, member.id, group.id) == []


async def test_another_members_sanctions_do_not_block_this_member(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, keeper: Member
) -> None:
    group = await make_group()
    me, other = await make_member(), await make_member()
    await _sanction(db, other, keeper, "suspend", None)
    await _sanction(db, other, keeper, "mute", group)
    assert await sanctions.active_posting_blocks(db, me.id, group.id) == []


async def test_blocks_that_never_end_come_first_then_the_longest_lasting(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    short = await _sanction(db, member, keeper, "mute", group, duration=timedelta(hours=1))
    forever = await _sanction(db, member, keeper, "remove", group)
    long = await _sanction(db, member, keeper, "suspend", None, duration=timedelta(days=7))
    assert await sanctions.active_posting_blocks(db, member.id, group.id) == [forever, long, short]


async def test_list_for_shows_the_groups_and_site_wide_sanctions_newest_first(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, keeper: Member
) -> None:
    group, elsewhere = await make_group(), await make_group()
    me, other = await make_member(), await make_member()
    warning = await _sanction(db, me, keeper, "warn", group, reason="first")
    await _sanction(db, me, keeper, "mute", elsewhere, reason="other group")
    ended = await _sanction(db, me, keeper, "mute", group, duration=timedelta(seconds=-1))
    suspension = await _sanction(db, me, keeper, "suspend", None, reason="site-wide")
    await _sanction(db, other, keeper, "warn", group, reason="someone else")
    listed = await sanctions.list_for(db, me.id, group.id, "member")
    assert listed == [suspension, ended, warning]


async def test_list_for_shows_at_most_the_fifty_newest(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    made = [await _sanction(db, member, keeper, "warn", group, reason=f"#{n}") for n in range(51)]
    listed = await sanctions.list_for(db, member.id, group.id, "member")
    assert [s.id for s in listed] == [s.id for s in reversed(made[1:])]


async def test_a_sanction_records_the_identity_of_the_post_it_was_given_for(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    signed = await make_topic(db, group, member)
    anonymous = await make_reply(db, signed.topic_id, member, anonymous=True)
    named = await make_topic(db, group, member, persona="Stillwater")
    given = {
        "signed": await _sanction(db, member, keeper, "warn", group, post_id=signed.post_id),
        "anonymous": await _sanction(db, member, keeper, "warn", group, post_id=anonymous.post_id),
        "named": await _sanction(db, member, keeper, "warn", group, post_id=named.post_id),
        "no post": await _sanction(db, member, keeper, "warn", group),
    }
    identities = {
        label: await db.fetchval("SELECT identity FROM sanctions WHERE id = $1", s.id)
        for label, s in given.items()
    }
    assert identities == {
        "signed": "member",
        "anonymous": f"anon:{signed.topic_id}",
        "named": f"persona:{group.id}:stillwater",
        "no post": "member",
    }


async def test_list_for_lists_only_the_sanctions_given_under_that_identity(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, keeper: Member
) -> None:
    group = await make_group()
    signed = await make_topic(db, group, member)
    first = await make_reply(db, signed.topic_id, member, anonymous=True)
    elsewhere = await make_topic(db, group, member, anonymous=True)
    on_signed = await _sanction(db, member, keeper, "warn", group, post_id=signed.post_id)
    on_anonymous = await _sanction(db, member, keeper, "mute", group, post_id=first.post_id)
    on_other_topic = await _sanction(db, member, keeper, "warn", group, post_id=elsewhere.post_id)
    suspended = await _sanction(db, member, keeper, "suspend", None, post_id=first.post_id)
    assert await sanctions.list_for(db, member.id, group.id, "member") == [on_signed]
    assert await sanctions.list_for(db, member.id, group.id, f"anon:{signed.topic_id}") == [
        suspended,
        on_anonymous,
    ]
    assert await sanctions.list_for(db, member.id, group.id, f"anon:{elsewhere.topic_id}") == [
        on_other_topic
    ]
    # Enforced on the member whatever the name they would post under next.
    blocks = await sanctions.active_posting_blocks(db, member.id, group.id)
    assert {b.id for b in blocks} == {on_anonymous.id, suspended.id}
