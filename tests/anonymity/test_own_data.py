"""A member's own data: downloading everything they wrote, and deleting their account.

The export is the only place an anonymous post sits next to its author's pseudonym, so it must
only ever be the signed-in member's own. Deleting keeps posts readable under "deleted member"
(or, if asked, leaves placeholders with no text anywhere), ends every session, and holds the
pseudonym for 30 days before it is free again.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

import aiohttp
import asyncpg
import pytest

from forum.storage import own_data, sessions
from forum.storage.drafts import Draft
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import post_authors, set_name
from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient
from tests.factories import SECRET, Appoint, MakeDraft, Publish, item_for, version_of

NAME = "stillwater"


class Written(TypedDict):
    topic: NewPost
    named: NewPost
    renamed: NewPost
    draft: Draft


@pytest.fixture
async def written(
    db: asyncpg.Connection,
    grief: Group,
    recovery: Group,
    author: Member,
    other: Member,
    publish: Publish,
    make_draft: MakeDraft,
) -> Written:
    """The author's posts: an anonymous topic, a named reply, one under a group name; a draft."""
    topic = await publish(
        author, grief, title="Hard to say", body="unsigned opening words", anonymous=True
    )
    named = await publish(author, grief, topic_id=topic.topic_id, body="signed reply words")
    await set_name(db, recovery, author, NAME)
    elsewhere = await publish(other, recovery, title="Recovery check-in")
    renamed = await publish(
        author, recovery, topic_id=elsewhere.topic_id, body="words under another name"
    )
    draft = await make_draft(author, grief, body="unsent draft words", anonymous=True)
    return {"topic": topic, "named": named, "renamed": renamed, "draft": draft}


async def topic_page(client: ForumClient, post: NewPost) -> str:
    """The page of the topic `post` is in, as `client` sees it."""
    return await (await client.get(f"/t/{post.topic_id}")).text()


