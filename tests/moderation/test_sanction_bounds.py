"""Sanctions with bounds: staff are sanctioned by admins only, a moderator's mute or removal ends
within 90 days, every sanction shows its end, and a sanction can be lifted or shortened with a
reason, by an admin or the moderator who gave it, audited and told to the member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest

from forum.storage import queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeMember,
    Publish,
    item_for,
    notification_kinds,
    publish_over_http,
)


@pytest.fixture
async def warden(make_member: MakeMember, grief: Group, appoint: Appoint) -> Member:
    """A second moderator of grief."""
    member = await make_member("warden")
    await appoint(grief, member)
    return member


async def _sanction(
    client: ForumClient, item_id: int, kind: str, duration: str = "7d"
) -> aiohttp.ClientResponse:
    return await client.post_form(
        f"/mod/items/{item_id}/sanction",
        {"kind": kind, "reason": "Please be kind", "duration": duration},
    )


async def _sanction_id(db: asyncpg.Connection, member: Member) -> int:
    return int(await db.fetchval("SELECT id FROM sanctions WHERE member_id = $1", member.id))


async def _change(
    client: ForumClient, item_id: int, sanction_id: int, ends: str = "now", reason: str = "Sorted"
) -> aiohttp.ClientResponse:
    return await client.post_form(
        f"/mod/items/{item_id}/sanctions/{sanction_id}", {"ends": ends, "reason": reason}
    )


async def _reported(db: asyncpg.Connection, group: Group, post_id: int) -> int:
    """A report item on a staff member's post (staff posts are never held)."""
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=post_id, kind="report", priority=30
    )
    return item_id


async def _can_publish(writer: ForumClient) -> bool:
    resp = await publish_over_http(writer, {"group": "grief", "title": "Again", "body": "Hello"})
    return resp.status == 303


# -- Who may be sanctioned -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["warn", "mute", "remove"])
async def test_a_moderator_cannot_sanction_an_admin(
    db: asyncpg.Connection,
    mod: ForumClient,
    grief: Group,
    overseer: Member,
    publish: Publish,
    kind: str,
) -> None:
    await db.execute(
        "INSERT INTO group_members (group_id, member_id) VALUES ($1, $2)", grief.id, overseer.id
    )
    post = await publish(overseer, grief, title="Admin's topic", body="Words")
    resp = await _sanction(mod, await _reported(db, grief, post.post_id), kind)
    assert resp.status == 400
    assert "Only admins can sanction the forum&#39;s staff" in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM sanctions") == 0


async def test_a_moderator_cannot_sanction_a_fellow_moderator_but_an_admin_can(
    db: asyncpg.Connection,
    mod: ForumClient,
    admin: ForumClient,
    grief: Group,
    warden: Member,
    publish: Publish,
) -> None:
    post = await publish(warden, grief, title="A moderator's topic", body="Words")
    item = await _reported(db, grief, post.post_id)
    assert (await _sanction(mod, item, "mute")).status == 400
    assert await db.fetchval("SELECT count(*) FROM sanctions") == 0
    assert (await _sanction(admin, item, "mute")).status == 303
    assert await db.fetchval("SELECT count(*) FROM sanctions") == 1


# -- How long --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mute", "remove"])
async def test_a_moderators_sanction_ends_within_90_days(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int, kind: str
) -> None:
    refused = await _sanction(mod, item_id, kind, duration="forever")
    assert refused.status == 400
    assert "ends within 90 days" in await refused.text()
    assert (await _sanction(mod, item_id, kind, duration="90d")).status == 303
    ends_at = await db.fetchval("SELECT ends_at FROM sanctions WHERE member_id = $1", author.id)
    assert timedelta(days=89) < ends_at - datetime.now(UTC) <= timedelta(days=90)


async def test_moderators_are_not_offered_sanctions_without_end_but_admins_are(
    mod: ForumClient, admin: ForumClient, item_id: int
) -> None:
    offered = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert 'value="90d"' in offered
    assert 'value="forever"' not in offered
    assert 'value="forever"' in await (await admin.get(f"/mod/items/{item_id}")).text()


