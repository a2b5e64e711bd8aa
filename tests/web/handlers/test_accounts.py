"""Registering, signing in and out: pseudonym and password rules, sessions, throttling."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
import asyncpg
import pytest
from argon2 import PasswordHasher

from forum.storage import members
from forum.storage.members import Member
from forum.web.security import SESSION_COOKIE
from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient
from tests.factories import MakeMember


def alert(text: str) -> str:
    """The error message a form page shows (unescaped), or '' when there is none."""
    found = re.search(r'role="alert"><p>(.*?)</p>', text, re.S)
    return html.unescape(found.group(1)) if found else ""


def field_value(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found, f"no {name} field"
    return html.unescape(found.group(1))


async def is_signed_in_as(client: ForumClient, pseudonym: str) -> bool:
    page = await client.get("/")
    return f"Signed in as <strong>{pseudonym}</strong>" in await page.text()


async def register(
    client: ForumClient, pseudonym: Any, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    return await client.post_form(
        "/register", {**JOINING, "pseudonym": pseudonym, "password": password}
    )


async def member_count(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM members"))


# Registering


async def test_register_page_shows_a_form_with_a_csrf_token(client: ForumClient) -> None:
    resp = await client.get("/register")
    assert resp.status == 200
    text = await resp.text()
    assert 'name="pseudonym"' in text
    assert 'name="password"' in text
    assert field_value(text, "csrf_token") == client.csrf_token


async def test_registering_creates_the_member_and_redirects_with_303(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await register(client, "newcomer")
    assert resp.status == 303
    assert resp.headers["Location"] == "/welcome?next=/"  # the recovery codes first
    credentials = await members.get_credentials(db, "newcomer")
    assert credentials is not None
    assert credentials.member.pseudonym == "newcomer"
    assert credentials.password_hash.startswith("$argon2id$")


async def test_registering_signs_the_new_member_in(client: ForumClient) -> None:
    await register(client, "newcomer")
    assert await is_signed_in_as(client, "newcomer")


async def test_registering_sets_an_httponly_samesite_lax_session_cookie(
    client: ForumClient,
) -> None:
    resp = await register(client, "newcomer")
    cookie = resp.cookies[SESSION_COOKIE]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"


async def test_registering_stores_a_server_side_session_for_the_new_member(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    await register(client, "newcomer")
    owners = await db.fetch(
        "SELECT m.pseudonym FROM sessions s JOIN members m ON m.id = s.member_id"
    )
    assert [r["pseudonym"] for r in owners] == ["newcomer"]


async def test_registering_goes_back_to_a_local_next_page(client: ForumClient) -> None:
    resp = await client.post_form(
        "/register",
        {**JOINING, "pseudonym": "newcomer", "password": PASSWORD, "next": "/g/grief?before=1"},
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/welcome?next=/g/grief?before%3D1"


async def test_registering_ignores_a_next_page_on_another_site(client: ForumClient) -> None:
    resp = await client.post_form(
        "/register",
        {**JOINING, "pseudonym": "newcomer", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/welcome?next=/"


async def test_register_page_carries_only_a_local_next_into_its_form(client: ForumClient) -> None:
    resp = await client.get("/register", params={"next": "https://evil.example/"})
    assert field_value(await resp.text(), "next") == "/"


async def test_duplicate_pseudonym_in_another_letter_case_is_refused(
    client: ForumClient, db: asyncpg.Connection, make_member: MakeMember
) -> None:
    await make_member("River")
    resp = await register(client, "rIVER")
    assert resp.status == 400
    assert "taken" in alert(await resp.text())
    assert await member_count(db) == 1


async def test_duplicate_pseudonym_refusal_keeps_the_pseudonym_in_the_form(
    client: ForumClient, make_member: MakeMember
) -> None:
    await make_member("River")
    resp = await register(client, "rIVER")
    assert field_value(await resp.text(), "pseudonym") == "rIVER"


async def test_refused_registration_does_not_sign_anyone_in(
    client: ForumClient, make_member: MakeMember
) -> None:
    await make_member("River")
    resp = await register(client, "river")
    assert SESSION_COOKIE not in resp.cookies
    assert not await is_signed_in_as(client, "River")


RESERVED = "reserved"
RULES = "3 to 32 characters"


@pytest.mark.parametrize(
    ("pseudonym", "message"),
    [
        ("admin", RESERVED),
        ("Moderator", RESERVED),
        ("anonymous", RESERVED),
        ("deleted", RESERVED),
        ("ADMIN", RESERVED),
        ("Deleted_Member", RESERVED),
        ("ab", RULES),  # too short
        ("x" * 33, RULES),  # too long
        ("two words", RULES),  # a space
        ("dot.name", RULES),  # punctuation
        ("émile", RULES),  # not ASCII
        ("<script>", RULES),  # markup
        ("", RULES),  # nothing at all
    ],
)
async def test_reserved_or_malformed_pseudonym_is_refused_with_the_reason(
    client: ForumClient, db: asyncpg.Connection, pseudonym: Any, message: str
) -> None:
    resp = await register(client, pseudonym)
    assert resp.status == 400
    assert message in alert(await resp.text())
    assert await member_count(db) == 0


@pytest.mark.parametrize("pseudonym", ["abc", "x" * 32, "Under_score-dash9"])
async def test_pseudonym_at_the_edges_of_the_rules_is_accepted(
    client: ForumClient, db: asyncpg.Connection, pseudonym: Any
) -> None:
    resp = await register(client, pseudonym)
    assert resp.status == 303
    assert await member_count(db) == 1


async def test_markup_in_a_refused_pseudonym_is_escaped(client: ForumClient) -> None:
    resp = await register(client, "<b>x</b>")
    text = await resp.text()
    assert "<b>x</b>" not in text
    assert field_value(text, "pseudonym") == "<b>x</b>"


async def test_password_under_ten_characters_is_refused_with_a_clear_message(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await register(client, "newcomer", "123456789")
    assert resp.status == 400
    assert "at least 10 characters" in alert(await resp.text())
    assert await member_count(db) == 0


async def test_password_of_exactly_ten_characters_is_accepted(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await register(client, "newcomer", "0123456789")
    assert resp.status == 303
    assert await member_count(db) == 1


async def test_refused_password_is_never_echoed_back(client: ForumClient) -> None:
    resp = await register(client, "newcomer", "s3cr3t!")
    assert "s3cr3t!" not in await resp.text()


async def test_registration_is_rate_limited_per_address(
    make_client: ClientFactory, db: asyncpg.Connection
) -> None:
    for n in range(10):
        browser = await make_client()
        resp = await register(browser, f"newcomer{n}")
        assert resp.status == 303
    browser = await make_client()
    resp = await register(browser, "onemore")
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert field_value(await resp.text(), "pseudonym") == "onemore"
    assert await members.get_credentials(db, "onemore") is None


# Signing in


async def test_login_page_shows_a_form_with_a_csrf_token(client: ForumClient) -> None:
    resp = await client.get("/login")
    assert resp.status == 200
    assert field_value(await resp.text(), "csrf_token") == client.csrf_token


async def test_login_with_the_right_password_signs_in_and_redirects_with_303(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert resp.status == 303
    assert resp.headers["Location"] == "/"
    assert await is_signed_in_as(client, "river")


async def test_login_ignores_the_letter_case_of_the_pseudonym(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "RiVeR", "password": PASSWORD})
    assert resp.status == 303
    assert await is_signed_in_as(client, "river")


async def test_login_sets_an_httponly_samesite_lax_session_cookie(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    cookie = resp.cookies[SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


async def test_login_goes_back_to_a_local_next_page(client: ForumClient, member: Member) -> None:
    resp = await client.post_form(
        "/login", {**JOINING, "pseudonym": "river", "password": PASSWORD, "next": "/drafts"}
    )
    assert resp.headers["Location"] == "/drafts"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
async def test_login_never_redirects_to_another_site(
    client: ForumClient, member: Member, target: str
) -> None:
    resp = await client.post_form(
        "/login", {**JOINING, "pseudonym": "river", "password": PASSWORD, "next": target}
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/ /evil.example"])
async def test_login_next_with_blank_characters_cannot_become_another_site(
    client: ForumClient, member: Member, target: str
) -> None:
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would mean //evil.example.
    resp = await client.post_form(
        "/login", {**JOINING, "pseudonym": "river", "password": PASSWORD, "next": target}
    )
    location = resp.headers["Location"]
    assert not re.sub(r"[\t\n\r ]", "", location).startswith("//")


async def test_wrong_password_is_refused_without_signing_in(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {"pseudonym": "river", "password": "not the password"})
    assert resp.status == 400
    assert SESSION_COOKIE not in resp.cookies
    assert not await is_signed_in_as(client, "river")


async def test_wrong_password_and_unknown_pseudonym_get_the_same_answer(
    client: ForumClient, member: Member
) -> None:
    wrong = await client.post_form("/login", {"pseudonym": "river", "password": "not it at all"})
    unknown = await client.post_form(
        "/login", {**JOINING, "pseudonym": "nobody", "password": PASSWORD}
    )
    assert wrong.status == unknown.status == 400
    wrong_message = alert(await wrong.text())
    assert wrong_message
    assert wrong_message == alert(await unknown.text())


async def test_failed_login_keeps_the_pseudonym_but_not_the_password(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {"pseudonym": "river", "password": "my wrong guess"})
    text = await resp.text()
    assert field_value(text, "pseudonym") == "river"
    assert "my wrong guess" not in text


async def test_login_of_a_deleted_member_is_refused(
    client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert resp.status == 400
    assert SESSION_COOKIE not in resp.cookies


async def test_sixth_login_after_five_failures_is_refused_even_with_the_right_password(
    client: ForumClient, member: Member
) -> None:
    for _ in range(5):
        resp = await client.post_form("/login", {"pseudonym": "river", "password": "guess again"})
        assert resp.status == 400
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert SESSION_COOKIE not in resp.cookies
    assert "Too many sign-in attempts" in alert(await resp.text())


async def test_login_failures_count_against_a_pseudonym_whatever_its_letter_case(
    client: ForumClient, member: Member
) -> None:
    for guess in ("RIVER", "River", "rIver", "riVer", "rivEr"):
        await client.post_form("/login", {"pseudonym": guess, "password": "guess again"})
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert resp.status == 429


async def test_login_failures_for_one_pseudonym_do_not_lock_out_another(
    client: ForumClient, make_member: MakeMember
) -> None:
    await make_member("river")
    await make_member("stone")
    for _ in range(5):
        await client.post_form("/login", {"pseudonym": "river", "password": "guess again"})
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "stone", "password": PASSWORD})
    assert resp.status == 303


async def test_login_is_rate_limited_per_address_across_pseudonyms(
    make_client: ClientFactory, member: Member
) -> None:
    for n in range(30):
        browser = await make_client()
        resp = await browser.post_form("/login", {"pseudonym": f"ghost{n}", "password": PASSWORD})
        assert resp.status == 400
    browser = await make_client()
    resp = await browser.post_form(
        "/login", {**JOINING, "pseudonym": "river", "password": PASSWORD}
    )
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert SESSION_COOKIE not in resp.cookies


async def test_login_rehashes_a_password_hashed_with_older_parameters(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    member = await members.create_member(db, "river", weak)
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert resp.status == 303
    stored = await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id)
    assert stored != weak
    current = PasswordHasher()
    assert current.verify(stored, PASSWORD)
    assert not current.check_needs_rehash(stored)


async def test_failed_login_leaves_an_old_hash_alone(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    member = await members.create_member(db, "river", weak)
    await client.post_form("/login", {"pseudonym": "river", "password": "not the password"})
    stored = await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id)
    assert stored == weak


async def test_login_keeps_a_current_hash_unchanged(
    client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    before = await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id)
    await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    after = await db.fetchval("SELECT password_hash FROM members WHERE id = $1", member.id)
    assert after == before


# Sessions and signing out


async def test_logout_redirects_with_303_and_clears_the_cookie(member_client: ForumClient) -> None:
    resp = await member_client.post_form("/logout")
    assert resp.status == 303
    assert resp.headers["Location"] == "/"
    assert resp.cookies[SESSION_COOKIE].value == ""
    assert not await is_signed_in_as(member_client, "river")


async def test_logout_deletes_the_session_on_the_server(
    member_client: ForumClient, db: asyncpg.Connection
) -> None:
    await member_client.post_form("/logout")
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0


async def test_old_session_cookie_no_longer_signs_in_after_logout(
    member_client: ForumClient, make_client: ClientFactory
) -> None:
    old_token = member_client.binding
    await member_client.post_form("/logout")
    replay = await make_client()
    replay.http.session.cookie_jar.update_cookies({SESSION_COOKIE: old_token})
    assert not await is_signed_in_as(replay, "river")


async def test_logout_ends_only_this_browsers_session(
    make_client: ClientFactory, member: Member
) -> None:
    laptop = await make_client(member)
    phone = await make_client(member)
    await laptop.post_form("/logout")
    assert await is_signed_in_as(phone, "river")


@pytest.fixture
async def expired_client(member_client: ForumClient, db: asyncpg.Connection) -> ForumClient:
    """The member's browser, once their session has expired."""
    await db.execute("UPDATE sessions SET expires_at = now() - interval '1 minute'")
    return member_client


async def test_expired_session_is_treated_as_a_visitor(
    expired_client: ForumClient,
) -> None:
    resp = await expired_client.get("/")
    assert resp.status == 200
    text = await resp.text()
    assert "Signed in as" not in text
    assert 'href="/login' in text


async def test_expired_session_cookie_is_cleared(
    expired_client: ForumClient,
) -> None:
    resp = await expired_client.get("/")
    cookie = resp.cookies[SESSION_COOKIE]
    assert cookie.value == ""
    assert cookie["max-age"] == "0"


async def test_expired_session_cannot_reach_member_pages(
    expired_client: ForumClient,
) -> None:
    resp = await expired_client.get("/drafts")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_unknown_session_cookie_is_treated_as_a_visitor_and_cleared(
    client: ForumClient,
) -> None:
    client.http.session.cookie_jar.update_cookies({SESSION_COOKIE: "made-up-token"})
    resp = await client.get("/")
    assert resp.status == 200
    assert "Signed in as" not in await resp.text()
    assert resp.cookies[SESSION_COOKIE].value == ""


async def test_session_of_a_deleted_member_no_longer_signs_in(
    member_client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)
    assert not await is_signed_in_as(member_client, "river")
