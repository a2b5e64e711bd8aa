"""forum.storage.groups against a real database: creating a group and changing its settings (slug
redirects, taken slugs), archiving, the weekly post counter, who may see a group, the directory's
search and filters, joining and leaving, and per-group display names."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import pytest

from forum import markup
from forum.groups.settings import GroupSettings
from forum.storage import groups, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_reply, make_topic


def _settings(group: Group, **changes: Any) -> GroupSettings:
    """The group's current settings with `changes` applied, as the admin form would send them."""
    current = GroupSettings(
        slug=group.slug,
        name=group.name,
        description=group.description,
        condition_tags=list(group.condition_tags),
        visibility=group.visibility,
        membership=group.membership,
        join_question=group.join_question,
        anonymous=group.anonymous,
        moderation=group.moderation,
        moderation_first_posts=group.moderation_first_posts,
        report_hide_threshold=group.report_hide_threshold,
        crisis_policy=group.crisis_policy,
        crisis_reescalate_minutes=group.crisis_reescalate_minutes,
        webhook_url=group.webhook_url,
        guidelines=group.guidelines,
    )
    return dataclasses.replace(current, **changes)


async def _delete(db: asyncpg.Connection, member: Member) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)


async def test_create_group_returns_the_group_with_its_options_and_the_defaults(
    db: asyncpg.Connection,
) -> None:
    made = await groups.create_group(
        db,
        "lost-a-parent",
        "Lost a parent",
        description="For those grieving a parent",
        visibility="members",
        condition_tags=("grief", "caring"),
        webhook_url="https://example.org/hook",
    )
    assert (made.slug, made.name, made.description) == (
        "lost-a-parent",
        "Lost a parent",
        "For those grieving a parent",
    )
    assert (made.visibility, made.membership, made.anonymous, made.moderation) == (
        "members",
        "open",
        "off",
        "open",
    )
    assert (made.moderation_first_posts, made.report_hide_threshold) == (3, 3)
    assert (made.crisis_policy, made.crisis_reescalate_minutes) == ("hold", 10)
    assert (made.webhook_url, made.condition_tags) == (
        "https://example.org/hook",
        ["grief", "caring"],
    )
    assert (made.join_question, made.guidelines, made.archived_at) == ("", "", None)
    assert await groups.get_group_by_slug(db, "lost-a-parent") == made
    assert await groups.get_group_by_slug(db, "lost-a-parents") is None


