"""Admin crisis settings per group: policy, re-escalation time, webhook, phrases, resources."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember


@pytest.fixture
async def admin_client(make_client: ClientFactory, make_member: MakeMember) -> ForumClient:
    return await make_client(await make_member("boss", is_admin=True))


@pytest.fixture
async def grief(make_group: MakeGroup) -> Group:
    return await make_group("grief", name="Grief and loss")


async def crisis_settings(db: asyncpg.Connection) -> tuple[object, ...]:
    """grief's (crisis_policy, crisis_reescalate_minutes, webhook_url)."""
    row = await db.fetchrow(
        "SELECT crisis_policy, crisis_reescalate_minutes, webhook_url"
        " FROM groups WHERE slug = 'grief'"
    )
    assert row is not None
    return tuple(row)


async def add_phrase(client: ForumClient, **form: str) -> aiohttp.ClientResponse:
    return await client.post_form("/admin/groups/grief/crisis/phrases", form)


async def add_resource(client: ForumClient, **fields: str) -> aiohttp.ClientResponse:
    """Add a resource to grief: `fields` over a form of empty fields."""
    form = dict.fromkeys(("region", "name", "phone", "text_number", "url", "hours"), "") | fields
    return await client.post_form("/admin/groups/grief/crisis/resources", form)


async def test_a_non_admin_gets_404_on_every_crisis_admin_route(
    make_client: ClientFactory, author: Member, grief: Group
) -> None:
    client = await make_client(author)
    assert (await client.get("/admin/groups/grief/crisis")).status == 404
    for path in (
        "/admin/groups/grief/crisis",
        "/admin/groups/grief/crisis/phrases",
        "/admin/groups/grief/crisis/resources",
        "/admin/groups/grief/crisis/phrases/1/remove",
    ):
        assert (await client.post_form(path, {"phrase": "x y", "level": "urgent"})).status == 404


async def test_saving_valid_settings_changes_the_group_and_is_audited(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    resp = await admin_client.post_form(
        "/admin/groups/grief/crisis",
        {
            "crisis_policy": "publish",
            "reescalate_minutes": "5",
            "webhook_url": "https://hooks.example.org/crisis",
        },
    )
    assert resp.status == 303
    assert await crisis_settings(db) == ("publish", 5, "https://hooks.example.org/crisis")
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'crisis-settings'") == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("crisis_policy", "ignore"),
        ("reescalate_minutes", "0"),
        ("reescalate_minutes", "ten"),
        ("webhook_url", "javascript:alert(1)"),
        ("webhook_url", "ftp://example.org/x"),
    ],
)
async def test_invalid_settings_answer_400_keep_what_was_typed_and_change_nothing(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection, field: str, value: str
) -> None:
    form = {"crisis_policy": "hold", "reescalate_minutes": "10", "webhook_url": ""}
    form[field] = value
    resp = await admin_client.post_form("/admin/groups/grief/crisis", form)
    assert resp.status == 400
    if field != "crisis_policy":  # a <select> offers only the valid choices again
        assert value in await resp.text()
    assert await crisis_settings(db) == ("hold", 10, None)


async def test_an_admin_adds_and_removes_a_group_phrase(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    resp = await add_phrase(
        admin_client, phrase="going to the bridge", level="urgent", confirm="yes"
    )
    assert resp.status == 303
    phrase_id = await db.fetchval("SELECT id FROM crisis_phrases WHERE group_id = $1", grief.id)
    again = await add_phrase(admin_client, phrase="Going To The Bridge", level="urgent")
    assert again.status == 400
    assert await db.fetchval("SELECT count(*) FROM crisis_phrases") == 1
    gone = await admin_client.post_form(
        f"/admin/groups/grief/crisis/phrases/{phrase_id}/remove", {"confirm": "yes"}
    )
    assert gone.status == 303
    assert await db.fetchval("SELECT count(*) FROM crisis_phrases") == 0


@pytest.mark.parametrize(
    ("phrase", "level"), [("x", "urgent"), ("end it (", "urgent"), ("going home", "severe")]
)
async def test_a_phrase_that_is_too_short_malformed_or_without_a_level_is_refused(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection, phrase: str, level: str
) -> None:
    resp = await add_phrase(admin_client, phrase=phrase, level=level)
    assert resp.status == 400
    assert await db.fetchval("SELECT count(*) FROM crisis_phrases") == 0


async def test_a_group_resource_is_shown_before_the_forum_wide_ones(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    resp = await add_resource(
        admin_client, name="Grief line", phone="0800 000 000", hours="evenings"
    )
    assert resp.status == 303
    from forum.storage import crisis

    resources = await crisis.list_resources(db, grief.id)
    assert resources[0].name == "Grief line"
    assert len(resources) > 1  # the forum-wide lines follow


async def test_a_resource_without_any_way_to_reach_it_is_refused(
    admin_client: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    resp = await add_resource(admin_client, name="Nowhere")
    assert resp.status == 400
    assert "Nowhere" in await resp.text()
    assert (
        await db.fetchval("SELECT count(*) FROM crisis_resources WHERE group_id = $1", grief.id)
        == 0
    )
