"""Retention (issue 19): the policy removes exactly what it says and nothing else, on an
injected clock; admins set it within bounds, audited; `/privacy` shows the policy in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.members import retention
from forum.storage import appeals as appeal_store
from forum.storage import audit, drafts, rate_limits, sessions
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import (
    MakeDraft,
    MakeGroup,
    MakeMember,
    audit_count,
    make_topic,
    notification_kinds,
)

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def group(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", members_=[member])


#: The moments tests move back: (table, column) to the statement that sets it for one row.
_AGE = {
    ("drafts", "updated_at"): "UPDATE drafts SET updated_at = $2 WHERE id = $1",
    ("posts", "deleted_at"): "UPDATE posts SET deleted_at = $2 WHERE id = $1",
    ("sessions", "last_seen_at"): (
        "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = sha256($1::text::bytea)"
    ),
    ("sessions", "expires_at"): (
        "UPDATE sessions SET expires_at = $2 WHERE token_hash = sha256($1::text::bytea)"
    ),
}


async def _age(
    db: asyncpg.Connection, table: str, column: str, row_id: object, by: timedelta
) -> None:
    await db.execute(_AGE[table, column], row_id, NOW - by)


async def _draft_ids(db: asyncpg.Connection) -> set[int]:
    return {r["id"] for r in await db.fetch("SELECT id FROM drafts")}


async def test_an_untouched_draft_is_announced_a_week_before_and_then_deleted(
    db: asyncpg.Connection, make_draft: MakeDraft, member: Member, group: Group
) -> None:
    old = await make_draft(member, group, title="Old thoughts")
    late = await make_draft(member, group, title="Never warned")
    fresh = await make_draft(member, group, title="Today")
    await _age(db, "drafts", "updated_at", old.id, 175 * DAY)  # 180 days minus less than a week
    await _age(db, "drafts", "updated_at", late.id, 400 * DAY)
    done = await retention.enforce(db, NOW)
    assert done["drafts_warned"] == 2
    assert done["drafts"] == 0  # each gets its week, however old
    assert await notification_kinds(db, member) == ["draft_retention", "draft_retention"]
    messages = [r["message"] for r in await db.fetch("SELECT message FROM notifications")]
    assert any("“Old thoughts”" in m for m in messages)
    assert (await retention.enforce(db, NOW))["drafts_warned"] == 0  # told once
    assert (await retention.enforce(db, NOW + 6 * DAY))["drafts"] == 0
    assert (await retention.enforce(db, NOW + 8 * DAY))["drafts"] == 2
    assert await _draft_ids(db) == {fresh.id}


async def test_saving_a_warned_draft_keeps_it(
    db: asyncpg.Connection, make_draft: MakeDraft, member: Member, group: Group
) -> None:
    draft = await make_draft(member, group, title="Worth keeping")
    await _age(db, "drafts", "updated_at", draft.id, 179 * DAY)
    await retention.enforce(db, NOW)
    saved = await drafts.save_draft(
        db,
        draft.id,
        member.id,
        version=draft.version,
        title="Worth keeping",
        body="More.",
        anonymous=False,
        content_warning="",
    )
    assert saved is not None
    assert (await retention.enforce(db, NOW + 30 * DAY))["drafts"] == 0
    assert await _draft_ids(db) == {draft.id}


async def test_sessions_go_when_unused_or_expired_and_no_other(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    unused = await sessions.create_session(db, await make_member("away"))
    expired = await sessions.create_session(db, await make_member("gone"))
    active = await sessions.create_session(db, await make_member("here"))
    await _age(db, "sessions", "last_seen_at", unused.token, 31 * DAY)
    await _age(db, "sessions", "expires_at", expired.token, DAY)
    assert (await retention.enforce(db, NOW))["sessions"] == 2
    assert await sessions.get_session_member(db, active.token) is not None
    assert await db.fetchval("SELECT count(*) FROM sessions") == 1


async def test_rate_limit_counters_go_after_their_hours(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", b"old", timedelta(minutes=15))
    await rate_limits.hit(db, "login", b"new", timedelta(minutes=15))
    await db.execute(
        "UPDATE rate_limits SET window_start = $1 WHERE key = 'old'", NOW - 25 * timedelta(hours=1)
    )
    assert (await retention.enforce(db, NOW))["rate_limits"] == 1
    assert [bytes(r["key"]) for r in await db.fetch("SELECT key FROM rate_limits")] == [b"new"]


async def test_a_deleted_posts_text_goes_after_its_days_and_its_place_stays(
    db: asyncpg.Connection, member: Member, group: Group
) -> None:
    long_ago = await make_topic(db, group, member, "First", body="Words I took back")
    recently = await make_topic(db, group, member, "Second", body="Words I took back today")
    kept = await make_topic(db, group, member, "Third", body="Words I stand by")
    await db.execute(
        "INSERT INTO post_versions (post_id, body_source, body_html, content_warning, written_at)"
        " VALUES ($1, 'an earlier text', '<p>an earlier text</p>', '', now())",
        long_ago.post_id,
    )
    for post in (long_ago, recently):
        await db.execute(
            "UPDATE posts SET state = 'deleted', deleted_at = now() WHERE id = $1", post.post_id
        )
    await _age(db, "posts", "deleted_at", long_ago.post_id, 31 * DAY)
    assert (await retention.enforce(db, NOW))["tombstones"] == 1
    rows = {
        r["id"]: r for r in await db.fetch("SELECT id, state, body_source, body_html FROM posts")
    }
    assert (rows[long_ago.post_id]["state"], rows[long_ago.post_id]["body_source"]) == (
        "deleted",
        "-",
    )
    assert rows[long_ago.post_id]["body_html"] == ""
    assert rows[recently.post_id]["body_source"] == "Words I took back today"
    assert rows[kept.post_id]["body_source"] == "Words I stand by"
    assert await db.fetchval("SELECT count(*) FROM post_versions") == 0
    assert (await retention.enforce(db, NOW))["tombstones"] == 0


async def test_old_audit_entries_lose_their_details_and_keep_the_rest(
    db: asyncpg.Connection, make_member: MakeMember, member: Member
) -> None:
    keeper = await make_member("keeper")
    old = await audit.record(
        db, actor_id=keeper.id, action="warn", subject_id=member.id, reason="Rude"
    )
    new = await audit.record(
        db, actor_id=keeper.id, action="warn", subject_id=member.id, reason="Again"
    )
    async with db.transaction():  # moved back in time as retention itself may: nothing else can
        await db.execute("SET LOCAL session_replication_role = replica")
        await db.execute("UPDATE audit_log SET at = $2 WHERE id = $1", old, NOW - 731 * DAY)
    assert (await retention.enforce(db, NOW))["audit_details"] == 1
    rows = {r["id"]: r for r in await db.fetch("SELECT * FROM audit_log")}
    assert (
        rows[old]["action"],
        rows[old]["actor_id"],
        rows[old]["reason"],
        rows[old]["subject_id"],
    ) == ("warn", keeper.id, "", None)
    assert (rows[new]["reason"], rows[new]["subject_id"]) == ("Again", member.id)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):  # still, outside retention
        await db.execute("UPDATE audit_log SET reason = '', subject_id = NULL WHERE id = $1", new)


async def test_old_statements_of_reasons_go_with_their_appeals_unless_one_still_waits(
    db: asyncpg.Connection, make_member: MakeMember, member: Member
) -> None:
    keeper = await make_member("keeper")
    made = []
    for facts in ("old, decided", "old, appeal waiting", "recent"):
        made.append(
            await appeal_store.record(
                db,
                member_id=member.id,
                group_id=None,
                kind="warn",
                post_id=None,
                sanction_id=None,
                rule="Site rule 1: Be kind.",
                facts=facts,
                detected_by="moderator",
                decided_by=keeper.id,
            )
        )
    old, waiting, recent = made
    for decision in (old, waiting):
        await db.execute(
            "UPDATE decisions SET created_at = $2 WHERE id = $1", decision, NOW - 731 * DAY
        )
        await appeal_store.file(db, decision, "Please look again")
    await db.execute(
        "UPDATE appeals SET state = 'refused', decided_at = now(), outcome = 'No'"
        " WHERE decision_id = $1",
        old,
    )
    assert (await retention.enforce(db, NOW))["decisions"] == 1
    left = {r["id"] for r in await db.fetch("SELECT id FROM decisions")}
    assert left == {waiting, recent}
    assert await db.fetchval("SELECT count(*) FROM appeals") == 1


async def test_a_shorter_policy_removes_more_and_is_audited_and_shown(
    db: asyncpg.Connection, admin: ForumClient, client: ForumClient
) -> None:
    values = {
        "drafts_days": "30",
        "sessions_days": "7",
        "rate_limits_hours": "2",
        "tombstones_days": "0",
        "audit_details_days": "365",
    }
    resp = await admin.post_form("/admin/retention", values)
    assert resp.status == 303
    assert await audit_count(db, "retention") == 1
    policy = await retention.get(db)
    assert (policy.drafts_days, policy.tombstones_days) == (30, 0)
    page = await (await client.get("/privacy")).text()
    assert "30 days after you last saved one" in page
    assert "7 days" in page


@pytest.mark.parametrize(
    ("name", "value"), [("drafts_days", "7"), ("audit_details_days", "10"), ("sessions_days", "x")]
)
async def test_a_period_out_of_bounds_changes_nothing(
    db: asyncpg.Connection, admin: ForumClient, name: str, value: str
) -> None:
    values = {n: str(getattr(retention.defaults(), n)) for n in retention.BOUNDS} | {name: value}
    resp = await admin.post_form("/admin/retention", values)
    assert resp.status == 400
    assert value in await resp.text()  # what was typed is kept
    assert await retention.get(db) == retention.defaults()
    assert await audit_count(db, "retention") == 0


async def test_only_admins_set_retention(
    db: asyncpg.Connection, member_client: ForumClient
) -> None:
    assert (await member_client.get("/admin/retention")).status == 404
    assert (await member_client.post_form("/admin/retention", {"drafts_days": "30"})).status == 404
