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
from forum.storage.topics import NewPost
from tests.clients import HANG_GUARD, ClientFactory, ForumClient, next_data, open_stream
from tests.factories import SECRET, Appoint, MakeGroup, MakeMember, Publish, inbox_rows, item_for
from tests.members.replies import ReplyTo


@pytest.fixture
async def reply(evenings: NewPost, reply_to: ReplyTo) -> NewPost:
    """The replier's signed answer to evenings: one unread item in the starter's inbox."""
    return await reply_to(evenings, "Evenings are hard")


@pytest.fixture
async def third(db: asyncpg.Connection, make_member: MakeMember, grief: Group) -> Member:
    """A member of grief besides the starter and the replier."""
    third = await make_member("third")
    await groups.add_member(db, grief.id, third.id)
    return third


async def test_a_reply_reaches_the_topic_starter(
    db: asyncpg.Connection, starter: Member, reply: NewPost
) -> None:
    assert await inbox_rows(db, starter) == [reply.post_id]
    assert await inbox.unread_count(db, starter.id) == 1


async def test_your_own_reply_does_not_reach_you(
    db: asyncpg.Connection, evenings: NewPost, starter: Member, grief: Group, publish: Publish
) -> None:
    await publish(starter, grief, topic_id=evenings.topic_id, body="Adding to my own topic")
    assert await inbox_rows(db, starter) == []


async def test_replying_follows_the_topic(
    db: asyncpg.Connection,
    evenings: NewPost,
    replier: Member,
    third: Member,
    grief: Group,
    publish: Publish,
    reply_to: ReplyTo,
) -> None:
    await reply_to(evenings, "first reply")
    later = await publish(third, grief, topic_id=evenings.topic_id, body="second reply")
    assert later.post_id in await inbox_rows(db, replier)


async def test_unfollowing_stops_replies_and_following_again_restores_them(
    db: asyncpg.Connection,
    evenings: NewPost,
    starter: Member,
    reply_to: ReplyTo,
    starter_client: ForumClient,
) -> None:
    resp = await starter_client.post_form(f"/t/{evenings.topic_id}/follow", {})
    assert resp.status == 303
    await reply_to(evenings, "unheard")
    assert await inbox_rows(db, starter) == []
    await starter_client.post_form(f"/t/{evenings.topic_id}/follow", {"follow": "on"})
    heard = await reply_to(evenings, "heard")
    assert await inbox_rows(db, starter) == [heard.post_id]


async def test_replying_again_does_not_undo_an_unfollow(
    db: asyncpg.Connection,
    evenings: NewPost,
    starter: Member,
    grief: Group,
    publish: Publish,
    reply_to: ReplyTo,
    starter_client: ForumClient,
) -> None:
    await starter_client.post_form(f"/t/{evenings.topic_id}/follow", {})
    await publish(starter, grief, topic_id=evenings.topic_id, body="one more thought")
    await reply_to(evenings, "unheard")
    assert await inbox_rows(db, starter) == []


async def test_following_a_topic_you_may_not_see_is_not_found(
    behind_the_door: NewPost, outsider: ForumClient
) -> None:
    resp = await outsider.post_form(f"/t/{behind_the_door.topic_id}/follow", {"follow": "on"})
    assert resp.status == 404


async def test_an_anonymous_reply_shows_its_label_never_the_pseudonym(
    evenings: NewPost, reply_to: ReplyTo, starter_client: ForumClient
) -> None:
    await reply_to(evenings, "from the dark", anonymous=True)
    page = await (await starter_client.get("/inbox")).text()
    assert "Anonymous 1 replied to “Evenings”" in page
    assert "from the dark" in page
    assert SECRET not in page


async def test_the_header_shows_the_unread_count_and_opening_marks_it_read(
    reply: NewPost, db: asyncpg.Connection, starter_client: ForumClient
) -> None:
    page = await (await starter_client.get("/")).text()
    assert '<span id="inbox-count">1</span>' in page
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    resp = await starter_client.get(f"/inbox/{item_id}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/p/{reply.post_id}"
    page = await (await starter_client.get("/")).text()
    assert 'id="inbox-unread" hidden' in page


async def test_another_members_inbox_item_is_not_found(
    reply: NewPost,
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    make_client: ClientFactory,
) -> None:
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    assert (await (await make_client(replier)).get(f"/inbox/{item_id}")).status == 404
    assert await inbox.unread_count(db, starter.id) == 1


async def test_mark_all_read_needs_the_csrf_token(
    reply: NewPost, db: asyncpg.Connection, starter: Member, starter_client: ForumClient
) -> None:
    assert (await starter_client.post_form("/inbox/read", csrf=False)).status == 403
    assert await inbox.unread_count(db, starter.id) == 1
    assert (await starter_client.post_form("/inbox/read")).status == 303
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
    reply: NewPost, db: asyncpg.Connection, starter: Member, starter_client: ForumClient
) -> None:
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", reply.post_id)
    page = await (await starter_client.get("/inbox")).text()
    assert "Evenings are hard" not in page
    assert await inbox.unread_count(db, starter.id) == 0


