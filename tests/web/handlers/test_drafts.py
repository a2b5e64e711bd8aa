"""Drafts over HTTP: create, list, save (with versions), preview, publish and delete."""

from __future__ import annotations

import html
import re
from typing import Any, Protocol, Unpack

import aiohttp
import asyncpg
import pytest

from forum.storage.drafts import Draft
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import (
    DraftFields,
    MakeDraft,
    MakeGroup,
    MakeMember,
    make_topic,
    version_of,
)


def version_in(page: str) -> int:
    return int(version_of(page))


def textarea(page: str) -> str:
    """The text box's value as a browser reads it: HTML drops one newline right after the tag."""
    found = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    value = html.unescape(found.group(1))
    return value[1:] if value.startswith("\n") else value


def without_own_scripts(page: str) -> str:
    """The page minus the forum's own script tags (static files), so a test can check that no
    other script got in."""
    return re.sub(r'<script src="/static/[^"<>]*" defer></script>', "", page)


def post_bodies(page: str) -> list[str]:
    """The HTML inside every rendered post body (bodies never contain a <div>)."""
    return re.findall(r'<div class="post__body prose">(.*?)</div>', page, re.S)


def draft_id_from(resp: aiohttp.ClientResponse) -> int:
    found = re.fullmatch(r"/drafts/(\d+)", resp.headers["Location"])
    assert found is not None
    return int(found.group(1))


async def draft_row(db: asyncpg.Connection, draft_id: int) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM drafts WHERE id = $1", draft_id)


async def kept_draft(db: asyncpg.Connection, draft_id: int) -> asyncpg.Record:
    """The draft's row, which must still be there."""
    row = await draft_row(db, draft_id)
    assert row is not None, f"draft {draft_id} is gone"
    return row


async def saved_body(db: asyncpg.Connection, draft_id: int) -> str:
    return str((await kept_draft(db, draft_id))["body"])


async def row_count(db: asyncpg.Connection, table: str) -> int:
    # `table` is one of the tests' own constant names, never input.
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608


async def save_draft(
    client: ForumClient, draft: Draft, *, csrf: bool = True, **form: Any
) -> aiohttp.ClientResponse:
    """Press "Save" on the draft as loaded (its version), with the editor's fields in `form`."""
    return await client.post_form(
        f"/drafts/{draft.id}", {"version": draft.version, **form}, csrf=csrf
    )


async def publish_draft(client: ForumClient, draft: Draft, **form: Any) -> aiohttp.ClientResponse:
    """Press "Publish" on the draft as loaded (its version), with the editor's fields in `form`."""
    return await client.post_form(f"/drafts/{draft.id}/publish", {"version": draft.version, **form})


async def refused_to_publish(
    resp: aiohttp.ClientResponse, db: asyncpg.Connection, draft: Draft
) -> str:
    """The page of a publish refused with 400, which kept the draft and published nothing."""
    assert resp.status == 400
    assert await draft_row(db, draft.id) is not None
    assert await row_count(db, "posts") == 0
    assert await row_count(db, "topics") == 0
    return await resp.text()


class WriteDraft(Protocol):
    async def __call__(self, **fields: Unpack[DraftFields]) -> Draft: ...


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


@pytest.fixture
def write_draft(make_draft: MakeDraft, member: Member, grief: Group) -> WriteDraft:
    """`await write_draft(title=..., body=...)`: a draft of the signed-in member's in grief."""

    async def write(**fields: Unpack[DraftFields]) -> Draft:
        return await make_draft(member, grief, **fields)

    return write


@pytest.fixture
async def other(make_member: MakeMember) -> Member:
    return await make_member("stone")


@pytest.fixture
async def others_draft(make_draft: MakeDraft, other: Member, grief: Group) -> Draft:
    return await make_draft(other, grief, title="Their title", body="Their private words")


# -- Creating and listing ----------------------------------------------------------------------


