"""The inbox: which replies reach whom, what they show, following, muting, and the live stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from forum.storage import groups, inbox
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import HANG_GUARD, ClientFactory, ForumClient, next_data, open_stream
from tests.factories import SECRET, Appoint, MakeGroup, MakeMember, Publish, inbox_rows, item_for


async def test_a_reply_reaches_the_topic_starter(
    db: asyncpg.Connection, starter: Member, replier: Member, grief: Group, publish: Publish
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    reply = await publish(replier, grief, topic_id=topic.topic_id, body="Evenings are hard")
    assert await inbox_rows(db, starter) == [reply.post_id]
    assert await inbox.unread_count(db, starter.id) == 1


async def test_your_own_reply_does_not_reach_you(
    db: asyncpg.Connection, starter: Member, grief: Group, publish: Publish
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(starter, grief, topic_id=topic.topic_id, body="Adding to my own topic")
    assert await inbox_rows(db, starter) == []


async def test_replying_follows_the_topic(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    make_member: MakeMember,
    grief: Group,
    publish: Publish,
) -> None:
    third = await make_member("third")
    await groups.add_member(db, grief.id, third.id)
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="first reply")
    later = await publish(third, grief, topic_id=topic.topic_id, body="second reply")
    assert later.post_id in await inbox_rows(db, replier)


async def test_unfollowing_stops_replies_and_following_again_restores_them(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    client = await make_client(starter)
    resp = await client.post_form(f"/t/{topic.topic_id}/follow", {})
    assert resp.status == 303
    await publish(replier, grief, topic_id=topic.topic_id, body="unheard")
    assert await inbox_rows(db, starter) == []
    await client.post_form(f"/t/{topic.topic_id}/follow", {"follow": "on"})
    heard = await publish(replier, grief, topic_id=topic.topic_id, body="heard")
    assert await inbox_rows(db, starter) == [heard.post_id]


async def test_replying_again_does_not_undo_an_unfollow(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await (await make_client(starter)).post_form(f"/t/{topic.topic_id}/follow", {})
    await publish(starter, grief, topic_id=topic.topic_id, body="one more thought")
    await publish(replier, grief, topic_id=topic.topic_id, body="unheard")
    assert await inbox_rows(db, starter) == []


async def test_following_a_topic_you_may_not_see_is_not_found(
    starter: Member,
    make_group: MakeGroup,
    make_member: MakeMember,
    make_client: ClientFactory,
    publish: Publish,
) -> None:
    outsider = await make_member("outsider")
    private = await make_group("private", visibility="members", members_=[starter])
    topic = await publish(starter, private, title="Behind the door")
    client = await make_client(outsider)
    resp = await client.post_form(f"/t/{topic.topic_id}/follow", {"follow": "on"})
    assert resp.status == 404


async def test_an_anonymous_reply_shows_its_label_never_the_pseudonym(
    starter: Member, replier: Member, grief: Group, publish: Publish, make_client: ClientFactory
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="from the dark", anonymous=True)
    page = await (await (await make_client(starter)).get("/inbox")).text()
    assert "Anonymous 1 replied to “Evenings”" in page
    assert "from the dark" in page
    assert SECRET not in page


async def test_the_header_shows_the_unread_count_and_opening_marks_it_read(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    reply = await publish(replier, grief, topic_id=topic.topic_id, body="hello")
    client = await make_client(starter)
    page = await (await client.get("/")).text()
    assert '<span id="inbox-count">1</span>' in page
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    resp = await client.get(f"/inbox/{item_id}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/p/{reply.post_id}"
    page = await (await client.get("/")).text()
    assert 'id="inbox-unread" hidden' in page


async def test_another_members_inbox_item_is_not_found(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="hello")
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    assert (await (await make_client(replier)).get(f"/inbox/{item_id}")).status == 404
    assert await inbox.unread_count(db, starter.id) == 1


async def test_mark_all_read_needs_the_csrf_token(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="hello")
    client = await make_client(starter)
    assert (await client.post_form("/inbox/read", csrf=False)).status == 403
    assert await inbox.unread_count(db, starter.id) == 1
    assert (await client.post_form("/inbox/read")).status == 303
    assert await inbox.unread_count(db, starter.id) == 0


async def test_a_held_reply_reaches_the_inbox_only_when_approved(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    make_group: MakeGroup,
    make_member: MakeMember,
    appoint: Appoint,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    careful = await make_group("careful", moderation="all", members_=[starter, replier])
    keeper = await make_member("keeper")
    await appoint(careful, keeper)
    await db.execute("UPDATE groups SET moderation = 'open' WHERE id = $1", careful.id)
    topic = await publish(starter, careful, title="Evenings")
    await db.execute("UPDATE groups SET moderation = 'all' WHERE id = $1", careful.id)
    held = await publish(replier, careful, topic_id=topic.topic_id, body="waiting")
    assert held.number is None
    assert await inbox_rows(db, starter) == []
    mod = await make_client(keeper)
    resp = await mod.post_form(f"/mod/items/{await item_for(db, held.post_id)}/approve")
    assert resp.status == 303
    assert await inbox_rows(db, starter) == [held.post_id]


async def test_a_removed_reply_leaves_the_inbox(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    reply = await publish(replier, grief, topic_id=topic.topic_id, body="soon removed")
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", reply.post_id)
    page = await (await (await make_client(starter)).get("/inbox")).text()
    assert "soon removed" not in page
    assert await inbox.unread_count(db, starter.id) == 0


async def test_leaving_a_members_only_group_empties_its_part_of_the_inbox(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    make_group: MakeGroup,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    private = await make_group("private", visibility="members", members_=[starter, replier])
    topic = await publish(starter, private, title="Behind the door")
    await publish(replier, private, topic_id=topic.topic_id, body="inside words")
    await groups.leave_group(db, private.id, starter.id)
    page = await (await (await make_client(starter)).get("/inbox")).text()
    assert "inside words" not in page
    assert "Behind the door" not in page


async def test_a_muted_members_signed_reply_does_not_reach_you(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    client = await make_client(starter)
    assert (await client.post_form(f"/m/{SECRET}/mute", {"mute": "on"})).status == 303
    await publish(replier, grief, topic_id=topic.topic_id, body="signed")
    assert await inbox_rows(db, starter) == []


async def test_a_muted_members_anonymous_reply_still_arrives_so_the_mute_reveals_nothing(
    db: asyncpg.Connection, starter: Member, replier: Member, grief: Group, publish: Publish
) -> None:
    """Dropping it would tell the muter which anonymous replies are the muted member's."""
    topic = await publish(starter, grief, title="Evenings")
    await inbox.mute_member(db, starter.id, replier.id)
    reply = await publish(replier, grief, topic_id=topic.topic_id, body="unsigned", anonymous=True)
    assert await inbox_rows(db, starter) == [reply.post_id]


