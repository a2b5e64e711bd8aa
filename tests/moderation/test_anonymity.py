"""An anonymous author stays anonymous to moderators: their pseudonym is on no moderation page."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, Appoint, MakeGroup, MakeMember, Publish, item_for


@pytest.fixture
async def author(make_member: MakeMember) -> Member:
    return await make_member(SECRET)


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group(
        "grief", name="Grief and loss", moderation="all", anonymous="optional", members_=[author]
    )
    await appoint(group, keeper)
    return group


@pytest.fixture
async def held(group: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(
        author,
        group,
        title="Something I cannot say openly",
        body="Posted without my name",
        anonymous=True,
    )


@pytest.fixture
async def item_id(db: asyncpg.Connection, held: NewPost) -> int:
    return await item_for(db, held.post_id)


def assert_anonymous(page: str) -> None:
    assert SECRET not in page.lower()


async def sanction(
    client: ForumClient, item_id: int, kind: str, reason: str = "Be kind", duration: str = "1d"
) -> aiohttp.ClientResponse:
    """Sanction the item's author, following the redirect to the page that comes next."""
    return await client.post_form(
        f"/mod/items/{item_id}/sanction",
        {"kind": kind, "reason": reason, "duration": duration},
        allow_redirects=True,
    )


async def test_the_queue_does_not_name_an_anonymous_author(mod: ForumClient, item_id: int) -> None:
    page = await (await mod.get("/mod")).text()
    assert f"/mod/items/{item_id}" in page
    assert_anonymous(page)


async def test_the_item_page_does_not_name_an_anonymous_author(
    mod: ForumClient, item_id: int
) -> None:
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "Posted without my name" in page
    assert_anonymous(page)


async def test_the_item_page_says_the_author_is_anonymous(mod: ForumClient, item_id: int) -> None:
    assert "anonymous" in await (await mod.get(f"/mod/items/{item_id}")).text()


async def test_an_admins_item_page_does_not_name_an_anonymous_author(
    admin: ForumClient, item_id: int
) -> None:
    assert_anonymous(await (await admin.get(f"/mod/items/{item_id}")).text())


async def test_a_conflict_page_does_not_name_an_anonymous_author(
    mod: ForumClient, admin: ForumClient, item_id: int
) -> None:
    await admin.post_form(f"/mod/items/{item_id}/claim")
    resp = await mod.post_form(f"/mod/items/{item_id}/approve")
    assert resp.status == 409
    assert_anonymous(await resp.text())


async def test_the_item_page_of_an_anonymous_reply_names_no_one_in_context(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    keeper: Member,
    publish: Publish,
    mod: ForumClient,
) -> None:
    topic = await publish(keeper, group, title="Open thread", body="Opening words")
    reply = await publish(
        author, group, topic_id=topic.topic_id, body="Anonymous reply", anonymous=True
    )
    page = await (await mod.get(f"/mod/items/{await item_for(db, reply.post_id)}")).text()
    assert "Opening words" in page
    assert_anonymous(page)


async def test_a_report_item_does_not_name_an_anonymous_author(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    keeper: Member,
    appoint: Appoint,
    publish: Publish,
    mod: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> None:
    await appoint(group, author)  # a moderator's own posts are not held, so this one is out
    published = await publish(author, group, body="Already visible", anonymous=True)
    await db.execute("DELETE FROM group_moderators WHERE member_id = $1", author.id)
    reporter = await make_client(await make_member())
    await reporter.post_form(f"/p/{published.post_id}/report", {"reason": "hate"})
    item_id = await item_for(db, published.post_id, "report")
    assert_anonymous(await (await mod.get("/mod")).text())
    assert_anonymous(await (await mod.get(f"/mod/items/{item_id}")).text())


@pytest.mark.parametrize("action", ["claim", "approve", "reject", "escalate"])
async def test_the_log_does_not_name_an_anonymous_author(
    mod: ForumClient, item_id: int, action: str
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/{action}", {"reason": "A reason"})
    page = await (await mod.get("/mod/log")).text()
    assert action in page
    assert_anonymous(page)


@pytest.mark.parametrize("kind", ["warn", "mute", "remove"])
async def test_sanctioning_an_anonymous_author_never_shows_their_pseudonym(
    mod: ForumClient, item_id: int, kind: str
) -> None:
    resp = await sanction(mod, item_id, kind)
    assert resp.status == 200
    assert_anonymous(await resp.text())
    assert_anonymous(await (await mod.get("/mod/log")).text())


async def test_a_suspension_by_an_admin_never_shows_the_pseudonym(
    admin: ForumClient, item_id: int
) -> None:
    resp = await sanction(admin, item_id, "suspend", "Threats", "30d")
    assert resp.status == 200
    assert_anonymous(await resp.text())
    assert_anonymous(await (await admin.get("/mod/log")).text())


async def test_a_refused_sanction_page_does_not_name_an_anonymous_author(
    mod: ForumClient, item_id: int
) -> None:
    resp = await sanction(mod, item_id, "suspend", "Threats", "30d")
    assert resp.status == 400
    assert_anonymous(await resp.text())


async def test_sanctioning_an_anonymous_author_reaches_them(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await sanction(mod, item_id, "warn")
    assert (
        await db.fetchval(
            "SELECT count(*) FROM notifications WHERE member_id = $1 AND kind = 'warn'", author.id
        )
        == 1
    )


async def test_escalation_does_not_name_an_anonymous_author_to_admins(
    mod: ForumClient, admin: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/escalate", {"reason": "Please look"})
    assert_anonymous(await (await admin.get("/notifications")).text())
