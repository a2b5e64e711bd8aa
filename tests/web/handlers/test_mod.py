"""The queue page `/mod` and an item page: kinds with counts, urgent and oldest first, context."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass
class Queue:
    """Puts items in the group's queue, each made `minutes_ago` minutes ago: the author's held
    posts, and crisis and report items on posts of the keeper's."""

    db: asyncpg.Connection
    publish: Publish
    author: Member
    keeper: Member
    group: Group
    make_client: ClientFactory
    make_member: MakeMember

    async def held(self, *, title: str = "A title", minutes_ago: int = 0) -> int:
        post = await self.publish(self.author, self.group, title=title)
        return await self._aged(await item_for(self.db, post.post_id), minutes_ago)

    async def crisis(self, *, minutes_ago: int = 0) -> int:
        post = await self.publish(self.keeper, self.group, title="A crisis")
        item_id: int = await self.db.fetchval(
            "INSERT INTO queue_items (group_id, post_id, kind, priority, created_at)"
            " VALUES ($1, $2, 'crisis', 0, now() - $3 * interval '1 minute') RETURNING id",
            self.group.id,
            post.post_id,
            minutes_ago,
        )
        return item_id

    async def report(self, *, minutes_ago: int = 0) -> int:
        post = await self.publish(self.keeper, self.group, title="Reported")
        reporter = await self.make_client(await self.make_member())
        await reporter.post_form(f"/p/{post.post_id}/report", {"reason": "spam"})
        return await self._aged(await item_for(self.db, post.post_id, "report"), minutes_ago)

    async def _aged(self, item_id: int, minutes_ago: int) -> int:
        await self.db.execute(
            "UPDATE queue_items SET created_at = now() - $2 * interval '1 minute' WHERE id = $1",
            item_id,
            minutes_ago,
        )
        return item_id


@pytest.fixture
def queue(
    db: asyncpg.Connection,
    publish: Publish,
    author: Member,
    keeper: Member,
    group: Group,
    make_client: ClientFactory,
    make_member: MakeMember,
) -> Queue:
    return Queue(db, publish, author, keeper, group, make_client, make_member)


async def test_an_empty_queue_says_so(mod: ForumClient, group: Group) -> None:
    page = await (await mod.get("/mod")).text()
    assert "<strong>0</strong> open items" in page
    assert "Nothing here." in page


async def test_the_queue_lists_crisis_then_held_then_reports(
    mod: ForumClient, queue: Queue
) -> None:
    report = await queue.report(minutes_ago=60)
    held = await queue.held(minutes_ago=30)
    crisis = await queue.crisis()
    assert item_order(await (await mod.get("/mod")).text()) == [crisis, held, report]


async def test_the_queue_lists_the_oldest_first_within_a_kind(
    mod: ForumClient, queue: Queue
) -> None:
    newest = await queue.held(minutes_ago=1)
    oldest = await queue.held(minutes_ago=90)
    middle = await queue.held(minutes_ago=45)
    assert item_order(await (await mod.get("/mod")).text()) == [oldest, middle, newest]


async def test_the_queue_counts_each_kind(mod: ForumClient, queue: Queue) -> None:
    await queue.held()
    await queue.held()
    await queue.crisis()
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
    mod: ForumClient, queue: Queue
) -> None:
    first = await queue.held(title="One")
    await mod.post_form(f"/mod/items/{first}/reject", {"reason": "No"})
    second = await queue.held(title="Two")
    page = await (await mod.get(f"/mod/items/{second}")).text()
    assert "1 removed or rejected, 1 waiting" in page


async def test_the_item_page_offers_the_actions_for_an_open_item(
    mod: ForumClient, queue: Queue
) -> None:
    item_id = await queue.held()
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    for action in ("claim", "approve", "reject", "escalate", "edit-approve"):
        assert f'/mod/items/{item_id}/{action}"' in page


async def test_a_closed_item_page_says_who_decided_and_offers_no_actions(
    mod: ForumClient, queue: Queue
) -> None:
    item_id = await queue.held()
    await mod.post_form(f"/mod/items/{item_id}/approve")
    page = await (await mod.get(f"/mod/items/{item_id}")).text()
    assert "This item was approved by keeper" in page
    assert f'/mod/items/{item_id}/approve"' not in page


async def test_a_crisis_item_opens_and_can_be_resolved(mod: ForumClient, queue: Queue) -> None:
    item_id = await queue.crisis()
    page = await mod.get(f"/mod/items/{item_id}")
    assert page.status == 200
    assert f"Crisis: item #{item_id}" in await page.text()
    assert (
        await mod.post_form(
            f"/mod/items/{item_id}/resolve", {"reason": "Checked in", "at_risk": "concern"}
        )
    ).status == 303
