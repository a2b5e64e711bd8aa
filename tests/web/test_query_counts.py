"""Query discipline: a page's SQL statement count does not grow with what it shows (no N+1).

Every connection the app's pool opens gets an asyncpg query logger; each page is requested once
to warm up, then with few and with many rows on it, and both must cost the same number of
statements. The visitor page cache is switched off here: a cache hit costs no query at all, which
would prove nothing about the page itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from forum.posting import publishing
from forum.storage import db as storage_db
from forum.storage import groups, moderators, sessions, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web import app as forum_app
from forum.web import page_cache
from forum.web.app import create_app
from tests.clients import ForumClient, enrol_two_factor
from tests.factories import MakeDraft, MakeGroup, MakeMember, make_thread


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, record: Any) -> None:
        self.statements.append(record.query)


@dataclass
class Counted:
    """The counter of the app's statements, and `client_for(member)` (None: a visitor)."""

    counter: Counter
    client_for: Callable[[Member | None], Awaitable[ForumClient]]

    async def statements_for(self, client: ForumClient, path: str) -> list[str]:
        resp = await client.get(path)  # warm: prepared statements, type introspection
        assert resp.status == 200, path
        self.counter.statements.clear()
        resp = await client.get(path)
        assert resp.status == 200, path
        await resp.read()
        return list(self.counter.statements)

    async def assert_flat(
        self, client: ForumClient, path: str, grow: Callable[[], Awaitable[None]]
    ) -> None:
        few = await self.statements_for(client, path)
        await grow()
        many = await self.statements_for(client, path)
        assert len(many) == len(few), (
            f"{path}: {len(few)} statements, then {len(many)}:\n" + "\n".join(many)
        )


@pytest.fixture
async def counted(
    aiohttp_server: Any,
    aiohttp_client: Any,
    settings: Any,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> Counted:
    counter = Counter()
    real = storage_db.create_pool

    async def counting_pool(url: str, **options: Any) -> asyncpg.Pool:
        async def attach(conn: asyncpg.Connection) -> None:
            conn.add_query_logger(counter)

        return await real(url, init=attach, **options)

    monkeypatch.setattr(storage_db, "create_pool", counting_pool)
    app = create_app(settings)
    # Only what requests run is counted: no timers (webhooks, escalation, housekeeping).
    app.cleanup_ctx[:] = [c for c in app.cleanup_ctx if c not in forum_app.BACKGROUND_JOBS]
    server = await aiohttp_server(app)
    server.app[page_cache.page_cache_key].switch(on=False)

    async def client_for(member: Member | None) -> ForumClient:
        http = await aiohttp_client(server)
        binding = "visitor-binding"
        if member is not None:
            binding = (await sessions.create_session(db, member)).token
            http.session.cookie_jar.update_cookies({"forum_session": binding})
        else:
            http.session.cookie_jar.update_cookies({"forum_csrf": binding})
        return ForumClient(http, binding)

    return Counted(counter, client_for)


#: An author, a reader, a moderator and their group.
Scene = tuple[Member, Member, Member, Group]


@pytest.fixture
async def scene(db: asyncpg.Connection, make_member: MakeMember, make_group: MakeGroup) -> Scene:
    author = await make_member("author")
    reader = await make_member("reader")
    keeper = await make_member("keeper")
    group = await make_group("grief", anonymous="optional", members_=[author, reader, keeper])
    await moderators.appoint(db, group.id, keeper.id, None)
    await enrol_two_factor(db, keeper.id)
    return author, reader, keeper, group


VIEWERS = ["visitor", "member", "moderator"]


def viewer_of(scene: Any, name: str) -> Member | None:
    _author, reader, keeper, _group = scene
    viewers: dict[str, Member | None] = {"visitor": None, "member": reader, "moderator": keeper}
    return viewers[name]


@pytest.mark.parametrize("who", VIEWERS)
async def test_the_directory_costs_the_same_with_more_groups(
    counted: Counted,
    scene: Scene,
    make_group: MakeGroup,
    who: Any,
) -> None:
    client = await counted.client_for(viewer_of(scene, who))

    async def grow() -> None:
        for n in range(8):
            await make_group(f"more-{n}", visibility="members" if n % 2 else "public")

    await counted.assert_flat(client, "/", grow)


@pytest.mark.parametrize("who", VIEWERS)
@pytest.mark.parametrize("deep", [False, True])
async def test_a_group_page_costs_the_same_with_more_topics(
    counted: Counted,
    scene: Scene,
    db: asyncpg.Connection,
    who: Any,
    deep: bool,
) -> None:
    author, _reader, _keeper, group = scene
    client = await counted.client_for(viewer_of(scene, who))
    for n in range(35):
        await make_thread(db, group, author, title=f"Topic {n}")
    path = "/g/grief"
    if deep:  # a page further down the keyset
        first = await (await client.get(path)).text()
        path = first.split('href="/g/grief?before=')[1].split('"')[0]
        path = f"/g/grief?before={path}"

    async def grow() -> None:
        for n in range(35):
            await make_thread(db, group, author, title=f"Older topic {n}")

    await counted.assert_flat(client, path, grow)


@pytest.mark.parametrize("who", VIEWERS)
async def test_a_topic_page_costs_the_same_with_twenty_replies(
    counted: Counted,
    scene: Scene,
    db: asyncpg.Connection,
    who: Any,
) -> None:
    author, reader, _keeper, group = scene
    client = await counted.client_for(viewer_of(scene, who))
    topic_id, _ = await make_thread(db, group, author, replies=1)

    async def grow() -> None:
        async with db.transaction():
            for n in range(18):
                await topics.create_reply(
                    db,
                    topic_id=topic_id,
                    author_id=(author, reader)[n % 2].id,
                    anonymous=n % 3 == 0,
                    body_source=f"reply {n}",
                    body_html=f"<p>reply {n}</p>",
                    content_warning="loss" if n % 5 == 0 else "",
                    persona="Named" if n % 7 == 1 else None,
                )

    await counted.assert_flat(client, f"/t/{topic_id}", grow)


async def test_the_drafts_page_costs_the_same_with_more_drafts(
    counted: Counted,
    scene: Scene,
    make_draft: MakeDraft,
) -> None:
    _author, reader, _keeper, group = scene
    client = await counted.client_for(reader)
    await make_draft(reader, group, title="First draft")

    async def grow() -> None:
        for n in range(15):
            await make_draft(reader, group, title=f"Draft {n}", body="words " * n)

    await counted.assert_flat(client, "/drafts", grow)


async def test_the_moderation_queue_costs_the_same_with_more_items(
    counted: Counted,
    scene: Scene,
    db: asyncpg.Connection,
    make_member: MakeMember,
    make_draft: MakeDraft,
) -> None:
    _author, _reader, keeper, group = scene
    await db.execute("UPDATE groups SET moderation = 'all' WHERE id = $1", group.id)
    held = await groups.get_group_by_slug(db, group.slug)
    assert held is not None
    group = held
    client = await counted.client_for(keeper)

    async def held_posts(count: int) -> None:
        for n in range(count):
            writer = await make_member()
            await groups.join_group(db, group, writer.id)
            draft = await make_draft(
                writer, group, title=f"Held {n}", body="please look", anonymous=n % 2 == 0
            )
            await publishing.publish(db, draft)

    await held_posts(2)
    await counted.assert_flat(client, "/mod", lambda: held_posts(12))
