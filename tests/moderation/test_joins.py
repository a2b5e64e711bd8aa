"""Joining: approval groups' requests (with the moderators' question) decided from /mod, the
applicant told; guidelines accepted once before a first post; the group page's "about" panel;
the directory's condition-tag filter."""

from __future__ import annotations

import asyncpg
import pytest

from forum.posting import publishing
from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeDraft,
    MakeGroup,
    MakeMember,
    ModeratorOf,
    Publish,
    audit_count,
    notification_kinds,
)


@pytest.fixture
async def circle(make_group: MakeGroup) -> Group:
    return await make_group(
        "circle",
        name="Quiet circle",
        visibility="members",
        membership="approval",
        join_question="What brings you here?",
    )


@pytest.fixture
async def moderator(moderator_of: ModeratorOf, circle: Group) -> ForumClient:
    """`mod`, signed in as `keeper`, who moderates `circle`."""
    return await moderator_of(circle)


async def state_of(db: asyncpg.Connection, group: Group, member: Member) -> str | None:
    state: str | None = await db.fetchval(
        "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
        group.id,
        member.id,
    )
    return state


async def test_the_join_page_asks_the_question_even_for_a_members_only_group(
    make_client: ClientFactory, author: Member, circle: Group
) -> None:
    text = await (await (await make_client(author)).get("/g/circle/join")).text()
    assert "What brings you here?" in text


async def test_asking_without_an_answer_is_refused_and_nothing_is_stored(
    db: asyncpg.Connection, make_client: ClientFactory, author: Member, circle: Group
) -> None:
    resp = await (await make_client(author)).post_form("/g/circle/join", {"answer": "  "})
    assert resp.status == 400
    assert "Please answer" in await resp.text()
    assert await state_of(db, circle, author) is None


async def test_a_moderator_sees_the_request_and_approves_it_and_the_applicant_is_told(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    author: Member,
    moderator: ForumClient,
    circle: Group,
) -> None:
    applicant = await make_client(author)
    resp = await applicant.post_form("/g/circle/join", {"answer": "My mum died in May"})
    assert resp.status == 303
    assert await state_of(db, circle, author) == "pending"
    queue = await (await moderator.get("/mod")).text()
    assert "willow" in queue
    assert "My mum died in May" in queue
    decided = await moderator.post_form(f"/mod/join-requests/{circle.id}/{author.id}/approve")
    assert decided.status == 303
    assert await state_of(db, circle, author) == "active"
    assert await notification_kinds(db, author) == ["join-approve"]
    assert await audit_count(db, "join-approve") == 1
    again = await moderator.post_form(f"/mod/join-requests/{circle.id}/{author.id}/approve")
    assert again.status == 303
    assert await audit_count(db, "join-approve") == 1
    assert (await applicant.get("/g/circle")).status == 200


async def test_a_declined_applicant_is_told_and_may_ask_again(
    db: asyncpg.Connection, author: Member, moderator: ForumClient, circle: Group
) -> None:
    await groups.join_group(db, circle, author.id, answer="hello")
    resp = await moderator.post_form(f"/mod/join-requests/{circle.id}/{author.id}/decline")
    assert resp.status == 303
    assert await state_of(db, circle, author) is None
    assert await notification_kinds(db, author) == ["join-decline"]
    assert await audit_count(db, "join-decline") == 1


async def test_a_moderator_of_another_group_cannot_decide(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_group: MakeGroup,
    make_member: MakeMember,
    author: Member,
    circle: Group,
    appoint: Appoint,
) -> None:
    other = await make_group("other")
    outsider = await make_member("outsider")
    await appoint(other, outsider)
    await groups.join_group(db, circle, author.id)
    client = await make_client(outsider)
    resp = await client.post_form(f"/mod/join-requests/{circle.id}/{author.id}/approve")
    assert resp.status == 404
    assert await state_of(db, circle, author) == "pending"


