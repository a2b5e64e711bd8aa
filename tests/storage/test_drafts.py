"""forum.storage.drafts against a real database: ownership filters and version checks."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import drafts
from forum.storage.drafts import Draft
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeDraft, MakeMember, make_topic


@pytest.fixture
async def stranger(make_member: MakeMember) -> Member:
    return await make_member("stone")


async def _save(
    db: asyncpg.Connection, draft: Draft, author_id: int, *, version: int, body: str = "saved"
) -> Draft | None:
    return await drafts.save_draft(
        db,
        draft.id,
        author_id,
        version=version,
        title="T",
        body=body,
        anonymous=False,
        content_warning="",
    )


async def test_created_draft_reads_back_with_its_fields(
    db: asyncpg.Connection, river: Member, group: Group
) -> None:
    draft_id = await drafts.create_draft(
        db,
        river.id,
        group.id,
        None,
        title="Hello",
        body="Words",
        anonymous=True,
        content_warning="loss",
    )
    draft = await drafts.get_own_draft(db, draft_id, river.id)
    assert draft is not None
    assert (draft.title, draft.body, draft.anonymous, draft.content_warning, draft.version) == (
        "Hello",
        "Words",
        True,
        "loss",
        1,
    )
    assert (draft.group_slug, draft.group_name, draft.group_anonymous) == (
        "grief",
        "Grief and loss",
        "optional",
    )
    assert not draft.is_reply


async def test_reply_draft_knows_its_topic(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    new = await make_topic(db, group, river, "The topic")
    draft = await make_draft(river, group, topic_id=new.topic_id, title="")
    assert draft.is_reply
    assert (draft.topic_id, draft.topic_title) == (new.topic_id, "The topic")


async def test_get_own_draft_finds_the_authors_draft(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert draft is not None
    current = await drafts.get_own_draft(db, draft.id, river.id)
    assert current is not None
    assert current.id == draft.id


async def test_get_own_draft_returns_none_for_another_member(
    db: asyncpg.Connection, river: Member, stranger: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert await drafts.get_own_draft(db, draft.id, stranger.id) is None


async def test_get_own_draft_returns_none_for_an_unknown_id(
    db: asyncpg.Connection, river: Member
) -> None:
    assert await drafts.get_own_draft(db, 424242, river.id) is None


async def test_list_own_drafts_lists_only_the_authors_drafts(
    db: asyncpg.Connection, river: Member, stranger: Member, group: Group, make_draft: MakeDraft
) -> None:
    mine = await make_draft(river, group, title="Mine")
    await make_draft(stranger, group, title="Theirs")
    assert [d.id for d in await drafts.list_own_drafts(db, river.id)] == [mine.id]


async def test_list_own_drafts_puts_the_latest_saved_first(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    first = await make_draft(river, group, title="First")
    second = await make_draft(river, group, title="Second")
    await _save(db, first, river.id, version=first.version)
    assert [d.id for d in await drafts.list_own_drafts(db, river.id)] == [first.id, second.id]


async def test_save_draft_with_the_current_version_returns_the_next_version(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    saved = await _save(db, draft, river.id, version=draft.version)
    assert saved is not None
    assert saved.version == draft.version + 1


async def test_save_draft_returns_the_draft_as_reading_it_would(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    saved = await _save(db, draft, river.id, version=draft.version, body="saved")
    assert saved == await drafts.get_own_draft(db, draft.id, river.id)
    assert saved is not None
    assert (saved.body, saved.group_slug, saved.group_name) == ("saved", "grief", "Grief and loss")


async def test_save_draft_stores_the_new_fields(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    await drafts.save_draft(
        db,
        draft.id,
        river.id,
        version=draft.version,
        title="New",
        body="New body",
        anonymous=True,
        content_warning="cw",
    )
    saved = await drafts.get_own_draft(db, draft.id, river.id)
    assert saved is not None
    assert (saved.title, saved.body, saved.anonymous, saved.content_warning) == (
        "New",
        "New body",
        True,
        "cw",
    )
    assert saved.updated_at >= draft.updated_at


async def test_save_draft_with_a_stale_version_returns_none(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    await _save(db, draft, river.id, version=draft.version, body="tab A")
    assert await _save(db, draft, river.id, version=draft.version, body="tab B") is None


async def test_save_draft_with_a_stale_version_changes_nothing(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    await _save(db, draft, river.id, version=draft.version, body="tab A")
    await _save(db, draft, river.id, version=draft.version, body="tab B")
    saved = await drafts.get_own_draft(db, draft.id, river.id)
    assert saved is not None
    assert (saved.body, saved.version) == ("tab A", draft.version + 1)


async def test_save_draft_with_a_future_version_returns_none(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert await _save(db, draft, river.id, version=draft.version + 1) is None


async def test_save_draft_by_another_member_returns_none_and_changes_nothing(
    db: asyncpg.Connection, river: Member, stranger: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group, body="original")
    assert await _save(db, draft, stranger.id, version=draft.version, body="hijack") is None
    current = await drafts.get_own_draft(db, draft.id, river.id)
    assert current is not None
    assert current.body == "original"


async def test_delete_draft_removes_the_authors_draft(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert await drafts.delete_draft(db, draft.id, river.id)
    assert await drafts.get_own_draft(db, draft.id, river.id) is None


async def test_delete_draft_by_another_member_keeps_it(
    db: asyncpg.Connection, river: Member, stranger: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert not await drafts.delete_draft(db, draft.id, stranger.id)
    assert await drafts.get_own_draft(db, draft.id, river.id) is not None


async def test_delete_published_draft_needs_the_current_version(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    await _save(db, draft, river.id, version=draft.version)
    assert not await drafts.delete_published_draft(db, draft.id, river.id, draft.version)
    assert await drafts.get_own_draft(db, draft.id, river.id) is not None


async def test_delete_published_draft_with_the_current_version_removes_it(
    db: asyncpg.Connection, river: Member, group: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(river, group)
    assert await drafts.delete_published_draft(db, draft.id, river.id, draft.version)
    assert await drafts.get_own_draft(db, draft.id, river.id) is None
