"""A draft that was published already, met again: a second click or a retry goes to its post,
and a save (or different text published) from a tab that did not know keeps what was typed
there as a fresh draft, saying so. Nothing is published twice and nothing typed is lost."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from forum.storage.drafts import Draft
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web.handlers.drafts import KEPT_AS_DRAFT, KEPT_AS_EDIT
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeDraft, MakeGroup, MakeMember


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


@pytest.fixture
async def draft(make_draft: MakeDraft, member: Member, grief: Group) -> Draft:
    return await make_draft(member, grief, title="Winter", body="The first winter without her.")


async def publish(client: ForumClient, draft: Draft, **form: str) -> tuple[int, str]:
    resp = await client.post_form(
        f"/drafts/{draft.id}/publish", {"version": str(draft.version), **form}
    )
    return resp.status, resp.headers.get(
        "Location", ""
    ) if resp.status == 303 else await resp.text()


async def posts(db: asyncpg.Connection) -> list[asyncpg.Record]:
    return await db.fetch("SELECT id, body_source FROM posts ORDER BY id")


async def test_publishing_again_goes_to_the_post_and_publishes_nothing_more(
    member_client: ForumClient, db: asyncpg.Connection, draft: Draft
) -> None:
    first = await publish(member_client, draft)
    again = await publish(member_client, draft)
    from_the_editor = await publish(member_client, draft, title="Winter", body=draft.body)

    assert first[0] == 303
    assert again == first
    assert from_the_editor == first
    assert len(await posts(db)) == 1


async def test_two_publishes_at_once_make_one_post_and_both_go_to_it(
    member_client: ForumClient, db: asyncpg.Connection, draft: Draft
) -> None:
    """A double click: both requests in flight together. One publishes; the other finds the
    draft gone mid-way and follows it to the same post."""
    answers = await asyncio.gather(publish(member_client, draft), publish(member_client, draft))

    assert [status for status, _ in answers] == [303, 303]
    assert answers[0][1] == answers[1][1]
    assert len(await posts(db)) == 1


async def test_saving_in_a_tab_that_missed_the_publish_keeps_the_text_as_an_edit(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, draft: Draft
) -> None:
    await publish(member_client, draft)

    resp = await member_client.post_form(
        f"/drafts/{draft.id}",
        {"version": str(draft.version), "title": "Winter", "body": "Words added in tab two."},
    )
    page = await resp.text()

    assert resp.status == 409
    assert KEPT_AS_EDIT in page
    assert "Words added in tab two." in page
    kept = await db.fetchrow("SELECT * FROM drafts WHERE author_id = $1", member.id)
    assert kept is not None
    (post,) = await posts(db)
    assert (kept["body"], kept["edits_post_id"]) == ("Words added in tab two.", post["id"])
    assert post["body_source"] == draft.body  # the post itself is as it was published


async def test_publishing_other_words_from_a_tab_that_missed_it_publishes_nothing(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, draft: Draft
) -> None:
    await publish(member_client, draft)

    status, page = await publish(member_client, draft, title="Winter", body="Different words.")

    assert status == 409
    assert KEPT_AS_EDIT in page
    assert len(await posts(db)) == 1
    assert await db.fetchval("SELECT body FROM drafts WHERE author_id = $1", member.id) == (
        "Different words."
    )


async def test_an_open_edit_is_not_overwritten_the_text_goes_to_a_new_draft(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, draft: Draft
) -> None:
    _, location = await publish(member_client, draft)
    (post,) = await posts(db)
    opened = await member_client.post_form(f"/p/{post['id']}/edit")
    assert opened.status == 303
    before = await db.fetch("SELECT id, body FROM drafts")

    resp = await member_client.post_form(
        f"/drafts/{draft.id}",
        {"version": str(draft.version), "title": "Winter, again", "body": "Tab two's words."},
    )

    assert resp.status == 409
    assert KEPT_AS_DRAFT in await resp.text()
    after = {r["id"]: r for r in await db.fetch("SELECT * FROM drafts")}
    assert {r["id"]: r["body"] for r in before} == {
        i: r["body"] for i, r in after.items() if i in {b["id"] for b in before}
    }
    (fresh,) = [r for i, r in after.items() if i not in {b["id"] for b in before}]
    assert (fresh["topic_id"], fresh["title"], fresh["body"]) == (
        None,
        "Winter, again",
        "Tab two's words.",
    )  # the post opened a topic: a new topic draft in the same group
    assert location


async def test_a_deleted_draft_still_answers_404(member_client: ForumClient, draft: Draft) -> None:
    await member_client.post_form(f"/drafts/{draft.id}/delete")

    saved = await member_client.post_form(
        f"/drafts/{draft.id}", {"version": str(draft.version), "body": "x"}
    )
    published = await member_client.post_form(
        f"/drafts/{draft.id}/publish", {"version": str(draft.version)}
    )

    assert (saved.status, published.status) == (404, 404)


async def test_another_members_published_draft_answers_404(
    member_client: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    db: asyncpg.Connection,
    draft: Draft,
) -> None:
    await publish(member_client, draft)
    stranger = await make_client(await make_member("stone"))

    saved = await stranger.post_form(
        f"/drafts/{draft.id}", {"version": str(draft.version), "body": "mine now"}
    )
    published = await stranger.post_form(
        f"/drafts/{draft.id}/publish", {"version": str(draft.version)}
    )

    assert (saved.status, published.status) == (404, 404)
    assert await db.fetchval("SELECT count(*) FROM drafts") == 0


async def test_a_double_click_on_publish_in_the_editor_makes_one_post(
    member_client: ForumClient, db: asyncpg.Connection, draft: Draft
) -> None:
    """From the editor, Publish sends the text box too: the first click saves it (a new
    version), so the second's version is stale. It is the member's own click, not another tab:
    both go to the one post."""
    fields = {"title": "Winter", "body": "The first winter without her, and the second."}

    answers = await asyncio.gather(
        publish(member_client, draft, **fields), publish(member_client, draft, **fields)
    )

    assert [status for status, _ in answers] == [303, 303]
    assert answers[0][1] == answers[1][1]
    assert [r["body_source"] for r in await posts(db)] == [fields["body"]]


async def test_a_new_title_from_a_tab_that_missed_the_publish_is_kept_not_dropped(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, draft: Draft
) -> None:
    await publish(member_client, draft)

    status, page = await publish(member_client, draft, title="A better title", body=draft.body)

    assert status == 409
    assert "A better title" in page
    assert len(await posts(db)) == 1