async def test_a_first_post_waits_for_the_guidelines_to_be_accepted(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_client: ClientFactory,
    author: Member,
    make_draft: MakeDraft,
) -> None:
    group = await make_group("kind", guidelines="Be gentle with each other.")
    await groups.join_group(db, group, author.id)
    with pytest.raises(publishing.DraftRefused, match="guidelines"):
        await publishing.publish(db, await make_draft(author, group))
    client = await make_client(author)
    page = await (await client.get("/g/kind")).text()
    assert "Be gentle with each other." in page
    assert "I accept the guidelines" in page
    assert (await client.post_form("/g/kind/guidelines")).status == 303
    assert "I accept the guidelines" not in await (await client.get("/g/kind")).text()
    published = await publishing.publish(db, await make_draft(author, group))
    assert published.post.post_id


async def test_guidelines_can_be_accepted_when_joining(
    db: asyncpg.Connection, make_group: MakeGroup, make_client: ClientFactory, author: Member
) -> None:
    group = await make_group("kind", guidelines="Be gentle with each other.")
    client = await make_client(author)
    await client.post_form("/g/kind/join", {"accept_guidelines": "on"})
    accepted = await db.fetchval(
        "SELECT guidelines_accepted_at IS NOT NULL FROM group_members"
        " WHERE group_id = $1 AND member_id = $2",
        group.id,
        author.id,
    )
    assert accepted


async def test_the_group_page_says_how_it_is_moderated_and_how_active_it_is(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    client: ForumClient,
    author: Member,
    publish: Publish,
) -> None:
    group = await make_group(
        "grief", moderation="new-members", moderation_first_posts=2, condition_tags=["grief"]
    )
    await groups.join_group(db, group, author.id)
    await db.execute("UPDATE groups SET moderation = 'open' WHERE id = $1", group.id)
    await publish(author, group)
    await db.execute("UPDATE groups SET moderation = 'new-members' WHERE id = $1", group.id)
    text = await (await client.get("/g/grief")).text()
    assert "first 2 posts here before it appears" in text
    assert "1 post in the last 7 days" in text
    assert 'href="/?tag=grief"' in text


async def test_an_approved_held_post_counts_once_on_the_activity_counter(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    author: Member,
    keeper: Member,
    appoint: Appoint,
    publish: Publish,
) -> None:
    from forum.moderation import queue
    from forum.storage import members, queue_items

    group = await make_group("all", moderation="all")
    await appoint(group, keeper)
    await groups.join_group(db, group, author.id)
    post = await publish(author, group)
    assert await groups.posts_this_week(db, group.id) == 0
    item_id = await db.fetchval("SELECT id FROM queue_items WHERE post_id = $1", post.post_id)
    item = await queue_items.get_item(db, item_id)
    moderator = await members.get_member(db, keeper.id)
    assert item is not None
    assert moderator is not None
    await queue.claim(db, item, moderator)
    await queue.approve(db, item, moderator)
    assert await groups.posts_this_week(db, group.id) == 1


async def test_the_directory_filters_by_condition_tag_with_a_plain_link(
    make_group: MakeGroup, client: ForumClient
) -> None:
    await make_group("grief", name="Grief and loss", condition_tags=["grief"])
    await make_group("cancer", name="Living with cancer", condition_tags=["cancer"])
    text = await (await client.get("/?tag=cancer")).text()
    assert "Living with cancer" in text
    assert "Grief and loss" not in text
    assert 'href="/?tag=grief"' in text
    assert (await client.get("/?tag=astrology")).status == 404


async def test_moderators_see_topics_still_waiting_for_a_first_reply_in_their_groups(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    author: Member,
    keeper: Member,
    mod: ForumClient,
    appoint: Appoint,
    publish: Publish,
) -> None:
    mine = await make_group("mine", name="Mine")
    other = await make_group("other", name="Other")
    await appoint(mine, keeper)
    for group, title in ((mine, "Anyone else awake"), (other, "Not yours to see")):
        await groups.join_group(db, group, author.id)
        post = await publish(author, group, title=title)
        await db.execute(
            "UPDATE topics SET created_at = now() - interval '2 days' WHERE id = $1", post.topic_id
        )
    text = await (await mod.get("/mod")).text()
    assert "Anyone else awake" in text
    assert "Not yours to see" not in text
