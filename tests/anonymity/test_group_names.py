"""Per-group names: a member may go by a different name in each group (POST /g/{slug}/name).

The name follows the pseudonym rules, is unique within the group whatever its letter case, may
not be anyone else's pseudonym, and each post keeps the name it was published under.
"""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import post_authors, set_name
from tests.clients import JOINING, PASSWORD, ForumClient
from tests.factories import (
    SECRET,
    MakeGroup,
    MakeMember,
    Publish,
    item_for,
    publish_over_http,
)

NAME = "stillwater"


@pytest.fixture
async def named_topic(
    db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> NewPost:
    """A topic the author opened in grief under the group name `NAME`."""
    await set_name(db, grief, author, NAME)
    return await publish(author, grief, title="Under another name")


async def choose(client: ForumClient, slug: str, name: str) -> aiohttp.ClientResponse:
    return await client.post_form(f"/g/{slug}/name", {"display_name": name})


async def name_in(db: asyncpg.Connection, group: Group, member: Member) -> str | None:
    return await groups.get_display_name(db, group.id, member.id)


async def refused_choice(
    resp: aiohttp.ClientResponse, db: asyncpg.Connection, group: Group, member: Member
) -> str:
    """The page of a name choice refused with 400, which left the member no name in the group."""
    assert resp.status == 400
    assert await name_in(db, group, member) is None
    return await resp.text()


async def test_choosing_a_name_redirects_to_the_group(writer: ForumClient, grief: Group) -> None:
    resp = await choose(writer, "grief", NAME)
    assert resp.status == 303
    assert resp.headers["Location"] == "/g/grief"


async def test_the_chosen_name_is_saved_for_that_group_only(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, recovery: Group, author: Member
) -> None:
    await choose(writer, "grief", NAME)
    assert await name_in(db, grief, author) == NAME
    assert await name_in(db, recovery, author) is None


async def test_the_group_page_tells_the_member_their_name_there(
    writer: ForumClient, grief: Group
) -> None:
    await choose(writer, "grief", NAME)
    page = await (await writer.get("/g/grief")).text()
    assert f"Your name in this group: <strong>{NAME}</strong>" in page


async def test_a_reply_is_published_under_the_group_name(
    db: asyncpg.Connection,
    client: ForumClient,
    writer: ForumClient,
    grief: Group,
    other: Member,
    publish: Publish,
) -> None:
    topic = await publish(other, grief)
    await choose(writer, "grief", NAME)
    resp = await publish_over_http(writer, {"topic": topic.topic_id, "body": "Thinking of you"})
    assert resp.status == 303
    page = await (await client.get(f"/t/{topic.topic_id}")).text()
    assert post_authors(page)[2] == NAME
    assert SECRET not in page


async def test_a_topic_is_listed_under_the_group_name(
    client: ForumClient, named_topic: NewPost
) -> None:
    page = await (await client.get("/g/grief")).text()
    assert f"by {NAME}" in page
    assert SECRET not in page


async def test_a_group_name_is_not_linked_to_a_profile(
    client: ForumClient, named_topic: NewPost
) -> None:
    page = await (await client.get(f"/t/{named_topic.topic_id}")).text()
    assert "/m/" not in page


async def test_an_empty_name_goes_back_to_the_pseudonym(
    db: asyncpg.Connection,
    client: ForumClient,
    writer: ForumClient,
    grief: Group,
    author: Member,
    publish: Publish,
) -> None:
    await choose(writer, "grief", NAME)
    resp = await choose(writer, "grief", "   ")
    assert resp.status == 303
    assert await name_in(db, grief, author) is None
    topic = await publish(author, grief)
    assert post_authors(await (await client.get(f"/t/{topic.topic_id}")).text()) == {1: SECRET}


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # too short
        "x" * 33,  # too long
        "still water",  # a space
        "stillwater!",  # punctuation
        "stíllwater",  # not ASCII
        "admin",
        "Anonymous",
        "MODERATOR",
        "deleted_member",
        "deleted-17",
        "Deleted_4",
    ],
)
async def test_a_name_against_the_pseudonym_rules_is_refused_and_kept_in_the_form(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, author: Member, name: str
) -> None:
    page = await refused_choice(await choose(writer, "grief", name), db, grief, author)
    assert 'role="alert"' in page