async def export_of(client: ForumClient) -> dict[str, Any]:
    """The downloaded export: the JSON document `own_data.export` wrote, fetched as a browser
    does, with the token of the account page's form (the client may have signed in since)."""
    page = await (await client.get("/account")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    resp = await client.post_form("/account/export", {"csrf_token": token.group(1)})
    assert resp.status == 200
    export = json.loads(await resp.text())
    assert isinstance(export, dict)
    return export


async def test_the_export_is_a_json_download(writer: ForumClient, written: Written) -> None:
    resp = await writer.post_form("/account/export")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.headers["Content-Disposition"].startswith("attachment")


async def test_the_export_is_never_cached(writer: ForumClient, written: Written) -> None:
    resp = await writer.post_form("/account/export")
    assert "no-store" in resp.headers["Cache-Control"]
    assert "private" in resp.headers["Cache-Control"]


async def test_the_export_names_the_member(writer: ForumClient, written: Written) -> None:
    assert (await export_of(writer))["member"]["pseudonym"] == SECRET


async def test_the_export_contains_anonymous_posts_marked_as_such(
    writer: ForumClient, written: Written
) -> None:
    found = {p["body"]: p for p in (await export_of(writer))["posts"]}
    assert found["unsigned opening words"]["anonymous"] is True
    assert found["unsigned opening words"]["opened_topic"] is True
    assert found["unsigned opening words"]["topic_title"] == "Hard to say"
    assert found["signed reply words"]["anonymous"] is False


async def test_the_export_contains_every_post_of_the_member(
    writer: ForumClient, written: Written
) -> None:
    ids = {p["id"] for p in (await export_of(writer))["posts"]}
    assert ids == {written[k].post_id for k in ("topic", "named", "renamed")}


async def test_the_export_says_which_name_a_post_was_published_under(
    writer: ForumClient, written: Written
) -> None:
    found = {p["body"]: p for p in (await export_of(writer))["posts"]}
    assert found["words under another name"]["posted_as"] == NAME
    assert found["signed reply words"]["posted_as"] is None


async def test_the_export_contains_drafts(writer: ForumClient, written: Written) -> None:
    drafts = (await export_of(writer))["drafts"]
    assert [(d["body"], d["anonymous"], d["group"]) for d in drafts] == [
        ("unsent draft words", True, "grief")
    ]


async def test_the_export_contains_group_names(writer: ForumClient, written: Written) -> None:
    groups = {g["group"]: g["name_in_group"] for g in (await export_of(writer))["groups"]}
    assert groups == {"grief": None, "recovery": NAME}


async def test_another_members_export_contains_none_of_the_first_members_data(
    other_client: ForumClient, written: Written
) -> None:
    resp = await other_client.post_form("/account/export")
    text = await resp.text()
    data = json.loads(text)
    assert data["member"]["pseudonym"] == "harbourlight"
    for secret in (
        SECRET,
        NAME,
        "unsigned opening words",
        "signed reply words",
        "words under another name",
        "unsent draft words",
    ):
        assert secret not in text
    assert data["drafts"] == []
    assert {g["name_in_group"] for g in data["groups"]} == {None}
    assert [p["body"] for p in data["posts"]] == ["A body"]  # their own topic only


async def test_the_export_ignores_any_member_named_in_the_address(
    other_client: ForumClient, author: Member, written: Written
) -> None:
    for query in (f"?member={author.id}", f"?pseudonym={SECRET}", f"?id={author.id}"):
        text = await (await other_client.post_form("/account/export" + query)).text()
        assert "unsigned opening words" not in text


async def test_a_visitor_gets_no_export(client: ForumClient, written: Written) -> None:
    resp = await client.post_form("/account/export")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")
    assert "unsigned" not in await resp.text()


async def test_the_account_page_offers_the_download_and_the_deletion(writer: ForumClient) -> None:
    page = await (await writer.get("/account")).text()
    assert 'action="/account/export"' in page
    assert 'action="/account/delete"' in page


# Deleting the account


async def delete(
    client: ForumClient, password: str = PASSWORD, **fields: str
) -> aiohttp.ClientResponse:
    return await client.post_form("/account/delete", {"password": password, **fields})


@pytest.fixture
async def account_deleted(writer: ForumClient, written: Written) -> None:
    """The author deleted their account after writing `written`, keeping their posts."""
    assert (await delete(writer)).status == 303


async def delete_with_posts(db: asyncpg.Connection, client: ForumClient) -> None:
    """Delete the account with its posts, then let the hours pass in which the other names'
    posts go (each at its own moment), and run the job that removes them."""
    assert (await delete(client, remove_posts="on")).status == 303
    await db.execute("UPDATE pending_removals SET due_at = now() - interval '1 second'")
    await own_data.apply_due_removals(db)


async def is_deleted(db: asyncpg.Connection, member: Member) -> bool:
    """Whether the member's row is marked deleted (`deleted_at` set)."""
    when = await db.fetchval("SELECT deleted_at FROM members WHERE id = $1", member.id)
    return when is not None


async def test_deleting_with_the_wrong_password_is_refused_and_changes_nothing(
    db: asyncpg.Connection,
    client: ForumClient,
    writer: ForumClient,
    author: Member,
    written: Written,
) -> None:
    resp = await delete(writer, "not my password at all", remove_posts="on")
    assert resp.status == 400
    assert "nothing was deleted" in await resp.text()
    assert not await is_deleted(db, author)
    assert (await writer.get("/account")).status == 200  # still signed in
    assert len((await export_of(writer))["drafts"]) == 1
    page = await topic_page(client, written["topic"])
    assert "signed reply words" in page
    assert SECRET in page


async def test_deleting_without_the_csrf_token_changes_nothing(
    db: asyncpg.Connection, writer: ForumClient, author: Member, written: Written
) -> None:
    resp = await writer.post_form("/account/delete", {"password": PASSWORD}, csrf=False)
    assert resp.status == 403
    assert not await is_deleted(db, author)


async def test_deleting_signs_the_member_out_and_says_goodbye(
    writer: ForumClient, written: Written
) -> None:
    resp = await delete(writer)
    assert resp.status == 303
    assert resp.headers["Location"] == "/?bye=1"
    resp = await writer.get("/account")
    assert resp.status == 303  # to the sign-in page: no session any more


async def test_deleting_ends_every_session(
    db: asyncpg.Connection, make_client: ClientFactory, author: Member, written: Written
) -> None:
    phone, laptop = await make_client(author), await make_client(author)
    await delete(laptop)
    assert (await phone.get("/account")).status == 303
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", author.id) == 0


async def test_a_deleted_member_cannot_sign_in(client: ForumClient, account_deleted: None) -> None:
    resp = await client.post_form("/login", {**JOINING, "pseudonym": SECRET, "password": PASSWORD})
    assert resp.status == 400
    assert "That pseudonym and password don" in await resp.text()


async def test_a_saved_session_token_no_longer_works_after_deletion(
    db: asyncpg.Connection, writer: ForumClient, author: Member, written: Written
) -> None:
    token = writer.binding
    await delete(writer)
    assert await sessions.get_session_member(db, token) is None


async def test_after_deletion_signed_posts_show_deleted_member(
    client: ForumClient, written: Written, account_deleted: None
) -> None:
    page = await topic_page(client, written["named"])
    assert post_authors(page)[2] == "deleted member"
    assert "signed reply words" in page
    assert SECRET not in page


async def test_after_deletion_posts_under_a_group_name_keep_it(
    client: ForumClient, written: Written, account_deleted: None
) -> None:
    """Relabelling them "deleted member" at the moment the pseudonym's posts are would tell
    anyone watching that the group name was that member's."""
    page = await topic_page(client, written["renamed"])
    assert post_authors(page)[2] == NAME
    assert "words under another name" in page
    assert SECRET not in page


async def test_after_deletion_anonymous_posts_stay_anonymous(
    client: ForumClient, written: Written, account_deleted: None
) -> None:
    page = await topic_page(client, written["topic"])
    assert post_authors(page)[1] == "Anonymous 1 (started this topic)"


async def test_after_deletion_the_profile_page_is_gone(
    client: ForumClient, account_deleted: None
) -> None:
    assert (await client.get(f"/m/{SECRET}")).status == 404


async def test_deletion_drops_drafts_and_group_names(
    db: asyncpg.Connection, author: Member, account_deleted: None
) -> None:
    assert await db.fetchval("SELECT count(*) FROM drafts WHERE author_id = $1", author.id) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM group_members WHERE member_id = $1", author.id) == 0
    )


