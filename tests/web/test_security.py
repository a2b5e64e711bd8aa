"""CSRF on every state-changing route, security headers, cookies, and calm error pages."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from pytest_aiohttp import AiohttpClient

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web.app import MAX_REQUEST_BYTES
from forum.web.security import CSRF_COOKIE, SESSION_COOKIE, SMALL_FORM_BYTES
from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient, csrf_for
from tests.factories import MakeDraft, MakeGroup, MakeMember


async def snapshot(db: asyncpg.Connection) -> dict[str, str]:
    """A digest of every row of every table, to show that a refused request changed nothing."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'schema_migrations' ORDER BY tablename"
    )
    digests = {}
    for t in tables:
        name = t["tablename"]
        # Names come from pg_tables itself, quoted: nothing from outside reaches the SQL.
        digests[name] = await db.fetchval(
            f"SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"  # noqa: S608
            f' FROM "{name}" r'
        )
    return digests


@asynccontextmanager
async def changes_nothing(db: asyncpg.Connection) -> AsyncIterator[None]:
    """Fails unless every table is as it was once the block is done."""
    before = await snapshot(db)
    yield
    assert await snapshot(db) == before


@dataclass
class Scene:
    """A member with a draft in a group they belong to, and a group they have not joined."""

    draft_id: int
    version: int
    other_slug: str


@pytest.fixture
async def scene(member: Member, make_group: MakeGroup, make_draft: MakeDraft) -> Scene:
    grief = await make_group("grief", members_=[member])
    await make_group("cancer")
    draft = await make_draft(member, grief, title="Still here", body="Some words")
    return Scene(draft.id, draft.version, "cancer")


def post_routes(scene: Scene) -> dict[str, dict[str, Any]]:
    """Each POST route with a form that would change something if the token were right."""
    d = scene.draft_id
    return {
        "/register": {**JOINING, "pseudonym": "newcomer", "password": PASSWORD},
        "/login": {**JOINING, "pseudonym": "river", "password": PASSWORD},
        "/logout": {},
        "/drafts": {"group": "grief", "title": "Another", "body": "More words"},
        f"/drafts/{d}": {"title": "Changed", "body": "Changed", "version": scene.version},
        f"/drafts/{d}/publish": {"version": scene.version},
        f"/drafts/{d}/delete": {},
        f"/g/{scene.other_slug}/join": {},
    }


ROUTES = [
    "/register",
    "/login",
    "/logout",
    "/drafts",
    "/drafts/{id}",
    "/drafts/{id}/publish",
    "/drafts/{id}/delete",
    "/g/{slug}/join",
]


def route_for(pattern: str, scene: Scene) -> str:
    return pattern.replace("{id}", str(scene.draft_id)).replace("{slug}", scene.other_slug)


@pytest.mark.parametrize("pattern", ROUTES)
async def test_post_without_csrf_token_is_refused_and_changes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene, pattern: Any
) -> None:
    path = route_for(pattern, scene)
    async with changes_nothing(db):
        resp = await member_client.post_form(path, post_routes(scene)[path], csrf=False)
        assert resp.status == 403


@pytest.mark.parametrize("pattern", ROUTES)
@pytest.mark.parametrize("token", ["", "wrong", "0" * 64])
async def test_post_with_wrong_csrf_token_is_refused_and_changes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene, pattern: Any, token: Any
) -> None:
    path = route_for(pattern, scene)
    async with changes_nothing(db):
        resp = await member_client.post_form(
            path, {**post_routes(scene)[path], "csrf_token": token}
        )
        assert resp.status == 403


@pytest.mark.parametrize("pattern", ROUTES)
async def test_post_with_the_right_csrf_token_does_change_something(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene, pattern: Any
) -> None:
    # The other side of the refusals above: the same forms are effective when the token is right.
    path = route_for(pattern, scene)
    before = await snapshot(db)
    resp = await member_client.post_form(path, post_routes(scene)[path])
    assert resp.status == 303, await resp.text()
    assert await snapshot(db) != before