async def test_creating_a_draft_redirects_to_it(member_client: ForumClient, grief: Group) -> None:
    resp = await member_client.post_form(
        "/drafts", {"group": "grief", "title": "Hello", "body": "Some words"}
    )
    assert resp.status == 303
    page = await member_client.get(resp.headers["Location"])
    assert page.status == 200
    assert "Some words" in await page.text()


async def test_creating_a_draft_stores_it_for_its_author(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, grief: Group
) -> None:
    resp = await member_client.post_form(
        "/drafts", {"group": "grief", "title": "Hello", "body": "Some words"}
    )
    row = await kept_draft(db, draft_id_from(resp))
    assert (row["author_id"], row["group_id"], row["title"], row["body"]) == (
        member.id,
        grief.id,
        "Hello",
        "Some words",
    )


async def test_creating_a_draft_publishes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, grief: Group
) -> None:
    await member_client.post_form("/drafts", {"group": "grief", "title": "Hello", "body": "x"})
    assert await row_count(db, "posts") == 0


async def test_creating_a_reply_draft_records_its_topic(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, grief: Group
) -> None:
    new = await make_topic(db, grief, member)
    resp = await member_client.post_form("/drafts", {"topic": new.topic_id, "body": "Me too"})
    assert resp.status == 303
    stored = await kept_draft(db, draft_id_from(resp))
    assert stored["topic_id"] == new.topic_id


