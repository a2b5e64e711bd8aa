"""The audit log: one entry per moderation action, listed on `/mod/log`, and append-only."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from forum.storage import audit
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import Appoint, MakeMember, Publish, audit_count, item_for


@pytest.fixture
async def held(grief: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(author, grief, title="Held topic")


@pytest.fixture
async def item_id(db: asyncpg.Connection, held: NewPost) -> int:
    return await item_for(db, held.post_id)


@pytest.fixture
async def admin_member(make_member: MakeMember) -> Member:
    return await make_member("overseer", is_admin=True)


@pytest.fixture
async def admin(make_client: ClientFactory, admin_member: Member) -> ForumClient:
    return await make_client(admin_member)


async def entries(db: asyncpg.Connection, action: str) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM audit_log WHERE action = $1", action)


# -- One entry per action ------------------------------------------------------------------------


async def test_holding_a_post_is_logged_once_by_the_forum(
    db: asyncpg.Connection, grief: Group, item_id: int, held: NewPost
) -> None:
    rows = await entries(db, "hold")
    assert len(rows) == 1
    assert (rows[0]["actor_id"], rows[0]["item_id"], rows[0]["post_id"], rows[0]["group_id"]) == (
        None,
        item_id,
        held.post_id,
        grief.id,
    )


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("claim", {}),
        ("approve", {}),
        ("edit-approve", {"body": "Edited text", "reason": "Took out a name"}),
        ("reject", {"reason": "Not for this group"}),
        ("escalate", {"reason": "Please look"}),
    ],
)
async def test_each_action_on_a_held_item_is_logged_exactly_once(
    db: asyncpg.Connection,
    mod: ForumClient,
    keeper: Member,
    grief: Group,
    item_id: int,
    action: str,
    fields: Any,
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/{action}", fields)
    assert resp.status == 303
    rows = await entries(db, action)
    assert len(rows) == 1
    assert (rows[0]["actor_id"], rows[0]["item_id"], rows[0]["group_id"]) == (
        keeper.id,
        item_id,
        grief.id,
    )


async def test_an_edit_and_approve_is_not_also_logged_as_a_plain_approve(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": "Edited text", "reason": "Took out a name"}
    )
    assert await audit_count(db, "approve") == 0


async def test_a_rejection_is_logged_with_its_reason_and_subject(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Not for this group"})
    row = (await entries(db, "reject"))[0]
    assert (row["reason"], row["subject_id"]) == ("Not for this group", author.id)


async def test_resolving_is_logged_once_with_its_note(
    db: asyncpg.Connection,
    mod: ForumClient,
    keeper: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> None:
    new = await publish(keeper, grief, title="Published")
    reporter = await make_client(await make_member())
    await reporter.post_form(f"/p/{new.post_id}/report", {"reason": "spam"})
    item_id = await item_for(db, new.post_id, "report")
    await mod.post_form(f"/mod/items/{item_id}/resolve", {"reason": "Looks fine"})
    rows = await entries(db, "resolve")
    assert [(r["actor_id"], r["item_id"], r["reason"]) for r in rows] == [
        (keeper.id, item_id, "Looks fine")
    ]


async def test_an_automatic_hide_is_logged_once(
    db: asyncpg.Connection,
    grief: Group,
    keeper: Member,
    publish: Publish,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> None:
    new = await publish(keeper, grief, title="Published")
    for _ in range(4):
        reporter = await make_client(await make_member(established=True))
        await reporter.post_form(f"/p/{new.post_id}/report", {"reason": "spam"})
    rows = await entries(db, "auto-hide")
    assert [(r["actor_id"], r["post_id"]) for r in rows] == [(None, new.post_id)]


@pytest.mark.parametrize("kind", ["warn", "mute", "remove"])
async def test_each_sanction_is_logged_exactly_once(
    db: asyncpg.Connection,
    mod: ForumClient,
    keeper: Member,
    author: Member,
    grief: Group,
    item_id: int,
    kind: str,
) -> None:
    await mod.post_form(
        f"/mod/items/{item_id}/sanction", {"kind": kind, "reason": "Be kind", "duration": "1d"}
    )
    rows = await entries(db, kind)
    assert [(r["actor_id"], r["subject_id"], r["group_id"], r["reason"]) for r in rows] == [
        (keeper.id, author.id, grief.id, "Be kind")
    ]


async def test_a_suspension_is_logged_exactly_once(
    db: asyncpg.Connection, admin: ForumClient, admin_member: Member, author: Member, item_id: int
) -> None:
    await admin.post_form(
        f"/mod/items/{item_id}/sanction",
        {"kind": "suspend", "reason": "Threats", "duration": "30d"},
    )
    rows = await entries(db, "suspend")
    assert [(r["actor_id"], r["subject_id"]) for r in rows] == [(admin_member.id, author.id)]


async def test_appointing_and_removing_a_moderator_are_logged_once_each(
    db: asyncpg.Connection, admin: ForumClient, admin_member: Member, grief: Group, author: Member
) -> None:
    await admin.post_form("/admin/groups/grief/moderators", {"pseudonym": "willow"})
    await admin.post_form("/admin/groups/grief/moderators", {"pseudonym": "willow"})
    await admin.post_form(f"/admin/groups/grief/moderators/{author.id}/remove")
    await admin.post_form(f"/admin/groups/grief/moderators/{author.id}/remove")
    for action in ("appoint-moderator", "remove-moderator"):
        rows = await entries(db, action)
        assert [(r["actor_id"], r["subject_id"]) for r in rows] == [(admin_member.id, author.id)]


async def test_creating_a_group_is_logged_once(
    db: asyncpg.Connection, admin: ForumClient, admin_member: Member
) -> None:
    await admin.post_form("/admin/groups", {"slug": "new-group", "name": "New group"})
    rows = await entries(db, "create-group")
    assert [(r["actor_id"], r["reason"]) for r in rows] == [(admin_member.id, "New group")]


async def test_a_refused_action_is_not_logged(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": ""})
    await mod.post_form(f"/mod/items/{item_id}/sanction", {"kind": "suspend", "reason": "x"})
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action <> 'hold'") == 0


async def test_an_action_that_lost_a_race_is_not_logged(
    db: asyncpg.Connection,
    mod: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    grief: Group,
    appoint: Appoint,
    item_id: int,
) -> None:
    warden = await make_member("warden")
    await appoint(grief, warden)
    await (await make_client(warden)).post_form(f"/mod/items/{item_id}/claim")
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert await audit_count(db, "approve") == 0
    assert await audit_count(db, "claim") == 1


# -- The log page ----------------------------------------------------------------------------------


async def test_the_log_lists_who_did_what_where_and_why(mod: ForumClient, item_id: int) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Names a real person"})
    page = await (await mod.get("/mod/log")).text()
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "keeper" in row
    assert "reject" in row
    assert "Grief and loss" in row
    assert "Names a real person" in row


async def test_the_log_lists_newest_first(mod: ForumClient, item_id: int) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await mod.post_form(f"/mod/items/{item_id}/approve")
    page = await (await mod.get("/mod/log")).text()
    assert page.index("<td>approve") < page.index("<td>claim") < page.index("<td>hold")


async def test_the_log_names_the_forum_for_automatic_entries(
    mod: ForumClient, item_id: int
) -> None:
    assert "the forum" in await (await mod.get("/mod/log")).text()


async def test_the_log_pages_back_to_older_entries(
    db: asyncpg.Connection, mod: ForumClient, grief: Group
) -> None:
    for n in range(105):
        await audit.record(db, actor_id=None, action=f"entry-{n:03}", group_id=grief.id)
    first = await (await mod.get("/mod/log")).text()
    assert "entry-104" in first
    assert "entry-005" in first
    assert "entry-004" not in first
    older = first[first.index('href="/mod/log?before=') :].split('"')[1]
    second = await (await mod.get(older.replace("&amp;", "&"))).text()
    assert "entry-004" in second
    assert "entry-000" in second
    assert "entry-005" not in second


async def test_a_bad_log_cursor_shows_the_first_page(mod: ForumClient, item_id: int) -> None:
    resp = await mod.get("/mod/log?before=not-a-number")
    assert resp.status == 200
    assert "hold" in await resp.text()


# -- Append-only -----------------------------------------------------------------------------------


async def test_updating_the_audit_log_is_refused(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Original reason"})
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE audit_log SET reason = 'rewritten'")
    assert await db.fetchval("SELECT reason FROM audit_log WHERE action = 'reject'") == (
        "Original reason"
    )


async def test_deleting_from_the_audit_log_is_refused(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM audit_log WHERE action = 'approve'")
    assert await audit_count(db, "approve") == 1
