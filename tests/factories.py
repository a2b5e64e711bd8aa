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
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import aiohttp
import asyncpg
import pytest

from forum import markup
from forum.posting import publishing
from forum.storage import drafts, groups, members, moderators, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient, enrol_two_factor


def _numbers() -> Iterator[int]:
    return iter(range(1, 10_000))


@dataclass
class MakeMember:
    """`await make_member()` is a new member (member1, member2, ...); `make_member("river")` one
    with that pseudonym."""

    db: asyncpg.Connection
    password_hash: str
    _numbers: Iterator[int] = field(default_factory=_numbers)

    async def __call__(
        self, pseudonym: str | None = None, *, is_admin: bool = False, established: bool = False
    ) -> Member:
        """`established`: the account is a month old, so its reports count in full."""
        name = pseudonym or f"member{next(self._numbers)}"
        member = await members.create_member(self.db, name, self.password_hash, is_admin=is_admin)
        if is_admin:
            await enrol_two_factor(self.db, member.id)
        if established:
            await self.db.execute(
                "UPDATE members SET created_at = now() - interval '30 days' WHERE id = $1",
                member.id,
            )
        return member


@dataclass
class MakeGroup:
    """`await make_group("grief", members_=[...], anonymous="optional")`: `options` are
    `groups.create_group`'s keywords (name, visibility, anonymous, moderation, ...)."""

    db: asyncpg.Connection
    _numbers: Iterator[int] = field(default_factory=_numbers)

    async def __call__(
        self, slug: str | None = None, *, members_: Sequence[Member] = (), **options: Any
    ) -> Group:
        n = next(self._numbers)
        name = options.pop("name", f"Group {n}")
        group = await groups.create_group(self.db, slug or f"group-{n}", name, **options)
        for m in members_:
            await groups.join_group(self.db, group, m.id)
        return group


class DraftFields(TypedDict, total=False):
    """What a member writes in a draft; left out, a field takes `MakeDraft`'s default."""

    topic_id: int | None
    title: str
    body: str
    anonymous: bool
    content_warning: str


@dataclass
class MakeDraft:
    """`await make_draft(author, group, title=..., body=...)`; `topic_id` makes it a reply."""

    db: asyncpg.Connection

    async def __call__(
        self, author: Member, group: Group, **fields: Unpack[DraftFields]
    ) -> drafts.Draft:
        draft_id = await drafts.create_draft(
            self.db,
            author.id,
            group.id,
            fields.get("topic_id"),
            title=fields.get("title", "A title"),
            body=fields.get("body", "A body"),
            anonymous=fields.get("anonymous", False),
            content_warning=fields.get("content_warning", ""),
        )
        draft = await drafts.get_own_draft(self.db, draft_id, author.id)
        assert draft is not None
        return draft


@dataclass
class Publish:
    """Write a draft and publish it with the real publishing code; `topic_id` makes it a reply."""

    db: asyncpg.Connection
    make_draft: MakeDraft

    async def __call__(
        self, author: Member, group: Group, **fields: Unpack[DraftFields]
    ) -> topics.NewPost:
        draft = await self.make_draft(author, group, **fields)
        return (await publishing.publish(self.db, draft)).post


Appoint = Callable[[Group, Member], Awaitable[None]]


@pytest.fixture
def make_member(db: asyncpg.Connection, password_hash: str) -> MakeMember:
    return MakeMember(db, password_hash)


@pytest.fixture
async def member(make_member: MakeMember) -> Member:
    return await make_member("river")


@pytest.fixture
async def member_client(make_client: ClientFactory, member: Member) -> ForumClient:
    return await make_client(member)


@pytest.fixture
def make_group(db: asyncpg.Connection) -> MakeGroup:
    return MakeGroup(db)


@pytest.fixture
def make_draft(db: asyncpg.Connection) -> MakeDraft:
    return MakeDraft(db)


@pytest.fixture
def publish(db: asyncpg.Connection, make_draft: MakeDraft) -> Publish:
    return Publish(db, make_draft)


