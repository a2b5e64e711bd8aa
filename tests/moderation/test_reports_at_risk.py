"""Readers who report that someone may be at risk escalate the post; they never hide it.

Three worried readers used to hide the post of the person they worried about (a crisis report
counted towards the group's hiding threshold like any other). Now it goes to the crisis section
of the queue and the post stays up, so the author is not silenced at the moment they reached out.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum.moderation import queue
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory
from tests.factories import MakeGroup, MakeMember, item_for, make_topic, post_state


@pytest.fixture
async def readers(make_member: MakeMember) -> list[Member]:
    return [await make_member(f"reader{n}", established=True) for n in range(1, 6)]


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, readers: list[Member]) -> Group:
    return await make_group("grief", report_hide_threshold=3, members_=[author, *readers])


async def test_crisis_reports_from_many_readers_never_hide_the_post(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    group: Group,
    author: Member,
    readers: list[Member],
) -> None:
    post = await make_topic(db, group, author, "A hard night", body="I can't see a way through")
    for reader in readers:
        client = await make_client(reader)
        resp = await client.post_form(f"/p/{post.post_id}/report", {"reason": "crisis"})
        assert resp.status == 303
    assert await post_state(db, post.post_id) == "published"
    await item_for(db, post.post_id, "crisis")  # escalated to the crisis section


async def test_crisis_reports_do_not_count_towards_hiding_for_other_reasons(
    db: asyncpg.Connection, group: Group, author: Member, readers: list[Member]
) -> None:
    post = await make_topic(db, group, author, "Words", body="Some words")
    reasons = ["spam", "crisis", "crisis", "spam"]
    for reader, reason in zip(readers, reasons, strict=False):
        outcome = await queue.report(
            db, post_id=post.post_id, group=group, reporter=reader, reason=reason, details=""
        )
        assert not outcome.hidden, f"hidden after a {reason} report"
    assert await post_state(db, post.post_id) == "published"
    outcome = await queue.report(
        db, post_id=post.post_id, group=group, reporter=readers[4], reason="spam", details=""
    )
    assert outcome.hidden  # the third report for another reason still hides it
    assert await post_state(db, post.post_id) == "hidden"
