"""A topic page `/t/{id}` (posts in order, paged by number) and post links `/p/{id}`."""

from __future__ import annotations

import re

import asyncpg
import pytest

from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, make_reply, make_thread, make_topic


def post_numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="post" id="post-(\d+)"', page)]


def post_bodies(page: str) -> list[str]:
    return re.findall(r'<div class="post__body prose">(.*?)</div>', page, re.S)


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


async def test_topic_page_shows_its_title(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member, title="The first winter")
    resp = await client.get(f"/t/{topic_id}")
    assert resp.status == 200
    assert "<h1>The first winter</h1>" in await resp.text()


async def test_topic_page_shows_posts_in_order(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member, replies=4)
    text = await (await client.get(f"/t/{topic_id}")).text()
    assert post_numbers(text) == [1, 2, 3, 4, 5]
    assert post_bodies(text) == [f"<p>post {n}</p>" for n in range(1, 6)]


async def test_topic_page_shows_each_authors_pseudonym(
    client: ForumClient,
    db: asyncpg.Connection,
    member: Member,
    make_member: MakeMember,
    grief: Group,
) -> None:
    other = await make_member("lanternlight")
    topic_id, _ = await make_thread(db, grief, member)
    await make_reply(db, topic_id, other, body="hi")
    authors = re.findall(
        r'class="post__author" id="post-\d+-by">(?:<a href="/m/[^"]+">)?([^<]*)<',
        await (await client.get(f"/t/{topic_id}")).text(),
    )
    assert authors == ["river", "lanternlight"]


async def test_anonymous_reply_shows_anonymous_and_never_the_pseudonym(
    client: ForumClient,
    db: asyncpg.Connection,
    member: Member,
    make_member: MakeMember,
    make_group: MakeGroup,
) -> None:
    hidden = await make_member("hidden-one")
    group = await make_group("open-room", anonymous="optional", members_=[member, hidden])
    topic_id, _ = await make_thread(db, group, member)
    await make_reply(db, topic_id, hidden, body="secret", anonymous=True)
    text = await (await client.get(f"/t/{topic_id}")).text()
    assert '<span class="anon">Anonymous 1</span>' in text
    assert "hidden-one" not in text