async def make_topic(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    title: str = "A topic",
    *,
    body: str = "Opening post",
    anonymous: bool = False,
    warning: str = "",
    persona: str | None = None,
) -> topics.NewPost:
    """A published topic written straight to storage: no draft, no crisis scan, no moderation."""
    async with db.transaction():
        return await topics.create_topic(
            db,
            group_id=group.id,
            author_id=author.id,
            anonymous=anonymous,
            title=title,
            body_source=body,
            body_html=markup.render(body),
            content_warning=warning,
            persona=persona,
        )


async def make_reply(
    db: asyncpg.Connection,
    topic_id: int,
    author: Member,
    *,
    body: str = "A reply",
    anonymous: bool = False,
) -> topics.NewPost:
    """A published reply written straight to storage, like `make_topic`."""
    async with db.transaction():
        reply = await topics.create_reply(
            db,
            topic_id=topic_id,
            author_id=author.id,
            anonymous=anonymous,
            body_source=body,
            body_html=markup.render(body),
            content_warning="",
        )
    assert reply is not None, f"topic {topic_id} is not published"
    return reply


#: An anonymous author's pseudonym: distinctive, so finding it anywhere in a page is a leak.
SECRET = "quietheron"


@pytest.fixture
def appoint(db: asyncpg.Connection) -> Appoint:
    """Make a member a moderator of a group (and an active member of it), as an admin would."""

    async def appoint(group: Group, member: Member) -> None:
        await enrol_two_factor(db, member.id)
        await moderators.appoint(db, group.id, member.id, None)
        await groups.add_member(db, group.id, member.id)

    return appoint


async def make_thread(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    replies: int = 0,
    *,
    title: str = "A topic",
) -> tuple[int, list[topics.NewPost]]:
    """A topic whose posts are numbered 1..replies+1, post n saying "post n" (see `make_topic`):
    the topic id and its posts."""
    async with db.transaction():
        opening = await make_topic(db, group, author, title, body="post 1")
        posts = [opening]
        for n in range(2, replies + 2):
            posts.append(await make_reply(db, opening.topic_id, author, body=f"post {n}"))
    return opening.topic_id, posts


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
    row = await db.fetchrow("SELECT * FROM queue_items WHERE id = $1", item_id)
    assert row is not None, f"no queue item {item_id}"
    return row


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


async def publish_over_http(client: ForumClient, fields: dict[str, Any]) -> aiohttp.ClientResponse:
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
async def author(make_member: MakeMember) -> Member:
    return await make_member("willow")


@pytest.fixture
async def keeper(make_member: MakeMember) -> Member:
    return await make_member("keeper")


@pytest.fixture
async def mod(make_client: ClientFactory, keeper: Member) -> ForumClient:
    return await make_client(keeper)


@pytest.fixture
async def overseer(make_member: MakeMember) -> Member:
    """An admin."""
    return await make_member("overseer", is_admin=True)


@pytest.fixture
async def admin(make_client: ClientFactory, overseer: Member) -> ForumClient:
    """`overseer`, signed in."""
    return await make_client(overseer)


ModeratorOf = Callable[[Group], Awaitable[ForumClient]]


@pytest.fixture
def moderator_of(mod: ForumClient, keeper: Member, appoint: Appoint) -> ModeratorOf:
    """`await moderator_of(group)` is `mod`, signed in as `keeper`, appointed to `group`."""

    async def appointed(group: Group) -> ForumClient:
        await appoint(group, keeper)
        return mod

    return appointed


@pytest.fixture
async def starter(make_member: MakeMember) -> Member:
    return await make_member("willow")


@pytest.fixture
async def replier(make_member: MakeMember) -> Member:
    return await make_member(SECRET)


@pytest.fixture
async def grief(make_group: MakeGroup, starter: Member, replier: Member) -> Group:
    return await make_group(
        "grief", name="Grief", anonymous="optional", members_=[starter, replier]
    )


async def inbox_rows(db: asyncpg.Connection, member: Member) -> list[int]:
    """The post ids in a member's inbox table, oldest first (visible or not)."""
    rows = await db.fetch(
        "SELECT post_id FROM inbox_items WHERE member_id = $1 ORDER BY id", member.id
    )
    return [r["post_id"] for r in rows]