async def test_a_muted_members_posts_are_collapsed_with_a_note(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_client: ClientFactory,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="signed words")
    await publish(replier, grief, topic_id=topic.topic_id, body="unsigned words", anonymous=True)
    await inbox.mute_member(db, starter.id, replier.id)
    page = await (await (await make_client(starter)).get(f"/t/{topic.topic_id}")).text()
    assert page.count('<details class="muted-post">') == 1
    assert f"A post by {SECRET}, shown collapsed because you muted them" in page
    collapsed = page.split('<details class="muted-post">')[1].split("</details>\n")[0]
    assert "signed words" in collapsed
    assert "unsigned words" not in collapsed


async def test_you_cannot_mute_yourself(starter: Member, make_client: ClientFactory) -> None:
    resp = await (await make_client(starter)).post_form("/m/willow/mute", {"mute": "on"})
    assert resp.status == 404


async def test_one_statement_reaches_every_follower(
    db: asyncpg.Connection, starter: Member, make_member: MakeMember, grief: Group, publish: Publish
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    followers = [await make_member(f"follower{n}") for n in range(30)]
    for follower in followers:
        await groups.add_member(db, grief.id, follower.id)
        await inbox.set_follow(db, topic.topic_id, follower.id, following=True)
    reply = await publish(starter, grief, topic_id=topic.topic_id, body="to all of you")
    count = await db.fetchval("SELECT count(*) FROM inbox_items WHERE post_id = $1", reply.post_id)
    assert count == 30


@pytest.fixture
async def starter_stream(
    make_client: ClientFactory, starter: Member
) -> AsyncIterator[aiohttp.StreamReader]:
    resp = await open_stream(await make_client(starter), "/inbox/events")
    yield resp.content
    resp.close()


async def test_the_live_event_carries_ids_and_the_count_only(
    db: asyncpg.Connection,
    starter_stream: aiohttp.StreamReader,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
) -> None:
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="live words", anonymous=True)
    raw = await asyncio.wait_for(next_data(starter_stream, "inbox"), HANG_GUARD)
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    assert json.loads(raw) == {"item": item_id, "unread": 1}
    assert SECRET not in raw
    assert "live words" not in raw


async def test_the_live_stream_carries_only_your_own_replies(
    db: asyncpg.Connection,
    starter_stream: aiohttp.StreamReader,
    starter: Member,
    replier: Member,
    make_member: MakeMember,
    grief: Group,
    publish: Publish,
) -> None:
    other = await make_member("other")
    await groups.add_member(db, grief.id, other.id)
    elsewhere = await publish(other, grief, title="Someone else's topic")
    await publish(replier, grief, topic_id=elsewhere.topic_id, body="not for willow")
    mine = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=mine.topic_id, body="for willow")
    raw = await asyncio.wait_for(next_data(starter_stream, "inbox"), HANG_GUARD)
    item_id = await db.fetchval("SELECT id FROM inbox_items WHERE member_id = $1", starter.id)
    assert json.loads(raw)["item"] == item_id


async def test_a_visitor_has_no_inbox_stream(client: ForumClient) -> None:
    assert (await client.get("/inbox/events")).status == 404


async def test_an_inbox_excerpt_holding_a_hidden_word_is_folded_away(
    starter: Member, replier: Member, grief: Group, publish: Publish, make_client: ClientFactory
) -> None:
    """A member who asked never to be shown a word unasked must not meet it in their inbox."""
    topic = await publish(starter, grief, title="Evenings")
    await publish(replier, grief, topic_id=topic.topic_id, body="Day 3 after a relapse")
    client = await make_client(starter)
    await client.post_form("/account/preferences", {"hide_words": "RELAPSE"})
    page = await (await client.get("/inbox")).text()
    assert "Day 3 after a relapse" not in page
    assert "Folded away for you" in page
