"""Changing a password and recovering an account without e-mail (issue 19): recovery codes
shown once at registration and stored hashed, `/recover` answering the same whether or not the
pseudonym exists, a code working once, and a changed password ending the other sessions."""

from __future__ import annotations

import re

import asyncpg
import pytest

from forum.members import recovery
from forum.storage import sessions
from forum.storage.members import Member
from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient
from tests.factories import notification_kinds

NEW_PASSWORD = "a brand new sentence to remember"
CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


async def _recover(
    client: ForumClient, pseudonym: str, code: str, new_password: str = NEW_PASSWORD
) -> tuple[int, str]:
    resp = await client.post_form(
        "/recover",
        {"pseudonym": pseudonym, "recovery_code": code, "new_password": new_password},
    )
    return resp.status, await resp.text()


async def _signs_in(client: ForumClient, pseudonym: str, password: str) -> bool:
    resp = await client.post_form(
        "/login", {**JOINING, "pseudonym": pseudonym, "password": password}
    )
    return resp.status == 303


async def _session_count(db: asyncpg.Connection, member: Member) -> int:
    return int(await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id))


# -- shown once at registration, stored hashed -----------------------------------------------------


async def test_a_new_member_is_shown_ten_codes_once_and_only_hashes_are_kept(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await client.post_form(
        "/register", {**JOINING, "pseudonym": "newcomer", "password": PASSWORD}
    )
    assert resp.status == 303
    welcome = await client.get(resp.headers["Location"])
    assert welcome.status == 200
    assert "no-store" in welcome.headers["Cache-Control"]
    codes = CODE.findall(await welcome.text())
    assert len(codes) == recovery.CODES == len(set(codes))
    stored = [r["code_hash"] for r in await db.fetch("SELECT code_hash FROM recovery_codes")]
    assert len(stored) == 10
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    again = await (await client.get("/welcome")).text()
    assert CODE.findall(again) == []  # never shown twice
    assert len(await db.fetch("SELECT code_hash FROM recovery_codes")) == 10


# -- recovering --------------------------------------------------------------------------------


@pytest.fixture
async def codes(db: asyncpg.Connection, member: Member) -> list[str]:
    return await recovery.issue(db, member)


async def test_a_recovery_code_sets_a_new_password_once_and_signs_out_everywhere(
    client: ForumClient,
    make_client: ClientFactory,
    db: asyncpg.Connection,
    member: Member,
    codes: list[str],
) -> None:
    await make_client(member)  # signed in on another device
    assert await _session_count(db, member) == 1
    status, _ = await _recover(client, "River", codes[3].upper().replace("-", " "))
    assert status == 303
    assert await _session_count(db, member) == 1  # only the new one, here
    assert "password" in await notification_kinds(db, member)
    visitor = await make_client()
    assert await _signs_in(visitor, "river", NEW_PASSWORD)
    assert not await _signs_in(await make_client(), "river", PASSWORD)
    status, text = await _recover(await make_client(), "river", codes[3], "yet another sentence")
    assert status == 400  # used
    assert "don&#39;t match" in text or "don't match" in text
    assert (
        await db.fetchval(
            "SELECT count(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL",
            member.id,
        )
        == 9
    )


async def test_recover_answers_the_same_whether_or_not_the_pseudonym_exists(
    make_client: ClientFactory, codes: list[str]
) -> None:
    wrong_code = await _recover(await make_client(), "river", "aaaa-bbbb-cccc")
    no_member = await _recover(await make_client(), "nobody-here", "aaaa-bbbb-cccc")
    assert wrong_code[0] == no_member[0] == 400

    def answer(text: str) -> str:
        return re.sub(r'value="[^"]*"', "", text)

    assert answer(wrong_code[1]) == answer(no_member[1])


async def test_a_weak_new_password_spends_no_code(
    client: ForumClient, db: asyncpg.Connection, codes: list[str]
) -> None:
    status, text = await _recover(client, "river", codes[0], "short")
    assert status == 400
    assert "at least 10 characters" in text
    assert await db.fetchval("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL") == 10


async def test_recover_is_rate_limited_per_pseudonym_and_address(
    client: ForumClient, codes: list[str]
) -> None:
    statuses = [(await _recover(client, "river", "aaaa-bbbb-cccc"))[0] for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    status, _ = await _recover(client, "river", codes[0])
    assert status == 429  # even the right code waits: guessing must not go on


# -- a new set -----------------------------------------------------------------------------------


async def test_a_new_set_needs_the_password_and_the_old_set_stops_working(
    make_client: ClientFactory, member: Member, codes: list[str]
) -> None:
    signed_in = await make_client(member)
    page = await (await signed_in.get("/account/recovery-codes")).text()
    assert "<strong>10</strong> unused recovery codes" in page
    refused = await signed_in.post_form("/account/recovery-codes", {"password": "not it at all"})
    assert refused.status == 400
    made = await signed_in.post_form("/account/recovery-codes", {"password": PASSWORD})
    assert made.status == 200
    fresh = CODE.findall(await made.text())
    assert len(fresh) == 10
    assert not set(fresh) & set(codes)
    status, _ = await _recover(await make_client(), "river", codes[0])
    assert status == 400
    status, _ = await _recover(await make_client(), "river", fresh[0])
    assert status == 303


# -- changing the password ---------------------------------------------------------------------


async def _change(client: ForumClient, current: str, new: str, confirm: str) -> tuple[int, str]:
    resp = await client.post_form(
        "/account/password",
        {"current_password": current, "new_password": new, "new_password_confirm": confirm},
    )
    return resp.status, await resp.text()


async def test_a_wrong_current_password_changes_nothing(
    make_client: ClientFactory, db: asyncpg.Connection, member: Member
) -> None:
    signed_in = await make_client(member)
    await make_client(member)
    before = await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id)
    status, text = await _change(signed_in, "not my password", NEW_PASSWORD, NEW_PASSWORD)
    assert status == 400
    assert "isn&#39;t right" in text or "isn't right" in text
    status, _ = await _change(signed_in, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert status == 400
    assert await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id) == before
    assert await _session_count(db, member) == 2
    assert await notification_kinds(db, member) == []


async def test_a_changed_password_ends_the_other_sessions_and_the_member_is_told(
    make_client: ClientFactory, db: asyncpg.Connection, member: Member
) -> None:
    signed_in = await make_client(member)
    other = await make_client(member)
    status, text = await _change(signed_in, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert status == 200
    assert "1 other device signed out" in text
    assert await _session_count(db, member) == 1
    assert (await signed_in.get("/account")).status == 200  # this one stays signed in
    assert "Signed in as river" not in await (await other.get("/")).text()
    assert await notification_kinds(db, member) == ["password"]
    assert await _signs_in(await make_client(), "river", NEW_PASSWORD)
    assert not await _signs_in(await make_client(), "river", PASSWORD)


async def test_deleting_the_account_deletes_its_codes(
    make_client: ClientFactory, db: asyncpg.Connection, member: Member, codes: list[str]
) -> None:
    signed_in = await make_client(member)
    resp = await signed_in.post_form("/account/delete", {"password": PASSWORD})
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM recovery_codes") == 0
    assert await sessions.get_session_member(db, signed_in.binding) is None


async def test_recovering_a_deleted_account_is_refused(
    make_client: ClientFactory, member: Member, codes: list[str]
) -> None:
    signed_in = await make_client(member)
    await signed_in.post_form("/account/delete", {"password": PASSWORD})
    status, _ = await _recover(await make_client(), "river", codes[0])
    assert status == 400
