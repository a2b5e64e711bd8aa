"""The cast of the anonymity tests: an author whose pseudonym (`SECRET`) must never be found
beside their anonymous posts, another member, the groups they share, both members' clients, and
a moderator of grief."""

from __future__ import annotations

import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, MakeGroup, MakeMember, ModeratorOf


@pytest.fixture
async def author(make_member: MakeMember) -> Member:
    return await make_member(SECRET)


@pytest.fixture
async def other(make_member: MakeMember) -> Member:
    return await make_member("harbourlight")


@pytest.fixture
async def grief(make_group: MakeGroup, author: Member, other: Member) -> Group:
    """Where anyone may post anonymously."""
    return await make_group(
        "grief", name="Grief and loss", anonymous="optional", members_=[author, other]
    )


@pytest.fixture
async def recovery(make_group: MakeGroup, author: Member, other: Member) -> Group:
    """Where no one may."""
    return await make_group("recovery", name="Recovery", members_=[author, other])


@pytest.fixture
async def writer(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


@pytest.fixture
async def other_client(make_client: ClientFactory, other: Member) -> ForumClient:
    """The other member ("harbourlight"), signed in."""
    return await make_client(other)


@pytest.fixture
async def grief_mod(moderator_of: ModeratorOf, grief: Group) -> ForumClient:
    """A moderator of grief ("keeper"), signed in."""
    return await moderator_of(grief)
