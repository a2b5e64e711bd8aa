"""Shared pieces of the member tests (issue 9): a cast, a group, and posts published through the
real publishing code (`publish`, from the moderation tests)."""

from __future__ import annotations

from typing import Any

import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.moderation.conftest import appoint, publish, version_of

__all__ = ["appoint", "publish", "version_of"]

#: The replier's pseudonym: distinctive, so finding it anywhere is a leak.
SECRET = "quietheron"


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
