"""The visitor page cache never shows a visitor what they may not see.

Every write here goes through a path the cache knows nothing about (plain SQL, or another app
instance's HTTP handlers): invalidation must come from the database triggers alone. After a write,
`page_cache.sync(app)` waits for the notifications committed so far to reach the app, which is the
only window in which a page may be stale (the time a NOTIFY takes to arrive).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from forum.config import Settings
from forum.storage import sessions
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from forum.web import page_cache
from forum.web.app import create_app
from forum.web.security import CSRF_COOKIE
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, make_reply, make_thread


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


def cache_of(server: TestServer) -> page_cache.PageCache:
    return server.app[page_cache.page_cache_key]


async def visitor(aiohttp_client: Any, server: TestServer) -> ForumClient:
    http = await aiohttp_client(server)
    binding = secrets.token_urlsafe(16)
    http.session.cookie_jar.update_cookies({CSRF_COOKIE: binding})
    return ForumClient(http, binding)


async def synced_thread(
    server: TestServer,
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    replies: int = 0,
    *,
    title: str = "A topic",
) -> tuple[int, list[NewPost]]:
    """`make_thread`, once its own notifications have reached the app."""
    thread = await make_thread(db, group, author, replies, title=title)
    await page_cache.sync(server.app)
    return thread


async def write_and_sync(server: TestServer, db: asyncpg.Connection, sql: str, *args: Any) -> None:
    """A write behind the cache's back, once its notifications have reached the app."""
    await db.execute(sql, *args)
    await page_cache.sync(server.app)


async def page(client: ForumClient, path: str) -> tuple[int, str]:
    resp = await client.get(path)
    return resp.status, await resp.text()


async def test_a_visitors_second_request_is_served_from_the_cache(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, replies=2)
    first = await page(client, f"/t/{topic_id}")
    hits = cache_of(server).hits
    second = await page(client, f"/t/{topic_id}")
    assert second == first
    assert cache_of(server).hits == hits + 1


async def test_a_cached_page_carries_no_token_and_sets_no_cookie(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, replies=1)
    await client.get(f"/t/{topic_id}")
    resp = await client.get(f"/t/{topic_id}")
    body = await resp.text()
    assert cache_of(server).hits >= 1
    assert "csrf_token" not in body
    assert "Set-Cookie" not in resp.headers
    assert "forum_session" not in body


@pytest.mark.parametrize("state", ["hidden", "rejected", "removed", "deleted", "held"])
async def test_a_post_taken_down_disappears_from_the_cached_topic_page(
    client: ForumClient,
    server: Any,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
    state: str,
) -> None:
    topic_id, posts = await synced_thread(server, db, grief, member, replies=2)
    status, before = await page(client, f"/t/{topic_id}")
    assert "<p>post 2</p>" in before
    await write_and_sync(
        server, db, "UPDATE posts SET state = $1 WHERE id = $2", state, posts[1].post_id
    )
    status, after = await page(client, f"/t/{topic_id}")
    assert status == 200
    assert "<p>post 2</p>" not in after
    assert "<p>post 3</p>" in after


@pytest.mark.parametrize("state", ["held", "rejected", "removed"])
async def test_a_topic_taken_down_disappears_from_the_cached_group_page_and_its_own(
    client: ForumClient,
    server: Any,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
    state: str,
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, title="Nobody else may read this")
    assert "Nobody else may read this" in (await page(client, "/g/grief"))[1]
    assert (await page(client, f"/t/{topic_id}"))[0] == 200
    await write_and_sync(server, db, "UPDATE topics SET state = $1 WHERE id = $2", state, topic_id)
    assert "Nobody else may read this" not in (await page(client, "/g/grief"))[1]
    assert (await page(client, f"/t/{topic_id}"))[0] == 404


async def test_a_group_made_members_only_stops_being_served_to_visitors(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, replies=1)
    for path in ("/", "/g/grief", f"/t/{topic_id}"):
        assert (await page(client, path))[0] == 200
    await write_and_sync(
        server, db, "UPDATE groups SET visibility = 'members' WHERE id = $1", grief.id
    )
    assert (await page(client, "/g/grief"))[0] == 404
    assert (await page(client, f"/t/{topic_id}"))[0] == 404
    assert 'href="/g/grief"' not in (await page(client, "/"))[1]


async def test_members_only_pages_are_never_stored(
    make_client: ClientFactory,
    server: Any,
    db: asyncpg.Connection,
    make_group: MakeGroup,
    member: Member,
) -> None:
    private = await make_group("private", visibility="members", members_=[member])
    topic_id, _ = await synced_thread(server, db, private, member, replies=1)
    me = await make_client(member)
    for _ in range(2):
        assert (await page(me, f"/t/{topic_id}"))[0] == 200
        assert (await page(me, "/g/private"))[0] == 200
    stored = list(cache_of(server).entries)
    assert not any(key.startswith(("/t/", "/g/")) for key in stored)


async def test_signed_in_members_neither_read_nor_fill_the_cache(
    client: ForumClient,
    make_client: ClientFactory,
    server: Any,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, replies=1)
    me = await make_client(member)
    await page(me, f"/t/{topic_id}")
    assert f"/t/{topic_id}" not in cache_of(server).entries
    await page(client, f"/t/{topic_id}")  # a visitor stores the visitor's page
    hits = cache_of(server).hits
    _status, mine = await page(me, f"/t/{topic_id}")
    assert cache_of(server).hits == hits
    assert member.pseudonym in mine
    assert "Sign out" in mine


async def test_a_renamed_author_is_renamed_on_cached_pages(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member, replies=1)
    assert member.pseudonym in (await page(client, f"/t/{topic_id}"))[1]
    await write_and_sync(
        server, db, "UPDATE members SET pseudonym = 'renamed-one' WHERE id = $1", member.id
    )
    text = (await page(client, f"/t/{topic_id}"))[1]
    assert member.pseudonym not in text
    assert "renamed-one" in text


