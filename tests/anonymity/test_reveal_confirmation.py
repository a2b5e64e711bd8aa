"""A reveal asks for a fresh two-factor code, and where the forum has two or more admins, a
second admin's confirmation within a set time (issue 19). Without either, nothing is revealed
and the author is not told; asking, confirming and declining are all in the audit log."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.test_reveal import REASON, group, hidden, nothing_written
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, MakeMember, audit_count, notification_kinds

__all__ = ["group", "hidden"]  # fixtures, used by name


async def _ask(admin: ForumClient, post_id: int, code: str | None = None) -> tuple[int, str]:
    code = await admin.fresh_code() if code is None else code
    resp = await admin.post_form(f"/admin/posts/{post_id}/reveal", {"reason": REASON, "code": code})
    return resp.status, resp.headers.get("Location", "")


async def test_a_reveal_without_a_right_code_reveals_nothing(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    for code in ("", "000000", "not-a-code"):
        status, _ = await _ask(admin, hidden.post_id, code)
        assert status == 400
    assert await nothing_written(db)


async def test_a_code_used_once_does_not_reveal_again(
    db: asyncpg.Connection, admin: ForumClient, hidden: NewPost
) -> None:
    code = await admin.fresh_code()
    assert (await _ask(admin, hidden.post_id, code))[0] == 303
    assert (await _ask(admin, hidden.post_id, code))[0] == 400
    assert await audit_count(db, "reveal") == 1


async def test_an_admin_without_two_factor_cannot_reveal(
    db: asyncpg.Connection, admin: ForumClient, overseer: Member, hidden: NewPost
) -> None:
    """Even where the forum lets admins go without two-factor, a reveal needs it."""
    await db.execute("UPDATE site_policy SET two_factor_admins = false")
    if not await db.fetchval("SELECT count(*) FROM site_policy"):
        await db.execute("INSERT INTO site_policy (two_factor_admins) VALUES (false)")
    await db.execute("DELETE FROM two_factor WHERE member_id = $1", overseer.id)
    status, _ = await _ask(admin, hidden.post_id, "123456")
    assert status == 400
    assert await nothing_written(db)


@pytest.fixture
async def second(make_client: ClientFactory, make_member: MakeMember) -> ForumClient:
    """Another admin, signed in."""
    return await make_client(await make_member("warden", is_admin=True))


async def test_with_two_admins_a_reveal_waits_for_the_second(
    db: asyncpg.Connection,
    admin: ForumClient,
    second: ForumClient,
    author: Member,
    hidden: NewPost,
) -> None:
    status, where = await _ask(admin, hidden.post_id)
    assert status == 303
    assert where.startswith("/admin/reveal-requests/")
    assert await nothing_written(db)
    assert await audit_count(db, "reveal_requested") == 1
    assert "revealed" not in await notification_kinds(db, author)
    assert second.member is not None
    assert "reveal_request" in await notification_kinds(db, second.member)
    page = await (await admin.get(where)).text()
    assert "Another admin must confirm" in page
    assert SECRET not in page
    # the asker cannot confirm their own request
    resp = await admin.post_form(where, {"decision": "confirm", "code": await admin.fresh_code()})
    assert resp.status == 400
    assert await nothing_written(db)
    overview = await (await second.get("/admin")).text()
    assert where in overview


async def test_the_second_admins_fresh_code_confirms_it_for_the_asker_alone(
    db: asyncpg.Connection,
    admin: ForumClient,
    second: ForumClient,
    author: Member,
    hidden: NewPost,
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    resp = await second.post_form(where, {"decision": "confirm", "code": "000000"})
    assert resp.status == 400
    assert await nothing_written(db)
    resp = await second.post_form(where, {"decision": "confirm", "code": await second.fresh_code()})
    assert resp.status == 303
    assert await audit_count(db, "reveal") == 1
    assert await audit_count(db, "reveal_confirmed") == 1
    assert "revealed" in await notification_kinds(db, author)
    page = await (await admin.get(where)).text()
    reveal_path = page.split('href="/admin/reveals/', 1)[1].split('"', 1)[0]
    shown = await (await admin.get(f"/admin/reveals/{reveal_path}")).text()
    assert f"<strong>{SECRET}</strong>" in shown
    assert (await second.get(f"/admin/reveals/{reveal_path}")).status == 404
    assert SECRET not in await (await second.get(where)).text()
    # decided: it cannot be decided again
    again = await second.post_form(
        where, {"decision": "confirm", "code": await second.fresh_code()}
    )
    assert again.status == 400
    assert await audit_count(db, "reveal") == 1


async def test_a_request_not_confirmed_in_time_reveals_nothing(
    db: asyncpg.Connection, admin: ForumClient, second: ForumClient, hidden: NewPost
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    await db.execute("UPDATE reveal_requests SET expires_at = now() - interval '1 second'")
    resp = await second.post_form(where, {"decision": "confirm", "code": await second.fresh_code()})
    assert resp.status == 400
    assert await nothing_written(db)
    assert "Not decided in time" in await (await admin.get(where)).text()
    assert where not in await (await second.get("/admin")).text()


async def test_a_declined_request_reveals_nothing_and_the_asker_is_told(
    db: asyncpg.Connection,
    admin: ForumClient,
    second: ForumClient,
    overseer: Member,
    hidden: NewPost,
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    resp = await second.post_form(where, {"decision": "decline"})
    assert resp.status == 303
    assert await nothing_written(db)
    assert await audit_count(db, "reveal_declined") == 1
    assert "reveal_request" in await notification_kinds(db, overseer)


async def test_a_request_from_an_admin_no_longer_admin_can_only_be_declined(
    db: asyncpg.Connection,
    admin: ForumClient,
    second: ForumClient,
    overseer: Member,
    hidden: NewPost,
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    await db.execute("UPDATE members SET is_admin = false WHERE id = $1", overseer.id)
    resp = await second.post_form(where, {"decision": "confirm", "code": await second.fresh_code()})
    assert resp.status == 400
    assert await nothing_written(db)


async def test_no_one_but_an_admin_sees_a_request(
    admin: ForumClient,
    second: ForumClient,
    mod: ForumClient,
    member_client: ForumClient,
    hidden: NewPost,
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    for other in (mod, member_client):
        assert (await other.get(where)).status == 404
        assert (await other.post_form(where, {"decision": "decline"})).status == 404


async def test_a_decision_that_is_neither_confirm_nor_decline_decides_nothing(
    db: asyncpg.Connection, admin: ForumClient, second: ForumClient, hidden: NewPost
) -> None:
    _, where = await _ask(admin, hidden.post_id)
    resp = await second.post_form(where, {"decision": "Confirm", "code": await second.fresh_code()})
    assert resp.status == 400
    assert await db.fetchval("SELECT outcome FROM reveal_requests") is None
    assert await audit_count(db, "reveal_declined") == 0
