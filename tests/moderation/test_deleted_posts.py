"""A post its author deleted is not readable by moderators either.

The author is told that a deleted post's words are no longer shown to anyone; moderators used to
go on reading them on the item page, in the queue's excerpt and in the "edit and approve" box.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, ModeratorOf, item_for, make_topic

WORDS = "words-9d2e I regret writing"


@pytest.fixture
async def open_group(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("open", name="Open group", members_=[author])


@pytest.fixture
async def item_id(
    db: asyncpg.Connection,
    open_group: Group,
    author: Member,
    make_member: MakeMember,
    make_client: ClientFactory,
) -> int:
    post = await make_topic(db, open_group, author, "Second thoughts", body=WORDS)
    reader = await make_member("reader")
    await db.execute(
        "INSERT INTO group_members (group_id, member_id) VALUES ($1, $2)", open_group.id, reader.id
    )
    reported = await (await make_client(reader)).post_form(
        f"/p/{post.post_id}/report", {"reason": "other"}
    )
    assert reported.status == 303
    deleted = await (await make_client(author)).post_form(f"/p/{post.post_id}/delete", {})
    assert deleted.status == 303
    return await item_for(db, post.post_id, "report")


@pytest.fixture
async def moderator(moderator_of: ModeratorOf, open_group: Group) -> ForumClient:
    return await moderator_of(open_group)


async def test_the_item_page_and_the_queue_show_no_words_of_a_deleted_post(
    moderator: ForumClient, item_id: int
) -> None:
    page = await (await moderator.get(f"/mod/items/{item_id}")).text()
    assert "(deleted)" in page
    assert "words-9d2e" not in page
    assert "words-9d2e" not in await (await moderator.get("/mod")).text()


async def test_a_deleted_post_cannot_be_edited_and_approved(
    db: asyncpg.Connection, moderator: ForumClient, item_id: int
) -> None:
    resp = await moderator.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": "new words", "reason": "Tidied"}
    )
    assert resp.status == 400
    assert "Its author deleted this post" in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM post_versions") == 0
