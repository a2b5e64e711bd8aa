"""The queue page `/mod` and an item page: kinds with counts, urgent and oldest first, context."""

from __future__ import annotations

import re

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import Appoint, MakeGroup, MakeMember, Publish, item_for


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group("grief", name="Grief and loss", moderation="all", members_=[author])
    await appoint(group, keeper)
    return group


def item_order(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/mod/items/(\d+)">', page)]


async def held_item(
    db: asyncpg.Connection,
    publish: Publish,
    author: Member,
    group: Group,
    *,
    title: str = "A title",
    minutes_ago: int = 0,
) -> int:
    item_id = await item_for(db, (await publish(author, group, title=title)).post_id)
    await db.execute(
        "UPDATE queue_items SET created_at = now() - $2 * interval '1 minute' WHERE id = $1",
        item_id,
        minutes_ago,
    )
    return item_id


async def crisis_item(
    db: asyncpg.Connection, publish: Publish, keeper: Member, group: Group, *, minutes_ago: int = 0
) -> int:
    post = await publish(keeper, group, title="A crisis")
    item_id: int = await db.fetchval(
        "INSERT INTO queue_items (group_id, post_id, kind, priority, created_at)"
        " VALUES ($1, $2, 'crisis', 0, now() - $3 * interval '1 minute') RETURNING id",
        group.id,
        post.post_id,
        minutes_ago,
    )
    return item_id


async def report_item(
    db: asyncpg.Connection,
    publish: Publish,
    keeper: Member,
    group: Group,
    make_client: ClientFactory,
    make_member: MakeMember,
    *,
    minutes_ago: int = 0,
) -> int:
    post = await publish(keeper, group, title="Reported")
    reporter = await make_client(await make_member())
    await reporter.post_form(f"/p/{post.post_id}/report", {"reason": "spam"})
    item_id = await item_for(db, post.post_id, "report")
    await db.execute(
        "UPDATE queue_items SET created_at = now() - $2 * interval '1 minute' WHERE id = $1",
        item_id,
        minutes_ago,
    )
    return item_id


async def test_an_empty_queue_says_so(mod: ForumClient, group: Group) -> None:
    page = await (await mod.get("/mod")).text()
    assert "<strong>0</strong> open items" in page
    assert "Nothing here." in page


async def test_the_queue_lists_crisis_then_held_then_reports(
    db: asyncpg.Connection,
    mod: ForumClient,
    publish: Publish,
    author: Member,
    keeper: Member,
    group: Group,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> None:
    report = await report_item(db, publish, keeper, group, make_client, make_member, minutes_ago=60)
    held = await held_item(db, publish, author, group, minutes_ago=30)
    crisis = await crisis_item(db, publish, keeper, group)
    assert item_order(await (await mod.get("/mod")).text()) == [crisis, held, report]


async def test_the_queue_lists_the_oldest_first_within_a_kind(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, author: Member, group: Group
) -> None:
    newest = await held_item(db, publish, author, group, minutes_ago=1)
    oldest = await held_item(db, publish, author, group, minutes_ago=90)
    middle = await held_item(db, publish, author, group, minutes_ago=45)
    assert item_order(await (await mod.get("/mod")).text()) == [oldest, middle, newest]


async def test_the_queue_counts_each_kind(
    db: asyncpg.Connection,
    mod: ForumClient,
    publish: Publish,
    author: Member,
    keeper: Member,
    group: Group,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> None:
    await held_item(db, publish, author, group)
    await held_item(db, publish, author, group)
    await crisis_item(db, publish, keeper, group)
    page = await (await mod.get("/mod")).text()
    counts = dict(re.findall(r'<h2 id="kind-(\w+)">[^<]*<span class="count">\((\d+)\)', page))
    assert counts == {"crisis": "1", "held": "2", "report": "0"}
    assert "<strong>3</strong> open items" in page


async def test_the_queue_shows_an_excerpt_of_the_post(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, author: Member, group: Group
) -> None:
    await publish(author, group, title="Topic", body="The words to judge")
    assert "The words to judge" in await (await mod.get("/mod")).text()


async def test_the_queue_links_to_the_live_event_stream(mod: ForumClient, group: Group) -> None:
    assert 'data-events-url="/mod/events"' in await (await mod.get("/mod")).text()


async def test_the_item_page_shows_the_topic_and_the_post_it_answers(
    db: asyncpg.Connection,
    mod: ForumClient,
    publish: Publish,
    author: Member,
    keeper: Member,
    group: Group,
) -> None:
    topic = await publish(keeper, group, title="Evenings", body="Evenings are the hardest")
    await publish(keeper, group, topic_id=topic.topic_id, body="For me it is mornings")
    reply = await publish(author, group, topic_id=topic.topic_id, body="Same here, every night")
    page = await (await mod.get(f"/mod/items/{await item_for(db, reply.post_id)}")).text()
    assert "Evenings" in page
    assert "Evenings are the hardest" in page
    assert "For me it is mornings" in page
    assert "Same here, every night" in page


async def test_the_item_page_shows_the_authors_history_in_the_group(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, author: Member, group: Group
) -> None:
    first = await item_for(db, (await publish(author, group, title="One")).post_id)
    await mod.post_form(f"/mod/items/{first}/reject", {"reason": "No"})
    second = await item_for(db, (await publish(author, group, title="Two")).post_id)
    page = await (await mod.get(f"/mod/items/{second}")).text()
    assert "1 removed or rejected, 1 waiting" in page


async def test_the_item_page_offers_the_actions_for_an_open_item(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, author: Member, group: Group
) -> None:
    item_id = await item_for(db, (await publish(author, group)).post_id)
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    for action in ("claim", "approve", "reject", "escalate", "edit-approve"):
        assert f'/mod/items/{item_id}/{action}"' in page


async def test_a_closed_item_page_says_who_decided_and_offers_no_actions(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, author: Member, group: Group
) -> None:
    item_id = await item_for(db, (await publish(author, group)).post_id)
    await mod.post_form(f"/mod/items/{item_id}/approve")
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "This item was approved by keeper" in page
    assert f'/mod/items/{item_id}/approve"' not in page


async def test_a_crisis_item_opens_and_can_be_resolved(
    db: asyncpg.Connection, mod: ForumClient, publish: Publish, keeper: Member, group: Group
) -> None:
    item_id = await crisis_item(db, publish, keeper, group)
    page = await mod.get(f"/mod/items/{item_id}")
    assert page.status == 200
    assert f"Crisis: item #{item_id}" in await page.text()
    assert (
        await mod.post_form(f"/mod/items/{item_id}/resolve", {"reason": "Checked in"})
    ).status == 303
