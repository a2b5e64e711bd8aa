"""Two-factor sign-in (issue 19): set up from a key shown as text and as a QR code, turned on by
a first code, asked for in a second step of signing in, each code working once; required of
admins and of moderators of groups with anonymous posting, who reach only the set-up page until
it is on."""

from __future__ import annotations

import re
import time

import asyncpg
import pyotp
import pytest

from forum.members import two_factor
from forum.storage.members import Member
from tests.clients import PASSWORD, ClientFactory, ForumClient, fresh_code
from tests.factories import MakeGroup, MakeMember, audit_count, notification_kinds

SECRET_SHOWN = re.compile(r'<code id="two-factor-secret" class="secret">([A-Z2-7]+)</code>')
CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')
CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


def now_code(secret: str, offset: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + offset)


async def _set_up(client: ForumClient) -> tuple[str, list[str]]:
    """Turn two-factor on through the pages, as a member would: the key and recovery codes."""
    page = await (await client.get("/account/two-factor")).text()
    secret = SECRET_SHOWN.findall(page)[0]
    resp = await client.post_form("/account/two-factor", {"code": now_code(secret)})
    assert resp.status == 200
    return secret, CODE.findall(await resp.text())


async def _password_step(client: ForumClient, member: Member) -> str:
    resp = await client.post_form("/login", {"pseudonym": member.pseudonym, "password": PASSWORD})
    assert resp.status == 200
    assert "session" not in resp.cookies
    return str(CHALLENGE.findall(await resp.text())[0])


async def _code_step(client: ForumClient, challenge: str, code: str) -> int:
    resp = await client.post_form("/login/code", {"challenge": challenge, "code": code})
    return resp.status


async def _sign_in(make_client: ClientFactory, member: Member, code: str) -> int:
    """Both steps from a new browser: the code step's status (303 signed in)."""
    visitor = await make_client()
    return await _code_step(visitor, await _password_step(visitor, member), code)


# -- set-up --------------------------------------------------------------------------------------


async def test_set_up_shows_the_key_as_text_and_as_a_server_drawn_qr_code(
    member_client: ForumClient,
) -> None:
    resp = await member_client.get("/account/two-factor")
    page = await resp.text()
    assert "no-store" in resp.headers["Cache-Control"]
    secret = SECRET_SHOWN.findall(page)[0]
    assert len(secret) >= 16
    assert '<svg width="' in page
    assert 'class="segno"' in page
    again = await (await member_client.get("/account/two-factor")).text()
    assert SECRET_SHOWN.findall(again) == [secret]  # reloading does not change what was scanned


async def test_a_wrong_first_code_leaves_two_factor_off(
    db: asyncpg.Connection, member_client: ForumClient, member: Member
) -> None:
    page = await (await member_client.get("/account/two-factor")).text()
    secret = SECRET_SHOWN.findall(page)[0]
    wrong = f"{(int(now_code(secret)) + 1) % 1_000_000:06d}"
    resp = await member_client.post_form("/account/two-factor", {"code": wrong})
    assert resp.status == 400
    assert not await two_factor.enabled(db, member.id)


async def test_a_right_first_code_turns_it_on_with_ten_recovery_codes(
    db: asyncpg.Connection, member_client: ForumClient, member: Member
) -> None:
    _secret, codes = await _set_up(member_client)
    assert len(codes) == 10
    assert await two_factor.enabled(db, member.id)
    assert "two_factor" in await notification_kinds(db, member)
    stored = await db.fetch(
        "SELECT purpose, code_hash FROM recovery_codes WHERE member_id = $1", member.id
    )
    assert {r["purpose"] for r in stored} == {"two_factor"}
    assert all(r["code_hash"].startswith("$argon2id$") for r in stored)


# -- signing in ----------------------------------------------------------------------------------


async def test_signing_in_asks_for_the_code_and_a_code_works_once(
    db: asyncpg.Connection,
    member_client: ForumClient,
    client: ForumClient,
    make_client: ClientFactory,
    member: Member,
) -> None:
    secret, _ = await _set_up(member_client)
    challenge = await _password_step(client, member)
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id) == 1
    code = now_code(secret, 1)
    assert await _code_step(client, challenge, code) == 303
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id) == 2
    # the same code again, from another browser that has the password: refused
    assert await _sign_in(make_client, member, code) == 400


async def test_a_wrong_code_signs_nobody_in_and_five_end_the_challenge(
    member_client: ForumClient, client: ForumClient, member: Member
) -> None:
    secret, _ = await _set_up(member_client)
    challenge = await _password_step(client, member)
    wrong = f"{(int(now_code(secret, 1)) + 7) % 1_000_000:06d}"
    for _ in range(two_factor.CHALLENGE_TRIES):
        assert await _code_step(client, challenge, wrong) == 400
    resp = await client.post_form(
        "/login/code", {"challenge": challenge, "code": now_code(secret, 1)}
    )
    assert resp.status == 400
    assert 'name="password"' in await resp.text()  # back to the password


