"""forum.storage.memberships against a real database: the pending requests moderators see (oldest
first, per group, never a deleted member's or an archived group's), approving and declining a
request exactly once, and accepting a group's guidelines once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from forum.storage import groups, memberships
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.memberships import JoinRequest
from tests.factories import MakeGroup, MakeMember

BASE = datetime(2024, 1, 1, tzinfo=UTC)


async def _ask(
    db: asyncpg.Connection, group: Group, member: Member, *, minutes: int = 0, answer: str = ""
) -> None:
    """`member` asks to join `group`, `minutes` after BASE."""
    assert await groups.join_group(db, group, member.id, answer=answer) == "pending"
    await db.execute(
        "UPDATE group_members SET joined_at = $3 WHERE group_id = $1 AND member_id = $2",
        group.id,
        member.id,
        BASE + timedelta(minutes=minutes),
    )


async def _row(db: asyncpg.Connection, group: Group, member: Member) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT state, joined_at, guidelines_accepted_at FROM group_members"
        " WHERE group_id = $1 AND member_id = $2",
        group.id,
        member.id,
    )


async def test_a_pending_request_is_listed_with_its_group_question_and_answer(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(
        "carers", name="Carers", membership="approval", join_question="Who do you care for?"
    )
    await _ask(db, group, member, minutes=5, answer="My dad")
    assert await memberships.list_pending(db, None) == [
        JoinRequest(
            group_id=group.id,
            group_slug="carers",
            group_name="Carers",
            join_question="Who do you care for?",
            member_id=member.id,
            pseudonym="river",
            answer="My dad",
            requested_at=BASE + timedelta(minutes=5),
        )
    ]


async def test_pending_requests_come_oldest_first(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    first, second, third = await make_member(), await make_member(), await make_member()
    group = await make_group(membership="approval")
    await _ask(db, group, second, minutes=2)
    await _ask(db, group, third, minutes=3)
    await _ask(db, group, first, minutes=1)
    listed = await memberships.list_pending(db, None)
    assert [r.member_id for r in listed] == [first.id, second.id, third.id]


async def test_list_pending_leaves_out_members_deleted_members_and_archived_groups(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    waiting, gone, joined = await make_member(), await make_member(), await make_member()
    group = await make_group(membership="approval")
    archived = await make_group(membership="approval")
    await _ask(db, group, waiting)
    await _ask(db, group, gone)
    await _ask(db, archived, waiting)
    await groups.add_member(db, group.id, joined.id)
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", gone.id)
    await groups.set_archived(db, archived.id, True)
    listed = await memberships.list_pending(db, None)
    assert [(r.group_id, r.member_id) for r in listed] == [(group.id, waiting.id)]


async def test_list_pending_keeps_to_the_given_groups_and_the_limit(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    one, two = await make_member(), await make_member()
    mine, also_mine, theirs = (
        await make_group(membership="approval"),
        await make_group(membership="approval"),
        await make_group(membership="approval"),
    )
    await _ask(db, mine, one, minutes=1)
    await _ask(db, theirs, one, minutes=2)
    await _ask(db, also_mine, two, minutes=3)
    await _ask(db, mine, two, minutes=4)
    listed = await memberships.list_pending(db, [mine.id, also_mine.id])
    assert [(r.group_id, r.member_id) for r in listed] == [
        (mine.id, one.id),
        (also_mine.id, two.id),
        (mine.id, two.id),
    ]
    assert await memberships.list_pending(db, []) == []
    limited = await memberships.list_pending(db, None, limit=2)
    assert [(r.group_id, r.member_id) for r in limited] == [(mine.id, one.id), (theirs.id, one.id)]


async def test_requests_made_at_the_same_moment_are_ordered_by_group_then_member(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    one, two = await make_member(), await make_member()
    first, second = await make_group(membership="approval"), await make_group(membership="approval")
    await _ask(db, second, one)
    await _ask(db, first, two)
    await _ask(db, first, one)
    listed = await memberships.list_pending(db, None)
    assert [(r.group_id, r.member_id) for r in listed] == [
        (first.id, one.id),
        (first.id, two.id),
        (second.id, one.id),
    ]


async def test_approving_makes_the_request_an_active_membership_from_now_once(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(membership="approval")
    await _ask(db, group, member)
    assert await memberships.approve(db, group.id, member.id)
    row = await _row(db, group, member)
    assert row is not None
    assert row["state"] == "active"
    assert row["joined_at"] > BASE + timedelta(days=1)
    assert await groups.is_active_member(db, group.id, member.id)
    assert not await memberships.approve(db, group.id, member.id)
    assert await memberships.list_pending(db, None) == []


async def test_approving_or_declining_without_a_request_changes_nothing(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    joined, stranger = await make_member(), await make_member()
    group = await make_group(members_=[joined])
    assert not await memberships.approve(db, group.id, stranger.id)
    assert not await memberships.decline(db, group.id, stranger.id)
    assert not await memberships.decline(db, group.id, joined.id)
    assert await groups.is_active_member(db, group.id, joined.id)
    assert await _row(db, group, stranger) is None


async def test_declining_deletes_the_request_so_the_member_may_ask_again(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(membership="approval")
    await _ask(db, group, member, answer="first try")
    assert await memberships.decline(db, group.id, member.id)
    assert await _row(db, group, member) is None
    assert not await memberships.decline(db, group.id, member.id)
    await _ask(db, group, member, answer="second try")
    assert [r.answer for r in await memberships.list_pending(db, None)] == ["second try"]


async def test_an_active_member_accepts_the_guidelines_once(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(members_=[member], guidelines="Be gentle")
    assert not await memberships.has_accepted_guidelines(db, group.id, member.id)
    assert await memberships.accept_guidelines(db, group.id, member.id)
    assert await memberships.has_accepted_guidelines(db, group.id, member.id)
    first = await _row(db, group, member)
    assert first is not None
    assert first["guidelines_accepted_at"] is not None
    assert not await memberships.accept_guidelines(db, group.id, member.id)
    again = await _row(db, group, member)
    assert again is not None
    assert again["guidelines_accepted_at"] == first["guidelines_accepted_at"]


async def test_only_an_active_member_can_accept_the_guidelines(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    applicant, stranger = await make_member(), await make_member()
    group = await make_group(membership="approval", guidelines="Be gentle")
    await _ask(db, group, applicant)
    assert not await memberships.accept_guidelines(db, group.id, applicant.id)
    assert not await memberships.accept_guidelines(db, group.id, stranger.id)
    assert not await memberships.has_accepted_guidelines(db, group.id, applicant.id)
    assert not await memberships.has_accepted_guidelines(db, group.id, stranger.id)


async def test_guidelines_accepted_when_asking_to_join_count_once_approved(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(membership="approval", guidelines="Be gentle")
    await groups.join_group(db, group, member.id, accepted_guidelines=True)
    await memberships.approve(db, group.id, member.id)
    assert await memberships.has_accepted_guidelines(db, group.id, member.id)
    assert not await memberships.accept_guidelines(db, group.id, member.id)


async def test_accepting_in_one_group_says_nothing_about_another(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group, elsewhere = await make_group(members_=[member]), await make_group(members_=[member])
    await memberships.accept_guidelines(db, group.id, member.id)
    assert not await memberships.has_accepted_guidelines(db, elsewhere.id, member.id)
