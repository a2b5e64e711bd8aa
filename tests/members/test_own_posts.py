"""Your own posts: edit through a draft (history kept, "edited" mark, crisis scan), delete with a
placeholder, the list of your posts and drafts, and the moderators' view of an edit history."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    SECRET,
    Appoint,
    MakeDraft,
    MakeGroup,
    ModeratorOf,
    Publish,
    post_state,
    version_of,
)
from tests.members.replies import ReplyTo

URGENT = "I have the pills in front of me and I am going to take them all tonight. Goodbye."


@pytest.fixture
async def reply(evenings: NewPost, reply_to: ReplyTo) -> NewPost:
    return await reply_to(evenings, "first words")


@pytest.fixture
async def writer(make_client: ClientFactory, replier: Member) -> ForumClient:
    """The reply's author, signed in."""
    return await make_client(replier)


@pytest.fixture
async def edited(reply: NewPost, writer: ForumClient) -> NewPost:
    """The reply after its author changed "first words" to "second words"."""
    await edit(writer, reply.post_id, "second words")
    return reply


@pytest.fixture
async def grief_mod(moderator_of: ModeratorOf, grief: Group) -> ForumClient:
    """A moderator of grief ("keeper"), signed in."""
    return await moderator_of(grief)


@pytest.fixture
def non_moderators(writer: ForumClient, starter_client: ForumClient) -> list[ForumClient]:
    """The reply's author and the topic's starter, signed in: members who moderate nothing."""
    return [writer, starter_client]


async def edit(client: ForumClient, post_id: int, body: str) -> aiohttp.ClientResponse:
    """Open the edit draft of a post and publish `body` from the editor: the accepted (303)
    publish response."""
    resp = await client.post_form(f"/p/{post_id}/edit")
    assert resp.status == 303, await resp.text()
    draft_url = resp.headers["Location"]
    page = await (await client.get(draft_url)).text()
    resp = await client.post_form(
        draft_url + "/publish", {"body": body, "version": version_of(page)}
    )
    assert resp.status == 303, await resp.text()
    return resp


async def post_row(db: asyncpg.Connection, post_id: int) -> asyncpg.Record:
    row = await db.fetchrow("SELECT * FROM posts WHERE id = $1", post_id)
    assert row is not None, f"no post {post_id}"
    return row


async def test_an_edit_opens_a_draft_with_the_post_text(
    reply: NewPost, writer: ForumClient
) -> None:
    resp = await writer.post_form(f"/p/{reply.post_id}/edit")
    page = await (await writer.get(resp.headers["Location"])).text()
    assert "Editing your post in “Evenings”" in page
    assert "first words</textarea>" in page
    again = await writer.post_form(f"/p/{reply.post_id}/edit")
    assert again.headers["Location"] == resp.headers["Location"]  # one open edit per post


