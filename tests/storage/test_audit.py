"""forum.storage.audit against a real database: what an entry records, recording a change only
when it changed something (in the change's transaction), the log as moderators and admins page
through it (newest first, scoped to groups, never naming the subject), reading back an admin's
reveal, and the trigger that keeps the log append-only."""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from forum.storage import audit, moderators, queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_topic


async def _item(db: asyncpg.Connection, group: Group, author: Member) -> tuple[int, int]:
    """A published topic with an open report item: (item id, post id)."""
    post = await make_topic(db, group, author)
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=post.post_id, kind="report", priority=30
    )
    return item_id, post.post_id


def _actions(entries: list[audit.Entry]) -> list[str]:
    return [e.action for e in entries]


async def _entry_count(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM audit_log"))


# -- record ----------------------------------------------------------------------------------


async def test_record_writes_every_field_and_returns_the_new_id(
    db: asyncpg.Connection, make_group: MakeGroup, keeper: Member, author: Member
) -> None:
    group = await make_group()
    item_id, post_id = await _item(db, group, author)
    entry_id = await audit.record(
        db,
        actor_id=keeper.id,
        action="reject",
        group_id=group.id,
        item_id=item_id,
        post_id=post_id,
        subject_id=author.id,
        reason="Not for this group",
    )
    row = await db.fetchrow(
        "SELECT actor_id, action, group_id, item_id, post_id, subject_id, reason, at"
        " FROM audit_log WHERE id = $1",
        entry_id,
    )
    assert row is not None
    assert tuple(row)[:7] == (
        keeper.id,
        "reject",
        group.id,
        item_id,
        post_id,
        author.id,
        "Not for this group",
    )
    assert row["at"] is not None


async def test_record_by_the_forum_itself_has_no_actor_and_an_empty_reason(
    db: asyncpg.Connection,
) -> None:
    entry_id = await audit.record(db, actor_id=None, action="hold")
    row = await db.fetchrow(
        "SELECT actor_id, group_id, item_id, post_id, subject_id, reason FROM audit_log"
        " WHERE id = $1",
        entry_id,
    )
    assert row is not None
    assert tuple(row) == (None, None, None, None, None, "")


async def test_record_returns_increasing_ids(db: asyncpg.Connection, keeper: Member) -> None:
    first = await audit.record(db, actor_id=keeper.id, action="claim")
    second = await audit.record(db, actor_id=keeper.id, action="claim")
    assert second > first


async def test_record_refuses_an_unknown_group(db: asyncpg.Connection, keeper: Member) -> None:
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await audit.record(db, actor_id=keeper.id, action="claim", group_id=999_999)


# -- record_if_changed -----------------------------------------------------------------------


async def test_a_change_is_recorded_with_its_details_and_returns_true(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, member: Member
) -> None:
    group = await make_group()
    admin = await make_member("admin", is_admin=True)
    changed = await audit.record_if_changed(
        db,
        moderators.appoint(db, group.id, member.id, admin.id),
        actor_id=admin.id,
        action="appoint",
        group_id=group.id,
        subject_id=member.id,
        reason="Trusted",
    )
    assert changed is True
    assert await moderators.is_moderator(db, group.id, member.id)
    rows = await db.fetch("SELECT actor_id, action, group_id, subject_id, reason FROM audit_log")
    assert [tuple(r) for r in rows] == [(admin.id, "appoint", group.id, member.id, "Trusted")]


async def test_a_repeat_that_changes_nothing_records_nothing_and_returns_false(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group()
    await moderators.appoint(db, group.id, member.id, None)
    changed = await audit.record_if_changed(
        db,
        moderators.appoint(db, group.id, member.id, None),
        actor_id=None,
        action="appoint",
        group_id=group.id,
    )
    assert changed is False
    assert await _entry_count(db) == 0


async def test_a_change_whose_record_fails_is_rolled_back_with_it(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group()
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await audit.record_if_changed(
            db,
            moderators.appoint(db, group.id, member.id, None),
            actor_id=None,
            action="appoint",
            group_id=group.id,
            subject_id=999_999,  # no such member: the entry cannot be written
        )
    assert not await moderators.is_moderator(db, group.id, member.id)
    assert await _entry_count(db) == 0


# -- list_entries ----------------------------------------------------------------------------


async def test_entries_are_listed_newest_first_with_actor_and_group_names(
    db: asyncpg.Connection, make_group: MakeGroup, keeper: Member, author: Member
) -> None:
    group = await make_group("grief", name="Grief")
    item_id, post_id = await _item(db, group, author)
    held = await audit.record(
        db, actor_id=None, action="hold", group_id=group.id, item_id=item_id, post_id=post_id
    )
    claimed = await audit.record(
        db, actor_id=keeper.id, action="claim", group_id=group.id, item_id=item_id, reason="mine"
    )
    listed = await audit.list_entries(db, None, before_id=None, limit=10)
    assert [e.id for e in listed] == [claimed, held]
    newest, oldest = listed
    assert (newest.actor_name, newest.action, newest.group_slug, newest.group_name) == (
        "keeper",
        "claim",
        "grief",
        "Grief",
    )
    assert (newest.item_id, newest.post_id, newest.reason) == (item_id, None, "mine")
    assert (oldest.actor_name, oldest.item_id, oldest.post_id, oldest.reason) == (
        None,
        item_id,
        post_id,
        "",
    )
    assert newest.at >= oldest.at


async def test_an_empty_log_lists_nothing(db: asyncpg.Connection) -> None:
    assert await audit.list_entries(db, None, before_id=None, limit=10) == []


async def test_an_entry_never_carries_its_subject(
    db: asyncpg.Connection, keeper: Member, author: Member
) -> None:
    await audit.record(db, actor_id=keeper.id, action="warn", subject_id=author.id)
    (entry,) = await audit.list_entries(db, None, before_id=None, limit=10)
    assert "subject_id" not in {f.name for f in dataclasses.fields(entry)}
    assert author.pseudonym not in repr(entry)
    assert entry.actor_name == "keeper"


async def test_entries_of_the_given_groups_only_and_none_without_a_group(
    db: asyncpg.Connection, make_group: MakeGroup, keeper: Member
) -> None:
    mine, also_mine, other = await make_group(), await make_group(), await make_group()
    await audit.record(db, actor_id=keeper.id, action="in-mine", group_id=mine.id)
    await audit.record(db, actor_id=keeper.id, action="in-other", group_id=other.id)
    await audit.record(db, actor_id=keeper.id, action="site-wide")
    await audit.record(db, actor_id=keeper.id, action="in-also-mine", group_id=also_mine.id)
    scoped = await audit.list_entries(db, [mine.id, also_mine.id], before_id=None, limit=10)
    assert _actions(scoped) == ["in-also-mine", "in-mine"]


async def test_no_groups_means_no_entries_and_none_means_every_entry(
    db: asyncpg.Connection, make_group: MakeGroup, keeper: Member
) -> None:
    group = await make_group()
    await audit.record(db, actor_id=keeper.id, action="in-group", group_id=group.id)
    await audit.record(db, actor_id=keeper.id, action="site-wide")
    assert await audit.list_entries(db, [], before_id=None, limit=10) == []
    everything = await audit.list_entries(db, None, before_id=None, limit=10)
    assert _actions(everything) == ["site-wide", "in-group"]


async def test_entries_page_by_keyset_before_an_id_up_to_the_limit(
    db: asyncpg.Connection, keeper: Member
) -> None:
    ids = [await audit.record(db, actor_id=keeper.id, action=f"a{n}") for n in range(5)]
    first_page = await audit.list_entries(db, None, before_id=None, limit=2)
    assert [e.id for e in first_page] == [ids[4], ids[3]]
    second_page = await audit.list_entries(db, None, before_id=first_page[-1].id, limit=2)
    assert [e.id for e in second_page] == [ids[2], ids[1]]
    last_page = await audit.list_entries(db, None, before_id=second_page[-1].id, limit=2)
    assert [e.id for e in last_page] == [ids[0]]
    assert await audit.list_entries(db, None, before_id=ids[0], limit=2) == []


# -- get_reveal ------------------------------------------------------------------------------


async def test_a_reveal_reads_back_with_the_admin_and_the_authors_pseudonym(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, author: Member
) -> None:
    group = await make_group()
    admin = await make_member("overseer", is_admin=True)
    post = await make_topic(db, group, author, anonymous=True)
    entry_id = await audit.record(
        db,
        actor_id=admin.id,
        action="reveal",
        group_id=group.id,
        post_id=post.post_id,
        subject_id=author.id,
        reason="Safety concern",
    )
    other = await make_member("second", is_admin=True)
    assert await audit.get_reveal(db, entry_id, other.id) is None  # the asking admin's alone
    reveal = await audit.get_reveal(db, entry_id, admin.id)
    assert reveal is not None
    assert (
        reveal.id,
        reveal.admin_name,
        reveal.post_id,
        reveal.author_pseudonym,
        reveal.reason,
    ) == (entry_id, "overseer", post.post_id, "willow", "Safety concern")


async def test_a_reveal_whose_admin_is_gone_is_shown_to_nobody(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, author: Member
) -> None:
    group = await make_group()
    admin = await make_member("overseer", is_admin=True)
    post = await make_topic(db, group, author, anonymous=True)
    entry_id = await audit.record(
        db, actor_id=None, action="reveal", post_id=post.post_id, subject_id=author.id
    )
    assert await audit.get_reveal(db, entry_id, admin.id) is None


async def test_only_reveal_entries_with_a_subject_are_read_as_reveals(
    db: asyncpg.Connection, make_group: MakeGroup, keeper: Member, author: Member
) -> None:
    group = await make_group()
    post = await make_topic(db, group, author)
    other_action = await audit.record(
        db, actor_id=keeper.id, action="reject", post_id=post.post_id, subject_id=author.id
    )
    no_subject = await audit.record(db, actor_id=keeper.id, action="reveal", post_id=post.post_id)
    assert await audit.get_reveal(db, other_action, keeper.id) is None
    assert await audit.get_reveal(db, no_subject, keeper.id) is None
    assert await audit.get_reveal(db, 999_999, keeper.id) is None


# -- append-only -----------------------------------------------------------------------------


async def test_the_log_refuses_updates_and_deletes(db: asyncpg.Connection, keeper: Member) -> None:
    entry_id = await audit.record(db, actor_id=keeper.id, action="claim", reason="original")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE audit_log SET reason = 'rewritten' WHERE id = $1", entry_id)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM audit_log WHERE id = $1", entry_id)
    assert await db.fetchval("SELECT reason FROM audit_log WHERE id = $1", entry_id) == "original"
