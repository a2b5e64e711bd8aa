"""Fixtures the storage tests share, on top of tests/factories.py: "river", who writes most of
the posts here, and the group they belong to.

Named `river` rather than `author` so as not to shadow the factories' `author` ("willow"),
which other storage tests use. Files that need another group define their own `group`.
"""

from __future__ import annotations

import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember


@pytest.fixture
async def river(make_member: MakeMember) -> Member:
    return await make_member("river")


@pytest.fixture
async def group(make_group: MakeGroup, river: Member) -> Group:
    """Public, open, anonymity optional, with `river` as an active member."""
    return await make_group("grief", name="Grief and loss", anonymous="optional", members_=[river])
