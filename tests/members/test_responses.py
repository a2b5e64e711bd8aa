""" "This helped me" and "me too": counts shown to the post's author alone, responders never named."""

from __future__ import annotations

import re

import aiohttp
import asyncpg
import pytest

from forum.members import limits
from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import SECRET, MakeMember, Publish
from tests.members.replies import ReplyTo

HELPED_NOTE = re.compile(r"(\d+) (?:person|people) said this helped them")


async def respond(
    client: ForumClient, post: NewPost, kind: str, *, csrf: bool = True
) -> aiohttp.ClientResponse:
    """Press "This helped me" (`helped`) or "Me too" (`me-too`) under a post."""
    return await client.post_form(f"/p/{post.post_id}/respond", {"kind": kind}, csrf=csrf)


@pytest.fixture
async def responder(make_client: ClientFactory, replier: Member) -> ForumClient:
    """The replier signed in, reading the starter's opening post."""
    return await make_client(replier)


@pytest.fixture
async def opening(starter: Member, grief: Group, publish: Publish) -> NewPost:
    return await publish(starter, grief, title="Evenings", body="What helps me at night")


async def test_helped_counts_are_visible_to_the_author_alone(
    opening: NewPost,
    starter: Member,
    replier: Member,
    make_member: MakeMember,
    make_client: ClientFactory,
    starter_client: ForumClient,
    db: asyncpg.Connection,
    grief: Group,
) -> None:
    """Issue 9's "What it must show": the author sees the count; responders, other members and
    visitors see no count at all."""
    second = await make_member("second")
    await groups.add_member(db, grief.id, second.id)
    for member in (replier, second):
        client = await make_client(member)
        resp = await respond(client, opening, "helped")
        assert resp.status == 303
    topic = f"/t/{opening.topic_id}"
    author_page = await (await starter_client.get(topic)).text()
    assert HELPED_NOTE.findall(author_page) == ["2"]
    assert "Only you see this" in author_page
    for viewer in (replier, second, None):
        page = await (await (await make_client(viewer)).get(topic)).text()
        assert not HELPED_NOTE.search(page)
        assert "Only you see this" not in page


async def test_the_author_is_never_told_who_responded(
    opening: NewPost, starter_client: ForumClient, responder: ForumClient
) -> None:
    await respond(responder, opening, "helped")
    await respond(responder, opening, "me-too")
    for path in (f"/t/{opening.topic_id}", "/account/helped"):
        page = await (await starter_client.get(path)).text()
        assert "1 person said this helped them" in page
        assert SECRET not in page


async def test_a_second_press_takes_the_response_back(
    opening: NewPost, db: asyncpg.Connection, responder: ForumClient
) -> None:
    for _ in range(2):
        await respond(responder, opening, "helped")
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0


async def test_the_responder_sees_their_own_choice_pressed(
    opening: NewPost, responder: ForumClient
) -> None:
    await respond(responder, opening, "me-too")
    page = await (await responder.get(f"/t/{opening.topic_id}")).text()
    assert 'aria-pressed="true">Me too ✓</button>' in page
    assert 'aria-pressed="false">This helped me</button>' in page


async def test_you_cannot_respond_to_your_own_post(
    opening: NewPost, starter_client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await respond(starter_client, opening, "helped")
    assert resp.status == 404
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0
    page = await (await starter_client.get(f"/t/{opening.topic_id}")).text()
    assert "This helped me</button>" not in page


async def test_responding_needs_the_csrf_token(
    opening: NewPost, db: asyncpg.Connection, responder: ForumClient
) -> None:
    resp = await respond(responder, opening, "helped", csrf=False)
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM post_responses") == 0


async def test_an_unknown_kind_is_refused(opening: NewPost, responder: ForumClient) -> None:
    resp = await respond(responder, opening, "love")
    assert resp.status == 400


async def test_a_post_you_may_not_see_cannot_be_responded_to(
    behind_the_door: NewPost, outsider: ForumClient
) -> None:
    resp = await respond(outsider, behind_the_door, "helped")
    assert resp.status == 404


async def test_people_you_helped_lists_your_marked_posts_only(
    opening: NewPost,
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    starter_client: ForumClient,
    responder: ForumClient,
) -> None:
    await publish(starter, grief, topic_id=opening.topic_id, body="nobody marked this one")
    theirs = await publish(replier, grief, topic_id=opening.topic_id, body="their own words")
    await respond(responder, opening, "me-too")
    await respond(starter_client, theirs, "helped")
    page = await (await starter_client.get("/account/helped")).text()
    assert "What helps me at night" in page
    assert "1 person said they've been there too." in page
    assert "nobody marked this one" not in page
    assert "their own words" not in page


async def test_anonymous_posts_can_be_thanked_without_naming_their_author(
    evenings: NewPost, reply_to: ReplyTo, responder: ForumClient, starter_client: ForumClient
) -> None:
    unsigned = await reply_to(evenings, "unsigned help", anonymous=True)
    await respond(starter_client, unsigned, "helped")
    page = await (await starter_client.get(f"/t/{evenings.topic_id}")).text()
    assert SECRET not in page
    own = await (await responder.get("/account/helped")).text()
    assert "unsigned help" in own
    assert "posted anonymously" in own


async def test_pressing_too_often_is_slowed_down(opening: NewPost, responder: ForumClient) -> None:
    for _ in range(limits.RESPONSES_PER_MEMBER.limit):
        resp = await respond(responder, opening, "helped")
        assert resp.status == 303
    resp = await respond(responder, opening, "helped")
    assert resp.status == 429
    assert "Retry-After" in resp.headers
