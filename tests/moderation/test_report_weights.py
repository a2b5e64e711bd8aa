"""Reports weigh by their reporters' standing before anything is hidden.

Three fresh accounts used to be able to hide any post (the default threshold is 3 reporters).
Now a report from an account less than a week old counts a quarter, and one from a reporter
whose recent reports moderators mostly kept up counts half; the post is still queued for a
moderator whatever the weights, only the automatic hiding waits.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum.moderation import queue
from forum.storage import queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, item_for, make_topic, post_state


@pytest.fixture
async def group(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("grief", report_hide_threshold=3, members_=[author])


async def _report(db: asyncpg.Connection, group: Group, reporter: Member, post_id: int) -> bool:
    outcome = await queue.report(
        db, post_id=post_id, group=group, reporter=reporter, reason="spam", details=""
    )
    assert outcome.new_report
    return outcome.hidden


async def _post(db: asyncpg.Connection, group: Group, author: Member) -> int:
    return (await make_topic(db, group, author, "A post", body="Some words")).post_id


async def _with_past_reports(
    db: asyncpg.Connection, group: Group, author: Member, reporter: Member, upheld: int, kept: int
) -> None:
    """`reporter` reported `upheld + kept` earlier posts; moderators removed `upheld` of them."""
    for n in range(upheld + kept):
        post_id = await _post(db, group, author)
        await _report(db, group, reporter, post_id)
        await db.execute(
            "UPDATE queue_items SET state = 'closed', closed_at = now(), outcome = $2"
            " WHERE id = $1",
            await item_for(db, post_id, "report"),
            "rejected" if n < upheld else "approved",
        )


async def test_three_fresh_accounts_cannot_hide_a_post(
    db: asyncpg.Connection, group: Group, author: Member, make_member: MakeMember
) -> None:
    post_id = await _post(db, group, author)
    for n in range(3):
        assert not await _report(db, group, await make_member(f"fresh{n}"), post_id)
    assert await post_state(db, post_id) == "published"
    item = await queue_items.get_item(db, await item_for(db, post_id, "report"))
    assert item is not None
    assert item.report_count == 3  # a moderator still sees all three


async def test_three_established_members_hide_it(
    db: asyncpg.Connection, group: Group, author: Member, make_member: MakeMember
) -> None:
    post_id = await _post(db, group, author)
    hidden = [await _report(db, group, await make_member(established=True), post_id)]
    hidden += [await _report(db, group, await make_member(established=True), post_id)]
    hidden += [await _report(db, group, await make_member(established=True), post_id)]
    assert hidden == [False, False, True]
    assert await post_state(db, post_id) == "hidden"
    told = await db.fetch("SELECT kind, message FROM notifications WHERE member_id = $1", author.id)
    assert [r["kind"] for r in told] == ["hidden"]  # once, and saying no person decided yet
    assert "No person has decided anything yet" in told[0]["message"]


async def test_reporters_whose_reports_are_mostly_kept_up_count_half(
    db: asyncpg.Connection, group: Group, author: Member, make_member: MakeMember
) -> None:
    reporters = [await make_member(established=True) for _ in range(6)]
    for reporter in reporters:
        await _with_past_reports(db, group, author, reporter, upheld=0, kept=3)
    post_id = await _post(db, group, author)
    hidden = [await _report(db, group, r, post_id) for r in reporters]
    assert hidden == [False] * 5 + [True]  # six halves make the threshold of three


async def test_reporters_whose_reports_were_upheld_count_in_full(
    db: asyncpg.Connection, group: Group, author: Member, make_member: MakeMember
) -> None:
    reporters = [await make_member(established=True) for _ in range(3)]
    for reporter in reporters:
        await _with_past_reports(db, group, author, reporter, upheld=1, kept=2)
    post_id = await _post(db, group, author)
    hidden = [await _report(db, group, r, post_id) for r in reporters]
    assert hidden == [False, False, True]