async def test_deletion_ends_a_moderators_appointment(
    db: asyncpg.Connection,
    writer: ForumClient,
    author: Member,
    grief: Group,
    appoint: Appoint,
    written: Written,
) -> None:
    await appoint(grief, author)
    await delete(writer)
    assert (
        await db.fetchval("SELECT count(*) FROM group_moderators WHERE member_id = $1", author.id)
        == 0
    )


async def test_after_deletion_a_moderator_sees_deleted_member_on_the_item(
    db: asyncpg.Connection,
    grief_mod: ForumClient,
    other_client: ForumClient,
    writer: ForumClient,
    written: Written,
) -> None:
    post_id = written["named"].post_id
    await other_client.post_form(f"/p/{post_id}/report", {"reason": "spam"})
    await delete(writer)
    item_id = await item_for(db, post_id, "report")
    page = await (await grief_mod.get(f"/mod/items/{item_id}")).text()
    assert "Author: deleted member" in page
    assert SECRET not in page


async def test_removing_posts_leaves_placeholders_in_order(
    db: asyncpg.Connection, client: ForumClient, writer: ForumClient, written: Written
) -> None:
    await delete_with_posts(db, writer)
    page = await topic_page(client, written["topic"])
    assert page.count("This post was deleted by its author.") == 2
    assert post_authors(page) == {}


async def test_removing_posts_leaves_their_text_nowhere(
    db: asyncpg.Connection,
    client: ForumClient,
    grief_mod: ForumClient,
    keeper: Member,
    appoint: Appoint,
    recovery: Group,
    other_client: ForumClient,
    writer: ForumClient,
    written: Written,
) -> None:
    await appoint(recovery, keeper)
    await other_client.post_form(f"/p/{written['named'].post_id}/report", {"reason": "spam"})
    await delete_with_posts(db, writer)
    item_ids = [r["id"] for r in await db.fetch("SELECT id FROM queue_items")]
    topic_ids = [written[k].topic_id for k in ("topic", "renamed")]
    paths = [
        "/",
        "/g/grief",
        "/g/recovery",
        *(f"/t/{t}" for t in topic_ids),
        "/mod",
        *(f"/mod/items/{i}" for i in item_ids),
        "/mod/log",
    ]
    for viewer in (client, other_client, grief_mod):
        for path in paths:
            resp = await viewer.get(path)
            text = await resp.text()
            for words in (
                "unsigned opening words",
                "signed reply words",
                "words under another name",
                "Hard to say",
            ):
                assert words not in text, (path, words)
    bodies = await db.fetch(
        "SELECT body_source, body_html, content_warning FROM posts p"
        " JOIN members m ON m.id = p.author_id WHERE m.pseudonym = $1",
        SECRET,
    )
    assert all(not r["body_html"] and r["body_source"] in ("", "-") for r in bodies)


async def test_removing_posts_renames_the_members_topics(
    db: asyncpg.Connection, client: ForumClient, writer: ForumClient, written: Written
) -> None:
    await delete_with_posts(db, writer)
    page = await (await client.get("/g/grief")).text()
    assert "Hard to say" not in page
    assert own_data.REMOVED_TITLE in page


