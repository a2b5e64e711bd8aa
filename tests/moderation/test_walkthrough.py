"""One pass through the moderation machinery, end to end over HTTP."""

from __future__ import annotations

import re

import asyncpg

from tests.clients import ClientFactory
from tests.factories import MakeGroup, MakeMember, version_of


async def test_a_held_post_is_approved_by_a_moderator_and_its_author_is_told(
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    db: asyncpg.Connection,
) -> None:
    author = await make_member("willow")
    moderator = await make_member("keeper")
    group = await make_group("grief", moderation="all", members_=[author, moderator])
    await db.execute(
        "INSERT INTO group_moderators (group_id, member_id) VALUES ($1, $2)", group.id, moderator.id
    )
    writer = await make_client(author)
    resp = await writer.post_form(
        "/drafts", {"group": "grief", "title": "Hello all", "body": "First post"}
    )
    draft_url = resp.headers["Location"]
    page = await (await writer.get(draft_url)).text()
    resp = await writer.post_form(
        draft_url + "/publish",
        {"version": version_of(page), "title": "Hello all", "body": "First post"},
    )
    assert resp.status == 303, await resp.text()
    topic_url = resp.headers["Location"].split("#")[0]
    own = await writer.get(topic_url)
    assert own.status == 200
    assert "Awaiting review" in await own.text()
    visitor = await make_client()
    assert (await visitor.get(topic_url)).status == 404

    mod = await make_client(moderator)
    queue = await mod.get("/mod")
    assert queue.status == 200
    text = await queue.text()
    link = re.search(r'href="/mod/items/(\d+)"', text)
    assert link is not None
    item_id = link.group(1)
    item = await mod.get(f"/mod/items/{item_id}")
    assert item.status == 200, await item.text()
    assert (await mod.post_form(f"/mod/items/{item_id}/claim")).status == 303
    assert (await mod.post_form(f"/mod/items/{item_id}/approve")).status == 303
    assert (await visitor.get(topic_url)).status == 200
    notes = await (await writer.get("/notifications")).text()
    assert "waiting for a moderator" in notes
    assert "approved" in notes
    log = await (await mod.get("/mod/log")).text()
    assert "approve" in log
    assert "claim" in log
