"""forum.storage.preferences against a real database: defaults until the first save, one row per
member, and words that stay the member's own."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from forum.storage import preferences
from forum.storage.members import Member
from forum.storage.preferences import DEFAULTS, Preferences
from tests.factories import MakeMember

CAREFUL = Preferences(
    text_size="larger",
    open_warnings=True,
    collapse_words=("suicide", "self-harm"),
    hide_words=("funeral",),
)


async def test_a_member_who_never_saved_reads_the_defaults(
    db: asyncpg.Connection, member: Member
) -> None:
    assert await preferences.get_preferences(db, member.id) == DEFAULTS
    assert await db.fetchval("SELECT count(*) FROM reader_preferences") == 0


async def test_saved_preferences_read_back_with_the_words_in_their_order(
    db: asyncpg.Connection, member: Member
) -> None:
    await preferences.save_preferences(db, member.id, CAREFUL)
    assert await preferences.get_preferences(db, member.id) == CAREFUL


async def test_saving_again_replaces_every_field_in_the_one_row(
    db: asyncpg.Connection, member: Member
) -> None:
    await preferences.save_preferences(db, member.id, CAREFUL)
    calmer = Preferences(text_size="large", collapse_words=("loss",))
    await preferences.save_preferences(db, member.id, calmer)
    assert await preferences.get_preferences(db, member.id) == calmer
    assert await db.fetchval("SELECT count(*) FROM reader_preferences") == 1


async def test_saving_again_moves_the_update_time(db: asyncpg.Connection, member: Member) -> None:
    await preferences.save_preferences(db, member.id, CAREFUL)
    await db.execute("UPDATE reader_preferences SET updated_at = now() - interval '1 day'")
    await preferences.save_preferences(db, member.id, DEFAULTS)
    age = await db.fetchval("SELECT now() - updated_at FROM reader_preferences")
    assert age < timedelta(minutes=1)


async def test_one_members_preferences_are_not_anothers(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    await preferences.save_preferences(db, me.id, CAREFUL)
    assert await preferences.get_preferences(db, other.id) == DEFAULTS


async def test_deleting_preferences_brings_back_the_defaults_for_that_member_only(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    await preferences.save_preferences(db, me.id, CAREFUL)
    await preferences.save_preferences(db, other.id, CAREFUL)
    await preferences.delete_preferences(db, me.id)
    assert await preferences.get_preferences(db, me.id) == DEFAULTS
    assert await preferences.get_preferences(db, other.id) == CAREFUL


async def test_deleting_preferences_never_saved_is_harmless(
    db: asyncpg.Connection, member: Member
) -> None:
    await preferences.delete_preferences(db, member.id)
    assert await preferences.get_preferences(db, member.id) == DEFAULTS


async def test_from_row_turns_stored_word_lists_into_tuples(
    db: asyncpg.Connection, member: Member
) -> None:
    await preferences.save_preferences(db, member.id, CAREFUL)
    row = await db.fetchrow(
        "SELECT text_size, open_warnings, collapse_words, hide_words, check_ins"
        " FROM reader_preferences"
    )
    assert row is not None
    assert preferences.from_row(row) == CAREFUL  # tuples, not the lists asyncpg returns


async def test_check_ins_are_on_until_switched_off(db: asyncpg.Connection, member: Member) -> None:
    assert (await preferences.get_preferences(db, member.id)).check_ins is True
    await preferences.save_preferences(db, member.id, preferences.Preferences(check_ins=False))
    assert (await preferences.get_preferences(db, member.id)).check_ins is False
