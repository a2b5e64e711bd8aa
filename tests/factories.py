"""The factories every test package shares: members, groups, drafts, posts published through the
real publishing code, moderators and queue items (Misago's `thread_factory`, as fixtures).

Registered as a plugin by `tests/conftest.py`, so any test asks for `make_member`, `publish` or
`appoint` by name; the plain helpers (`item_for`, `post_state`, ...) are imported from here.
Posts are published with `publishing.publish` (the code the publish handler calls), so
sanctions and pre-moderation decide whether they are held, exactly as for a member clicking
"Publish".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from forum.posting import publishing
from forum.storage import drafts, groups, members, moderators, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.conftest import ClientFactory, ForumClient


@pytest.fixture
def make_member(db: asyncpg.Connection, password_hash: str) -> Callable[..., Awaitable[Member]]:
    counter = iter(range(1, 10_000))

    async def make(pseudonym: str | None = None, *, is_admin: bool = False) -> Member:
        return await members.create_member(
            db, pseudonym or f"member{next(counter)}", password_hash, is_admin=is_admin
        )

    return make


@pytest.fixture
async def member(make_member: Callable[..., Awaitable[Member]]) -> Member:
    return await make_member("river")


@pytest.fixture
async def member_client(make_client: ClientFactory, member: Member) -> ForumClient:
    return await make_client(member)


@pytest.fixture
def make_group(db: asyncpg.Connection) -> Callable[..., Awaitable[Group]]:
    counter = iter(range(1, 10_000))

    async def make(
        slug: str | None = None, *, members_: list[Member] = (), **options: Any
    ) -> Group:  # type: ignore[assignment]
        n = next(counter)
        group = await groups.create_group(
            db, slug or f"group-{n}", options.pop("name", f"Group {n}"), **options
        )
        for m in members_:
            await groups.join_group(db, group, m.id)
        return group

    return make


@pytest.fixture
def make_draft(db: asyncpg.Connection) -> Callable[..., Awaitable[drafts.Draft]]:
    async def make(
        author: Member,
        group: Group,
        *,
        topic_id: int | None = None,
        title: str = "A title",
        body: str = "A body",
        anonymous: bool = False,
        content_warning: str = "",
    ) -> drafts.Draft:
        draft_id = await drafts.create_draft(
            db,
            author.id,
            group.id,
            topic_id,
            title=title,
            body=body,
            anonymous=anonymous,
            content_warning=content_warning,
        )
        draft = await drafts.get_own_draft(db, draft_id, author.id)
        assert draft is not None
        return draft

    return make


#: An anonymous author's pseudonym: distinctive, so finding it anywhere in a page is a leak.
SECRET = "quietheron"


@pytest.fixture
def appoint(db: asyncpg.Connection) -> Callable[[Group, Member], Awaitable[None]]:
    """Make a member a moderator of a group (and an active member of it), as an admin would."""

    async def appoint(group: Group, member: Member) -> None:
        await moderators.appoint(db, group.id, member.id, None)
        await groups.add_member(db, group.id, member.id)

    return appoint


@pytest.fixture
def publish(db: asyncpg.Connection, make_draft: Any) -> Callable[..., Awaitable[topics.NewPost]]:
    """Write a draft and publish it; `topic_id` makes it a reply."""

    async def publish(
        author: Member,
        group: Group,
        *,
        topic_id: int | None = None,
        title: str = "A title",
        body: str = "A body",
        anonymous: bool = False,
    ) -> topics.NewPost:
        draft = await make_draft(
            author, group, topic_id=topic_id, title=title, body=body, anonymous=anonymous
        )
        return (await publishing.publish(db, draft)).post

    return publish


async def item_for(db: asyncpg.Connection, post_id: int, kind: str = "held") -> int:
    """The id of the post's open queue item of that kind."""
    item_id = await db.fetchval(
        "SELECT id FROM queue_items WHERE post_id = $1 AND kind = $2 AND state = 'open'",
        post_id,
        kind,
    )
    assert item_id is not None, f"no open {kind} item for post {post_id}"
    return int(item_id)


async def post_state(db: asyncpg.Connection, post_id: int) -> str:
    return str(await db.fetchval("SELECT state FROM posts WHERE id = $1", post_id))


async def item_row(db: asyncpg.Connection, item_id: int) -> asyncpg.Record:
    return await db.fetchrow("SELECT * FROM queue_items WHERE id = $1", item_id)


async def audit_count(db: asyncpg.Connection, action: str) -> int:
    return int(await db.fetchval("SELECT count(*) FROM audit_log WHERE action = $1", action))


async def notification_kinds(db: asyncpg.Connection, member: Member) -> list[str]:
    rows = await db.fetch(
        "SELECT kind FROM notifications WHERE member_id = $1 ORDER BY id", member.id
    )
    return [r["kind"] for r in rows]


def version_of(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


async def publish_over_http(client: Any, fields: dict[str, Any]) -> Any:
    """Create a draft with `fields` (group or topic, title, body...) and publish it as it stands.

    Returns the publish response (303 to the post, or 400 with the editor when refused).
    """
    resp = await client.post_form("/drafts", fields)
    assert resp.status == 303, await resp.text()
    draft_url = resp.headers["Location"]
    page = await (await client.get(draft_url)).text()
    return await client.post_form(draft_url + "/publish", {"version": version_of(page)})


# The cast most moderation tests share: an author, a moderator ("keeper") and their client.
@pytest.fixture
async def author(make_member: Any) -> Member:
    return await make_member("willow")  # type: ignore[no-any-return]


@pytest.fixture
async def keeper(make_member: Any) -> Member:
    return await make_member("keeper")  # type: ignore[no-any-return]


@pytest.fixture
async def mod(make_client: Any, keeper: Member) -> Any:
    return await make_client(keeper)


@pytest.fixture
async def starter(make_member: Any) -> Member:
    return await make_member("willow")  # type: ignore[no-any-return]


@pytest.fixture
async def replier(make_member: Any) -> Member:
    return await make_member(SECRET)  # type: ignore[no-any-return]


@pytest.fixture
async def grief(make_group: Any, starter: Member, replier: Member) -> Group:
    return await make_group(  # type: ignore[no-any-return]
        "grief", name="Grief", anonymous="optional", members_=[starter, replier]
    )


async def inbox_rows(db: Any, member: Member) -> list[int]:
    """The post ids in a member's inbox table, oldest first (visible or not)."""
    rows = await db.fetch(
        "SELECT post_id FROM inbox_items WHERE member_id = $1 ORDER BY id", member.id
    )
    return [r["post_id"] for r in rows]
