"""forum.storage.member_list against a real database: the admin's member search (a part of the
pseudonym in any letter case, taken literally), ordered by pseudonym whatever its case, paged by
keyset after the last pseudonym shown, never listing deleted members."""

from __future__ import annotations

import asyncpg

from forum.storage import member_list
from forum.storage.member_list import ListedMember
from tests.factories import MakeMember


async def _names(
    db: asyncpg.Connection, search: str, *, after: str | None = None, limit: int = 50
) -> list[str]:
    found = await member_list.list_members(db, search=search, after=after, limit=limit)
    return [m.pseudonym for m in found]


async def test_a_search_lists_each_match_with_when_it_joined_and_whether_an_admin(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    river = await make_member("river")
    admin = await make_member("riverbank", is_admin=True)
    await make_member("heron")
    found = await member_list.list_members(db, search="river", after=None, limit=10)
    assert found == [
        ListedMember(river.id, "river", river.created_at, False),
        ListedMember(admin.id, "riverbank", admin.created_at, True),
    ]


async def test_a_search_matches_any_part_of_the_pseudonym_in_any_case(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    for name in ("Quietheron", "HERONRY", "blue-heron", "Kestrel"):
        await make_member(name)
    assert await _names(db, "heRON") == ["blue-heron", "HERONRY", "Quietheron"]
    assert await _names(db, "wren") == []


async def test_members_are_ordered_by_pseudonym_whatever_its_letter_case(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    for name in ("cedar", "Birch", "alder", "Aspen"):
        await make_member(name)
    assert await _names(db, "") == ["alder", "Aspen", "Birch", "cedar"]


async def test_wildcard_characters_in_a_search_are_taken_literally(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    for name in ("old_oak", "oldxoak", "old-oak"):
        await make_member(name)
    assert await _names(db, "d_o") == ["old_oak"]
    assert await _names(db, "%") == []


async def test_deleted_members_are_not_listed(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    await make_member("willow")
    gone = await make_member("willowherb")
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", gone.id)
    assert await _names(db, "willow") == ["willow"]


async def test_pages_follow_on_after_the_last_pseudonym_without_repeats_or_gaps(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    for name in ("fern5", "Fern1", "fern4", "FERN2", "fern3", "oak"):
        await make_member(name)
    first = await _names(db, "fern", limit=2)
    assert first == ["Fern1", "FERN2"]
    second = await _names(db, "fern", after=first[-1].lower(), limit=2)
    assert second == ["fern3", "fern4"]
    third = await _names(db, "fern", after=second[-1].lower(), limit=2)
    assert third == ["fern5"]
    assert await _names(db, "fern", after="fern5", limit=2) == []


async def test_after_need_not_be_a_listed_pseudonym(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    for name in ("ash", "Bramble", "broom", "Cherry"):
        await make_member(name)
    assert await _names(db, "", after="b") == ["Bramble", "broom", "Cherry"]
    assert await _names(db, "", after="bramble") == ["broom", "Cherry"]