async def test_publishing_an_edit_updates_the_post_in_place_and_keeps_the_old_text(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    await edit(writer, reply.post_id, "second **words**")
    row = await post_row(db, reply.post_id)
    assert row["body_html"] == "<p>second <strong>words</strong></p>"
    assert row["number"] == reply.number
    assert row["edited_at"] is not None
    old = await db.fetch("SELECT body_source FROM post_versions WHERE post_id = $1", reply.post_id)
    assert [r["body_source"] for r in old] == ["first words"]
    page = await (await writer.get(f"/t/{reply.topic_id}")).text()
    assert '<span class="post__edited">edited</span>' in page
    assert await db.fetchval("SELECT count(*) FROM posts") == 2  # no new post


async def test_an_edit_is_sanitised_like_a_new_post(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    await edit(writer, reply.post_id, "<script>x()</script> hi")
    assert "<script" not in (await post_row(db, reply.post_id))["body_html"]


async def test_an_edit_that_turns_urgent_goes_to_the_crisis_queue(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    resp = await edit(writer, reply.post_id, URGENT)
    assert "support=1" in resp.headers["Location"]
    item = await db.fetchrow(
        "SELECT kind, crisis_level FROM queue_items WHERE post_id = $1", reply.post_id
    )
    assert item is not None
    assert (item["kind"], item["crisis_level"]) == ("crisis", "urgent")
    assert await post_state(db, reply.post_id) == "hidden"  # the group's policy is "hold"


async def test_an_anonymous_post_stays_anonymous_when_edited(
    evenings: NewPost,
    reply_to: ReplyTo,
    db: asyncpg.Connection,
    writer: ForumClient,
    starter_client: ForumClient,
) -> None:
    unsigned = await reply_to(evenings, "unsigned", anonymous=True)
    await edit(writer, unsigned.post_id, "still unsigned")
    row = await post_row(db, unsigned.post_id)
    assert (row["anonymous"], row["anon_label"]) == (True, 1)
    page = await (await starter_client.get(f"/t/{evenings.topic_id}")).text()
    assert "still unsigned" in page
    assert SECRET not in page


async def test_another_members_post_cannot_be_edited_or_deleted(
    reply: NewPost, starter_client: ForumClient
) -> None:
    assert (await starter_client.post_form(f"/p/{reply.post_id}/edit")).status == 404
    assert (await starter_client.get(f"/p/{reply.post_id}/delete")).status == 404
    assert (await starter_client.post_form(f"/p/{reply.post_id}/delete")).status == 404


async def test_deleting_leaves_a_placeholder_so_the_thread_reads_on(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    assert (await writer.get(f"/p/{reply.post_id}/delete")).status == 200
    resp = await writer.post_form(f"/p/{reply.post_id}/delete")
    assert resp.status == 303
    assert await post_state(db, reply.post_id) == "deleted"
    page = await (await writer.get(f"/t/{reply.topic_id}")).text()
    assert "This post was deleted by its author." in page
    assert "first words" not in page


async def test_deleting_needs_the_csrf_token(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    resp = await writer.post_form(f"/p/{reply.post_id}/delete", csrf=False)
    assert resp.status == 403
    assert await post_state(db, reply.post_id) == "published"


async def test_a_deleted_post_cannot_be_edited(reply: NewPost, writer: ForumClient) -> None:
    await writer.post_form(f"/p/{reply.post_id}/delete")
    assert (await writer.post_form(f"/p/{reply.post_id}/edit")).status == 404


async def test_your_posts_lists_your_posts_anonymous_ones_too_and_your_drafts(
    starter: Member,
    replier: Member,
    grief: Group,
    publish: Publish,
    make_draft: MakeDraft,
    writer: ForumClient,
) -> None:
    topic = await publish(starter, grief, title="Evenings", body="starter words")
    await publish(replier, grief, topic_id=topic.topic_id, body="unsigned", anonymous=True)
    await make_draft(replier, grief, title="Half written", body="not yet")
    page = await (await writer.get("/account/posts")).text()
    assert "unsigned" in page
    assert "anonymous" in page
    assert "Half written" in page
    assert "starter words" not in page


async def test_moderators_and_the_author_see_the_edit_history_and_no_one_else_does(
    edited: NewPost,
    writer: ForumClient,
    starter_client: ForumClient,
    grief_mod: ForumClient,
    client: ForumClient,
) -> None:
    path = f"/mod/posts/{edited.post_id}/history"
    for reader in (grief_mod, writer):
        page = await (await reader.get(path)).text()
        assert "first words" in page
        assert "second words" in page
    assert (await starter_client.get(path)).status == 404
    assert (await client.get(path)).status == 303  # to sign in


async def test_a_moderator_of_another_group_does_not_see_the_history(
    edited: NewPost, make_group: MakeGroup, appoint: Appoint, keeper: Member, mod: ForumClient
) -> None:
    await appoint(await make_group("elsewhere"), keeper)
    resp = await mod.get(f"/mod/posts/{edited.post_id}/history")
    assert resp.status == 404


async def test_the_topic_page_links_moderators_alone_to_the_history(
    edited: NewPost,
    grief_mod: ForumClient,
    non_moderators: list[ForumClient],
    client: ForumClient,
) -> None:
    link = f'href="/mod/posts/{edited.post_id}/history"'
    page = await (await grief_mod.get(f"/t/{edited.topic_id}")).text()
    assert link in page
    for viewer in (*non_moderators, client):
        page = await (await viewer.get(f"/t/{edited.topic_id}")).text()
        assert link not in page


async def test_an_unchanged_edit_leaves_no_mark_and_no_history(
    reply: NewPost, db: asyncpg.Connection, writer: ForumClient
) -> None:
    await edit(writer, reply.post_id, "first words")
    assert (await post_row(db, reply.post_id))["edited_at"] is None
    assert await db.fetchval("SELECT count(*) FROM post_versions") == 0
    assert await db.fetchval("SELECT count(*) FROM drafts") == 0


async def test_a_deleted_posts_earlier_versions_are_no_longer_shown_to_moderators(
    edited: NewPost, writer: ForumClient, grief_mod: ForumClient
) -> None:
    """Deleting promises "your words will no longer be shown to anyone": the history too."""
    await writer.post_form(f"/p/{edited.post_id}/delete")
    page = await (await grief_mod.get(f"/mod/posts/{edited.post_id}/history")).text()
    assert "first words" not in page
    assert "second words" not in page
    assert "deleted this post" in page
