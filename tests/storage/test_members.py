"""forum.storage.members against a real database: registering (pseudonyms unique in any letter
case), reading a member and their credentials (never a deleted one), changing the password hash,
the page header's badges and preferences in one read, and whether a pseudonym is taken."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import members, notifications, preferences
from forum.storage.members import Badges, Member
from forum.storage.preferences import Preferences
from tests.factories import Appoint, MakeGroup, MakeMember, make_reply, make_topic


async def _delete(db: asyncpg.Connection, member: Member) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)


async def test_create_member_returns_the_member_and_stores_the_hash(
    db: asyncpg.Connection,
) -> None:
    made = await members.create_member(db, "River_Stone", "hash-1")
    assert (made.pseudonym, made.is_admin) == ("River_Stone", False)
    admin = await members.create_member(db, "warden", "hash-2", is_admin=True)
    assert admin.is_admin
    rows = await db.fetch("SELECT id, pseudonym, password_hash, is_admin FROM members ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (made.id, "River_Stone", "hash-1", False),
        (admin.id, "warden", "hash-2", True),
    ]


async def test_a_pseudonym_taken_in_another_letter_case_raises_pseudonym_taken(
    db: asyncpg.Connection, member: Member
) -> None:
    with pytest.raises(members.PseudonymTaken):
        await members.create_member(db, "RIVER", "hash")
    assert await members.count_members(db) == 1


async def test_a_pseudonym_outside_the_allowed_characters_is_refused_by_the_database(
    db: asyncpg.Connection,
) -> None:
    for bad in ("ab", "has space", "x" * 33, "émile"):
        with pytest.raises(asyncpg.CheckViolationError):
            await members.create_member(db, bad, "hash")
    assert await members.count_members(db) == 0


async def test_get_member_returns_a_live_member_and_none_when_missing_or_deleted(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    live, gone = await make_member(), await make_member()
    await _delete(db, gone)
    assert await members.get_member(db, live.id) == live
    assert await members.get_member(db, gone.id) is None
    assert await members.get_member(db, 424242) is None


async def test_get_credentials_finds_the_member_by_pseudonym_in_any_case(
    db: asyncpg.Connection, password_hash: str
) -> None:
    made = await members.create_member(db, "River", password_hash)
    found = await members.get_credentials(db, "rIVER")
    assert found == members.Credentials(made, password_hash)
    assert await members.get_credentials(db, "Rivers") is None


async def test_a_deleted_member_has_no_credentials(db: asyncpg.Connection, member: Member) -> None:
    await _delete(db, member)
    assert await members.get_credentials(db, member.pseudonym) is None


async def test_save_password_hash_replaces_only_that_members_hash(
    db: asyncpg.Connection, make_member: MakeMember, password_hash: str
) -> None:
    me = await make_member("me-myself")
    await make_member("other")
    await members.save_password_hash(db, me.id, "new-hash")
    mine = await members.get_credentials(db, "me-myself")
    theirs = await members.get_credentials(db, "other")
    assert mine is not None
    assert theirs is not None
    assert (mine.password_hash, theirs.password_hash) == ("new-hash", password_hash)


async def test_count_members_counts_every_account_even_deleted_ones(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    assert await members.count_members(db) == 0
    await make_member()
    gone = await make_member()
    await _delete(db, gone)
    assert await members.count_members(db) == 2


async def test_a_new_members_page_header_has_no_badges_and_the_default_preferences(
    db: asyncpg.Connection, member: Member
) -> None:
    assert await members.get_page_header(db, member) == (Badges(0, False, 0), preferences.DEFAULTS)


async def test_the_page_header_counts_unread_notifications_up_to_ninety_nine(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    await notifications.notify_all(db, [me.id] * 3, "approved", "Your post is up")
    await notifications.notify(db, other.id, "approved", "Someone else's")
    badges, _ = await members.get_page_header(db, me)
    assert badges == Badges(3, False, 0)
    await notifications.mark_all_read(db, me.id)
    await notifications.notify(db, me.id, "approved", "One more")
    assert (await members.get_page_header(db, me))[0].unread == 1
    await notifications.notify_all(db, [me.id] * 150, "approved", "Many")
    assert (await members.get_page_header(db, me))[0].unread == 99


async def test_the_page_header_shows_moderate_to_moderators_and_admins_only(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, appoint: Appoint
) -> None:
    moderator, admin, plain = (
        await make_member(),
        await make_member(is_admin=True),
        await make_member(),
    )
    await appoint(await make_group(), moderator)
    assert (await members.get_page_header(db, moderator))[0].moderates
    assert (await members.get_page_header(db, admin))[0].moderates
    assert not (await members.get_page_header(db, plain))[0].moderates


async def test_the_page_header_counts_unread_inbox_replies_still_visible(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    me, replier = await make_member(), await make_member()
    group = await make_group()
    topic = await make_topic(db, group, me)
    unread, read, removed = [await make_reply(db, topic.topic_id, replier) for _ in range(3)]
    await db.executemany(
        "INSERT INTO inbox_items (member_id, post_id, reason, read_at)"
        " VALUES ($1, $2, 'your-topic', CASE WHEN $3 THEN now() END)",
        [
            (me.id, unread.post_id, False),
            (me.id, read.post_id, True),
            (me.id, removed.post_id, False),
        ],
    )
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", removed.post_id)
    assert (await members.get_page_header(db, me))[0] == Badges(0, False, 1)


async def test_the_page_header_carries_the_members_saved_preferences(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    saved = Preferences(
        text_size="large", open_warnings=True, collapse_words=("chemo",), hide_words=("diet",)
    )
    await preferences.save_preferences(db, me.id, saved)
    assert (await members.get_page_header(db, me))[1] == saved
    assert (await members.get_page_header(db, other))[1] == preferences.DEFAULTS


async def test_pseudonym_in_use_means_someone_else_holds_it_even_a_deleted_member(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, gone = await make_member("river"), await make_member("heron")
    await make_member("wren")
    await _delete(db, gone)
    assert not await members.pseudonym_in_use(db, "RIVER", other_than=me.id)
    assert await members.pseudonym_in_use(db, "Wren", other_than=me.id)
    assert await members.pseudonym_in_use(db, "heron", other_than=me.id)
    assert not await members.pseudonym_in_use(db, "kestrel", other_than=me.id)
