"""A first walk through the main pages, signed out and in."""

from __future__ import annotations

from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import MakeGroup


async def test_directory_lists_groups(client: ForumClient, make_group: MakeGroup) -> None:
    await make_group("grief", name="Grief and loss")
    resp = await client.get("/")
    assert resp.status == 200
    assert "Grief and loss" in await resp.text()


async def test_member_writes_previews_and_publishes_a_topic(
    member_client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    group = await make_group("grief", members_=[member])
    resp = await member_client.post_form(
        "/drafts", {"group": group.slug, "title": "Hello there", "body": "My **first** post"}
    )
    assert resp.status == 303
    draft_url = resp.headers["Location"]
    page = await member_client.get(draft_url)
    assert "<strong>first</strong>" in await page.text()
    text = await page.text()
    version = text.split('name="version" value="')[1].split('"')[0]
    resp = await member_client.post_form(
        draft_url + "/publish",
        {"version": version, "title": "Hello there", "body": "My **first** post"},
    )
    assert resp.status == 303, await resp.text()
    topic = await member_client.get(resp.headers["Location"].split("#")[0])
    body = await topic.text()
    assert "Hello there" in body
    assert "<strong>first</strong>" in body
