"""Who may see and work which queue: moderators their own groups, admins all, everyone else 404."""

from __future__ import annotations

import re

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeMember, Publish, item_for, item_row, post_state


@pytest.fixture
async def grief_item(db: asyncpg.Connection, grief: Group, author: Member, publish: Publish) -> int:
    new = await publish(author, grief, title="About grief")
    return await item_for(db, new.post_id)


@pytest.fixture
async def cancer_post(cancer: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(author, cancer, title="About cancer")


@pytest.fixture
async def cancer_item(db: asyncpg.Connection, cancer_post: NewPost) -> int:
    return await item_for(db, cancer_post.post_id)


def item_links(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/mod/items/(\d+)"', page)}


async def test_a_moderator_sees_their_groups_items_in_the_queue(
    mod: ForumClient, grief_item: int, cancer_item: int
) -> None:
    page = await (await mod.get("/mod")).text()
    assert item_links(page) == {grief_item}


async def test_the_queue_counts_only_the_moderators_groups(
    mod: ForumClient, grief_item: int, cancer_item: int
) -> None:
    page = await (await mod.get("/mod")).text()
    assert "<strong>1</strong> open item." in page


async def test_a_moderator_can_open_their_groups_item(mod: ForumClient, grief_item: int) -> None:
    assert (await mod.get(f"/mod/items/{grief_item}")).status == 200


async def test_a_moderator_gets_404_for_another_groups_item(
    mod: ForumClient, grief_item: int, cancer_item: int
) -> None:
    assert (await mod.get(f"/mod/items/{cancer_item}")).status == 404


@pytest.mark.parametrize(
    "action", ["claim", "approve", "edit-approve", "reject", "resolve", "escalate"]
)
async def test_a_moderator_cannot_act_on_another_groups_item(
    db: asyncpg.Connection,
    mod: ForumClient,
    grief_item: int,
    cancer_item: int,
    cancer_post: NewPost,
    action: str,
) -> None:
    resp = await mod.post_form(
        f"/mod/items/{cancer_item}/{action}", {"reason": "Not mine", "body": "Edited"}
    )
    assert resp.status == 404
    row = await item_row(db, cancer_item)
    assert (row["state"], row["claimed_by"], row["escalated_at"]) == ("open", None, None)
    assert await post_state(db, cancer_post.post_id) == "held"


async def test_a_moderator_cannot_sanction_the_author_of_another_groups_item(
    db: asyncpg.Connection, mod: ForumClient, grief_item: int, cancer_item: int
) -> None:
    resp = await mod.post_form(
        f"/mod/items/{cancer_item}/sanction", {"kind": "warn", "reason": "Not mine"}
    )
    assert resp.status == 404
    assert await db.fetchval("SELECT count(*) FROM sanctions") == 0


async def test_an_unknown_item_is_not_found(mod: ForumClient, grief_item: int) -> None:
    assert (await mod.get("/mod/items/999999")).status == 404
    assert (await mod.post_form("/mod/items/999999/approve")).status == 404


async def test_a_non_numeric_item_is_not_found(mod: ForumClient, grief_item: int) -> None:
    assert (await mod.get("/mod/items/abc")).status == 404


async def test_the_log_shows_only_the_moderators_groups(
    mod: ForumClient, grief_item: int, cancer_item: int
) -> None:
    page = await (await mod.get("/mod/log")).text()
    assert f"item #{grief_item}" in page
    assert f"item #{cancer_item}" not in page


@pytest.mark.parametrize("path", ["/mod", "/mod/log", "/mod/events"])
async def test_a_member_who_moderates_nothing_gets_404(
    make_client: ClientFactory, author: Member, grief_item: int, path: str
) -> None:
    resp = await (await make_client(author)).get(path)
    assert resp.status == 404


async def test_a_member_who_moderates_nothing_gets_404_for_an_item(
    make_client: ClientFactory, author: Member, grief_item: int
) -> None:
    assert (await (await make_client(author)).get(f"/mod/items/{grief_item}")).status == 404


async def test_a_plain_member_cannot_act_on_an_item(
    db: asyncpg.Connection, make_client: ClientFactory, author: Member, grief_item: int
) -> None:
    resp = await (await make_client(author)).post_form(f"/mod/items/{grief_item}/approve")
    assert resp.status == 404
    assert (await item_row(db, grief_item))["state"] == "open"


@pytest.mark.parametrize("path", ["/mod", "/mod/log", "/mod/events"])
async def test_a_visitor_is_sent_to_sign_in(client: ForumClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_a_removed_moderator_loses_the_queue(
    db: asyncpg.Connection, mod: ForumClient, keeper: Member, grief: Group, grief_item: int
) -> None:
    await db.execute("DELETE FROM group_moderators WHERE member_id = $1", keeper.id)
    assert (await mod.get("/mod")).status == 404
    assert (await mod.get(f"/mod/items/{grief_item}")).status == 404


async def test_an_admin_sees_every_groups_items(
    make_client: ClientFactory, make_member: MakeMember, grief_item: int, cancer_item: int
) -> None:
    admin = await make_client(await make_member("overseer", is_admin=True))
    assert item_links(await (await admin.get("/mod")).text()) == {grief_item, cancer_item}


async def test_an_admin_can_act_in_a_group_without_being_appointed(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    cancer_item: int,
    cancer_post: NewPost,
) -> None:
    admin = await make_client(await make_member("overseer", is_admin=True))
    assert (await admin.post_form(f"/mod/items/{cancer_item}/approve")).status == 303
    assert await post_state(db, cancer_post.post_id) == "published"


async def test_an_admin_sees_every_groups_log(
    make_client: ClientFactory, make_member: MakeMember, grief_item: int, cancer_item: int
) -> None:
    admin = await make_client(await make_member("overseer", is_admin=True))
    page = await (await admin.get("/mod/log")).text()
    assert f"item #{grief_item}" in page
    assert f"item #{cancer_item}" in page


async def test_the_navigation_offers_the_queue_to_moderators_only(
    make_client: ClientFactory, mod: ForumClient, author: Member, grief: Group
) -> None:
    assert 'href="/mod"' in await (await mod.get("/")).text()
    assert 'href="/mod"' not in await (await (await make_client(author)).get("/")).text()