async def test_create_group_with_a_taken_slug_raises_slug_taken_and_adds_nothing(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    await make_group("grief")
    with pytest.raises(groups.SlugTaken):
        await groups.create_group(db, "grief", "Another grief group")
    assert await db.fetchval("SELECT count(*) FROM groups") == 1


async def test_changing_the_slug_leaves_a_redirect_that_follows_later_renames(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("first")
    second = await groups.save_settings(db, group, _settings(group, slug="second", name="Renamed"))
    assert (second.id, second.slug, second.name) == (group.id, "second", "Renamed")
    await groups.save_settings(db, second, _settings(second, slug="third"))
    assert await groups.get_redirect(db, "first") == "third"
    assert await groups.get_redirect(db, "second") == "third"
    assert await groups.get_redirect(db, "third") is None
    assert await groups.get_redirect(db, "never-used") is None


async def test_taking_back_an_old_slug_drops_its_redirect(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("home")
    moved = await groups.save_settings(db, group, _settings(group, slug="away"))
    await groups.save_settings(db, moved, _settings(moved, slug="home"))
    assert await groups.get_redirect(db, "home") is None
    assert await groups.get_redirect(db, "away") == "home"


async def test_saving_settings_without_a_new_slug_leaves_no_redirect(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    saved = await groups.save_settings(
        db,
        group,
        _settings(group, moderation="all", guidelines="Be gentle", condition_tags=["grief"]),
    )
    assert (saved.moderation, saved.guidelines, saved.condition_tags) == (
        "all",
        "Be gentle",
        ["grief"],
    )
    assert await groups.get_group_by_slug(db, "grief") == saved
    assert await db.fetchval("SELECT count(*) FROM group_slug_redirects") == 0


async def test_saving_a_slug_another_group_uses_raises_slug_taken_and_changes_nothing(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("mine", name="Mine")
    await make_group("theirs")
    with pytest.raises(groups.SlugTaken):
        await groups.save_settings(db, group, _settings(group, slug="theirs", name="Changed"))
    assert await groups.get_group_by_slug(db, "mine") == group
    assert await groups.get_redirect(db, "mine") is None


async def test_a_new_group_at_an_old_address_takes_it_over_from_the_redirect(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("old-home")
    await groups.save_settings(db, group, _settings(group, slug="new-home"))
    newcomer = await make_group("old-home")
    assert await groups.get_redirect(db, "old-home") is None
    assert await groups.get_group_by_slug(db, "old-home") == newcomer


async def test_has_posts_counts_any_topic_even_a_held_one(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    empty, held, published = await make_group(), await make_group(), await make_group()
    async with db.transaction():
        await topics.create_topic(
            db,
            group_id=held.id,
            author_id=member.id,
            anonymous=False,
            title="Waiting",
            body_source="held",
            body_html=markup.render("held"),
            content_warning="",
            held=True,
        )
    await make_topic(db, published, member)
    assert not await groups.has_posts(db, empty.id)
    assert await groups.has_posts(db, held.id)
    assert await groups.has_posts(db, published.id)


async def test_set_archived_reports_a_change_only_once_each_way(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    assert await groups.set_archived(db, group.id, True)
    archived = await groups.get_group_by_slug(db, "grief")
    assert archived is not None
    assert archived.archived_at is not None
    assert not await groups.set_archived(db, group.id, True)
    assert await groups.set_archived(db, group.id, False)
    restored = await groups.get_group_by_slug(db, "grief")
    assert restored is not None
    assert restored.archived_at is None
    assert not await groups.set_archived(db, group.id, False)
    assert not await groups.set_archived(db, 424242, True)


async def test_posts_this_week_sums_the_last_seven_days_of_this_groups_counter(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group, elsewhere = await make_group(), await make_group()
    topic = await make_topic(db, group, member)
    await make_reply(db, topic.topic_id, member)
    await make_topic(db, elsewhere, member)
    await db.execute(
        "INSERT INTO group_daily_posts (group_id, day, posts)"
        " SELECT g, (now() AT TIME ZONE 'UTC')::date - ago, n"
        " FROM unnest($1::bigint[], $2::int[], $3::int[]) AS t(g, ago, n)",
        [group.id, group.id, elsewhere.id],
        [6, 7, 1],
        [5, 100, 40],
    )
    assert await groups.posts_this_week(db, group.id) == 2 + 5
    assert await groups.posts_this_week(db, elsewhere.id) == 1 + 40
    assert await groups.posts_this_week(db, 424242) == 0


async def test_a_public_group_is_visible_to_a_visitor_without_membership(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    view = await groups.get_visible_group(db, "grief", None, False)
    assert view == groups.GroupView(group, None)
    assert not view.joined
    assert await groups.get_visible_group_by_id(db, group.id, None, False) == view
    assert await groups.get_visible_group(db, "unknown", None, False) is None
    assert await groups.get_visible_group_by_id(db, 424242, None, False) is None


async def test_a_members_only_group_is_visible_only_to_active_members_and_admins(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    insider, applicant, outsider = await make_member(), await make_member(), await make_member()
    admin = await make_member("admin", is_admin=True)
    group = await make_group(
        "private", visibility="members", membership="approval", members_=[applicant]
    )
    await groups.add_member(db, group.id, insider.id)
    for viewer_id in (None, outsider.id, applicant.id):
        assert await groups.get_visible_group(db, "private", viewer_id, False) is None
        assert await groups.get_visible_group_by_id(db, group.id, viewer_id, False) is None
    inside = await groups.get_visible_group(db, "private", insider.id, False)
    assert inside == groups.GroupView(group, "active")
    assert inside.joined
    assert await groups.get_visible_group_by_id(db, group.id, insider.id, False) == inside
    as_admin = await groups.get_visible_group(db, "private", admin.id, True)
    assert as_admin == groups.GroupView(group, None)


async def test_a_viewers_pending_request_shows_in_a_public_groups_view(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group("grief", membership="approval", members_=[member])
    view = await groups.get_visible_group(db, "grief", member.id, False)
    assert view == groups.GroupView(group, "pending")
    assert not view.joined


async def test_the_directory_lists_unarchived_groups_by_name_with_the_viewers_membership(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    carers = await make_group(name="Carers", members_=[member])
    archived = await make_group(name="Archived")
    await groups.set_archived(db, archived.id, True)
    private = await make_group(name="Baby loss", visibility="members")
    pending = await make_group(name="Dementia", membership="approval", members_=[member])
    listed = await groups.list_directory(db, member.id)
    assert [(v.group.id, v.membership_state) for v in listed] == [
        (private.id, None),
        (carers.id, "active"),
        (pending.id, "pending"),
    ]
    as_visitor = await groups.list_directory(db, None)
    assert [v.membership_state for v in as_visitor] == [None, None, None]


async def test_the_directory_search_finds_other_forms_of_a_word_and_partial_words(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    grieving = await make_group(name="Grieving together")
    cancer = await make_group(name="Living with it", description="Cancer, any kind")
    await make_group(name="Dementia carers")

    async def found(query: str) -> list[int]:
        return [v.group.id for v in await groups.list_directory(db, None, query)]

    assert await found("grieved") == [grieving.id]
    assert await found("  canc  ") == [cancer.id]
    assert await found("nothing-like-this") == []


async def test_the_directory_search_treats_like_wildcards_as_plain_text(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    percent = await make_group(name="100% honest")
    underscore = await make_group(name="Back_slash")
    await make_group(name="Backyslash")

    async def found(query: str) -> list[int]:
        return [v.group.id for v in await groups.list_directory(db, None, query)]

    assert await found("%") == [percent.id]
    assert await found("k_s") == [underscore.id]


async def test_the_directory_tag_filter_keeps_only_groups_with_that_tag(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    both = await make_group(name="Both", condition_tags=["grief", "cancer"])
    grief = await make_group(name="Grief only", condition_tags=["grief"])
    await make_group(name="Untagged")
    assert [v.group.id for v in await groups.list_directory(db, None, tag="grief")] == [
        both.id,
        grief.id,
    ]
    assert [v.group.id for v in await groups.list_directory(db, None, tag="cancer")] == [both.id]
    assert await groups.list_directory(db, None, "grief", tag="dementia") == []


async def test_joining_an_open_group_is_active_and_an_approval_group_pending_with_the_answer(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    open_group = await make_group()
    approval = await make_group(membership="approval")
    assert await groups.join_group(db, open_group, member.id) == "active"
    assert (
        await groups.join_group(
            db, approval, member.id, answer="My mum has dementia", accepted_guidelines=True
        )
        == "pending"
    )
    assert await groups.is_active_member(db, open_group.id, member.id)
    assert not await groups.is_active_member(db, approval.id, member.id)
    row = await db.fetchrow(
        "SELECT state, join_answer, guidelines_accepted_at FROM group_members"
        " WHERE group_id = $1 AND member_id = $2",
        approval.id,
        member.id,
    )
    assert row is not None
    assert (row["state"], row["join_answer"]) == ("pending", "My mum has dementia")
    assert row["guidelines_accepted_at"] is not None
    accepted = await db.fetchval(
        "SELECT guidelines_accepted_at FROM group_members WHERE group_id = $1", open_group.id
    )
    assert accepted is None


async def test_joining_again_keeps_the_first_request_as_it_was(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    approval = await make_group(membership="approval")
    await groups.join_group(db, approval, member.id, answer="first")
    reopened = dataclasses.replace(approval, membership="open")
    assert await groups.join_group(db, reopened, member.id, answer="second") == "pending"
    row = await db.fetchrow("SELECT state, join_answer FROM group_members")
    assert row is not None
    assert tuple(row) == ("pending", "first")


async def test_add_member_makes_an_applicant_or_a_stranger_active(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    applicant, stranger = await make_member(), await make_member()
    group = await make_group(membership="approval", members_=[applicant])
    await groups.add_member(db, group.id, applicant.id)
    await groups.add_member(db, group.id, stranger.id)
    await groups.add_member(db, group.id, stranger.id)
    rows = await db.fetch("SELECT member_id, state FROM group_members ORDER BY member_id")
    assert [tuple(r) for r in rows] == [(applicant.id, "active"), (stranger.id, "active")]


async def test_leaving_removes_only_that_membership(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    me, other = await make_member(), await make_member()
    group, elsewhere = await make_group(members_=[me, other]), await make_group(members_=[me])
    await groups.leave_group(db, group.id, me.id)
    await groups.leave_group(db, group.id, me.id)
    assert not await groups.is_active_member(db, group.id, me.id)
    assert await groups.is_active_member(db, group.id, other.id)
    assert await groups.is_active_member(db, elsewhere.id, me.id)


async def test_set_display_name_stores_clears_and_refuses_a_non_member(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    joined, stranger = await make_member(), await make_member()
    group = await make_group(members_=[joined])
    assert await groups.get_display_name(db, group.id, joined.id) is None
    assert await groups.set_display_name(db, group.id, joined.id, "Heron")
    assert await groups.get_display_name(db, group.id, joined.id) == "Heron"
    assert await groups.set_display_name(db, group.id, joined.id, None)
    assert await groups.get_display_name(db, group.id, joined.id) is None
    assert not await groups.set_display_name(db, group.id, stranger.id, "Heron")
    assert await groups.get_display_name(db, group.id, stranger.id) is None


async def test_a_display_name_is_unique_in_a_group_in_any_case_but_free_in_another(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    first, second = await make_member(), await make_member()
    group = await make_group(members_=[first, second])
    elsewhere = await make_group(members_=[second])
    await groups.set_display_name(db, group.id, first.id, "Heron")
    with pytest.raises(groups.DisplayNameTaken):
        await groups.set_display_name(db, group.id, second.id, "HERON")
    assert await groups.get_display_name(db, group.id, second.id) is None
    assert await groups.set_display_name(db, elsewhere.id, second.id, "heron")


async def test_display_name_in_use_sees_names_in_groups_and_on_posts_of_live_members(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    named, poster, gone = await make_member(), await make_member(), await make_member()
    group = await make_group(members_=[named, poster, gone])
    await groups.set_display_name(db, group.id, named.id, "Heron")
    await make_topic(db, group, poster, persona="Kestrel")
    await make_topic(db, group, gone, persona="Osprey")
    await _delete(db, gone)
    assert await groups.display_name_in_use(db, "heron")
    assert await groups.display_name_in_use(db, "KESTREL")
    assert not await groups.display_name_in_use(db, "Osprey")
    assert not await groups.display_name_in_use(db, "Wren")


async def test_a_dropped_display_name_stays_in_use_while_posts_carry_it(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(members_=[member])
    await groups.set_display_name(db, group.id, member.id, "Heron")
    await make_topic(db, group, member, persona="Heron")
    await groups.set_display_name(db, group.id, member.id, None)
    assert await groups.display_name_in_use(db, "Heron")


async def test_name_on_others_posts_looks_at_other_live_members_posts_in_this_group(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember
) -> None:
    me, poster, gone = await make_member(), await make_member(), await make_member()
    group, elsewhere = await make_group(), await make_group()
    await make_topic(db, group, poster, persona="Kestrel")
    await make_topic(db, group, me, persona="Wren")
    await make_topic(db, elsewhere, poster, persona="Finch")
    await make_topic(db, group, gone, persona="Osprey")
    await _delete(db, gone)
    assert await groups.name_on_others_posts(db, group.id, "kestrel", me.id)
    assert not await groups.name_on_others_posts(db, group.id, "Kestrel", poster.id)
    assert not await groups.name_on_others_posts(db, group.id, "Wren", me.id)
    assert await groups.name_on_others_posts(db, group.id, "Wren", poster.id)
    assert not await groups.name_on_others_posts(db, group.id, "Finch", me.id)
    assert not await groups.name_on_others_posts(db, group.id, "Osprey", me.id)
