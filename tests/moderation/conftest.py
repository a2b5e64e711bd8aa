"""Factories for the moderation tests: moderators, posts published through the real code, items.

Posts are published with `posting.publish` (the code the publish handler calls), so sanctions and
pre-moderation decide whether they are held, exactly as for a member clicking "Publish".
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from forum.posting import publishing as posting
from forum.storage import groups, moderators, topics
from forum.storage.groups import Group
from forum.storage.members import Member

#: An anonymous author's pseudonym: distinctive, so finding it anywhere in a page is a leak.
SECRET_PSEUDONYM = "quietheron"


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
        return (await posting.publish(db, draft)).post

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
