"""forum.storage.own_data against a real database: the member's own export (the one place their
anonymous posts sit next to their pseudonym), closing an account, and releasing old pseudonyms."""

from __future__ import annotations

import json

import asyncpg

from forum import markup
from forum.storage import (
    groups,
    live_events,
    members,
    moderators,
    own_data,
    own_posts,
    preferences,
    sessions,
)
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.preferences import Preferences
from tests.clients import TOTP_SECRET, enrol_two_factor
from tests.factories import MakeDraft, MakeGroup, MakeMember, Publish, make_reply, make_topic


async def _delete(db: asyncpg.Connection, member: Member, *, remove_posts: bool) -> None:
    async with db.transaction():
        await own_data.delete_account(db, member.id, remove_posts=remove_posts)


async def test_export_of_an_unknown_member_is_empty(db: asyncpg.Connection) -> None:
    assert await own_data.export(db, 424242) == {}


async def test_export_of_a_deleted_account_is_empty(db: asyncpg.Connection, member: Member) -> None:
    await _delete(db, member, remove_posts=False)
    assert await own_data.export(db, member.id) == {}


async def test_export_names_the_member_and_their_name_in_each_group(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    named = await make_group("named", members_=[member])
    await make_group("plain", members_=[member])
    await make_group("elsewhere")
    assert await groups.set_display_name(db, named.id, member.id, "nightowl")
    data = await own_data.export(db, member.id)
    assert data["member"]["pseudonym"] == "river"
    assert [(g["group"], g["name_in_group"], g["membership"]) for g in data["groups"]] == [
        ("named", "nightowl", "active"),
        ("plain", None, "active"),
    ]


async def test_export_includes_the_members_anonymous_and_per_group_name_posts(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member, publish: Publish
) -> None:
    await groups.set_display_name(db, grief.id, replier.id, "nightowl")
    opening = await make_topic(db, grief, starter, "Open topic")
    hidden = await publish(
        replier, grief, topic_id=opening.topic_id, body="in secret", anonymous=True
    )
    signed = await publish(replier, grief, topic_id=opening.topic_id, body="as my group name")
    posts = (await own_data.export(db, replier.id))["posts"]
    assert [(p["id"], p["body"], p["anonymous"], p["posted_as"]) for p in posts] == [
        (hidden.post_id, "in secret", True, None),
        (signed.post_id, "as my group name", False, "nightowl"),
    ]


async def test_export_marks_the_post_that_opened_a_topic(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    mine = await make_topic(db, grief, replier, "My topic")
    my_reply = await make_reply(db, mine.topic_id, replier)
    theirs = await make_topic(db, grief, starter, "Their topic")
    reply_to_them = await make_reply(db, theirs.topic_id, replier)
    posts = (await own_data.export(db, replier.id))["posts"]
    assert [(p["id"], p["opened_topic"], p["topic_title"]) for p in posts] == [
        (mine.post_id, True, "My topic"),
        (my_reply.post_id, False, "My topic"),
        (reply_to_them.post_id, False, "Their topic"),
    ]


async def test_export_leaves_out_other_members_posts_and_drafts(
    db: asyncpg.Connection,
    grief: Group,
    starter: Member,
    replier: Member,
    make_draft: MakeDraft,
) -> None:
    topic = await make_topic(db, grief, starter, body="their opening")
    await make_reply(db, topic.topic_id, starter, body="their reply")
    await make_draft(starter, grief, body="their draft")
    mine = await make_draft(replier, grief, title="Half written", body="my draft")
    data = await own_data.export(db, replier.id)
    assert data["posts"] == []
    assert [(d["id"], d["title"], d["body"]) for d in data["drafts"]] == [
        (mine.id, "Half written", "my draft")
    ]


async def test_export_has_no_reading_preferences_until_they_are_saved(
    db: asyncpg.Connection, member: Member
) -> None:
    assert (await own_data.export(db, member.id))["reading_preferences"] is None
    await preferences.save_preferences(
        db, member.id, Preferences(text_size="large", hide_words=("funeral",))
    )
    reading = (await own_data.export(db, member.id))["reading_preferences"]
    assert (reading["text_size"], reading["hide_words"]) == ("large", ["funeral"])


async def test_export_turns_into_json_with_times_as_iso_strings(
    db: asyncpg.Connection, grief: Group, replier: Member, make_draft: MakeDraft
) -> None:
    await make_topic(db, grief, replier, anonymous=True)
    await make_draft(replier, grief)
    await preferences.save_preferences(db, replier.id, Preferences(collapse_words=("loss",)))
    data = await own_data.export(db, replier.id)
    decoded = json.loads(json.dumps(data))
    assert decoded == data
    assert data["member"]["created_at"] == replier.created_at.isoformat()


async def test_export_includes_the_earlier_texts_of_the_members_edited_posts(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    post = await make_topic(db, grief, replier, body="my first words with my address")
    assert await own_posts.apply_edit(
        db,
        post.post_id,
        replier.id,
        body_source="my second words",
        body_html=markup.render("my second words"),
        content_warning="",
    )
    data = await own_data.export(db, replier.id)
    assert [v["body"] for v in data["earlier_versions"]] == ["my first words with my address"]
    assert data["earlier_versions"][0]["post_id"] == post.post_id
    assert data["earlier_versions"][0]["moderator_reason"] is None
    assert json.loads(json.dumps(data)) == data


async def test_delete_account_signs_out_and_drops_drafts_names_and_roles(
    db: asyncpg.Connection, grief: Group, replier: Member, make_draft: MakeDraft
) -> None:
    session = await sessions.create_session(db, replier)
    await make_draft(replier, grief)
    await preferences.save_preferences(db, replier.id, Preferences(text_size="large"))
    await groups.set_display_name(db, grief.id, replier.id, "nightowl")
    await moderators.appoint(db, grief.id, replier.id, None)
    await _delete(db, replier, remove_posts=False)
    assert await sessions.get_session_member(db, session.token) is None
    assert await members.get_member(db, replier.id) is None
    assert await db.fetchval("SELECT password_hash FROM members WHERE id = $1", replier.id) == "!"
    left = await db.fetchrow(
        "SELECT (SELECT count(*) FROM drafts WHERE author_id = $1) AS drafts,"
        " (SELECT count(*) FROM reader_preferences WHERE member_id = $1) AS preferences,"
        " (SELECT count(*) FROM group_members WHERE member_id = $1) AS memberships,"
        " (SELECT count(*) FROM group_moderators WHERE member_id = $1) AS moderators",
        replier.id,
    )
    assert left is not None
    assert dict(left) == {"drafts": 0, "preferences": 0, "memberships": 0, "moderators": 0}


async def test_delete_account_keeps_other_members_data(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member, make_draft: MakeDraft
) -> None:
    session = await sessions.create_session(db, starter)
    await make_draft(starter, grief)
    await _delete(db, replier, remove_posts=True)
    assert await sessions.get_session_member(db, session.token) == starter
    assert await db.fetchval("SELECT count(*) FROM drafts WHERE author_id = $1", starter.id) == 1
    assert await groups.is_active_member(db, grief.id, starter.id)


async def test_delete_account_forgets_their_inbox_live_events_only(
    db: asyncpg.Connection, starter: Member, replier: Member
) -> None:
    for member in (starter, replier):
        await live_events.add(db, "inbox", member.id, {"item": 0})
    await _delete(db, replier, remove_posts=False)
    assert [r["key"] for r in await db.fetch("SELECT key FROM live_events")] == [starter.id]


async def test_delete_account_without_removing_posts_keeps_their_text(
    db: asyncpg.Connection, grief: Group, replier: Member
) -> None:
    post = await make_topic(db, grief, replier, "Still here", body="still readable")
    await _delete(db, replier, remove_posts=False)
    row = await db.fetchrow("SELECT state, body_source FROM posts WHERE id = $1", post.post_id)
    assert row is not None
    assert tuple(row) == ("published", "still readable")
    assert await db.fetchval("SELECT title FROM topics WHERE id = $1", post.topic_id) == (
        "Still here"
    )


async def test_delete_account_removing_posts_blanks_them_and_their_earlier_texts(
    db: asyncpg.Connection, grief: Group, starter: Member, replier: Member
) -> None:
    topic = await make_topic(db, grief, replier, "About my mother", body="original", warning="cw")
    await own_posts.apply_edit(
        db,
        topic.post_id,
        replier.id,
        body_source="edited",
        body_html="<p>edited</p>",
        content_warning="cw",
    )
    others = await make_reply(db, topic.topic_id, starter, body="a kind reply")
    await _delete(db, replier, remove_posts=True)
    row = await db.fetchrow(
        "SELECT state, body_source, body_html, content_warning FROM posts WHERE id = $1",
        topic.post_id,
    )
    assert row is not None
    assert tuple(row) == ("deleted", "-", "", "")
    assert await own_posts.list_versions(db, topic.post_id) == []
    assert await db.fetchval("SELECT title FROM topics WHERE id = $1", topic.topic_id) == (
        own_data.REMOVED_TITLE
    )
    kept = await db.fetchrow("SELECT state, body_source FROM posts WHERE id = $1", others.post_id)
    assert kept is not None
    assert tuple(kept) == ("published", "a kind reply")


async def test_delete_account_removing_posts_rejects_a_topic_still_held(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member, publish: Publish
) -> None:
    group = await make_group(moderation="all", members_=[member])
    held = await publish(member, group, title="Waiting topic")
    assert held.held
    await _delete(db, member, remove_posts=True)
    assert await db.fetchval("SELECT state FROM topics WHERE id = $1", held.topic_id) == (
        "rejected"
    )


async def test_release_frees_only_pseudonyms_deleted_over_thirty_days_ago(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    old, recent, live = (
        await make_member("oldname"),
        await make_member("recent"),
        await make_member("alive"),
    )
    await db.execute(
        "UPDATE members SET deleted_at = now() - make_interval(days => $2) WHERE id = $1",
        old.id,
        own_data.RELEASE_AFTER_DAYS + 1,
    )
    await db.execute(
        "UPDATE members SET deleted_at = now() - make_interval(days => $2) WHERE id = $1",
        recent.id,
        own_data.RELEASE_AFTER_DAYS - 1,
    )
    assert await own_data.release_old_pseudonyms(db) == 1
    names = {r["id"]: r["pseudonym"] for r in await db.fetch("SELECT id, pseudonym FROM members")}
    assert names[old.id].startswith(own_data.TOMBSTONE_PREFIX)
    assert names[old.id] != own_data.TOMBSTONE_PREFIX
    assert (names[recent.id], names[live.id]) == ("recent", "alive")


async def test_release_does_not_rename_a_tombstone_again(
    db: asyncpg.Connection, member: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() - interval '60 days'")
    assert await own_data.release_old_pseudonyms(db) == 1
    tombstone = await db.fetchval("SELECT pseudonym FROM members")
    assert await own_data.release_old_pseudonyms(db) == 0
    assert await db.fetchval("SELECT pseudonym FROM members") == tombstone


async def test_a_released_pseudonym_can_be_registered_again(
    db: asyncpg.Connection, make_member: MakeMember, member: Member
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() - interval '60 days'")
    await own_data.release_old_pseudonyms(db)
    newcomer = await make_member("river")
    assert newcomer.id != member.id


#: Every column naming a member, as the export covers it: the key it is under, or why it is left
#: out. A new table that keeps something about members fails here until it is placed.
EXPORTED_OR_WHY: dict[tuple[str, str], str] = {
    ("drafts", "author_id"): "drafts",
    ("published_drafts", "author_id"): "which post a draft became, for a week: the posts show it",
    ("group_members", "member_id"): "groups",
    ("posts", "author_id"): "posts",
    ("topics", "author_id"): "posts",
    ("reader_preferences", "member_id"): "reading_preferences",
    ("check_in_messages", "member_id"): "check_ins",
    ("sessions", "member_id"): "sessions",
    ("recovery_codes", "member_id"): "recovery_codes",
    ("two_factor", "member_id"): "two_factor",
    ("password_resets", "member_id"): "password_reset_links",
    ("notifications", "member_id"): "notifications",
    ("inbox_items", "member_id"): "inbox",
    ("topic_follows", "member_id"): "followed_topics",
    ("post_responses", "member_id"): "responses",
    ("member_mutes", "member_id"): "muted_members",
    ("reports", "reporter_id"): "reports_made",
    ("sanctions", "member_id"): "sanctions",
    ("decisions", "member_id"): "decisions",
    ("group_moderators", "member_id"): "moderator_of",
    ("topic_anon_labels", "member_id"): "anonymous_labels",
    # Left out, and why:
    ("member_mutes", "muted_id"): "another member's mute of this one is that member's data",
    ("sign_in_challenges", "member_id"): "a half-finished sign-in, gone within ten minutes",
    (
        "audit_log",
        "subject_id",
    ): "the moderators' record; what the member was told is in notifications",
    ("audit_log", "actor_id"): "staff's actions are the forum's moderation record",
    ("check_in_messages", "moderator_id"): "staff's actions are the forum's moderation record",
    ("crisis_phrases", "created_by"): "staff's actions are the forum's moderation record",
    ("decisions", "decided_by"): "staff's actions are the forum's moderation record",
    ("decisions", "confirmed_by"): "staff's actions are the forum's moderation record",
    ("appeals", "decided_by"): "staff's actions are the forum's moderation record",
    ("group_moderators", "appointed_by"): "staff's actions are the forum's moderation record",
    ("password_resets", "issued_by"): "staff's actions are the forum's moderation record",
    ("queue_items", "claimed_by"): "staff's actions are the forum's moderation record",
    ("queue_items", "closed_by"): "staff's actions are the forum's moderation record",
    ("queue_items", "verdict_by"): "staff's actions are the forum's moderation record",
    ("reveal_requests", "decided_by"): "staff's actions are the forum's moderation record",
    ("reveal_requests", "requested_by"): "staff's actions are the forum's moderation record",
    ("sanctions", "created_by"): "staff's actions are the forum's moderation record",
    ("sanctions", "lifted_by"): "staff's actions are the forum's moderation record",
    ("site_pages", "updated_by"): "staff's actions are the forum's moderation record",
}


async def test_every_column_naming_a_member_is_exported_or_left_out_for_a_reason(
    db: asyncpg.Connection, member: Member
) -> None:
    columns = {
        (r["tbl"], r["col"])
        for r in await db.fetch(
            "SELECT cl.relname AS tbl, a.attname AS col FROM pg_constraint c"
            " JOIN pg_class cl ON cl.oid = c.conrelid"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
            " WHERE c.contype = 'f' AND c.confrelid = 'members'::regclass"
        )
    }
    assert columns == set(EXPORTED_OR_WHY)
    data = await own_data.export(db, member.id)
    for where in EXPORTED_OR_WHY.values():
        assert where in data or " " in where, where


async def test_the_export_holds_what_is_kept_about_the_member_but_no_secret(
    db: asyncpg.Connection, member: Member
) -> None:
    session = await sessions.create_session(db, member)
    await enrol_two_factor(db, member.id)
    await db.execute(
        "INSERT INTO recovery_codes (member_id, code_hash) VALUES ($1, 'hash-of-a-code')", member.id
    )
    await db.execute(
        "INSERT INTO notifications (member_id, kind, message) VALUES ($1, 'password', 'Changed.')",
        member.id,
    )
    data = await own_data.export(db, member.id)
    assert len(data["sessions"]) == 1
    assert data["two_factor"][0]["confirmed_at"]
    assert data["recovery_codes"] == [
        {
            "purpose": "password",
            "created_at": data["recovery_codes"][0]["created_at"],
            "used_at": None,
        }
    ]
    assert data["notifications"][0]["message"] == "Changed."
    flat = json.dumps(data)
    for secret in (session.token, TOTP_SECRET, "hash-of-a-code"):
        assert secret not in flat
