"""The directory at `/` with its search, a group's page `/g/{slug}`, and joining a group."""

from __future__ import annotations

import html
import re

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, make_reply, make_topic


def topic_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="topic-list__title" href="/t/(\d+)"', page)]


def older_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]*)" rel="next">Older topics</a>', page)
    return html.unescape(found.group(1)) if found else None


async def membership_state(db: asyncpg.Connection, group: Group, member: Member) -> str | None:
    state: str | None = await db.fetchval(
        "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
        group.id,
        member.id,
    )
    return state


# -- The directory -----------------------------------------------------------------------------


async def test_directory_lists_every_group(client: ForumClient, make_group: MakeGroup) -> None:
    await make_group("grief", name="Grief and loss")
    await make_group("cancer", name="Living with cancer")
    text = await (await client.get("/")).text()
    assert "Grief and loss" in text
    assert "Living with cancer" in text


async def test_directory_lists_a_members_only_group_without_linking_to_it(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("quiet", name="Quiet room", visibility="members")
    text = await (await client.get("/")).text()
    assert "Quiet room" in text
    assert 'href="/g/quiet"' not in text


async def test_directory_links_a_members_only_group_for_its_members(
    make_client: ClientFactory, make_member: MakeMember, make_group: MakeGroup
) -> None:
    insider = await make_member()
    await make_group("quiet", name="Quiet room", visibility="members", members_=[insider])
    text = await (await (await make_client(insider)).get("/")).text()
    assert 'href="/g/quiet"' in text


CANCER = "Living with cancer"
GRIEF = "Grief and loss"


@pytest.fixture
async def two_groups(make_group: MakeGroup) -> None:
    """Living with cancer and Grief and loss, each with words of its own in its description."""
    await make_group(
        "cancer",
        name=CANCER,
        description="Share what helps with treatment, side effects and scans.",
    )
    await make_group("grief", name=GRIEF, description="For anyone who is grieving.")


@pytest.mark.parametrize(
    ("query", "found", "left_out"),
    [
        pytest.param("cancer", CANCER, GRIEF, id="a-word-in-its-name"),
        pytest.param("scans", CANCER, GRIEF, id="a-word-in-its-description"),
        # "grieved" is not a substring of "grieving": only English stemming (both are 'griev')
        # finds it.
        pytest.param("grieved", GRIEF, CANCER, id="another-form-of-the-same-word"),
        pytest.param("canc", CANCER, GRIEF, id="a-partial-word"),
        pytest.param("CANC", CANCER, GRIEF, id="in-any-letter-case"),
    ],
)
async def test_search_finds_the_group_that_matches(
    client: ForumClient, two_groups: None, query: str, found: str, left_out: str
) -> None:
    text = await (await client.get("/", params={"q": query})).text()
    assert found in text
    assert left_out not in text


@pytest.mark.parametrize("query", ["%", "_", "%%", "_%_", "\\"])
async def test_search_with_like_wildcards_does_not_match_everything(
    client: ForumClient, two_groups: None, query: str
) -> None:
    resp = await client.get("/", params={"q": query})
    assert resp.status == 200
    text = await resp.text()
    assert "Living with cancer" not in text
    assert "Grief and loss" not in text


async def test_search_finds_a_literal_percent_sign(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("honest", name="100% honest")
    await make_group("grief", name="Grief and loss")
    text = await (await client.get("/", params={"q": "100%"})).text()
    assert "100% honest" in text
    assert "Grief and loss" not in text


async def test_search_with_no_match_says_so(client: ForumClient, make_group: MakeGroup) -> None:
    await make_group("grief", name="Grief and loss")
    text = await (await client.get("/", params={"q": "zebra"})).text()
    assert "No groups match" in text
    assert "Grief and loss" not in text


async def test_search_query_is_escaped_in_the_page(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief", name="Grief and loss")
    text = await (await client.get("/", params={"q": "<script>alert(1)</script>"})).text()
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


async def test_search_with_only_stop_words_answers_200(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief", name="Grief and loss")
    resp = await client.get("/", params={"q": "the and"})
    assert resp.status == 200


# -- Who may see a group -----------------------------------------------------------------------


async def test_public_group_page_is_shown_to_a_visitor(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief", name="Grief and loss")
    resp = await client.get("/g/grief")
    assert resp.status == 200
    assert "Grief and loss" in await resp.text()


async def test_unknown_group_answers_404(client: ForumClient) -> None:
    assert (await client.get("/g/no-such-group")).status == 404


async def test_members_only_group_answers_404_to_a_visitor(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members")
    assert (await client.get("/g/quiet")).status == 404


async def test_members_only_group_answers_404_to_a_member_who_has_not_joined(
    member_client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members")
    assert (await member_client.get("/g/quiet")).status == 404


async def test_members_only_group_is_shown_to_its_member(
    member_client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    await make_group("quiet", name="Quiet room", visibility="members", members_=[member])
    resp = await member_client.get("/g/quiet")
    assert resp.status == 200
    assert "Quiet room" in await resp.text()


async def test_members_only_group_answers_404_while_a_join_request_is_pending(
    member_client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members", membership="approval", members_=[member])
    assert (await member_client.get("/g/quiet")).status == 404


@pytest.fixture
async def quiet_topic(
    db: asyncpg.Connection, make_member: MakeMember, make_group: MakeGroup
) -> NewPost:
    """A topic in the members-only group quiet, by one of its members."""
    author = await make_member()
    group = await make_group("quiet", visibility="members", members_=[author])
    return await make_topic(db, group, author)


async def test_topic_in_members_only_group_answers_404_to_a_visitor(
    client: ForumClient, quiet_topic: NewPost
) -> None:
    assert (await client.get(f"/t/{quiet_topic.topic_id}")).status == 404


async def test_topic_in_members_only_group_answers_404_to_a_member_who_has_not_joined(
    member_client: ForumClient, quiet_topic: NewPost
) -> None:
    assert (await member_client.get(f"/t/{quiet_topic.topic_id}")).status == 404


async def test_topic_in_members_only_group_is_shown_to_a_member(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("quiet", visibility="members", members_=[member])
    new = await make_topic(db, group, member, "Inside the room")
    resp = await member_client.get(f"/t/{new.topic_id}")
    assert resp.status == 200
    assert "Inside the room" in await resp.text()


async def test_post_link_in_members_only_group_answers_404_to_a_visitor(
    client: ForumClient, quiet_topic: NewPost
) -> None:
    assert (await client.get(f"/p/{quiet_topic.post_id}")).status == 404


# -- Joining ------------------------------------------------------------------------------------


async def test_joining_an_open_group_redirects_to_it(
    member_client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief")
    resp = await member_client.post_form("/g/grief/join")
    assert resp.status == 303
    assert resp.headers["Location"] == "/g/grief"


async def test_joining_an_open_group_makes_an_active_membership(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    await member_client.post_form("/g/grief/join")
    assert await membership_state(db, group, member) == "active"


async def test_joining_an_open_members_only_group_opens_its_page(
    member_client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members")
    await member_client.post_form("/g/quiet/join")
    assert (await member_client.get("/g/quiet")).status == 200


async def test_joining_an_approval_group_creates_a_pending_request(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("quiet", membership="approval")
    resp = await member_client.post_form("/g/quiet/join")
    assert resp.status == 303
    assert await membership_state(db, group, member) == "pending"


async def test_joining_an_approval_group_does_not_grant_access(
    member_client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members", membership="approval")
    await member_client.post_form("/g/quiet/join")
    assert (await member_client.get("/g/quiet")).status == 404


async def test_asking_again_does_not_turn_a_pending_request_into_membership(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("quiet", membership="approval")
    await member_client.post_form("/g/quiet/join")
    await member_client.post_form("/g/quiet/join")
    assert await membership_state(db, group, member) == "pending"


async def test_joining_twice_keeps_one_active_membership(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    await member_client.post_form("/g/grief/join")
    resp = await member_client.post_form("/g/grief/join")
    assert resp.status == 303
    assert (
        await db.fetchval(
            "SELECT count(*) FROM group_members WHERE group_id = $1 AND member_id = $2",
            group.id,
            member.id,
        )
        == 1
    )


async def test_joining_an_unknown_group_answers_404(member_client: ForumClient) -> None:
    assert (await member_client.post_form("/g/no-such-group/join")).status == 404


async def test_visitor_who_tries_to_join_is_sent_to_sign_in(
    client: ForumClient, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    await make_group("grief")
    resp = await client.post_form("/g/grief/join")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")
    assert await db.fetchval("SELECT count(*) FROM group_members") == 0


async def test_join_without_csrf_token_answers_403_and_joins_nothing(
    member_client: ForumClient, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    await make_group("grief")
    resp = await member_client.post_form("/g/grief/join", csrf=False)
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM group_members") == 0


async def test_group_page_offers_the_new_topic_form_to_a_member(
    member_client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    await make_group("grief", members_=[member])
    text = await (await member_client.get("/g/grief")).text()
    assert 'name="title"' in text


async def test_group_page_offers_to_join_to_a_member_who_has_not_joined(
    member_client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief")
    text = await (await member_client.get("/g/grief")).text()
    assert 'action="/g/grief/join"' in text
    assert 'name="title"' not in text


async def test_group_page_asks_a_visitor_to_sign_in(
    client: ForumClient, make_group: MakeGroup
) -> None:
    await make_group("grief")
    text = await (await client.get("/g/grief")).text()
    assert "Sign in</a> or" in text
    assert 'name="title"' not in text


# -- The list of topics ---------------------------------------------------------------------------


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", members_=[member])


async def last_posted_at(db: asyncpg.Connection, topic_id: int, when: str) -> None:
    await db.execute(
        "UPDATE topics SET last_posted_at = $2::text::timestamptz WHERE id = $1", topic_id, when
    )


async def test_group_page_lists_its_topics(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    await make_topic(db, grief, member, "First evening alone")
    text = await (await client.get("/g/grief")).text()
    assert "First evening alone" in text


async def test_group_page_does_not_list_another_groups_topics(
    client: ForumClient, db: asyncpg.Connection, member: Member, make_group: MakeGroup, grief: Group
) -> None:
    cancer = await make_group("cancer", members_=[member])
    await make_topic(db, grief, member, "First evening alone")
    await make_topic(db, cancer, member, "Scan results")
    assert topic_ids(await (await client.get("/g/cancer")).text()) == [
        await db.fetchval("SELECT id FROM topics WHERE title = 'Scan results'")
    ]


@pytest.fixture
async def older_and_newer(
    db: asyncpg.Connection, member: Member, grief: Group
) -> tuple[NewPost, NewPost]:
    """Two topics in grief, last posted in on the first of January and of February 2024."""
    older = await make_topic(db, grief, member, "Older")
    newer = await make_topic(db, grief, member, "Newer")
    await last_posted_at(db, older.topic_id, "2024-01-01")
    await last_posted_at(db, newer.topic_id, "2024-02-01")
    return older, newer


async def test_group_page_lists_most_recent_activity_first(
    client: ForumClient, older_and_newer: tuple[NewPost, NewPost]
) -> None:
    older, newer = older_and_newer
    assert topic_ids(await (await client.get("/g/grief")).text()) == [
        newer.topic_id,
        older.topic_id,
    ]


async def test_a_reply_bumps_its_topic_to_the_top(
    client: ForumClient,
    db: asyncpg.Connection,
    member: Member,
    older_and_newer: tuple[NewPost, NewPost],
) -> None:
    older, newer = older_and_newer
    await make_reply(db, older.topic_id, member, body="me too")
    assert topic_ids(await (await client.get("/g/grief")).text()) == [
        older.topic_id,
        newer.topic_id,
    ]


async def test_anonymous_topic_is_listed_without_its_authors_pseudonym(
    client: ForumClient, db: asyncpg.Connection, make_member: MakeMember, make_group: MakeGroup
) -> None:
    author = await make_member("hidden-author")
    group = await make_group("grief", anonymous="optional", members_=[author])
    await make_topic(db, group, author, "Something I can't say", anonymous=True)
    text = await (await client.get("/g/grief")).text()
    assert "Something I can&#39;t say" in text
    assert "hidden-author" not in text
    assert "by Anonymous" in text


async def many_topics(
    db: asyncpg.Connection, group: Group, author: Member, count: int
) -> list[int]:
    """The ids of `count` new topics, "Topic 0" first."""
    return [(await make_topic(db, group, author, f"Topic {n}")).topic_id for n in range(count)]


async def _follow_older_links(client: ForumClient, first_url: str) -> tuple[list[int], int]:
    seen: list[int] = []
    pages = 0
    url: str | None = first_url
    while url is not None:
        resp = await client.get(url)
        assert resp.status == 200, url
        text = await resp.text()
        seen.extend(topic_ids(text))
        pages += 1
        assert pages < 10, "the Older topics links never end"
        url = older_link(text)
    return seen, pages


async def test_older_topics_links_walk_every_topic_once_in_order(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    created = await many_topics(db, grief, member, 65)
    minutes = [n * 37 % 65 for n in range(65)]  # a permutation: activity order != creation order
    for topic_id, minute in zip(created, minutes, strict=True):
        await db.execute(
            "UPDATE topics SET last_posted_at = '2024-01-01'::timestamptz"
            " + $2 * interval '1 minute' + interval '0.000123 second' WHERE id = $1",
            topic_id,
            minute,
        )
    expected = [
        r["id"]
        for r in await db.fetch("SELECT id FROM topics ORDER BY last_posted_at DESC, id DESC")
    ]
    assert expected != sorted(created, reverse=True)
    seen, pages = await _follow_older_links(client, "/g/grief")
    assert seen == expected
    assert pages == 3


async def test_older_topics_links_walk_topics_with_equal_activity_times(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    await many_topics(db, grief, member, 65)
    await db.execute("UPDATE topics SET last_posted_at = '2024-01-01 12:00:00.5+00'")
    expected = [r["id"] for r in await db.fetch("SELECT id FROM topics ORDER BY id DESC")]
    seen, pages = await _follow_older_links(client, "/g/grief")
    assert seen == expected
    assert pages == 3


async def test_a_full_last_page_has_no_older_topics_link(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    await many_topics(db, grief, member, 60)
    seen, pages = await _follow_older_links(client, "/g/grief")
    assert len(seen) == 60
    assert pages == 2


async def test_first_page_shows_thirty_topics_and_an_older_link(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    await many_topics(db, grief, member, 31)
    text = await (await client.get("/g/grief")).text()
    assert len(topic_ids(text)) == 30
    assert older_link(text) is not None


async def test_empty_before_cursor_shows_the_first_page(
    client: ForumClient, db: asyncpg.Connection, member: Member, grief: Group
) -> None:
    new = await make_topic(db, grief, member)
    resp = await client.get("/g/grief?before=")
    assert resp.status == 200
    assert topic_ids(await resp.text()) == [new.topic_id]


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "1-",
        "-1",
        "12-x",
        "x-12",
        "1.5-3",
        "1-2-3",
        "999999999999999999-1",
        "1-999999999999999999",
        "²-1",
        "1-²",
        "\u0661\u0662-1",
        " 12-1",
    ],
)
async def test_malformed_before_cursor_answers_404(
    client: ForumClient, make_group: MakeGroup, cursor: str
) -> None:
    await make_group("grief")
    resp = await client.get("/g/grief", params={"before": cursor})
    assert resp.status == 404
