"""A member's notifications page: what happened to their held posts, newest first."""

from __future__ import annotations

from typing import Protocol

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeMember, Publish, item_for


@pytest.fixture
async def reader(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


class HeldItem(Protocol):
    async def __call__(self, title: str = "A title", *, by: Member | None = None) -> int: ...


@pytest.fixture
def held_item(db: asyncpg.Connection, publish: Publish, author: Member, grief: Group) -> HeldItem:
    """`await held_item()`: the queue item of a new post held in grief, by `author` unless `by`."""

    async def hold(title: str = "A title", *, by: Member | None = None) -> int:
        return await item_for(db, (await publish(by or author, grief, title=title)).post_id)

    return hold


async def unread(db: asyncpg.Connection, member: Member | None = None) -> int:
    """How many notifications are unread: the member's, or everyone's."""
    sql = "SELECT count(*) FROM notifications WHERE read_at IS NULL"
    if member is None:
        return int(await db.fetchval(sql))
    return int(await db.fetchval(sql + " AND member_id = $1", member.id))


async def test_a_held_post_appears_in_its_authors_notifications(
    held_item: HeldItem, reader: ForumClient
) -> None:
    await held_item()
    page = await (await reader.get("/notifications")).text()
    assert "Your post in Grief and loss is waiting for a moderator" in page


async def test_an_approved_post_appears_in_its_authors_notifications(
    held_item: HeldItem, mod: ForumClient, reader: ForumClient
) -> None:
    await mod.post_form(f"/mod/items/{await held_item()}/approve")
    page = await (await reader.get("/notifications")).text()
    assert "Your post in Grief and loss was approved" in page


async def test_a_rejected_post_appears_with_the_reason(
    held_item: HeldItem, mod: ForumClient, reader: ForumClient
) -> None:
    item_id = await held_item()
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Please do not share addresses"})
    page = await (await reader.get("/notifications")).text()
    assert "A moderator removed your post in Grief and loss" in page
    assert "Please do not share addresses" in page


async def test_held_approved_and_rejected_are_all_listed_newest_first(
    held_item: HeldItem, mod: ForumClient, reader: ForumClient
) -> None:
    first = await held_item("First")
    second = await held_item("Second")
    await mod.post_form(f"/mod/items/{first}/approve")
    await mod.post_form(f"/mod/items/{second}/reject", {"reason": "Duplicate"})
    page = await (await reader.get("/notifications")).text()
    positions = [
        page.index("removed your post"),
        page.index("was approved"),
        page.index("is waiting for a moderator"),
    ]
    assert positions == sorted(positions)


async def test_new_notifications_are_marked_unread(
    held_item: HeldItem, reader: ForumClient
) -> None:
    await held_item()
    assert "Unread: " in await (await reader.get("/notifications")).text()


async def test_the_header_counts_unread_notifications(
    held_item: HeldItem, reader: ForumClient
) -> None:
    await held_item()
    await held_item()
    page = await (await reader.get("/")).text()
    assert '<span class="badge">2<span class="visually-hidden"> unread' in page


async def test_marking_notifications_read_clears_unread(
    db: asyncpg.Connection, held_item: HeldItem, reader: ForumClient
) -> None:
    await held_item()
    resp = await reader.post_form("/notifications/read")
    assert resp.status == 303
    assert resp.headers["Location"] == "/notifications"
    assert await unread(db) == 0
    page = await (await reader.get("/notifications")).text()
    assert "Unread: " not in page
    assert "is waiting for a moderator" in page


async def test_marking_read_needs_a_csrf_token(
    db: asyncpg.Connection, held_item: HeldItem, reader: ForumClient
) -> None:
    await held_item()
    assert (await reader.post_form("/notifications/read", csrf=False)).status == 403
    assert await unread(db) == 1


async def test_marking_read_leaves_other_members_unread(
    db: asyncpg.Connection,
    grief: Group,
    held_item: HeldItem,
    reader: ForumClient,
    make_member: MakeMember,
) -> None:
    other = await make_member("fern")
    await db.execute(
        "INSERT INTO group_members (group_id, member_id) VALUES ($1, $2)", grief.id, other.id
    )
    await held_item(by=other)
    await held_item()
    await reader.post_form("/notifications/read")
    assert await unread(db, other) == 1


async def test_a_member_sees_only_their_own_notifications(
    held_item: HeldItem, make_member: MakeMember, make_client: ClientFactory
) -> None:
    await held_item()
    other = await make_client(await make_member("fern"))
    page = await (await other.get("/notifications")).text()
    assert "waiting for a moderator" not in page
    assert "Nothing new" in page


async def test_a_visitor_is_sent_to_sign_in_for_notifications(client: ForumClient) -> None:
    resp = await client.get("/notifications")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")