async def test_creating_a_draft_in_an_unknown_group_answers_404(
    member_client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await member_client.post_form(
        "/drafts", {"group": "nowhere", "title": "Hello", "body": "x"}
    )
    assert resp.status == 404
    assert await row_count(db, "drafts") == 0


async def test_creating_a_draft_in_a_hidden_group_answers_404(
    member_client: ForumClient, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    await make_group("quiet", visibility="members")
    resp = await member_client.post_form(
        "/drafts", {"group": "quiet", "title": "Hello", "body": "x"}
    )
    assert resp.status == 404
    assert await row_count(db, "drafts") == 0


async def test_creating_a_reply_in_a_hidden_topic_answers_404(
    member_client: ForumClient, db: asyncpg.Connection, other: Member, make_group: MakeGroup
) -> None:
    quiet = await make_group("quiet", visibility="members", members_=[other])
    new = await make_topic(db, quiet, other)
    resp = await member_client.post_form("/drafts", {"topic": new.topic_id, "body": "hi"})
    assert resp.status == 404
    assert await row_count(db, "drafts") == 0


async def test_creating_an_over_long_draft_answers_400_and_keeps_the_text(
    member_client: ForumClient, db: asyncpg.Connection, grief: Group
) -> None:
    body = ("so much to say " * 1400)[:20_001]
    resp = await member_client.post_form(
        "/drafts", {"group": "grief", "title": "Hello", "body": body}
    )
    assert resp.status == 400
    assert textarea(await resp.text()) == body
    assert await row_count(db, "drafts") == 0


async def test_drafts_page_lists_own_drafts(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    await write_draft(title="My unsent letter")
    text = await (await member_client.get("/drafts")).text()
    assert "My unsent letter" in text


async def test_drafts_page_does_not_list_another_members_drafts(
    member_client: ForumClient, others_draft: Draft, write_draft: WriteDraft
) -> None:
    await write_draft(title="My unsent letter")
    text = await (await member_client.get("/drafts")).text()
    assert "Their title" not in text
    assert f"/drafts/{others_draft.id}" not in text


async def test_visitor_asking_for_drafts_is_sent_to_sign_in(client: ForumClient) -> None:
    resp = await client.get("/drafts")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_visitor_asking_for_a_draft_is_sent_to_sign_in(
    client: ForumClient, others_draft: Draft
) -> None:
    resp = await client.get(f"/drafts/{others_draft.id}")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_visitor_creating_a_draft_is_sent_to_sign_in(
    client: ForumClient, db: asyncpg.Connection, grief: Group
) -> None:
    resp = await client.post_form("/drafts", {"group": "grief", "title": "Hello", "body": "x"})
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")
    assert await row_count(db, "drafts") == 0


# -- Another member's draft ------------------------------------------------------------------------


async def test_another_members_draft_answers_404(
    member_client: ForumClient, others_draft: Draft
) -> None:
    resp = await member_client.get(f"/drafts/{others_draft.id}")
    assert resp.status == 404
    assert "Their private words" not in await resp.text()


async def test_saving_another_members_draft_answers_404_and_changes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, others_draft: Draft
) -> None:
    resp = await save_draft(member_client, others_draft, title="Mine now", body="overwritten")
    assert resp.status == 404
    row = await kept_draft(db, others_draft.id)
    assert (row["body"], row["version"]) == ("Their private words", others_draft.version)


async def test_publishing_another_members_draft_answers_404_and_publishes_nothing(
    member_client: ForumClient,
    db: asyncpg.Connection,
    member: Member,
    grief: Group,
    others_draft: Draft,
) -> None:
    resp = await publish_draft(member_client, others_draft)
    assert resp.status == 404
    assert await row_count(db, "posts") == 0
    assert await draft_row(db, others_draft.id) is not None


async def test_deleting_another_members_draft_answers_404_and_keeps_it(
    member_client: ForumClient, db: asyncpg.Connection, others_draft: Draft
) -> None:
    resp = await member_client.post_form(f"/drafts/{others_draft.id}/delete")
    assert resp.status == 404
    assert await draft_row(db, others_draft.id) is not None


@pytest.mark.parametrize("path", ["/drafts/999999", "/drafts/abc", "/drafts/²"])
async def test_unknown_draft_answers_404(member_client: ForumClient, path: str) -> None:
    assert (await member_client.get(path)).status == 404


# -- Saving -------------------------------------------------------------------------------------


async def test_saving_with_the_current_version_redirects_to_the_preview(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    resp = await save_draft(member_client, draft, title="New title", body="New words")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/drafts/{draft.id}#preview"


async def test_saving_with_the_current_version_stores_the_text_and_bumps_the_version(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    await save_draft(member_client, draft, title="New title", body="New words")
    row = await kept_draft(db, draft.id)
    assert (row["title"], row["body"], row["version"]) == (
        "New title",
        "New words",
        draft.version + 1,
    )


async def test_draft_page_carries_the_current_version(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    await save_draft(member_client, draft, body="a")
    text = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert version_in(text) == draft.version + 1


async def test_stale_save_answers_409(member_client: ForumClient, write_draft: WriteDraft) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, body="tab A")
    resp = await save_draft(member_client, draft, body="tab B")
    assert resp.status == 409


async def test_stale_save_shows_both_the_submitted_and_the_saved_text(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, body="words from tab A")
    resp = await save_draft(member_client, draft, body="words from tab B")
    text = await resp.text()
    assert textarea(text) == "words from tab B"
    assert "words from tab A" in text


async def test_stale_save_keeps_the_text_saved_by_the_other_tab(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, body="tab A")
    await save_draft(member_client, draft, body="tab B")
    row = await kept_draft(db, draft.id)
    assert (row["body"], row["version"]) == ("tab A", draft.version + 1)


async def test_saving_again_from_the_conflict_page_succeeds(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, body="tab A")
    conflict = await save_draft(member_client, draft, body="tab B")
    resp = await save_draft(
        member_client, draft, body="tab A and tab B", version=version_in(await conflict.text())
    )
    assert resp.status == 303
    assert await saved_body(db, draft.id) == "tab A and tab B"


async def test_saving_an_over_long_body_answers_400_with_a_clear_message(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    resp = await save_draft(member_client, draft, body="x" * 20_001)
    assert resp.status == 400
    assert "it can be at most 20,000" in await resp.text()


async def test_saving_an_over_long_body_keeps_the_whole_text_in_the_page(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    body = "".join(f"line {n} & <more>\n" for n in range(2000))[:20_001]
    assert len(body) == 20_001
    resp = await save_draft(member_client, draft, body=body)
    assert textarea(await resp.text()) == body


async def test_saving_an_over_long_body_saves_nothing(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="kept")
    await save_draft(member_client, draft, body="x" * 20_001)
    row = await kept_draft(db, draft.id)
    assert (row["body"], row["version"]) == ("kept", draft.version)


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        pytest.param("x" * 20_000, "x" * 20_000, id="a-body-at-the-limit"),
        # Windows newlines count as one character: 25,000 sent, 20,000 saved.
        pytest.param("abc\r\n" * 5000, "abc\n" * 5000, id="windows-newlines"),
    ],
)
async def test_a_body_within_the_limit_is_saved(
    member_client: ForumClient,
    db: asyncpg.Connection,
    write_draft: WriteDraft,
    sent: str,
    saved: str,
) -> None:
    draft = await write_draft()
    resp = await save_draft(member_client, draft, body=sent)
    assert resp.status == 303
    assert await saved_body(db, draft.id) == saved


async def test_saving_an_over_long_title_answers_400_and_keeps_it(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title="Short")
    title = "A very long title " * 9  # 162 characters
    resp = await save_draft(member_client, draft, title=title, body="words")
    assert resp.status == 400
    text = await resp.text()
    assert "at most 150" in text
    assert f'value="{title}"' in text
    stored = await kept_draft(db, draft.id)
    assert stored["title"] == "Short"


async def test_saving_without_a_version_answers_400(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    resp = await member_client.post_form(f"/drafts/{draft.id}", {"body": "words"})
    assert resp.status == 400


async def test_saving_without_csrf_token_answers_403_and_changes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="kept")
    resp = await save_draft(member_client, draft, body="changed", csrf=False)
    assert resp.status == 403
    assert await saved_body(db, draft.id) == "kept"


# -- Preview -------------------------------------------------------------------------------------


async def test_draft_page_shows_a_rendered_preview(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="I am **still** here")
    text = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert post_bodies(text) == ["<p>I am <strong>still</strong> here</p>"]


async def test_preview_is_the_html_that_gets_published(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    body = (
        "# Today\n\nA *hard* day. [Help](https://example.org/help)\n\n"
        "- one\n- two\n\n> quoted <b>bold</b>\n\n```\ncode <i>\n```"
    )
    draft = await write_draft(title="Today", body=body)
    preview = post_bodies(await (await member_client.get(f"/drafts/{draft.id}")).text())
    resp = await publish_draft(member_client, draft)
    published = post_bodies(
        await (await member_client.get(resp.headers["Location"].split("#")[0])).text()
    )
    assert len(preview) == 1
    assert published == preview


async def test_script_in_a_body_is_sanitised_in_the_preview(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body='<script>alert("x")</script> **hi**')
    text = without_own_scripts(await (await member_client.get(f"/drafts/{draft.id}")).text())
    assert "<script" not in text
    assert post_bodies(text) == [
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <strong>hi</strong></p>"
    ]


async def test_script_in_a_body_is_sanitised_when_published(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body='<script>alert("x")</script> [a](javascript:x)')
    resp = await publish_draft(member_client, draft)
    text = await (await member_client.get(resp.headers["Location"].split("#")[0])).text()
    assert "<script" not in without_own_scripts(text)
    assert "<a" not in "".join(post_bodies(text))
    assert "<script" not in await db.fetchval("SELECT body_html FROM posts")


async def test_empty_draft_shows_no_preview(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="")
    text = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert post_bodies(text) == []


# -- Publishing ---------------------------------------------------------------------------------


async def test_publishing_a_topic_redirects_to_its_first_post(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title="My first topic")
    resp = await publish_draft(member_client, draft)
    assert resp.status == 303
    topic_id = await db.fetchval("SELECT id FROM topics")
    assert resp.headers["Location"] == f"/t/{topic_id}#post-1"


async def test_publishing_a_topic_removes_the_draft(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    await publish_draft(member_client, draft)
    assert await draft_row(db, draft.id) is None


async def test_publishing_from_the_editor_publishes_the_text_in_the_editor(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title="Old title", body="old words")
    resp = await publish_draft(member_client, draft, title="New title", body="new words")
    assert resp.status == 303
    assert await db.fetchval("SELECT title FROM topics") == "New title"
    assert await db.fetchval("SELECT body_source FROM posts") == "new words"


async def test_publishing_a_reply_adds_it_to_the_topic_page(
    member_client: ForumClient,
    client: ForumClient,
    db: asyncpg.Connection,
    grief: Group,
    other: Member,
    write_draft: WriteDraft,
) -> None:
    new = await make_topic(db, grief, other, "Their topic", body="Opening words")
    draft = await write_draft(topic_id=new.topic_id, title="", body="A **reply**")
    resp = await publish_draft(member_client, draft)
    assert resp.status == 303
    assert resp.headers["Location"] == f"/t/{new.topic_id}#post-2"
    text = await (await client.get(f"/t/{new.topic_id}")).text()
    assert post_bodies(text) == ["<p>Opening words</p>", "<p>A <strong>reply</strong></p>"]


async def test_publishing_a_reply_removes_the_draft(
    member_client: ForumClient,
    db: asyncpg.Connection,
    grief: Group,
    other: Member,
    write_draft: WriteDraft,
) -> None:
    new = await make_topic(db, grief, other)
    draft = await write_draft(topic_id=new.topic_id, title="", body="A reply")
    await publish_draft(member_client, draft)
    assert await draft_row(db, draft.id) is None


async def test_publishing_a_reply_through_the_whole_flow(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, grief: Group, other: Member
) -> None:
    new = await make_topic(db, grief, other)
    created = await member_client.post_form(
        "/drafts", {"topic": new.topic_id, "body": "Thinking of you"}
    )
    page = await member_client.get(created.headers["Location"])
    resp = await member_client.post_form(
        created.headers["Location"] + "/publish",
        {"version": version_in(await page.text()), "body": "Thinking of you"},
    )
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM posts WHERE topic_id = $1", new.topic_id) == 2
    assert await row_count(db, "drafts") == 0


@pytest.mark.parametrize("title", ["", "ab", "  ab   "])
async def test_publishing_a_topic_with_a_short_title_answers_400_and_keeps_the_draft(
    member_client: ForumClient, db: asyncpg.Connection, title: str, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title=title, body="My words")
    resp = await publish_draft(member_client, draft)
    text = await refused_to_publish(resp, db, draft)
    assert "at least 3 characters" in text
    assert textarea(text) == "My words"


async def test_publishing_from_the_editor_with_a_short_title_keeps_the_submitted_text(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title="Fine title", body="old")
    resp = await publish_draft(member_client, draft, title="ab", body="what I just wrote")
    text = await refused_to_publish(resp, db, draft)
    assert textarea(text) == "what I just wrote"
    assert 'value="ab"' in text
    assert await saved_body(db, draft.id) == "what I just wrote"


@pytest.mark.parametrize("body", ["", "   \n\t  "])
async def test_publishing_an_empty_body_answers_400_and_keeps_the_draft(
    member_client: ForumClient, db: asyncpg.Connection, body: str, write_draft: WriteDraft
) -> None:
    draft = await write_draft(title="A good title", body=body)
    resp = await publish_draft(member_client, draft)
    text = await refused_to_publish(resp, db, draft)
    assert "Your post is empty" in text
    assert 'value="A good title"' in text


async def test_publishing_an_over_long_body_from_the_editor_keeps_the_text(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="kept")
    body = "y" * 20_001
    resp = await publish_draft(member_client, draft, title="A title", body=body)
    assert textarea(await refused_to_publish(resp, db, draft)) == body
    assert await saved_body(db, draft.id) == "kept"


async def test_publishing_in_a_group_not_joined_answers_400_and_keeps_the_draft(
    member_client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_draft: MakeDraft,
) -> None:
    group = await make_group("grief", name="Grief and loss")
    draft = await make_draft(member, group, title="A title", body="My words")
    resp = await publish_draft(member_client, draft)
    text = await refused_to_publish(resp, db, draft)
    assert "to post there" in text
    assert textarea(text) == "My words"


async def test_publishing_while_a_join_request_is_pending_answers_400(
    member_client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_draft: MakeDraft,
) -> None:
    group = await make_group("grief", membership="approval", members_=[member])
    draft = await make_draft(member, group)
    await refused_to_publish(await publish_draft(member_client, draft), db, draft)


async def test_publishing_with_a_stale_version_answers_409_and_publishes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, title="A title", body="newer")
    resp = await publish_draft(member_client, draft)
    assert resp.status == 409
    assert "newer" in await resp.text()
    assert await row_count(db, "posts") == 0
    assert await saved_body(db, draft.id) == "newer"


async def test_publishing_from_a_stale_editor_answers_409_keeps_both_texts_and_publishes_nothing(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft(body="first")
    await save_draft(member_client, draft, title="A title", body="tab A")
    resp = await publish_draft(member_client, draft, title="A title", body="tab B")
    assert resp.status == 409
    text = await resp.text()
    assert textarea(text) == "tab B"
    assert "tab A" in text
    assert await row_count(db, "posts") == 0


async def test_publishing_twice_creates_one_topic(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    first = await publish_draft(member_client, draft)
    resp = await publish_draft(member_client, draft)
    assert resp.status == 303  # a retry goes to the post it made (tests in test_drafts_published)
    assert resp.headers["Location"] == first.headers["Location"]
    assert await row_count(db, "topics") == 1


# -- Anonymous posting ---------------------------------------------------------------------------


@pytest.fixture
async def withdrawn_draft(make_group: MakeGroup, member: Member, make_draft: MakeDraft) -> Draft:
    """The member's anonymous draft in a group that has since stopped allowing anonymous posts."""
    group = await make_group("grief", anonymous="off", members_=[member])
    return await make_draft(member, group, anonymous=True)


async def _publish_via_forms(member_client: ForumClient, slug: str, *, anonymous: bool) -> str:
    created = await member_client.post_form(
        "/drafts",
        {
            "group": slug,
            "title": "Something hard",
            "body": "What happened to me",
            "anonymous": "on" if anonymous else None,
        },
    )
    page = await member_client.get(created.headers["Location"])
    form = {
        "version": version_in(await page.text()),
        "title": "Something hard",
        "body": "What happened to me",
        "anonymous": "on" if anonymous else None,
    }
    resp = await member_client.post_form(created.headers["Location"] + "/publish", form)
    assert resp.status == 303
    return resp.headers["Location"].split("#")[0]


async def test_anonymous_topic_shows_anonymous_and_not_the_pseudonym(
    member_client: ForumClient, client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    await make_group("grief", anonymous="optional", members_=[member])
    topic_url = await _publish_via_forms(member_client, "grief", anonymous=True)
    text = await (await client.get(topic_url)).text()
    assert "Anonymous" in text
    assert "river" not in text.lower()


async def test_anonymous_topic_is_stored_as_anonymous(
    member_client: ForumClient, member: Member, db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    await make_group("grief", anonymous="optional", members_=[member])
    await _publish_via_forms(member_client, "grief", anonymous=True)
    assert await db.fetchval("SELECT anonymous FROM topics")
    assert await db.fetchval("SELECT anonymous FROM posts")


async def test_anonymous_preview_shows_anonymous(
    member_client: ForumClient, member: Member, make_group: MakeGroup, make_draft: MakeDraft
) -> None:
    group = await make_group("grief", anonymous="optional", members_=[member])
    draft = await make_draft(member, group, anonymous=True)
    text = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert '<span class="anon">Anonymous</span>' in text


async def test_anonymous_flag_is_ignored_in_a_group_without_anonymous_posting(
    member_client: ForumClient,
    client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    make_group: MakeGroup,
) -> None:
    await make_group("grief", anonymous="off", members_=[member])
    topic_url = await _publish_via_forms(member_client, "grief", anonymous=True)
    text = await (await client.get(topic_url)).text()
    assert "river" in text
    assert "Anonymous" not in text
    assert not await db.fetchval("SELECT anonymous FROM posts")


async def test_anonymous_draft_in_a_group_without_anonymous_posting_is_not_published_named(
    member_client: ForumClient, db: asyncpg.Connection, withdrawn_draft: Draft
) -> None:
    resp = await publish_draft(member_client, withdrawn_draft)
    assert "no longer allows anonymous posts" in await refused_to_publish(resp, db, withdrawn_draft)
    assert await row_count(db, "drafts") == 1


async def test_publishing_from_the_editor_after_anonymity_was_withdrawn_asks_first(
    member_client: ForumClient, db: asyncpg.Connection, withdrawn_draft: Draft
) -> None:
    form = {"title": withdrawn_draft.title, "body": withdrawn_draft.body}
    resp = await publish_draft(member_client, withdrawn_draft, **form)
    # The page names the pseudonym it would appear under.
    assert "river" in await refused_to_publish(resp, db, withdrawn_draft)
    saved = await db.fetchrow("SELECT anonymous, version FROM drafts")
    assert saved is not None
    assert saved["anonymous"] is False
    again = await publish_draft(member_client, withdrawn_draft, **form, version=saved["version"])
    assert again.status == 303
    assert await db.fetchval("SELECT anonymous FROM posts") is False


async def test_preview_shows_the_name_an_anonymous_draft_will_be_published_under(
    member_client: ForumClient, withdrawn_draft: Draft
) -> None:
    text = await (await member_client.get(f"/drafts/{withdrawn_draft.id}")).text()
    assert re.search(r'class="post__author"[^>]*>river</span>', text)
    assert '<span class="anon">Anonymous</span>' not in text


async def test_reply_to_a_removed_topic_answers_400_and_keeps_the_draft(
    member_client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    grief: Group,
    write_draft: WriteDraft,
) -> None:
    new = await make_topic(db, grief, member)
    draft = await write_draft(topic_id=new.topic_id, title="", body="Still here")
    await db.execute("UPDATE topics SET state = 'removed' WHERE id = $1", new.topic_id)
    resp = await publish_draft(member_client, draft)
    assert resp.status == 400
    assert textarea(await resp.text()) == "Still here"
    assert await draft_row(db, draft.id) is not None
    assert await row_count(db, "posts") == 1


async def test_named_topic_in_an_anonymous_optional_group_shows_the_pseudonym(
    member_client: ForumClient, client: ForumClient, member: Member, make_group: MakeGroup
) -> None:
    await make_group("grief", anonymous="optional", members_=[member])
    topic_url = await _publish_via_forms(member_client, "grief", anonymous=False)
    assert "river" in await (await client.get(topic_url)).text()


# -- Deleting -----------------------------------------------------------------------------------


async def test_deleting_a_draft_redirects_to_the_drafts_page(
    member_client: ForumClient, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    resp = await member_client.post_form(f"/drafts/{draft.id}/delete")
    assert resp.status == 303
    assert resp.headers["Location"] == "/drafts"


async def test_deleting_a_draft_removes_it(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    await member_client.post_form(f"/drafts/{draft.id}/delete")
    assert await draft_row(db, draft.id) is None
    assert (await member_client.get(f"/drafts/{draft.id}")).status == 404


async def test_deleting_a_draft_without_csrf_token_answers_403_and_keeps_it(
    member_client: ForumClient, db: asyncpg.Connection, write_draft: WriteDraft
) -> None:
    draft = await write_draft()
    resp = await member_client.post_form(f"/drafts/{draft.id}/delete", csrf=False)
    assert resp.status == 403
    assert await draft_row(db, draft.id) is not None