async def test_leaving_a_members_only_group_empties_its_part_of_the_inbox(
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    make_group: MakeGroup,
    publish: Publish,
    starter_client: ForumClient,
) -> None:
    private = await make_group("private", visibility="members", members_=[starter, replier])
    topic = await publish(starter, private, title="Behind the door")
    await publish(replier, private, topic_id=topic.topic_id, body="inside words")
    await groups.leave_group(db, private.id, starter.id)
    page = await (await starter_client.get("/inbox")).text()
    assert "inside words" not in page
    assert "Behind the door" not in page


async def test_a_muted_members_signed_reply_does_not_reach_you(
    evenings: NewPost,
    db: asyncpg.Connection,
    starter: Member,
    reply_to: ReplyTo,
    starter_client: ForumClient,
) -> None:
    assert (await starter_client.post_form(f"/m/{SECRET}/mute", {"mute": "on"})).status == 303
    await reply_to(evenings, "signed")
    assert await inbox_rows(db, starter) == []


async def test_a_muted_members_anonymous_reply_still_arrives_so_the_mute_reveals_nothing(
    evenings: NewPost, db: asyncpg.Connection, starter: Member, replier: Member, reply_to: ReplyTo
) -> None:
    """Dropping it would tell the muter which anonymous replies are the muted member's."""
    await inbox.mute_member(db, starter.id, replier.id)
    reply = await reply_to(evenings, "unsigned", anonymous=True)
    assert await inbox_rows(db, starter) == [reply.post_id]


async def test_a_muted_members_posts_are_collapsed_with_a_note(
    evenings: NewPost,
    db: asyncpg.Connection,
    starter: Member,
    replier: Member,
    reply_to: ReplyTo,
    starter_client: ForumClient,
) -> None:
    await reply_to(evenings, "signed words")
    await reply_to(evenings, "unsigned words", anonymous=True)
    await inbox.mute_member(db, starter.id, replier.id)
    page = await (await starter_client.get(f"/t/{evenings.topic_id}")).text()
    assert page.count('<details class="muted-post">') == 1
    assert f"A post by {SECRET}, shown collapsed because you muted them" in page
    collapsed = page.split('<details class="muted-post">')[1].split("</details>\n")[0]
    assert "signed words" in collapsed
    assert "unsigned words" not in collapsed


async def test_you_cannot_mute_yourself(starter_client: ForumClient) -> None:
    resp = await starter_client.post_form("/m/willow/mute", {"mute": "on"})
    assert resp.status == 404


async def test_one_statement_reaches_every_follower(
    evenings: NewPost,
    db: asyncpg.Connection,
    starter: Member,
    make_member: MakeMember,
    grief: Group,
    publish: Publish,
) -> None:
    followers = [await make_member(f"follower{n}") for n in range(30)]
    for follower in followers:
        await groups.add_member(db, grief.id, follower.id)
        await inbox.set_follow(db, evenings.topic_id, follower.id, following=True)
    reply = await publish(starter, grief, topic_id=evenings.topic_id, body="to all of you")
    count = await db.fetchval("SELECT count(*) FROM inbox_items WHERE post_id = $1", reply.post_id)
    assert count == 30


@pytest.fixture
async def starter_stream(starter_client: ForumClient) -> AsyncIterator[aiohttp.StreamReader]:
    resp = await open_stream(starter_client, "/inbox/events")
    yield resp.content
    resp.close()


async def test_the_live_event_carries_ids_and_the_count_only(
    evenings: NewPost,
    db: asyncpg.Connection,
    starter_stream: aiohttp.StreamReader,
    reply_to: ReplyTo,
) -> None:
    await reply_to(evenings, "live words", anonymous=True)
    raw = await asyncio.wait_for(next_data(starter_stream, "inbox"), HANG_GUARD)
    item_id = await db.fetchval("SELECT id FROM inbox_items")
    assert json.loads(raw) == {"item": item_id, "unread": 1}
    assert SECRET not in raw
    assert "live words" not in raw


async def test_the_live_stream_carries_only_your_own_replies(
    db: asyncpg.Connection,
    starter_stream: aiohttp.StreamReader,
    starter: Member,
    third: Member,
    grief: Group,
    publish: Publish,
    evenings: NewPost,
    reply_to: ReplyTo,
) -> None:
    elsewhere = await publish(third, grief, title="Someone else's topic")
    await reply_to(elsewhere, "not for willow")
    await reply_to(evenings, "for willow")
    raw = await asyncio.wait_for(next_data(starter_stream, "inbox"), HANG_GUARD)
    item_id = await db.fetchval("SELECT id FROM inbox_items WHERE member_id = $1", starter.id)
    assert json.loads(raw)["item"] == item_id


async def test_a_visitor_has_no_inbox_stream(client: ForumClient) -> None:
    assert (await client.get("/inbox/events")).status == 404


async def test_an_inbox_excerpt_holding_a_hidden_word_is_folded_away(
    evenings: NewPost, reply_to: ReplyTo, starter_client: ForumClient
) -> None:
    """A member who asked never to be shown a word unasked must not meet it in their inbox."""
    await reply_to(evenings, "Day 3 after a relapse")
    await starter_client.post_form("/account/preferences", {"hide_words": "RELAPSE"})
    page = await (await starter_client.get("/inbox")).text()
    assert "Day 3 after a relapse" not in page
    assert "Folded away for you" in page
