"""The groups most moderation tests share: a pre-moderated group with its moderator, and a second
group the moderator does not moderate, and the author's held topic there as an item, which the
sanction tests act on. (The author, `keeper` and `mod` come from factories.)"""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import Appoint, MakeGroup, Publish, item_for


@pytest.fixture
async def grief(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    """Every post is held for review; `author` is a member and `keeper` its moderator."""
    group = await make_group("grief", name="Grief and loss", moderation="all", members_=[author])
    await appoint(group, keeper)
    return group


@pytest.fixture
async def cancer(make_group: MakeGroup, author: Member) -> Group:
    """Pre-moderated too, with `author` as a member, but `keeper` does not moderate it."""
    return await make_group(
        "cancer", name="Living with cancer", moderation="all", members_=[author]
    )


@pytest.fixture
async def item_id(db: asyncpg.Connection, grief: Group, author: Member, publish: Publish) -> int:
    """The author's held topic in grief, as a queue item."""
    new = await publish(author, grief, title="Held topic", body="Something unkind")
    return await item_for(db, new.post_id)


@pytest.fixture
async def writer(make_client: ClientFactory, author: Member) -> ForumClient:
    """The author, signed in."""
    return await make_client(author)
