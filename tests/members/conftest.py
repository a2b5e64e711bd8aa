"""What the members tests share: the starter's topic in grief and the replier's answers to it, the
starter signed in, a topic behind a members-only door, and a member outside it."""

from __future__ import annotations

import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, Publish
from tests.members.replies import ReplyTo


@pytest.fixture
async def evenings(starter: Member, grief: Group, publish: Publish) -> NewPost:
    """The starter's topic in grief: replies to it reach the starter's inbox."""
    return await publish(starter, grief, title="Evenings")


@pytest.fixture
def reply_to(publish: Publish, replier: Member, grief: Group) -> ReplyTo:
    return ReplyTo(publish, replier, grief)


@pytest.fixture
async def behind_the_door(make_group: MakeGroup, starter: Member, publish: Publish) -> NewPost:
    """The starter's topic in a members-only group that only the starter belongs to."""
    private = await make_group("private", visibility="members", members_=[starter])
    return await publish(starter, private, title="Behind the door")


@pytest.fixture
async def starter_client(make_client: ClientFactory, starter: Member) -> ForumClient:
    """The starter signed in: whose inbox the replies to their topics reach."""
    return await make_client(starter)


@pytest.fixture
async def outsider(make_client: ClientFactory, make_member: MakeMember) -> ForumClient:
    """A signed-in member of no members-only group."""
    return await make_client(await make_member("outsider"))
