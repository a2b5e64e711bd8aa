"""The audited reveal: only an admin, with a written reason, learns who wrote one anonymous post.

POST /admin/posts/{id}/reveal writes an audit entry and tells the author, then shows the name on
GET /admin/reveals/{entry}. Everyone else gets 404 from both, as if neither existed.
"""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import set_name
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, Appoint, MakeGroup, MakeMember, Publish, item_for

REASON = "A credible threat to another member's safety was reported."


def without_header(page: str, pseudonym: str) -> str:
    """The page without "Signed in as <name>": what it says about anyone else."""
    return page.replace(f"Signed in as <strong>{pseudonym}</strong>", "")


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group(
        "grief", name="Grief and loss", anonymous="optional", members_=[author]
    )
    await appoint(group, keeper)
    return group


@pytest.fixture
async def hidden(group: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(
        author, group, title="Unsigned", body="Posted without my name", anonymous=True
    )


async def reveal(client: ForumClient, post_id: int, reason: str = REASON) -> aiohttp.ClientResponse:
    code = await client.fresh_code() if client.member and client.member.is_admin else "000000"
    return await client.post_form(
        f"/admin/posts/{post_id}/reveal", {"reason": reason, "code": code}
    )


async def count(db: asyncpg.Connection, sql: str) -> int:
    return int(await db.fetchval(sql))


async def nothing_written(db: asyncpg.Connection) -> bool:
    return (
        await count(db, "SELECT count(*) FROM audit_log WHERE action = 'reveal'") == 0
        and await count(db, "SELECT count(*) FROM notifications WHERE kind = 'revealed'") == 0
    )


async def test_an_admin_reveal_redirects_to_the_reveal_page(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    resp = await reveal(admin, hidden.post_id)
    assert resp.status == 303
    entry = await db.fetchval("SELECT id FROM audit_log WHERE action = 'reveal'")
    assert resp.headers["Location"] == f"/admin/reveals/{entry}"


async def test_the_reveal_page_shows_the_pseudonym_to_the_admin(
    admin: ForumClient, hidden: NewPost
) -> None:
    resp = await reveal(admin, hidden.post_id)
    page = await (await admin.get(resp.headers["Location"])).text()
    assert f"<strong>{SECRET}</strong>" in page
    assert REASON.replace("'", "&#39;") in page


async def test_the_reveal_page_shows_the_pseudonym_even_behind_a_group_name(
    db: asyncpg.Connection, admin: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    await set_name(db, group, author, "stillwater")
    post = await publish(author, group, anonymous=True)
    resp = await reveal(admin, post.post_id)
    assert SECRET in await (await admin.get(resp.headers["Location"])).text()


async def test_another_admin_may_not_read_the_reveal_page(
    make_client: ClientFactory, make_member: MakeMember, admin: ForumClient, hidden: NewPost
) -> None:
    """The name is shown to the admin who asked for it, not to every admin after."""
    resp = await reveal(admin, hidden.post_id)
    colleague = await make_client(await make_member("warden", is_admin=True))
    assert (await colleague.get(resp.headers["Location"])).status == 404


async def test_the_reveal_is_written_to_the_audit_log(
    db: asyncpg.Connection,
    admin: ForumClient,
    overseer: Member,
    author: Member,
    group: Group,
    hidden: NewPost,
) -> None:
    await reveal(admin, hidden.post_id)
    row = await db.fetchrow("SELECT * FROM audit_log WHERE action = 'reveal'")
    assert row is not None
    assert (row["actor_id"], row["post_id"], row["subject_id"], row["group_id"]) == (
        overseer.id,
        hidden.post_id,
        author.id,
        group.id,
    )
    assert row["reason"] == REASON


async def test_the_author_is_told_their_post_was_unmasked_and_why(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    admin: ForumClient,
    author: Member,
    hidden: NewPost,
) -> None:
    await reveal(admin, hidden.post_id)
    rows = await db.fetch(
        "SELECT kind, post_id, message FROM notifications WHERE member_id = $1", author.id
    )
    assert [(r["kind"], r["post_id"]) for r in rows] == [("revealed", hidden.post_id)]
    page = await (await (await make_client(author)).get("/notifications")).text()
    assert "looked up who wrote one of your anonymous posts in Grief and loss" in page
    assert REASON.replace("'", "&#39;") in page


async def test_no_one_but_the_author_is_told(
    db: asyncpg.Connection, admin: ForumClient, author: Member, hidden: NewPost
) -> None:
    await reveal(admin, hidden.post_id)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM notifications WHERE kind = 'revealed' AND member_id <> $1",
            author.id,
        )
        == 0
    )


async def test_the_moderation_log_records_the_reveal_without_the_name(
    db: asyncpg.Connection, admin: ForumClient, mod: ForumClient, hidden: NewPost
) -> None:
    await reveal(admin, hidden.post_id)
    for viewer in (mod, admin):
        page = await (await viewer.get("/mod/log")).text()
        assert "<td>reveal</td>" in page
        assert SECRET not in page


@pytest.mark.parametrize("reason", ["", "   ", "because", "  too short  "])
async def test_a_reveal_without_a_real_reason_is_refused_and_writes_nothing(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost, reason: str
) -> None:
    resp = await reveal(admin, hidden.post_id, reason)
    assert resp.status == 400
    page = await resp.text()
    assert "Please write why" in page
    assert SECRET not in page
    assert await nothing_written(db)


async def test_a_refused_reveal_keeps_what_the_admin_typed(
    admin: ForumClient, hidden: NewPost
) -> None:
    resp = await reveal(admin, hidden.post_id, "short")
    assert "short</textarea>" in await resp.text()


async def test_a_named_post_cannot_be_revealed(
    db: asyncpg.Connection, admin: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    named = await publish(author, group, title="Signed")
    resp = await reveal(admin, named.post_id)
    assert resp.status == 400
    assert "Only an anonymous post" in await resp.text()
    assert await nothing_written(db)


async def test_a_post_under_a_group_name_cannot_be_revealed(
    db: asyncpg.Connection, admin: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    await set_name(db, group, author, "stillwater")
    post = await publish(author, group)
    resp = await reveal(admin, post.post_id)
    assert resp.status == 400
    assert SECRET not in await resp.text()
    assert await nothing_written(db)


async def test_revealing_an_unknown_post_is_404_and_writes_nothing(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    resp = await reveal(admin, hidden.post_id + 1000)
    assert resp.status == 404
    assert await nothing_written(db)


@pytest.mark.parametrize("who", ["member", "author", "moderator"])
async def test_no_one_but_an_admin_may_reveal(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    author: Member,
    keeper: Member,
    hidden: NewPost,
    who: str,
) -> None:
    person = {"member": await make_member("bystander"), "author": author, "moderator": keeper}[who]
    resp = await reveal(await make_client(person), hidden.post_id)
    assert resp.status == 404
    assert SECRET not in without_header(await resp.text(), person.pseudonym)
    assert await nothing_written(db)


async def test_a_visitor_may_not_reveal(
    db: asyncpg.Connection, client: ForumClient, hidden: NewPost
) -> None:
    resp = await reveal(client, hidden.post_id)
    assert resp.status == 404  # as for every /admin route: not even a sign-in prompt
    assert await nothing_written(db)


async def test_a_reveal_without_the_csrf_token_writes_nothing(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    resp = await admin.post_form(
        f"/admin/posts/{hidden.post_id}/reveal", {"reason": REASON}, csrf=False
    )
    assert resp.status == 403
    assert await nothing_written(db)


async def test_a_reveal_cannot_be_made_with_get(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    resp = await admin.get(f"/admin/posts/{hidden.post_id}/reveal?reason=" + "x" * 20)
    assert resp.status == 405
    assert await nothing_written(db)


@pytest.fixture
async def reported(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    group: Group,
    hidden: NewPost,
) -> int:
    """An open report item on the anonymous post."""
    bystander = await make_member("bystander")
    await groups.add_member(db, group.id, bystander.id)
    await (await make_client(bystander)).post_form(
        f"/p/{hidden.post_id}/report", {"reason": "hate"}
    )
    return await item_for(db, hidden.post_id, "report")


@pytest.mark.parametrize("who", ["member", "author", "moderator"])
async def test_no_one_but_an_admin_may_read_a_reveal_page(
    make_client: ClientFactory,
    make_member: MakeMember,
    admin: ForumClient,
    author: Member,
    keeper: Member,
    hidden: NewPost,
    who: str,
) -> None:
    location = (await reveal(admin, hidden.post_id)).headers["Location"]
    person = {"member": await make_member("bystander"), "author": author, "moderator": keeper}[who]
    resp = await (await make_client(person)).get(location)
    assert resp.status == 404
    assert SECRET not in without_header(await resp.text(), person.pseudonym)


async def test_a_visitor_may_not_read_a_reveal_page(
    client: ForumClient, admin: ForumClient, hidden: NewPost
) -> None:
    location = (await reveal(admin, hidden.post_id)).headers["Location"]
    resp = await client.get(location)
    assert resp.status == 404


async def test_an_audit_entry_that_is_not_a_reveal_has_no_reveal_page(
    db: asyncpg.Connection, admin: ForumClient, mod: ForumClient, reported: int
) -> None:
    await mod.post_form(f"/mod/items/{reported}/reject", {"reason": "Against the group rules"})
    entry = await db.fetchval("SELECT id FROM audit_log WHERE action = 'reject'")
    assert entry is not None
    assert (await admin.get(f"/admin/reveals/{entry}")).status == 404


async def test_an_unknown_reveal_page_is_404(admin: ForumClient) -> None:
    assert (await admin.get("/admin/reveals/999999")).status == 404


async def test_the_admins_item_page_offers_the_reveal_form(
    admin: ForumClient, hidden: NewPost, reported: int
) -> None:
    page = await (await admin.get(f"/mod/items/{reported}")).text()
    assert f'action="/admin/posts/{hidden.post_id}/reveal"' in page
    assert SECRET not in without_header(page, "overseer")


async def test_a_moderators_item_page_does_not_offer_the_reveal_form(
    mod: ForumClient, reported: int
) -> None:
    page = await (await mod.get(f"/mod/items/{reported}")).text()
    assert "/reveal" not in page
    assert SECRET not in page


async def test_a_reveal_from_the_item_page_leaves_the_item_page_anonymous(
    admin: ForumClient, mod: ForumClient, hidden: NewPost, reported: int
) -> None:
    await reveal(admin, hidden.post_id)
    for viewer in (admin, mod):
        assert SECRET not in await (await viewer.get(f"/mod/items/{reported}")).text()