async def test_csrf_refusal_is_a_calm_page(member_client: ForumClient, scene: Scene) -> None:
    resp = await member_client.post_form("/drafts", {"group": "grief"}, csrf=False)
    assert resp.content_type == "text/html"
    assert "Nothing was changed" in await resp.text()


async def test_csrf_token_is_accepted_in_the_x_csrf_token_header(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    resp = await member_client.post_form(
        f"/g/{scene.other_slug}/join",
        csrf=False,
        headers={"X-CSRF-Token": member_client.csrf_token},
    )
    assert resp.status == 303
    joined = await db.fetchval(
        "SELECT count(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id"
        " WHERE g.slug = $1",
        scene.other_slug,
    )
    assert joined == 1


async def test_wrong_x_csrf_token_header_is_refused(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    async with changes_nothing(db):
        resp = await member_client.post_form(
            f"/g/{scene.other_slug}/join", csrf=False, headers={"X-CSRF-Token": "wrong"}
        )
        assert resp.status == 403


async def test_csrf_token_from_another_visitors_browser_is_refused(
    make_client: ClientFactory, db: asyncpg.Connection
) -> None:
    ours = await make_client()
    theirs = await make_client()
    resp = await ours.post_form(
        "/register",
        {**JOINING, "pseudonym": "newcomer", "password": PASSWORD, "csrf_token": theirs.csrf_token},
    )
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM members") == 0


async def test_csrf_token_from_another_members_session_is_refused(
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    db: asyncpg.Connection,
) -> None:
    river = await make_member("river")
    stone = await make_member("stone")
    await make_group("grief")
    ours = await make_client(river)
    theirs = await make_client(stone)
    resp = await ours.post_form("/g/grief/join", {"csrf_token": theirs.csrf_token})
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM group_members") == 0


async def test_csrf_token_bound_to_a_random_value_is_refused(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await client.post_form(
        "/register",
        {
            "pseudonym": "newcomer",
            "password": PASSWORD,
            "csrf_token": csrf_for(secrets.token_urlsafe(16)),
        },
    )
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM members") == 0


async def test_post_from_a_browser_without_any_cookie_is_refused(
    aiohttp_client: AiohttpClient, server: Any, db: asyncpg.Connection
) -> None:
    http = await aiohttp_client(server)
    resp = await http.post(
        "/register",
        data={**JOINING, "pseudonym": "newcomer", "password": PASSWORD, "csrf_token": csrf_for("")},
        allow_redirects=False,
    )
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM members") == 0


async def test_visitor_token_stops_working_once_the_session_is_gone(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    token = member_client.csrf_token
    await db.execute("DELETE FROM sessions")
    resp = await member_client.post_form(f"/g/{scene.other_slug}/join", {"csrf_token": token})
    assert resp.status == 403


async def test_fresh_browser_can_register_with_the_token_from_the_form(
    aiohttp_client: AiohttpClient, server: Any, db: asyncpg.Connection
) -> None:
    http = await aiohttp_client(server)
    page = await http.get("/register")
    assert CSRF_COOKIE in page.cookies
    field = re.search(r'name="csrf_token" value="([^"]*)"', await page.text())
    assert field is not None
    token = html.unescape(field[1])
    resp = await http.post(
        "/register",
        data={**JOINING, "pseudonym": "newcomer", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM members") == 1


# Headers


def csp_directives(resp: aiohttp.ClientResponse) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
async def public_group(make_group: MakeGroup) -> Group:
    return await make_group("grief", name="Grief and loss")


PAGES = [
    "/",
    "/login",
    "/register",
    "/g/grief",
    "/no-such-page",
    "/g/no-such-group",
    "/t/999999",
    "/drafts/not-a-number",
]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_forbid_inline_and_foreign_scripts(
    client: ForumClient, public_group: Group, path: Any
) -> None:
    resp = await client.get(path)
    directives = csp_directives(resp)
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_cannot_be_framed_sniffed_or_leak_the_referrer(
    client: ForumClient, public_group: Group, path: Any
) -> None:
    resp = await client.get(path)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_not_found_page_carries_the_security_headers(client: ForumClient) -> None:
    resp = await client.get("/no-such-page")
    assert resp.status == 404
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


async def test_csrf_refusal_carries_the_security_headers(
    member_client: ForumClient, scene: Scene
) -> None:
    resp = await member_client.post_form("/logout", csrf=False)
    assert resp.status == 403
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


async def test_static_files_carry_nosniff(client: ForumClient) -> None:
    resp = await client.get("/static/forum.css")
    assert resp.status == 200
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/drafts", "/g/grief", "/no-such-page"])
async def test_signed_in_pages_are_private_and_not_stored(
    member_client: ForumClient, member: Member, make_group: MakeGroup, path: str
) -> None:
    await make_group("grief", members_=[member])
    resp = await member_client.get(path)
    cache = {part.strip() for part in resp.headers["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache


async def test_visitor_reading_a_page_without_forms_gets_no_cookie(
    aiohttp_client: AiohttpClient, server: Any, public_group: Group
) -> None:
    http = await aiohttp_client(server)
    for path in ("/", "/g/grief", "/no-such-page"):
        resp = await http.get(path)
        assert "Set-Cookie" not in resp.headers, path
    assert len(http.session.cookie_jar) == 0


async def test_visitor_page_without_forms_may_be_cached(
    aiohttp_client: AiohttpClient, server: Any, public_group: Group
) -> None:
    http = await aiohttp_client(server)
    resp = await http.get("/g/grief")
    assert "no-store" not in resp.headers.get("Cache-Control", "")


async def test_visitor_opening_a_form_gets_an_httponly_lax_csrf_cookie(
    aiohttp_client: AiohttpClient, server: Any
) -> None:
    http = await aiohttp_client(server)
    resp = await http.get("/login")
    cookie = resp.cookies[CSRF_COOKIE]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


async def test_session_cookie_is_not_marked_secure_over_plain_http(
    client: ForumClient, member: Member
) -> None:
    # Secure is for HTTPS only; over plain HTTP the browser would drop a Secure cookie.
    resp = await client.post_form("/login", {**JOINING, "pseudonym": "river", "password": PASSWORD})
    assert not resp.cookies[SESSION_COOKIE]["secure"]


# Hostile input: a calm 4xx page, never a 500 or a traceback


async def assert_calm_refusal(resp: aiohttp.ClientResponse, status: int | None = None) -> None:
    """A 4xx page (`status` exactly, when given) that shows no traceback."""
    text = await resp.text()
    assert 400 <= resp.status < 500, (resp.status, text[:300])
    if status is not None:
        assert resp.status == status
    assert "Traceback" not in text
    assert 'File "' not in text


async def test_non_numeric_version_is_a_400_not_a_500(
    member_client: ForumClient, scene: Scene
) -> None:
    resp = await member_client.post_form(
        f"/drafts/{scene.draft_id}", {"title": "t", "body": "b", "version": "seven"}
    )
    await assert_calm_refusal(resp, 400)


@pytest.mark.parametrize("version", ["-1", "1.5", "9" * 40, "²", "\u0661", " "])
async def test_implausible_version_is_refused_calmly(
    member_client: ForumClient, scene: Scene, version: Any
) -> None:
    resp = await member_client.post_form(f"/drafts/{scene.draft_id}/publish", {"version": version})
    await assert_calm_refusal(resp)


@pytest.mark.parametrize("draft_id", ["²", "\u0661\u0662", "9" * 40, "-1", "1e3"])
async def test_implausible_draft_id_is_not_found(
    member_client: ForumClient, scene: Scene, draft_id: Any
) -> None:
    await assert_calm_refusal(await member_client.get(f"/drafts/{draft_id}"), 404)


async def test_nul_character_in_a_draft_url_is_refused_calmly(
    member_client: ForumClient, scene: Scene
) -> None:
    await assert_calm_refusal(await member_client.get(f"/drafts/{scene.draft_id}%00"))


async def test_nul_character_in_a_draft_is_dropped_not_a_500(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    resp = await member_client.post_form(
        f"/drafts/{scene.draft_id}",
        {"title": "Tit\x00le", "body": "Bo\x00dy", "version": scene.version},
    )
    assert resp.status == 303
    saved = await db.fetchrow("SELECT title, body FROM drafts WHERE id = $1", scene.draft_id)
    assert saved is not None
    assert (saved["title"], saved["body"]) == ("Title", "Body")


async def test_nul_character_in_a_login_is_refused_calmly(
    client: ForumClient, member: Member
) -> None:
    resp = await client.post_form("/login", {"pseudonym": "riv\x00er\x00x", "password": "a\x00b"})
    await assert_calm_refusal(resp)


async def test_nul_character_in_a_search_is_not_a_500(
    client: ForumClient, public_group: Group
) -> None:
    resp = await client.get("/", params={"q": "grief\x00"})
    assert resp.status < 500
    assert "Traceback" not in await resp.text()


@pytest.mark.parametrize("slug", ["%C2%B2", "x" * 300, "GRIEF", "gri%20ef"])
async def test_odd_group_slug_is_not_found(
    client: ForumClient, public_group: Group, slug: Any
) -> None:
    await assert_calm_refusal(await client.get(f"/g/{slug}"), 404)


@pytest.mark.parametrize("slug", ["%00", "gri%00ef"])
async def test_nul_character_in_a_group_slug_is_refused_calmly(
    client: ForumClient, public_group: Group, slug: str
) -> None:
    await assert_calm_refusal(await client.get(f"/g/{slug}"))


async def test_nul_character_in_a_join_url_is_refused_calmly(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    async with changes_nothing(db):
        resp = await member_client.post_form("/g/can%00cer/join")
        await assert_calm_refusal(resp)


@pytest.mark.parametrize("page", ["²", "0", "-1", "x", "9" * 40])
async def test_odd_topic_page_number_is_refused_calmly(
    member_client: ForumClient, scene: Scene, page: Any
) -> None:
    resp = await member_client.post_form(
        f"/drafts/{scene.draft_id}/publish", {"version": scene.version}
    )
    topic_url = resp.headers["Location"].split("#")[0]
    await assert_calm_refusal(await member_client.get(topic_url, params={"page": page}))


@pytest.mark.parametrize("cursor", ["²-1", "1-²", "x", "--", "9" * 40 + "-1"])
async def test_odd_group_page_cursor_is_refused_calmly(
    client: ForumClient, public_group: Group, cursor: Any
) -> None:
    await assert_calm_refusal(await client.get("/g/grief", params={"before": cursor}))


async def test_form_body_that_is_not_utf8_is_refused_calmly(
    client: ForumClient, member: Member
) -> None:
    resp = await client.http.post(
        "/login",
        data=b"pseudonym=\xff\xfe&password=x&csrf_token=" + client.csrf_token.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    await assert_calm_refusal(resp)


async def test_oversized_request_gets_413_and_changes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene
) -> None:
    async with changes_nothing(db):
        resp = await member_client.post_form(
            "/drafts", {"group": "grief", "title": "Big", "body": "x" * (MAX_REQUEST_BYTES + 1024)}
        )
        await assert_calm_refusal(resp, 413)
        assert "larger than any post" in await resp.text()


@pytest.mark.parametrize("path", ["/login", "/p/1/report", "/account/preferences", "/nowhere"])
async def test_a_short_form_refuses_a_body_that_only_a_post_needs(
    member_client: ForumClient, db: asyncpg.Connection, scene: Scene, path: str
) -> None:
    """Forms of a few short fields get 64 KiB, not the 256 KiB a post's text may take."""
    async with changes_nothing(db):
        resp = await member_client.post_form(path, {"reason": "x" * (SMALL_FORM_BYTES + 1)})
        await assert_calm_refusal(resp, 413)


async def test_request_just_under_the_size_limit_is_handled(
    member_client: ForumClient, scene: Scene
) -> None:
    # The largest real post (20,000 characters of 4-byte UTF-8) must fit under the limit.
    resp = await member_client.post_form(
        "/drafts", {"group": "grief", "title": "Big", "body": "😀" * 20_000}
    )
    assert resp.status == 303
