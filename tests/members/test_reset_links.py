"""An admin's one-time reset link, for a member with no recovery codes left (issue 19): issued
only with a written confirmation and a fresh two-factor code, audited, the member told; works
once, for a day; never turns off two-factor; never kept or logged in the clear."""

from __future__ import annotations

import hashlib
import re

import aiohttp
import asyncpg
import pytest

from forum.storage.members import Member
from tests.clients import PASSWORD, ClientFactory, ForumClient, enrol_two_factor, fresh_code
from tests.factories import MakeMember, audit_count, notification_kinds

NOTE = "Her support worker at the day centre vouched for her by phone, on the number we hold."
NEW = "a sentence I shall keep in mind this time"
LINK = re.compile(r'<code class="secret">(http[^<]+/reset\?token=([^<]+))</code>')


async def _issue(
    admin: ForumClient, member: Member, note: str = NOTE, code: str | None = None
) -> aiohttp.ClientResponse:
    code = await admin.fresh_code() if code is None else code
    return await admin.post_form(f"/admin/members/{member.id}/reset", {"note": note, "code": code})


async def _token(admin: ForumClient, member: Member) -> str:
    resp = await _issue(admin, member)
    assert resp.status == 200
    assert "no-store" in resp.headers["Cache-Control"]
    return str(LINK.findall(await resp.text())[0][1])


async def _set(
    client: ForumClient, token: str, new: str = NEW, confirm: str | None = None
) -> aiohttp.ClientResponse:
    data = {"token": token, "new_password": new, "new_password_confirm": confirm or new}
    return await client.post_form("/reset", data)


async def test_an_admin_issues_a_link_with_a_note_and_a_code_and_the_member_is_told(
    db: asyncpg.Connection, admin: ForumClient, member: Member
) -> None:
    token = await _token(admin, member)
    assert await audit_count(db, "password_reset_link") == 1
    assert (
        await db.fetchval("SELECT reason FROM audit_log WHERE action = 'password_reset_link'")
        == NOTE
    )
    assert "password" in await notification_kinds(db, member)
    stored = await db.fetchval("SELECT token_hash FROM password_resets")
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()


@pytest.mark.parametrize(("note", "code"), [("", None), ("It's them.", None), (NOTE, "000000")])
async def test_without_a_real_note_or_a_right_code_no_link_is_made(
    db: asyncpg.Connection, admin: ForumClient, member: Member, note: str, code: str | None
) -> None:
    resp = await _issue(admin, member, note, code)
    assert resp.status == 400
    assert await db.fetchval("SELECT count(*) FROM password_resets") == 0
    assert await audit_count(db, "password_reset_link") == 0


async def test_the_link_sets_a_password_once_and_signs_out_everywhere(
    db: asyncpg.Connection,
    admin: ForumClient,
    member: Member,
    member_client: ForumClient,
    make_client: ClientFactory,
) -> None:
    token = await _token(admin, member)
    visitor = await make_client()
    page = await visitor.get(f"/reset?token={token}")
    assert page.status == 200
    assert member.pseudonym in await page.text()
    resp = await _set(visitor, token, NEW, "not the same sentence at all")
    assert resp.status == 400  # mistyped: the link is not spent
    resp = await _set(visitor, token)
    assert resp.status == 303
    assert (await member_client.get("/account")).status == 303  # the old session is gone
    again = await make_client()
    assert (await again.get(f"/reset?token={token}")).status == 404
    assert (await _set(again, token, "yet another long sentence here")).status == 404
    signs_in = await again.post_form("/login", {"pseudonym": member.pseudonym, "password": NEW})
    assert signs_in.status == 303


async def test_a_link_a_day_old_or_replaced_no_longer_works(
    db: asyncpg.Connection, admin: ForumClient, member: Member, make_client: ClientFactory
) -> None:
    first = await _token(admin, member)
    second = await _token(admin, member)
    visitor = await make_client()
    assert (await visitor.get(f"/reset?token={first}")).status == 404
    await db.execute("UPDATE password_resets SET expires_at = now() - interval '1 second'")
    assert (await visitor.get(f"/reset?token={second}")).status == 404
    assert (await visitor.get("/reset?token=made-up")).status == 404


async def test_a_reset_does_not_skip_two_factor(
    db: asyncpg.Connection, admin: ForumClient, member: Member, make_client: ClientFactory
) -> None:
    await enrol_two_factor(db, member.id)
    token = await _token(admin, member)
    visitor = await make_client()
    resp = await _set(visitor, token)
    assert resp.status == 200
    assert 'name="challenge"' in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id) == 0
    assert await db.fetchval("SELECT count(*) FROM two_factor WHERE member_id = $1", member.id) == 1
    challenge = re.findall(r'name="challenge" value="([^"]+)"', await resp.text())[0]
    done = await visitor.post_form(
        "/login/code", {"challenge": challenge, "code": await fresh_code(db, member.id)}
    )
    assert done.status == 303


async def test_only_an_admin_issues_links_and_not_for_themselves(
    db: asyncpg.Connection,
    admin: ForumClient,
    overseer: Member,
    member: Member,
    member_client: ForumClient,
    make_member: MakeMember,
) -> None:
    other = await make_member("someone")
    assert (await member_client.get(f"/admin/members/{other.id}/reset")).status == 404
    resp = await member_client.post_form(
        f"/admin/members/{other.id}/reset", {"note": NOTE, "code": "123456"}
    )
    assert resp.status == 404
    assert (await _issue(admin, overseer)).status == 400
    assert (await admin.get("/admin/members/999999/reset")).status == 404
    assert await db.fetchval("SELECT count(*) FROM password_resets") == 0


async def test_the_token_never_reaches_the_access_log(
    admin: ForumClient, member: Member, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _token(admin, member)
    visitor = await make_client()
    await visitor.get(f"/reset?token={token}")
    await _set(visitor, token)
    assert token not in caplog.text
    assert PASSWORD not in caplog.text
