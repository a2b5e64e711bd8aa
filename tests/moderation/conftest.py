"""The groups most moderation tests share: a pre-moderated group with its moderator, and a second
group the moderator does not moderate. (The author, `keeper` and `mod` come from factories.)"""

from __future__ import annotations

import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import Appoint, MakeGroup


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