async def test_content_warning_hides_the_post_behind_a_summary(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    new = await make_topic(db, grief, member, "Hard news", body="details", warning="self-harm")
    text = await (await client.get(f"/t/{new.topic_id}")).text()
    assert re.search(
        r"<details class=\"post__warning\">\s*<summary>Content warning: self-harm", text
    )


async def test_unknown_topic_answers_404(client: ForumClient) -> None:
    assert (await client.get("/t/424242")).status == 404


@pytest.mark.parametrize("raw", ["abc", "-1", "1.0", "²", "\u0661", "9999999999999999999999"])
async def test_malformed_topic_id_answers_404(client: ForumClient, raw: str) -> None:
    assert (await client.get(f"/t/{raw}")).status == 404


async def test_topic_that_is_not_published_answers_404(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member)
    await db.execute("UPDATE topics SET state = 'removed' WHERE id = $1", topic_id)
    assert (await client.get(f"/t/{topic_id}")).status == 404


# -- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
async def long_thread(
    db: asyncpg.Connection, member: Member, grief: Group
) -> tuple[int, list[NewPost]]:
    topic_id, posts = await make_thread(db, grief, member, replies=44)  # 45 posts
    return topic_id, posts


@pytest.mark.parametrize(
    ("query", "numbers", "page_of"),
    [
        pytest.param("", range(1, 21), "Page 1 of 3", id="first-page-posts-1-to-20"),
        pytest.param("?page=1", range(1, 21), "Page 1 of 3", id="explicit-page-1-is-the-first"),
        pytest.param("?page=2", range(21, 41), "Page 2 of 3", id="second-page-posts-21-to-40"),
        pytest.param("?page=3", range(41, 46), "Page 3 of 3", id="last-page-the-remaining-posts"),
    ],
)
async def test_a_page_shows_its_posts(
    client: ForumClient,
    long_thread: tuple[int, list[NewPost]],
    query: str,
    numbers: range,
    page_of: str,
) -> None:
    topic_id, _ = long_thread
    text = await (await client.get(f"/t/{topic_id}{query}")).text()
    assert post_numbers(text) == list(numbers)
    assert page_of in text


async def test_page_links_lead_from_each_page_to_its_neighbours(
    client: ForumClient, long_thread: tuple[int, list[NewPost]]
) -> None:
    topic_id, _ = long_thread
    first = await (await client.get(f"/t/{topic_id}")).text()
    middle = await (await client.get(f"/t/{topic_id}?page=2")).text()
    last = await (await client.get(f"/t/{topic_id}?page=3")).text()
    assert f'href="/t/{topic_id}?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    assert f'href="/t/{topic_id}?page=1" rel="prev"' in middle
    assert f'href="/t/{topic_id}?page=3" rel="next"' in middle
    assert f'href="/t/{topic_id}?page=2" rel="prev"' in last
    assert 'rel="next"' not in last


async def test_page_past_the_end_answers_404(
    client: ForumClient, long_thread: tuple[int, list[NewPost]]
) -> None:
    topic_id, _ = long_thread
    assert (await client.get(f"/t/{topic_id}?page=4")).status == 404


@pytest.mark.parametrize("page", ["0", "abc", "-1", "1.5", "", "²", "9999999999"])
async def test_malformed_page_answers_404(
    client: ForumClient, long_thread: tuple[int, list[NewPost]], page: str
) -> None:
    topic_id, _ = long_thread
    assert (await client.get(f"/t/{topic_id}", params={"page": page})).status == 404


async def test_short_topic_shows_no_page_navigation(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member, replies=19)  # exactly one full page
    text = await (await client.get(f"/t/{topic_id}")).text()
    assert post_numbers(text) == list(range(1, 21))
    assert "Page 1 of" not in text
    assert (await client.get(f"/t/{topic_id}?page=2")).status == 404


# -- Links to one post -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "page_and_anchor"),
    [
        pytest.param(1, "#post-1", id="the-first-post-on-the-first-page"),
        pytest.param(25, "?page=2#post-25", id="a-post-on-its-page"),
        pytest.param(40, "?page=2#post-40", id="the-last-post-of-a-page-on-that-page"),
    ],
)
async def test_post_link_redirects_to_the_page_and_anchor_of_the_post(
    client: ForumClient, long_thread: tuple[int, list[NewPost]], number: int, page_and_anchor: str
) -> None:
    topic_id, posts = long_thread
    resp = await client.get(f"/p/{posts[number - 1].post_id}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/t/{topic_id}{page_and_anchor}"


async def test_post_link_leads_to_a_page_that_holds_the_post(
    client: ForumClient, long_thread: tuple[int, list[NewPost]]
) -> None:
    _, posts = long_thread
    resp = await client.get(f"/p/{posts[44].post_id}")
    page_url, anchor = resp.headers["Location"].split("#")
    text = await (await client.get(page_url)).text()
    assert f'id="{anchor}"' in text


async def test_unknown_post_link_answers_404(client: ForumClient) -> None:
    assert (await client.get("/p/424242")).status == 404


async def test_post_link_to_a_removed_post_answers_404(
    client: ForumClient, db: asyncpg.Connection, long_thread: tuple[int, list[NewPost]]
) -> None:
    _, posts = long_thread
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", posts[3].post_id)
    assert (await client.get(f"/p/{posts[3].post_id}")).status == 404


# -- The reply form --------------------------------------------------------------------------------


async def test_reply_form_is_shown_to_a_member_of_the_group(
    member_client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member)
    text = await (await member_client.get(f"/t/{topic_id}")).text()
    assert f'<input type="hidden" name="topic" value="{topic_id}">' in text
    assert 'id="reply-body" name="body"' in text


async def test_reply_form_is_not_shown_to_a_member_who_has_not_joined(
    make_client: ClientFactory,
    make_member: MakeMember,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
) -> None:
    stranger = await make_member("stranger")
    topic_id, _ = await make_thread(db, grief, member)
    text = await (await (await make_client(stranger)).get(f"/t/{topic_id}")).text()
    assert 'id="reply-body"' not in text
    assert "Join this group to reply." in text


async def test_reply_form_is_not_shown_while_a_join_request_is_pending(
    make_client: ClientFactory,
    make_member: MakeMember,
    db: asyncpg.Connection,
    member: Member,
    make_group: MakeGroup,
) -> None:
    waiting = await make_member("waiting")
    group = await make_group("careful", membership="approval", members_=[member])
    assert await groups.join_group(db, group, waiting.id) == "pending"
    topic_id, _ = await make_thread(db, group, member)
    text = await (await (await make_client(waiting)).get(f"/t/{topic_id}")).text()
    assert 'id="reply-body"' not in text
    assert "waiting for a moderator" in text


async def test_visitor_is_asked_to_sign_in_to_reply(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    topic_id, _ = await make_thread(db, grief, member)
    text = await (await client.get(f"/t/{topic_id}")).text()
    assert 'id="reply-body"' not in text
    assert f'<a href="/login?next=/t/{topic_id}">Sign in</a> or' in text