async def test_a_two_factor_recovery_code_stands_in_for_the_app_once(
    db: asyncpg.Connection, member_client: ForumClient, make_client: ClientFactory, member: Member
) -> None:
    _secret, codes = await _set_up(member_client)
    assert await _sign_in(make_client, member, codes[0]) == 303
    assert await _sign_in(make_client, member, codes[0]) == 400
    assert (
        await db.fetchval(
            "SELECT count(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NOT NULL",
            member.id,
        )
        == 1
    )


async def test_a_password_recovery_code_does_not_skip_the_second_factor(
    db: asyncpg.Connection, member_client: ForumClient, client: ForumClient, member: Member
) -> None:
    await _set_up(member_client)
    page = await (
        await member_client.post_form("/account/recovery-codes", {"password": PASSWORD})
    ).text()
    password_code = CODE.findall(page)[0]
    resp = await client.post_form(
        "/recover",
        {
            "pseudonym": member.pseudonym,
            "recovery_code": password_code,
            "new_password": "another fine long sentence",
        },
    )
    assert resp.status == 200
    assert CHALLENGE.findall(await resp.text())
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id) == 0


async def test_the_code_may_come_with_the_password_in_one_post(
    db: asyncpg.Connection, make_member: MakeMember, client: ForumClient
) -> None:
    admin = await make_member("overseer", is_admin=True)
    resp = await client.post_form(
        "/login",
        {"pseudonym": "overseer", "password": PASSWORD, "code": await fresh_code(db, admin.id)},
    )
    assert resp.status == 303


async def test_turning_it_off_needs_the_password_and_a_code(
    db: asyncpg.Connection, member_client: ForumClient, member: Member
) -> None:
    secret, _ = await _set_up(member_client)
    resp = await member_client.post_form(
        "/account/two-factor/off", {"password": "not my password", "code": now_code(secret, 1)}
    )
    assert resp.status == 400
    assert await two_factor.enabled(db, member.id)
    resp = await member_client.post_form(
        "/account/two-factor/off", {"password": PASSWORD, "code": now_code(secret, 1)}
    )
    assert resp.status == 200
    assert not await two_factor.enabled(db, member.id)
    assert (
        await db.fetchval("SELECT count(*) FROM recovery_codes WHERE member_id = $1", member.id)
        == 0
    )


# -- required of staff ---------------------------------------------------------------------------


@pytest.fixture
async def bare_admin(db: asyncpg.Connection, make_member: MakeMember) -> Member:
    """An admin who has not set up two-factor (the factories' admins have)."""
    admin = await make_member("warden", is_admin=True)
    await db.execute("DELETE FROM two_factor WHERE member_id = $1", admin.id)
    return admin


async def test_an_admin_without_two_factor_reaches_only_the_set_up_page(
    db: asyncpg.Connection, make_client: ClientFactory, bare_admin: Member
) -> None:
    admin = await make_client(bare_admin)
    for path in ("/admin", "/", "/account", "/mod", "/admin/groups"):
        resp = await admin.get(path)
        assert resp.status == 303, path
        assert resp.headers["Location"].startswith("/account/two-factor?next="), path
    resp = await admin.post_form("/admin/groups", {"slug": "new-group", "name": "New group"})
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/account/two-factor")
    assert await db.fetchval("SELECT count(*) FROM groups") == 0
    page = await admin.get("/account/two-factor?next=/admin")
    assert page.status == 200
    assert "the only page" in await page.text()
    assert (await admin.get("/rules")).status == 200
    # once it is on, the console opens and the set-up page says it stays on
    await _set_up(admin)
    assert (await admin.get("/admin")).status == 200
    resp = await admin.post_form(
        "/account/two-factor/off", {"password": PASSWORD, "code": "000000"}
    )
    assert resp.status == 400
    assert await two_factor.enabled(db, bare_admin.id)


async def test_a_moderator_of_a_group_with_anonymous_posting_must_set_it_up(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
) -> None:
    from forum.storage import moderators

    open_ = await make_group("grief", anonymous="optional")
    signed = await make_group("cancer", anonymous="off")
    keeper, other = await make_member("keeper"), await make_member("steward")
    await moderators.appoint(db, open_.id, keeper.id, None)
    await moderators.appoint(db, signed.id, other.id, None)
    assert (await (await make_client(keeper)).get("/mod")).status == 303
    assert (await (await make_client(other)).get("/mod")).status == 200


async def test_an_admin_can_make_it_optional_and_the_change_is_audited(
    db: asyncpg.Connection, make_client: ClientFactory, admin: ForumClient, bare_admin: Member
) -> None:
    resp = await admin.post_form("/admin/two-factor", {"moderators": "on"})
    assert resp.status == 303
    assert await audit_count(db, "two_factor_policy") == 1
    assert (await (await make_client(bare_admin)).get("/admin")).status == 200
    page = await (await admin.get("/admin/two-factor")).text()
    assert 'name="admins" value="on">' in page  # unticked
    assert 'name="moderators" value="on" checked>' in page


async def test_a_policy_change_needs_an_admin(
    db: asyncpg.Connection, member_client: ForumClient
) -> None:
    assert (await member_client.get("/admin/two-factor")).status == 404
    resp = await member_client.post_form("/admin/two-factor", {})
    assert resp.status == 404
    assert await audit_count(db, "two_factor_policy") == 0