async def test_a_refused_name_leaves_the_previous_name_in_place(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, author: Member
) -> None:
    await choose(writer, "grief", NAME)
    assert (await choose(writer, "grief", "admin")).status == 400
    assert await name_in(db, grief, author) == NAME


async def test_a_refused_name_is_shown_back_to_the_member(
    writer: ForumClient, grief: Group
) -> None:
    resp = await choose(writer, "grief", "still water")
    assert 'value="still water"' in await resp.text()


@pytest.mark.parametrize("taken", [NAME, "StillWater", "STILLWATER"])
async def test_a_name_used_in_the_group_is_refused_in_any_letter_case(
    db: asyncpg.Connection,
    writer: ForumClient,
    other_client: ForumClient,
    grief: Group,
    other: Member,
    taken: str,
) -> None:
    await choose(writer, "grief", NAME)
    page = await refused_choice(await choose(other_client, "grief", taken), db, grief, other)
    assert "taken" in page


async def test_the_same_name_may_be_used_by_someone_else_in_another_group(
    db: asyncpg.Connection,
    writer: ForumClient,
    other_client: ForumClient,
    grief: Group,
    recovery: Group,
    other: Member,
) -> None:
    await choose(writer, "grief", NAME)
    resp = await choose(other_client, "recovery", NAME)
    assert resp.status == 303
    assert await name_in(db, recovery, other) == NAME


async def test_a_member_may_use_different_names_in_different_groups(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, recovery: Group, author: Member
) -> None:
    await choose(writer, "grief", NAME)
    await choose(writer, "recovery", "northstar")
    assert (await name_in(db, grief, author), await name_in(db, recovery, author)) == (
        NAME,
        "northstar",
    )


@pytest.mark.parametrize("name", ["harbourlight", "HarbourLight"])
async def test_another_members_pseudonym_is_refused_as_a_group_name(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, author: Member, name: str
) -> None:
    await refused_choice(await choose(writer, "grief", name), db, grief, author)


async def test_the_pseudonym_of_a_recently_deleted_member_is_refused_as_a_group_name(
    db: asyncpg.Connection,
    make_member: MakeMember,
    writer: ForumClient,
    grief: Group,
    author: Member,
) -> None:
    gone = await make_member("fadedecho")
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", gone.id)
    await refused_choice(await choose(writer, "grief", "fadedecho"), db, grief, author)


async def test_a_name_cannot_be_chosen_in_a_group_not_joined(
    db: asyncpg.Connection, make_group: MakeGroup, writer: ForumClient, author: Member
) -> None:
    await make_group("elsewhere")
    resp = await choose(writer, "elsewhere", NAME)
    assert resp.status == 400
    assert (
        await db.fetchval("SELECT count(*) FROM group_members WHERE member_id = $1", author.id) == 0
    )


async def test_a_name_cannot_be_chosen_in_a_members_only_group_one_cannot_see(
    make_group: MakeGroup, writer: ForumClient
) -> None:
    await make_group("private", visibility="members")
    assert (await choose(writer, "private", NAME)).status == 404


async def test_a_visitor_cannot_choose_a_name(
    db: asyncpg.Connection, client: ForumClient, grief: Group
) -> None:
    resp = await choose(client, "grief", NAME)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")
    assert (
        await db.fetchval("SELECT count(*) FROM group_members WHERE display_name IS NOT NULL") == 0
    )


async def test_choosing_a_name_without_the_csrf_token_changes_nothing(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, author: Member
) -> None:
    resp = await writer.post_form("/g/grief/name", {"display_name": NAME}, csrf=False)
    assert resp.status == 403
    assert await name_in(db, grief, author) is None


@pytest.mark.parametrize("pseudonym", [NAME, "StillWater"])
async def test_registering_a_name_someone_uses_in_a_group_is_refused(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, pseudonym: str
) -> None:
    await set_name(db, grief, author, NAME)
    resp = await client.post_form(
        "/register", {**JOINING, "pseudonym": pseudonym, "password": PASSWORD}
    )
    assert resp.status == 400
    assert (
        await db.fetchval(
            "SELECT count(*) FROM members WHERE lower(pseudonym) = lower($1)", pseudonym
        )
        == 0
    )


