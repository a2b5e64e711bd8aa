"""Private check-ins from a queue item to its author, who is never named to the moderator."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, Appoint, MakeGroup, MakeMember, audit_count, publish_over_http


@pytest.fixture
async def hidden(make_member: MakeMember) -> Member:
    """The anonymous author; their pseudonym must never reach a moderator's page."""
    return await make_member(SECRET)


@pytest.fixture
async def group(make_group: MakeGroup, hidden: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group("grief", name="Grief", anonymous="optional", members_=[hidden])
    await appoint(group, keeper)
    return group


@pytest.fixture
async def writer(make_client: ClientFactory, hidden: Member) -> ForumClient:
    return await make_client(hidden)


@pytest.fixture
async def item_id(db: asyncpg.Connection, writer: ForumClient, group: Group) -> int:
    """A crisis item for an anonymous post saying its author will end it tonight."""
    resp = await publish_over_http(
        writer,
        {
            "group": group.slug,
            "title": "tonight",
            "body": "I am going to kill myself tonight. I have the pills ready.",
            "anonymous": "on",
        },
    )
    assert resp.status in (200, 303)
    found: int = await db.fetchval("SELECT max(id) FROM queue_items WHERE kind = 'crisis'")
    assert await db.fetchval("SELECT anonymous FROM posts") is True
    return found


async def test_a_check_in_reaches_the_anonymous_author_who_answers_without_being_named(
    db: asyncpg.Connection, mod: ForumClient, writer: ForumClient, item_id: int
) -> None:
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "Private check-in with the author" in page
    sent = await mod.post_form(
        f"/mod/items/{item_id}/check-in", {"message": "I saw your post. How are you right now?"}
    )
    assert sent.status == 303

    inbox = await (await writer.get("/inbox")).text()
    assert "A moderator of Grief checked in with you" in inbox
    assert 'id="inbox-count">1<' in inbox  # the badge counts the unread check-in
    thread = await (await writer.get(f"/check-ins/{item_id}")).text()
    assert "How are you right now?" in thread
    assert "Samaritans" in thread or "findahelpline" in thread  # the crisis lines
    assert (
        await writer.post_form(f"/check-ins/{item_id}", {"message": "Thank you. Still here."})
    ).status == 303
    assert (await writer.post_form(f"/check-ins/{item_id}", {"safe": "1"})).status == 303
    assert 'id="inbox-count">0<' in await (await writer.get("/inbox")).text()

    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "Thank you. Still here." in page
    assert "The author says they are safe now." in page
    assert "The author" in page
    assert SECRET not in page
    assert await audit_count(db, "check-in") == 1
    assert await audit_count(db, "check-in-reply") == 1
    assert await audit_count(db, "check-in-safe") == 1
    log = await (await mod.get("/mod/log")).text()
    assert SECRET not in log


async def test_nobody_else_reads_or_answers_the_thread(
    db: asyncpg.Connection,
    mod: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    item_id: int,
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/check-in", {"message": "Checking in."})
    other = await make_client(await make_member("nosy"))
    assert (await other.get(f"/check-ins/{item_id}")).status == 404
    assert (await other.post_form(f"/check-ins/{item_id}", {"message": "hi"})).status == 404
    assert (await mod.get(f"/check-ins/{item_id}")).status == 404  # not even the moderator
    assert (await other.post_form(f"/mod/items/{item_id}/check-in", {"message": "x"})).status == 404
    assert await db.fetchval("SELECT count(*) FROM check_in_messages") == 1


async def test_an_author_cannot_open_a_thread_no_moderator_started(
    writer: ForumClient, item_id: int
) -> None:
    assert (await writer.get(f"/check-ins/{item_id}")).status == 404
    assert (await writer.post_form(f"/check-ins/{item_id}", {"message": "hello?"})).status == 404


async def test_members_can_switch_check_ins_off_and_the_moderator_is_told(
    db: asyncpg.Connection, mod: ForumClient, writer: ForumClient, item_id: int
) -> None:
    resp = await writer.post_form("/account/preferences", {"check_ins": "off"})
    assert resp.status == 303
    refused = await mod.post_form(f"/mod/items/{item_id}/check-in", {"message": "Are you ok?"})
    assert refused.status == 400
    body = await refused.text()
    assert "chosen not to receive check-ins" in body
    assert "Are you ok?" in body  # the moderator's words are kept
    assert await db.fetchval("SELECT count(*) FROM check_in_messages") == 0


async def test_an_empty_or_overlong_check_in_is_refused(mod: ForumClient, item_id: int) -> None:
    assert (await mod.post_form(f"/mod/items/{item_id}/check-in", {"message": "  "})).status == 400
    assert (
        await mod.post_form(f"/mod/items/{item_id}/check-in", {"message": "x" * 2001})
    ).status == 400
