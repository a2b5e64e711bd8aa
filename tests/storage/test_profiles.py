"""forum.storage.profiles against a real database: a public page lists only posts signed with the
pseudonym itself, never anonymous or per-group-name ones, and only from groups the viewer reads."""

from __future__ import annotations

import asyncpg

from forum.storage import groups, posts, profiles
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import SECRET, MakeGroup, MakeMember, Publish, make_reply, make_topic


async def _listed(
    db: asyncpg.Connection, author: Member, viewer: Member | None = None
) -> list[int]:
    found = await profiles.list_public_posts(
        db, author.id, None if viewer is None else viewer.id, bool(viewer and viewer.is_admin)
    )
    return [p.id for p in found]


async def test_get_profile_finds_the_member_whatever_the_letter_case(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    river = await make_member("RiverStone")
    profile = await profiles.get_profile(db, "riverSTONE")
    assert profile is not None
    assert (profile.id, profile.pseudonym, profile.created_at) == (
        river.id,
        "RiverStone",
        river.created_at,
    )


async def test_get_profile_finds_no_one_for_an_unknown_or_deleted_pseudonym(
    db: asyncpg.Connection, member: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)
    assert await profiles.get_profile(db, member.pseudonym) is None
    assert await profiles.get_profile(db, "nobody") is None


async def test_get_profile_finds_no_one_by_a_per_group_name(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    await groups.set_display_name(db, grief.id, replier.id, "nightowl")
    assert await profiles.get_profile(db, "nightowl") is None


async def test_public_posts_are_the_signed_posts_newest_first_with_where_they_are(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter, "Holidays", body="first words")
    reply = await make_reply(db, topic.topic_id, starter, body="more words")
    found = await profiles.list_public_posts(db, starter.id, None, False)
    assert [(p.id, p.topic_id, p.excerpt) for p in found] == [
        (reply.post_id, topic.topic_id, "more words"),
        (topic.post_id, topic.topic_id, "first words"),
    ]
    assert {(p.topic_title, p.group_slug, p.group_name) for p in found} == {
        ("Holidays", "grief", "Grief")
    }


async def test_public_posts_never_include_anonymous_posts(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    hidden_topic = await make_topic(db, grief, replier, "Told no one", anonymous=True)
    other = await make_topic(db, grief, starter)
    await make_reply(db, other.topic_id, replier, anonymous=True)
    await make_reply(db, hidden_topic.topic_id, replier, anonymous=True)
    assert await _listed(db, replier) == []
    assert await _listed(db, replier, replier) == []


async def test_public_posts_never_include_posts_under_a_per_group_name(
    db: asyncpg.Connection, grief: Group, replier: Member, publish: Publish
) -> None:
    await groups.set_display_name(db, grief.id, replier.id, "nightowl")
    await publish(replier, grief, title="Signed as nightowl")
    await groups.set_display_name(db, grief.id, replier.id, None)
    signed = await publish(replier, grief, title=f"Signed as {SECRET}")
    assert await _listed(db, replier) == [signed.post_id]


async def test_public_posts_leave_out_posts_no_longer_published(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    hidden, removed, deleted, kept = [
        await make_reply(db, topic.topic_id, replier) for _ in range(4)
    ]
    await posts.hide(db, hidden.post_id)
    await posts.take_down(db, removed.post_id)
    await db.execute("UPDATE posts SET state = 'deleted' WHERE id = $1", deleted.post_id)
    assert await _listed(db, replier) == [kept.post_id]


async def test_public_posts_leave_out_replies_in_a_removed_topic(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    await make_reply(db, topic.topic_id, replier)
    await posts.take_down(db, topic.post_id)
    assert await _listed(db, replier) == []


async def test_public_posts_leave_out_posts_held_for_review(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, publish: Publish
) -> None:
    group = await make_group(moderation="all", members_=[member])
    held = await publish(member, group)
    assert held.held
    assert await _listed(db, member, member) == []


async def test_members_only_posts_show_to_active_members_and_admins_alone(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    author, insider, outsider, asking = (
        await make_member("author"),
        await make_member("insider"),
        await make_member("outsider"),
        await make_member("asking"),
    )
    admin = await make_member("admin", is_admin=True)
    private = await make_group(
        visibility="members", membership="approval", members_=[author, insider, asking]
    )
    await groups.add_member(db, private.id, author.id)
    await groups.add_member(db, private.id, insider.id)
    assert not await groups.is_active_member(db, private.id, asking.id)
    topic = await make_topic(db, private, author)
    assert await _listed(db, author) == []
    assert await _listed(db, author, outsider) == []
    assert await _listed(db, author, asking) == []
    assert await _listed(db, author, insider) == [topic.post_id]
    assert await _listed(db, author, admin) == [topic.post_id]


async def test_public_posts_keep_the_content_warning_and_a_short_excerpt(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    await make_topic(db, grief, starter, body="y" * 250, warning="self-harm")
    [post] = await profiles.list_public_posts(db, starter.id, None, False)
    assert (post.content_warning, post.excerpt) == ("self-harm", "y" * 200)


async def test_public_posts_stop_at_the_limit_keeping_the_newest(
    db: asyncpg.Connection, grief: Group, starter: Member
) -> None:
    topic = await make_topic(db, grief, starter)
    newest = [await make_reply(db, topic.topic_id, starter) for _ in range(3)][-2:]
    found = await profiles.list_public_posts(db, starter.id, None, False, limit=2)
    assert [p.id for p in found] == [newest[1].post_id, newest[0].post_id]
