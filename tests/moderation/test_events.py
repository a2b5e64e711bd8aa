"""`/mod/events` in one process: a moderator's stream carries their groups' queue changes only.

(Two processes sharing one database are covered by test_events_across_processes.py.) The waits
below are upper bounds that only turn a hang into a failure; nothing here measures time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, next_event, open_stream
from tests.factories import Publish, item_for


@pytest.fixture
async def stream(
    make_client: ClientFactory, keeper: Member, grief: Group
) -> AsyncIterator[aiohttp.StreamReader]:
    resp = await open_stream(await make_client(keeper), "/mod/events")
    yield resp.content
    resp.close()


async def test_a_held_post_opens_an_event(
    db: asyncpg.Connection,
    stream: aiohttp.StreamReader,
    author: Member,
    grief: Group,
    publish: Publish,
) -> None:
    new = await publish(author, grief)
    event = await next_event(stream, "queue")
    assert event == {"item": await item_for(db, new.post_id), "group": grief.id, "change": "opened"}


async def test_a_claim_and_a_decision_send_events(
    db: asyncpg.Connection,
    stream: aiohttp.StreamReader,
    author: Member,
    keeper: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    item_id = await item_for(db, (await publish(author, grief)).post_id)
    mod = await make_client(keeper)
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await mod.post_form(f"/mod/items/{item_id}/approve")
    changes = [(await next_event(stream, "queue"))["change"] for _ in range(3)]
    assert changes == ["opened", "claimed", "closed"]


async def test_another_groups_items_are_not_sent(
    db: asyncpg.Connection,
    stream: aiohttp.StreamReader,
    author: Member,
    grief: Group,
    cancer: Group,
    publish: Publish,
) -> None:
    await publish(author, cancer)  # not the moderator's group: must not arrive first
    mine = await publish(author, grief)
    event = await next_event(stream, "queue")
    assert (event["item"], event["group"]) == (await item_for(db, mine.post_id), grief.id)


async def test_events_carry_no_post_text(
    stream: aiohttp.StreamReader, author: Member, grief: Group, publish: Publish
) -> None:
    await publish(author, grief, title="Private title", body="Private words")
    event = await next_event(stream, "queue")
    assert set(event) == {"item", "group", "change"}