async def test_a_write_in_another_group_leaves_the_page_cached(
    client: ForumClient,
    server: Any,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
    make_group: MakeGroup,
) -> None:
    other = await make_group("other", members_=[member])
    topic_id, _ = await synced_thread(server, db, grief, member, replies=1)
    await page(client, f"/t/{topic_id}")
    await make_thread(db, other, member)
    await page_cache.sync(server.app)
    assert f"/t/{topic_id}" in cache_of(server).entries
    assert "/" not in cache_of(server).entries  # the directory depends on every group


async def test_unknown_query_parameters_are_rendered_but_not_stored(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await synced_thread(server, db, grief, member)
    assert (await page(client, f"/t/{topic_id}?utm=x"))[0] == 200
    assert not any("utm" in key for key in cache_of(server).entries)


async def test_losing_the_listen_connection_empties_and_disables_the_cache(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, posts = await synced_thread(server, db, grief, member, replies=1)
    await page(client, f"/t/{topic_id}")
    cache = cache_of(server)
    assert cache.entries
    await db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        page_cache.APPLICATION_NAME,
    )
    for _ in range(100):
        if not cache.enabled:
            break
        await asyncio.sleep(0.01)
    assert not cache.enabled
    assert not cache.entries
    # While it is off, a write that no process hears about is still seen.
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", posts[1].post_id)
    assert "<p>post 2</p>" not in (await page(client, f"/t/{topic_id}"))[1]
    for _ in range(300):  # back once re-subscribed
        if cache.enabled:
            break
        await asyncio.sleep(0.01)
    assert cache.enabled


def test_a_render_that_raced_with_an_invalidation_is_not_stored() -> None:
    cache = page_cache.PageCache(enabled=True)
    started_under = cache.generation
    cache.invalidate("7")  # the write committed while the page was being rendered
    entry = page_cache.Entry(b"old", "text/html", "utf-8", 7, float("inf"))
    assert not cache.put("/t/1", entry, started_under)
    assert cache.put("/t/1", entry, cache.generation)


async def test_two_instances_sharing_a_database_both_drop_a_hidden_post(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    settings: Settings,
    db: asyncpg.Connection,
    make_member: MakeMember,
    member: Member,
    grief: Group,
) -> None:
    """Members report a post on instance A until it is hidden; instance B stops showing it."""
    a = await aiohttp_server(create_app(settings))
    b = await aiohttp_server(create_app(settings))
    topic_id, posts = await make_thread(db, grief, member, replies=1)
    for instance in (a, b):
        await page_cache.sync(instance.app)  # the setup's own notifications
    visitors = [await visitor(aiohttp_client, a), await visitor(aiohttp_client, b)]
    for v in visitors:
        for _ in range(2):
            assert "<p>post 2</p>" in (await page(v, f"/t/{topic_id}"))[1]
    assert cache_of(a).hits
    assert cache_of(b).hits
    for n in range(grief.report_hide_threshold):
        reporter = await make_member(f"reporter{n}", established=True)
        session = await sessions.create_session(db, reporter)
        http: TestClient[web.Request, None] = await aiohttp_client(a)
        http.session.cookie_jar.update_cookies({"forum_session": session.token})
        resp = await ForumClient(http, session.token).post_form(
            f"/p/{posts[1].post_id}/report", {"reason": "spam"}
        )
        assert resp.status == 303, await resp.text()
    assert await db.fetchval("SELECT state FROM posts WHERE id = $1", posts[1].post_id) == "hidden"
    for server, v in zip((a, b), visitors, strict=True):
        await page_cache.sync(server.app)
        assert "<p>post 2</p>" not in (await page(v, f"/t/{topic_id}"))[1]


async def test_a_reply_published_elsewhere_appears_on_both_instances(
    aiohttp_server: AiohttpServer,
    aiohttp_client: AiohttpClient,
    settings: Settings,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
) -> None:
    a = await aiohttp_server(create_app(settings))
    b = await aiohttp_server(create_app(settings))
    topic_id, _ = await make_thread(db, grief, member)
    for instance in (a, b):
        await page_cache.sync(instance.app)  # the setup's own notifications
    visitors = [await visitor(aiohttp_client, a), await visitor(aiohttp_client, b)]
    for v in visitors:
        await page(v, f"/t/{topic_id}")
        await page(v, "/g/grief")
    await make_reply(db, topic_id, member, body="a new reply")
    for server, v in zip((a, b), visitors, strict=True):
        await page_cache.sync(server.app)
        assert "<p>a new reply</p>" in (await page(v, f"/t/{topic_id}"))[1]


async def test_a_table_hanging_off_posts_can_invalidate_through_the_ready_made_trigger(
    client: ForumClient, server: Any, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    """What a reactions table (or any other per-post table) attaches to stay correct."""
    topic_id, posts = await make_thread(db, grief, member, replies=1)
    await db.execute("CREATE TABLE post_marks (post_id bigint NOT NULL REFERENCES posts)")
    try:
        await db.execute(
            "CREATE TRIGGER post_marks_page_cache AFTER INSERT ON post_marks"
            " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
            " EXECUTE FUNCTION page_cache_notify_post_rows()"
        )
        await page_cache.sync(server.app)
        await page(client, f"/t/{topic_id}")
        assert f"/t/{topic_id}" in cache_of(server).entries
        await db.execute("INSERT INTO post_marks VALUES ($1)", posts[1].post_id)
        await page_cache.sync(server.app)
        assert f"/t/{topic_id}" not in cache_of(server).entries
    finally:
        await db.execute("DROP TABLE post_marks")