async def test_a_reply_keeps_its_name_after_the_name_changes(
    db: asyncpg.Connection,
    client: ForumClient,
    grief: Group,
    author: Member,
    other: Member,
    publish: Publish,
) -> None:
    topic = await publish(other, grief)
    await set_name(db, grief, author, NAME)
    await publish(author, grief, topic_id=topic.topic_id)
    await set_name(db, grief, author, "northstar")
    await publish(author, grief, topic_id=topic.topic_id)
    shown = post_authors(await (await client.get(f"/t/{topic.topic_id}")).text())
    assert shown == {1: "harbourlight", 2: NAME, 3: "northstar"}


async def test_a_topic_keeps_its_name_after_the_name_is_dropped(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, named_topic: NewPost
) -> None:
    await set_name(db, grief, author, "")
    assert f"by {NAME}" in await (await client.get("/g/grief")).text()
    assert post_authors(await (await client.get(f"/t/{named_topic.topic_id}")).text()) == {1: NAME}


async def test_posts_keep_their_name_after_the_member_leaves_the_group(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, named_topic: NewPost
) -> None:
    await groups.leave_group(db, grief.id, author.id)
    page = await (await client.get(f"/t/{named_topic.topic_id}")).text()
    assert post_authors(page) == {1: NAME}
    assert SECRET not in page


@pytest.mark.parametrize(
    ("owner_leaves", "taken"),
    [(False, NAME), (True, NAME.upper())],
    ids=["owner-renamed", "owner-left"],
)
async def test_a_name_on_posts_cannot_be_taken_by_someone_else(
    db: asyncpg.Connection,
    other_client: ForumClient,
    grief: Group,
    author: Member,
    other: Member,
    named_topic: NewPost,
    owner_leaves: bool,
    taken: str,
) -> None:
    """Old posts still say "stillwater": a newcomer by that name would be taken for their author."""
    if owner_leaves:
        await groups.leave_group(db, grief.id, author.id)
    else:
        await set_name(db, grief, author, "northstar")
    await refused_choice(await choose(other_client, "grief", taken), db, grief, other)


async def test_a_name_on_posts_cannot_be_registered_as_a_pseudonym(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, named_topic: NewPost
) -> None:
    await set_name(db, grief, author, "")
    resp = await client.post_form("/register", {**JOINING, "pseudonym": NAME, "password": PASSWORD})
    assert resp.status == 400


async def test_the_member_may_take_back_a_name_they_used_before(
    db: asyncpg.Connection, writer: ForumClient, grief: Group, author: Member, named_topic: NewPost
) -> None:
    await set_name(db, grief, author, "")
    assert (await choose(writer, "grief", NAME)).status == 303
    assert await name_in(db, grief, author) == NAME


async def test_the_profile_page_never_lists_posts_made_under_a_group_name(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Under my pseudonym", body="signed openly")
    await set_name(db, grief, author, NAME)
    await publish(author, grief, title="Under another name", body="signed differently")
    page = await (await client.get(f"/m/{SECRET}")).text()
    assert "Under my pseudonym" in page
    assert "Under another name" not in page
    assert "signed differently" not in page
    assert NAME not in page


async def test_a_group_name_has_no_profile_page(client: ForumClient, named_topic: NewPost) -> None:
    unknown = await client.get("/m/nosuchname")
    named = await client.get(f"/m/{NAME}")
    assert named.status == unknown.status == 404
    assert (await named.text()).replace(NAME, "nosuchname") == await unknown.text()


async def test_other_members_never_see_the_pseudonym_behind_a_group_name(
    other_client: ForumClient, named_topic: NewPost
) -> None:
    for path in ("/", "/g/grief", f"/t/{named_topic.topic_id}", f"/p/{named_topic.post_id}/report"):
        resp = await other_client.get(path)
        assert resp.status == 200, path
        assert SECRET not in (await resp.text()).lower(), path


async def test_a_moderator_sees_the_group_name_not_the_pseudonym_behind_it(
    db: asyncpg.Connection,
    other_client: ForumClient,
    grief_mod: ForumClient,
    named_topic: NewPost,
) -> None:
    await other_client.post_form(f"/p/{named_topic.post_id}/report", {"reason": "spam"})
    item_id = await item_for(db, named_topic.post_id, "report")
    page = await (await grief_mod.get(f"/mod/items/{item_id}")).text()
    assert f"Author: {NAME}" in page
    assert SECRET not in page
