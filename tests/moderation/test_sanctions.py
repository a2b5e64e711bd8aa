"""Sanctions from an item page: warn, mute, remove, suspend; what a sanctioned member still can."""

from __future__ import annotations

from datetime import datetime

import aiohttp
import asyncpg
import pytest

from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    MakeGroup,
    MakeMember,
    Publish,
    item_for,
    notification_kinds,
    publish_over_http,
)


@pytest.fixture
async def cancer(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("cancer", name="Living with cancer", members_=[author])


async def sanction(
    client: ForumClient,
    item_id: int,
    kind: str,
    reason: str = "Please be kind to others",
    duration: str = "7d",
) -> aiohttp.ClientResponse:
    return await client.post_form(
        f"/mod/items/{item_id}/sanction", {"kind": kind, "reason": reason, "duration": duration}
    )


async def publish_in(
    writer: ForumClient, group: str, body: str = "Hello"
) -> aiohttp.ClientResponse:
    """The writer's attempt to publish a new topic in the group (by slug)."""
    return await publish_over_http(writer, {"group": group, "title": "Try again", "body": body})


async def sanctions_of(db: asyncpg.Connection, member: Member) -> list[tuple[str, int | None]]:
    return [
        tuple(r)
        for r in await db.fetch(
            "SELECT kind, group_id FROM sanctions WHERE member_id = $1 ORDER BY id", member.id
        )
    ]


# -- Warn ------------------------------------------------------------------------------------------


async def test_warning_redirects_back_to_the_item(mod: ForumClient, item_id: int) -> None:
    resp = await sanction(mod, item_id, "warn")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/mod/items/{item_id}"


async def test_warning_notifies_the_author_with_the_reason(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "warn", reason="Mind the language")
    assert await notification_kinds(db, author) == ["held", "warn"]
    assert "Mind the language" in await (await writer.get("/notifications")).text()


async def test_a_warning_does_not_stop_publishing(
    mod: ForumClient, writer: ForumClient, cancer: Group, item_id: int
) -> None:
    await sanction(mod, item_id, "warn")
    assert (await publish_in(writer, "cancer")).status == 303


async def test_the_item_page_lists_the_authors_sanctions_in_the_group(
    mod: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "warn", reason="First warning about tone")
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "First warning about tone" in page


# -- Mute ------------------------------------------------------------------------------------------


async def test_muting_records_a_mute_in_the_group(
    db: asyncpg.Connection, mod: ForumClient, author: Member, grief: Group, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    assert await sanctions_of(db, author) == [("mute", grief.id)]


async def mute_ends_at(db: asyncpg.Connection, member: Member) -> datetime | None:
    ends_at: datetime | None = await db.fetchval(
        "SELECT ends_at FROM sanctions WHERE member_id = $1", member.id
    )
    return ends_at


async def draft_body(db: asyncpg.Connection, author: Member) -> str:
    return str(await db.fetchval("SELECT body FROM drafts WHERE author_id = $1", author.id))


async def test_a_mute_lasts_the_chosen_time(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await sanction(mod, item_id, "mute", duration="3d")
    days = await db.fetchval(
        "SELECT extract(epoch FROM ends_at - created_at) / 86400"
        " FROM sanctions WHERE member_id = $1",
        author.id,
    )
    assert days == 3


async def test_muting_notifies_the_author(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    assert await notification_kinds(db, author) == ["held", "mute"]


async def test_a_muted_member_cannot_publish_in_the_group(
    db: asyncpg.Connection, mod: ForumClient, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute", reason="Cooling off after an argument")
    assert (await publish_in(writer, "grief")).status == 400
    assert await db.fetchval("SELECT count(*) FROM posts") == 1


async def test_a_muted_member_is_told_why_and_until_when(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute", reason="Cooling off after an argument")
    ends_at = await mute_ends_at(db, author)
    page = await (await publish_in(writer, "grief")).text()
    assert "You are muted in Grief and loss" in page
    assert f"until {ends_at:%-d %b %Y %H:%M} UTC" in page
    assert "Cooling off after an argument" in page


async def test_a_muted_members_refused_post_keeps_its_draft(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    resp = await publish_in(writer, "grief", "Words worth keeping")
    assert "Words worth keeping" in await resp.text()
    assert await draft_body(db, author) == "Words worth keeping"


async def test_a_muted_member_can_still_create_and_save_a_draft(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    resp = await writer.post_form(
        "/drafts", {"group": "grief", "title": "Later", "body": "First words"}
    )
    assert resp.status == 303
    draft_url = resp.headers["Location"]
    resp = await writer.post_form(
        draft_url, {"title": "Later", "body": "Second words", "version": 1}
    )
    assert resp.status == 303
    assert await draft_body(db, author) == "Second words"


async def test_a_muted_member_can_still_read_the_group(
    mod: ForumClient, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    assert (await writer.get("/g/grief")).status == 200


async def test_a_mute_does_not_block_another_group(
    mod: ForumClient, writer: ForumClient, cancer: Group, item_id: int
) -> None:
    await sanction(mod, item_id, "mute")
    assert (await publish_in(writer, "cancer")).status == 303


async def test_an_ended_mute_no_longer_blocks(
    db: asyncpg.Connection, mod: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(mod, item_id, "mute", duration="1d")
    await db.execute(
        "UPDATE sanctions SET ends_at = now() - interval '1 second' WHERE member_id = $1", author.id
    )
    assert (await publish_in(writer, "grief")).status == 303


async def test_a_mute_until_lifted_has_no_end_date(
    db: asyncpg.Connection, admin: ForumClient, author: Member, writer: ForumClient, item_id: int
) -> None:
    await sanction(admin, item_id, "mute", duration="forever")  # only admins give these
    assert await mute_ends_at(db, author) is None
    resp = await publish_in(writer, "grief")
    assert resp.status == 400
    assert "You are muted in Grief and loss until an admin lifts it:" in await resp.text()


# -- Remove ----------------------------------------------------------------------------------------


async def test_removing_takes_the_member_out_of_the_group(
    db: asyncpg.Connection, mod: ForumClient, author: Member, grief: Group, item_id: int
) -> None:
    assert (await sanction(mod, item_id, "remove")).status == 303
    assert not await groups.is_active_member(db, grief.id, author.id)


async def test_a_removed_member_is_told_why_when_trying_to_publish(
    db: asyncpg.Connection,
    mod: ForumClient,
    author: Member,
    writer: ForumClient,
    grief: Group,
    item_id: int,
) -> None:
    await sanction(mod, item_id, "remove", reason="Repeated harassment")
    assert (await writer.post_form("/g/grief/join")).status == 400
    assert not await groups.is_active_member(db, grief.id, author.id)
    resp = await publish_in(writer, "grief")
    assert resp.status == 400
    assert "Repeated harassment" in await resp.text()


async def test_removing_from_one_group_keeps_the_member_in_another(
    db: asyncpg.Connection, mod: ForumClient, author: Member, cancer: Group, item_id: int
) -> None:
    await sanction(mod, item_id, "remove")
    assert await groups.is_active_member(db, cancer.id, author.id)


# -- Suspend ---------------------------------------------------------------------------------------


async def test_a_moderator_cannot_suspend(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    resp = await sanction(mod, item_id, "suspend")
    assert resp.status == 400
    assert "Only admins can suspend" in await resp.text()
    assert await sanctions_of(db, author) == []


async def test_a_moderator_is_not_offered_suspension(mod: ForumClient, item_id: int) -> None:
    assert 'value="suspend"' not in await (await mod.get(f"/mod/items/{item_id}")).text()


async def test_an_admin_can_suspend(
    db: asyncpg.Connection, admin: ForumClient, author: Member, item_id: int
) -> None:
    assert (await sanction(admin, item_id, "suspend")).status == 303
    assert await sanctions_of(db, author) == [("suspend", None)]


async def test_a_suspension_blocks_publishing_in_every_group(
    admin: ForumClient, writer: ForumClient, cancer: Group, item_id: int
) -> None:
    await sanction(admin, item_id, "suspend", reason="Threats against members")
    resp = await publish_in(writer, "cancer")
    assert resp.status == 400
    page = await resp.text()
    assert "Your account is suspended" in page
    assert "Threats against members" in page


async def test_a_suspended_member_can_still_read(
    admin: ForumClient, writer: ForumClient, cancer: Group, item_id: int
) -> None:
    await sanction(admin, item_id, "suspend")
    assert (await writer.get("/g/cancer")).status == 200


async def test_a_suspended_member_sees_why_in_their_notifications(
    admin: ForumClient, writer: ForumClient, item_id: int
) -> None:
    await sanction(admin, item_id, "suspend", reason="Threats against members")
    page = await (await writer.get("/notifications")).text()
    assert "Your account is suspended" in page
    assert "Threats against members" in page


# -- Refusals --------------------------------------------------------------------------------------


async def test_a_sanction_without_a_reason_answers_400(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    resp = await sanction(mod, item_id, "mute", reason="  ")
    assert resp.status == 400
    assert "Please give a reason" in await resp.text()
    assert await sanctions_of(db, author) == []


@pytest.mark.parametrize(("kind", "duration"), [("ban", "7d"), ("mute", "1y")])
async def test_an_unknown_sanction_or_duration_answers_400(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int, kind: str, duration: str
) -> None:
    resp = await sanction(mod, item_id, kind, duration=duration)
    assert resp.status == 400
    assert await sanctions_of(db, author) == []


async def test_a_refused_sanction_keeps_the_typed_reason(mod: ForumClient, item_id: int) -> None:
    resp = await sanction(mod, item_id, "ban", reason="My long explanation")
    assert "My long explanation" in await resp.text()


async def test_a_moderator_cannot_sanction_themselves(
    db: asyncpg.Connection, mod: ForumClient, keeper: Member, grief: Group, publish: Publish
) -> None:
    await db.execute("UPDATE groups SET report_hide_threshold = 1 WHERE id = $1", grief.id)
    own = await publish(keeper, grief, title="My own post")
    await mod.post_form(f"/p/{own.post_id}/report", {"reason": "other"})
    resp = await sanction(mod, await item_for(db, own.post_id, "report"), "mute")
    assert resp.status == 400
    assert await sanctions_of(db, keeper) == []


async def test_a_removed_member_cannot_rejoin_while_the_removal_lasts(
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    db: asyncpg.Connection,
) -> None:
    member = await make_member("wanderer")
    admin = await make_member("boss", is_admin=True)
    group = await make_group("grief", members_=[member])
    await db.execute(
        "INSERT INTO sanctions (member_id, group_id, kind, reason, ends_at, created_by)"
        " VALUES ($1, $2, 'remove', 'repeated harassment', now() + interval '7 days', $3)",
        member.id,
        group.id,
        admin.id,
    )
    await db.execute("DELETE FROM group_members WHERE member_id = $1", member.id)
    client = await make_client(member)
    resp = await client.post_form("/g/grief/join")
    assert resp.status == 400
    assert "repeated harassment" in await resp.text()
    assert (
        await db.fetchval("SELECT count(*) FROM group_members WHERE member_id = $1", member.id) == 0
    )