async def test_removing_posts_leaves_other_members_replies_readable(
    db: asyncpg.Connection,
    client: ForumClient,
    grief: Group,
    other: Member,
    publish: Publish,
    writer: ForumClient,
    written: Written,
) -> None:
    await publish(other, grief, topic_id=written["topic"].topic_id, body="a kind answer")
    await delete_with_posts(db, writer)
    page = await topic_page(client, written["topic"])
    assert "a kind answer" in page
    assert post_authors(page) == {3: "harbourlight"}


async def test_without_remove_posts_the_text_stays(
    client: ForumClient, written: Written, account_deleted: None
) -> None:
    page = await topic_page(client, written["topic"])
    assert "unsigned opening words" in page


# The 30-day hold on a deleted member's pseudonym


async def delete_days_ago(
    db: asyncpg.Connection, writer: ForumClient, author: Member, days: int
) -> None:
    """Delete the writer's account, then date the deletion `days` days back."""
    await delete(writer)
    await db.execute(
        "UPDATE members SET deleted_at = now() - $2::int * interval '1 day' WHERE id = $1",
        author.id,
        days,
    )


@pytest.fixture
async def released(
    db: asyncpg.Connection, writer: ForumClient, author: Member, written: Written
) -> None:
    """The author deleted their account 31 days ago, and the pseudonym has been released."""
    await delete_days_ago(db, writer, author, 31)
    assert await own_data.release_old_pseudonyms(db) == 1


async def register(client: ForumClient, pseudonym: str) -> aiohttp.ClientResponse:
    return await client.post_form(
        "/register", {**JOINING, "pseudonym": pseudonym, "password": PASSWORD}
    )


@pytest.mark.parametrize("pseudonym", [SECRET, "QuietHeron"])
async def test_a_deleted_pseudonym_cannot_be_registered_within_30_days(
    db: asyncpg.Connection,
    client: ForumClient,
    writer: ForumClient,
    author: Member,
    written: Written,
    pseudonym: str,
) -> None:
    await delete_days_ago(db, writer, author, 29)
    assert await own_data.release_old_pseudonyms(db) == 0
    assert (await register(client, pseudonym)).status == 400


async def test_a_deleted_pseudonym_can_be_registered_after_it_is_released(
    db: asyncpg.Connection, client: ForumClient, author: Member, released: None
) -> None:
    tombstone = await db.fetchval("SELECT pseudonym FROM members WHERE id = $1", author.id)
    assert tombstone.startswith("deleted-")
    assert len(tombstone) == len("deleted-") + 16
    assert (await register(client, SECRET)).status == 303


async def test_releasing_twice_changes_nothing_more(db: asyncpg.Connection, released: None) -> None:
    assert await own_data.release_old_pseudonyms(db) == 0


async def test_a_newcomer_with_a_released_pseudonym_is_not_given_the_old_posts(
    make_client: ClientFactory, client: ForumClient, written: Written, released: None
) -> None:
    newcomer = await make_client()
    assert (await register(newcomer, SECRET)).status == 303
    page = await topic_page(client, written["topic"])
    assert post_authors(page)[2] == "deleted member"
    assert SECRET not in page
    assert "signed reply words" not in await (await client.get(f"/m/{SECRET}")).text()
    export = await export_of(newcomer)
    assert export["posts"] == []
    assert "unsigned" not in json.dumps(export)


@pytest.mark.parametrize("pseudonym", ["deleted-5", "Deleted-12", "deleted_7", "deleted-member"])
async def test_a_tombstone_name_cannot_be_registered(
    db: asyncpg.Connection, client: ForumClient, pseudonym: str
) -> None:
    assert (await register(client, pseudonym)).status == 400
    assert await db.fetchval("SELECT count(*) FROM members") == 0


async def test_removing_posts_also_removes_their_earlier_versions(
    db: asyncpg.Connection, grief_mod: ForumClient, writer: ForumClient, written: Written
) -> None:
    """An edited post's old text is kept for moderators; "remove my posts" must take it too."""
    post_id = written["named"].post_id
    resp = await writer.post_form(f"/p/{post_id}/edit")
    draft_url = resp.headers["Location"]
    page = await (await writer.get(draft_url)).text()
    resp = await writer.post_form(
        draft_url + "/publish", {"body": "signed reply, edited", "version": version_of(page)}
    )
    assert resp.status == 303
    await delete_with_posts(db, writer)
    page = await (await grief_mod.get(f"/mod/posts/{post_id}/history")).text()
    assert "signed reply words" not in page
    assert await db.fetchval("SELECT count(*) FROM post_versions WHERE post_id = $1", post_id) == 0
