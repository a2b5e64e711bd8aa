"""`/mod/events` in one process: a moderator's stream carries their groups' queue changes only.

(Two processes sharing one database are covered by test_events_across_processes.py.) The waits
below are upper bounds that only turn a hang into a failure; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.factories import item_for

HANG_GUARD = 10  # seconds


@pytest.fixture
async def grief(make_group, author, keeper, appoint):
    group = await make_group("grief", moderation="all", members_=[author])
    await appoint(group, keeper)
    return group


@pytest.fixture
async def cancer(make_group, author):
    return await make_group("cancer", moderation="all", members_=[author])


async def next_event(stream, wanted):
    event = None
    async for raw in stream:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == wanted:
            return json.loads(line.split(":", 1)[1])
    raise AssertionError("the event stream ended")


@pytest.fixture
async def stream(make_client, keeper, grief):
    client = await make_client(keeper)
    resp = await client.get("/mod/events")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    await asyncio.wait_for(next_event(resp.content, "ready"), HANG_GUARD)
    yield resp.content
    resp.close()


async def test_a_held_post_opens_an_event(db, stream, author, grief, publish):
    new = await publish(author, grief)
    event = await asyncio.wait_for(next_event(stream, "queue"), HANG_GUARD)
    assert event == {"item": await item_for(db, new.post_id), "group": grief.id, "change": "opened"}


async def test_a_claim_and_a_decision_send_events(
    db, stream, author, keeper, grief, publish, make_client
):
    item_id = await item_for(db, (await publish(author, grief)).post_id)
    mod = await make_client(keeper)
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await mod.post_form(f"/mod/items/{item_id}/approve")
    changes = [
        (await asyncio.wait_for(next_event(stream, "queue"), HANG_GUARD))["change"]
        for _ in range(3)
    ]
    assert changes == ["opened", "claimed", "closed"]


async def test_another_groups_items_are_not_sent(db, stream, author, grief, cancer, publish):
    await publish(author, cancer)  # not the moderator's group: must not arrive first
    mine = await publish(author, grief)
    event = await asyncio.wait_for(next_event(stream, "queue"), HANG_GUARD)
    assert (event["item"], event["group"]) == (await item_for(db, mine.post_id), grief.id)


async def test_events_carry_no_post_text(stream, author, grief, publish):
    await publish(author, grief, title="Private title", body="Private words")
    event = await asyncio.wait_for(next_event(stream, "queue"), HANG_GUARD)
    assert set(event) == {"item", "group", "change"}
