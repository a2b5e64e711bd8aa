"""Moderators' verdicts on crisis items: asked on closing, recorded, misses counted (issue 18)."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import crisis
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeGroup,
    MakeMember,
    audit_count,
    item_for,
    make_topic,
    publish_over_http,
)


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group("grief", members_=[author])
    await appoint(group, keeper)
    return group


@pytest.fixture
async def author_client(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


async def flagged_item(db: asyncpg.Connection, author_client: ForumClient, group: Group) -> int:
    """An item the scanner opened: the author published a post saying they will end it tonight."""
    resp = await publish_over_http(
        author_client,
        {
            "group": group.slug,
            "title": "tonight",
            "body": "I am going to kill myself tonight, I have the pills ready.",
        },
    )
    assert resp.status in (200, 303)
    item_id: int = await db.fetchval("SELECT max(id) FROM queue_items WHERE kind = 'crisis'")
    return item_id


async def reported_item(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    group: Group,
    author: Member,
) -> int:
    """A post the scanner never saw, reported by a worried reader as "someone may be at risk"."""
    post = await make_topic(db, group, author, "Tired", body="Everything is grey and heavy lately.")
    reader = await make_client(await make_member("reader", established=True))
    await reader.post_form(f"/p/{post.post_id}/report", {"reason": "crisis"})
    return await item_for(db, post.post_id, "crisis")


async def test_closing_a_crisis_item_asks_whether_the_person_was_at_risk(
    db: asyncpg.Connection, mod: ForumClient, author_client: ForumClient, group: Group
) -> None:
    item_id = await flagged_item(db, author_client, group)
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "Was this person at risk?" in page
    assert 'name="at_risk" value="urgent"' in page

    refused = await mod.post_form(f"/mod/items/{item_id}/approve", {"reason": "called her"})
    assert refused.status == 400
    body = await refused.text()
    assert "please say whether this person was at risk" in body
    assert "called her" in body  # what the moderator typed is kept
    assert (await db.fetchval("SELECT state FROM queue_items WHERE id = $1", item_id)) == "open"

    done = await mod.post_form(
        f"/mod/items/{item_id}/approve", {"reason": "called her", "at_risk": "urgent"}
    )
    assert done.status == 303
    row = await db.fetchrow(
        "SELECT state, verdict, verdict_missed FROM queue_items WHERE id = $1", item_id
    )
    assert row is not None
    assert tuple(row) == ("closed", "urgent", False)
    assert await audit_count(db, "verdict") == 1


async def test_a_verdict_can_be_given_or_changed_on_its_own_and_bad_values_are_refused(
    db: asyncpg.Connection, mod: ForumClient, author_client: ForumClient, group: Group
) -> None:
    item_id = await flagged_item(db, author_client, group)
    assert (
        await mod.post_form(f"/mod/items/{item_id}/verdict", {"at_risk": "maybe"})
    ).status == 400
    assert (await mod.post_form(f"/mod/items/{item_id}/verdict", {"at_risk": "no"})).status == 303
    assert (await mod.post_form(f"/mod/items/{item_id}/approve", {})).status == 303  # asked already
    assert (
        await mod.post_form(f"/mod/items/{item_id}/verdict", {"at_risk": "concern"})
    ).status == 303
    assert await db.fetchval("SELECT verdict FROM queue_items WHERE id = $1", item_id) == "concern"
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "Recorded: <strong>Struggling" in page


async def test_only_moderators_of_the_group_may_give_a_verdict(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    author_client: ForumClient,
    group: Group,
) -> None:
    item_id = await flagged_item(db, author_client, group)
    stranger = await make_client(await make_member("stranger"))
    assert (
        await stranger.post_form(f"/mod/items/{item_id}/verdict", {"at_risk": "no"})
    ).status == 404
    assert (
        await author_client.post_form(f"/mod/items/{item_id}/verdict", {"at_risk": "no"})
    ).status == 404
    assert await db.fetchval("SELECT verdict FROM queue_items WHERE id = $1", item_id) is None


async def test_a_reported_post_judged_at_risk_is_a_miss_and_the_admin_sees_the_record(
    db: asyncpg.Connection,
    mod: ForumClient,
    admin: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    author_client: ForumClient,
    author: Member,
    group: Group,
) -> None:
    missed = await reported_item(db, make_client, make_member, group, author)
    flagged = await flagged_item(db, author_client, group)
    assert (
        await mod.post_form(f"/mod/items/{missed}/resolve", {"at_risk": "concern"})
    ).status == 303
    resp = await mod.post_form(f"/mod/items/{flagged}/approve", {"at_risk": "no"})
    assert resp.status == 303, await resp.text()

    assert await db.fetchval("SELECT verdict_missed FROM queue_items WHERE id = $1", missed)
    record = await crisis.scanner_record(db, group.id, 30)
    assert (record.flagged_confirmed, record.flagged_not_at_risk, record.misses) == (0, 1, 1)
    page = await (await admin.get(f"/admin/groups/{group.slug}/crisis")).text()
    assert "The scanner's record here" in page
    assert '<tr><th scope="row">30 days</th><td>0</td><td>1</td><td>1</td></tr>' in page

    lessons = await crisis.list_verdicts(db)
    assert [(v.label, "grey and heavy" in v.text) for v in lessons] == [
        ("concern", True),
        ("none", False),
    ]
