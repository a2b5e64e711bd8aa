"""What the members tests share: a topic behind a members-only door, and a member outside it."""

from __future__ import annotations

import pytest

from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, Publish


@pytest.fixture
async def behind_the_door(make_group: MakeGroup, starter: Member, publish: Publish) -> NewPost:
    """The starter's topic in a members-only group that only the starter belongs to."""
    private = await make_group("private", visibility="members", members_=[starter])
    return await publish(starter, private, title="Behind the door")


@pytest.fixture
async def outsider(make_client: ClientFactory, make_member: MakeMember) -> ForumClient:
    """A signed-in member of no members-only group."""
    return await make_client(await make_member("outsider"))
