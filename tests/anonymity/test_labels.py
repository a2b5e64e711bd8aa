"""How an anonymous author appears: "Anonymous N", stable within a topic, unrelated across topics.

The topic starter of an anonymous topic is "Anonymous 1 (started this topic)"; the author alone
sees their own anonymous posts marked "you (anonymous)".
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

import asyncpg
import pytest

from forum.storage import posts
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import own_marks, post_authors, set_name
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    SECRET,
    Appoint,
    MakeGroup,
    MakeMember,
    Publish,
    publish_over_http,
    version_of,
)

STARTER = "Anonymous 1 (started this topic)"


@pytest.fixture
async def third(make_member: MakeMember) -> Member:
    return await make_member("mossgarden")


@pytest.fixture
async def group(make_group: MakeGroup, author: Member, other: Member, third: Member) -> Group:
    return await make_group(
        "grief", name="Grief and loss", anonymous="optional", members_=[author, other, third]
    )


@dataclass
class Thread:
    """`await thread(author, other, author)`: a topic in the group opened by the first member and
    answered by the rest in turn, each post anonymous unless its author is in `signed`.
    Returns the posts, the opening one first."""

    publish: Publish
    group: Group

    async def __call__(
        self, opener: Member, *repliers: Member, signed: Collection[Member] = ()
    ) -> list[NewPost]:
        topic = await self.publish(opener, self.group, anonymous=opener not in signed)
        return [topic, *await self.reply(topic, *repliers, signed=signed)]

    async def reply(
        self, topic: NewPost, *repliers: Member, signed: Collection[Member] = ()
    ) -> list[NewPost]:
        """More replies to `topic`, on the same terms."""
        return [
            await self.publish(
                replier, self.group, topic_id=topic.topic_id, anonymous=replier not in signed
            )
            for replier in repliers
        ]


@pytest.fixture
def thread(publish: Publish, group: Group) -> Thread:
    return Thread(publish, group)


async def authors_on(client: ForumClient, topic_id: int, page: int = 1) -> dict[int, str]:
    resp = await client.get(f"/t/{topic_id}" + (f"?page={page}" if page > 1 else ""))
    assert resp.status == 200
    return post_authors(await resp.text())


async def test_an_anonymous_topic_starter_is_anonymous_1_and_marked_as_the_starter(
    client: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, group, title="Hard to say", anonymous=True)
    assert (await authors_on(client, topic.topic_id)) == {1: STARTER}


async def test_a_named_reply_in_an_anonymous_topic_keeps_its_name(
    client: ForumClient, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, other, signed=[other])
    shown = await authors_on(client, topic.topic_id)
    assert shown == {1: STARTER, 2: "harbourlight"}


async def test_the_starter_keeps_label_1_in_their_anonymous_replies(
    client: ForumClient, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, other, author, signed=[other])
    shown = await authors_on(client, topic.topic_id)
    assert shown[3] == shown[1] == STARTER


async def test_two_anonymous_members_in_one_topic_get_different_labels(
    client: ForumClient, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, other, author, other)
    shown = await authors_on(client, topic.topic_id)
    assert shown == {1: STARTER, 2: "Anonymous 2", 3: STARTER, 4: "Anonymous 2"}


async def test_an_anonymous_reply_in_a_named_topic_is_not_marked_as_the_starter(
    client: ForumClient, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(other, author, signed=[other])
    assert (await authors_on(client, topic.topic_id)) == {1: "harbourlight", 2: "Anonymous 1"}


async def test_the_same_member_has_unrelated_labels_in_different_topics(
    client: ForumClient, author: Member, other: Member, third: Member, thread: Thread
) -> None:
    first, *_ = await thread(other, author)
    second, *_ = await thread(author, third)
    assert (await authors_on(client, first.topic_id))[2] == "Anonymous 2"
    assert (await authors_on(client, second.topic_id))[1] == STARTER
    assert (await authors_on(client, second.topic_id))[2] == "Anonymous 2"


async def test_labels_follow_first_appearance_not_member_order(
    client: ForumClient, author: Member, other: Member, third: Member, thread: Thread
) -> None:
    topic, *_ = await thread(third, other, author, signed=[third])
    shown = await authors_on(client, topic.topic_id)
    assert shown == {1: "mossgarden", 2: "Anonymous 1", 3: "Anonymous 2"}


async def test_a_label_is_the_same_on_every_page_of_a_topic(
    client: ForumClient, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, *[other] * 20, author)  # post 22 is on page 2
    first_page = await authors_on(client, topic.topic_id)
    second_page = await authors_on(client, topic.topic_id, page=2)
    assert first_page[1] == second_page[22] == STARTER
    assert first_page[2] == second_page[21] == "Anonymous 2"


async def test_an_anonymous_post_never_shows_the_authors_group_name(
    client: ForumClient, db: asyncpg.Connection, group: Group, author: Member, publish: Publish
) -> None:
    await set_name(db, group, author, "stillwater")
    topic = await publish(author, group, anonymous=True)
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert post_authors(page) == {1: STARTER}
    assert "stillwater" not in page


async def test_a_removed_anonymous_post_shows_no_label(
    client: ForumClient, db: asyncpg.Connection, author: Member, other: Member, thread: Thread
) -> None:
    topic, reply = await thread(other, author, signed=[other])
    await posts.take_down(db, reply.post_id)
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert "Anonymous" not in page
    assert "removed by a moderator" in page


async def test_a_label_is_kept_after_a_neighbours_post_is_removed(
    client: ForumClient,
    db: asyncpg.Connection,
    author: Member,
    other: Member,
    third: Member,
    thread: Thread,
) -> None:
    topic, first, _ = await thread(third, other, author, signed=[third])
    await posts.take_down(db, first.post_id)
    await thread.reply(topic, author)
    shown = await authors_on(client, topic.topic_id)
    assert shown[3] == shown[4] == "Anonymous 2"


async def test_the_author_sees_you_anonymous_on_their_own_posts_only(
    make_client: ClientFactory, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, other, author)
    mine = await (await make_client(author)).get(f"/t/{topic.topic_id}")
    assert own_marks(await mine.text()) == {1, 3}


async def test_a_visitor_sees_no_you_anonymous(
    client: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, group, anonymous=True)
    assert "you (anonymous)" not in await (await client.get(f"/t/{topic.topic_id}")).text()


async def test_another_anonymous_member_sees_only_their_own_post_marked(
    make_client: ClientFactory, author: Member, other: Member, thread: Thread
) -> None:
    topic, *_ = await thread(author, other)
    page = await (await make_client(other)).get(f"/t/{topic.topic_id}")
    assert own_marks(await page.text()) == {2}


async def test_you_anonymous_is_not_shown_on_a_named_post_of_your_own(
    make_client: ClientFactory, group: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, group)
    page = await (await make_client(author)).get(f"/t/{topic.topic_id}")
    assert "you (anonymous)" not in await page.text()


async def test_an_anonymous_post_of_a_deleted_member_stays_anonymous(
    client: ForumClient, db: asyncpg.Connection, group: Group, author: Member, publish: Publish
) -> None:
    topic = await publish(author, group, anonymous=True)
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", author.id)
    assert (await authors_on(client, topic.topic_id)) == {1: STARTER}


async def test_a_group_page_shows_an_anonymous_topic_by_anonymous(
    client: ForumClient, group: Group, author: Member, publish: Publish
) -> None:
    await publish(author, group, title="Hard to say", anonymous=True)
    page = await (await client.get("/g/grief")).text()
    assert "by Anonymous" in page
    assert SECRET not in page


async def test_an_anonymous_reply_published_over_http_gets_the_next_label(
    make_client: ClientFactory,
    client: ForumClient,
    group: Group,
    author: Member,
    other: Member,
    publish: Publish,
) -> None:
    topic = await publish(author, group, anonymous=True)
    writer = await make_client(other)
    resp = await publish_over_http(
        writer, {"topic": topic.topic_id, "body": "Me too", "anonymous": "on"}
    )
    assert resp.status == 303, await resp.text()
    assert (await authors_on(client, topic.topic_id)) == {1: STARTER, 2: "Anonymous 2"}


@pytest.mark.parametrize("moderation", ["open", "all"])
async def test_concurrent_anonymous_replies_from_different_members_never_share_a_label(
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    db: asyncpg.Connection,
    publish: Publish,
    appoint: Appoint,
    moderation: str,
) -> None:
    """Twelve members publish their first anonymous reply at the same moment: twelve labels.

    With moderation "all" the replies are held, so no number is taken from the topic row: the
    label's own lock is the only thing keeping two new authors apart.
    """
    people = [await make_member(f"writer{n}") for n in range(12)]
    starter = await make_member("openingvoice")
    group = await make_group(
        "together", anonymous="optional", moderation=moderation, members_=[*people, starter]
    )
    await appoint(group, starter)  # a moderator's topic is not held, so it takes replies
    topic = (await publish(starter, group, title="Together")).topic_id
    clients = [await make_client(p) for p in people]
    drafts = []
    for writer in clients:
        resp = await writer.post_form(
            "/drafts", {"topic": topic, "body": "Same moment", "anonymous": "on"}
        )
        assert resp.status == 303
        url = resp.headers["Location"]
        page = await (await writer.get(url)).text()
        drafts.append((writer, url, version_of(page)))
    answers = await asyncio.gather(
        *(w.post_form(url + "/publish", {"version": v}) for w, url, v in drafts)
    )
    assert [a.status for a in answers] == [303] * len(drafts)
    rows = await db.fetch(
        "SELECT author_id, anon_label FROM posts WHERE topic_id = $1 AND anonymous", topic
    )
    labels = {r["author_id"]: r["anon_label"] for r in rows}
    assert len(labels) == len(people)
    assert sorted(labels.values()) == list(range(1, len(people) + 1))