async def test_every_sanction_beside_the_item_shows_its_end(
    mod: ForumClient, admin: ForumClient, item_id: int
) -> None:
    await _sanction(mod, item_id, "mute", duration="3d")
    await _sanction(admin, item_id, "suspend", duration="forever")
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    ends = (datetime.now(UTC) + timedelta(days=3)).strftime("%-d %b %Y")
    assert "mute" in page
    assert f"(until {ends}" in page
    assert "(until an admin lifts it)" in page


# -- Lifting and shortening ------------------------------------------------------------------------


async def test_the_moderator_who_gave_a_mute_can_lift_it_and_the_member_is_told(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await _sanction(mod, item_id, "mute")
    assert not await _can_publish(writer)
    resp = await _change(mod, item_id, await _sanction_id(db, author), reason="Misread, sorry")
    assert resp.status == 303
    assert await _can_publish(writer)
    assert await notification_kinds(db, author) == ["held", "mute", "lift", "held"]
    assert (
        "Your mute in Grief and loss was lifted: Misread, sorry"
        in await (await writer.get("/notifications")).text()
    )
    entry = await db.fetchrow(
        "SELECT action, reason, subject_id FROM audit_log WHERE action LIKE 'lift%'"
    )
    assert entry is not None
    assert tuple(entry) == ("lift-mute", "Misread, sorry", author.id)
    assert "(lifted" in await (await mod.get(f"/mod/items/{item_id}")).text()


async def test_a_sanction_can_be_shortened_but_not_lengthened(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await _sanction(mod, item_id, "mute", duration="30d")
    sanction_id = await _sanction_id(db, author)
    assert (await _change(mod, item_id, sanction_id, ends="1d")).status == 303
    ends_at = await db.fetchval("SELECT ends_at FROM sanctions WHERE id = $1", sanction_id)
    assert timedelta(hours=23) < ends_at - datetime.now(UTC) <= timedelta(days=1)
    longer = await _change(mod, item_id, sanction_id, ends="3d")
    assert longer.status == 400
    assert "ends sooner than that" in await longer.text()
    assert await db.fetchval("SELECT ends_at FROM sanctions WHERE id = $1", sanction_id) == ends_at


async def test_only_an_admin_or_the_moderator_who_gave_it_can_change_a_sanction(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    mod: ForumClient,
    admin: ForumClient,
    warden: Member,
    author: Member,
    item_id: int,
) -> None:
    await _sanction(mod, item_id, "mute")
    sanction_id = await _sanction_id(db, author)
    other = await make_client(warden)
    assert "Lift or shorten" not in await (await other.get(f"/mod/items/{item_id}")).text()
    refused = await _change(other, item_id, sanction_id)
    assert refused.status == 400
    assert "Only an admin or the moderator who gave it" in await refused.text()
    assert (await _change(admin, item_id, sanction_id)).status == 303


async def test_a_change_needs_a_reason(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await _sanction(mod, item_id, "mute")
    resp = await _change(mod, item_id, await _sanction_id(db, author), reason="  ")
    assert resp.status == 400
    assert "Please give a reason" in await resp.text()


async def test_a_sanction_not_listed_beside_the_item_is_not_found(
    db: asyncpg.Connection,
    mod: ForumClient,
    grief: Group,
    author: Member,
    make_member: MakeMember,
    publish: Publish,
    item_id: int,
) -> None:
    someone = await make_member("someone")
    await db.execute(
        "INSERT INTO group_members (group_id, member_id) VALUES ($1, $2)", grief.id, someone.id
    )
    other_item = await item_for(
        db, (await publish(someone, grief, title="Theirs", body="Words")).post_id
    )
    await _sanction(mod, other_item, "mute")
    theirs = await _sanction_id(db, someone)
    assert (await _change(mod, item_id, theirs)).status == 404
    assert (await _change(mod, item_id, 999_999)).status == 404
