"""forum.storage.crisis against a real database: the resources and phrases a group adds to the
forum-wide ones, what a scan records, re-escalation of unclaimed urgent items (once per step,
on the caller's clock), the webhook outbox's claim-and-retry cycle, and the scanner's sample."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.storage import crisis, groups
from forum.storage.crisis import Delivery, Overdue, Phrase
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import Appoint, MakeGroup, MakeMember, make_reply, make_topic

BASE = datetime(2024, 1, 1, tzinfo=UTC)

#: The forum-wide lines the migration seeds (kept across truncation), in the order shown.
SEEDED_FIRST = "Emergency services: if you or someone else is in danger now"


def _resource(name: str, region: str = "") -> dict[str, str]:
    return {
        "region": region,
        "name": name,
        "phone": "0800 000",
        "text_number": "",
        "url": "https://example.org",
        "hours": "24/7",
    }


async def _crisis_item(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    *,
    minutes: int = 0,
    level: str = "urgent",
    kind: str = "crisis",
) -> int:
    """An open queue item on a new post, created `minutes` after BASE."""
    post = await make_topic(db, group, author)
    return int(
        await db.fetchval(
            "INSERT INTO queue_items (group_id, post_id, kind, priority, crisis_level, created_at)"
            " VALUES ($1, $2, $3, 0, $4, $5) RETURNING id",
            group.id,
            post.post_id,
            kind,
            level,
            BASE + timedelta(minutes=minutes),
        )
    )


@pytest.fixture
async def group(make_group: MakeGroup) -> Group:
    return await make_group()


@pytest.fixture
async def elsewhere(make_group: MakeGroup) -> Group:
    """Another group, whose lines, phrases and posts must never show in `group`'s."""
    return await make_group()


@pytest.fixture
async def item_id(db: asyncpg.Connection, group: Group, member: Member) -> int:
    """An open, unclaimed urgent crisis item in `group`, created at BASE."""
    return await _crisis_item(db, group, member)


async def _delivery(
    db: asyncpg.Connection, group: Group, item_id: int, due: datetime, url: str = "https://x.org"
) -> int:
    """A webhook delivery for the item, due at `due`."""
    await crisis.enqueue_webhook(db, group.id, item_id, url, {"item": item_id})
    return int(
        await db.fetchval(
            "UPDATE webhook_deliveries SET next_attempt_at = $2"
            " WHERE id = (SELECT max(id) FROM webhook_deliveries WHERE item_id = $1) RETURNING id",
            item_id,
            due,
        )
    )


async def test_resources_list_the_groups_own_first_each_list_everyone_before_regions(
    db: asyncpg.Connection, group: Group, elsewhere: Group
) -> None:
    await crisis.add_resource(db, group.id, _resource("Local line", region="France"))
    await crisis.add_resource(db, group.id, _resource("Group line"))
    await crisis.add_resource(db, group.id, _resource("Second group line"))
    await crisis.add_resource(db, elsewhere.id, _resource("Not ours"))
    names = [r.name for r in await crisis.list_resources(db, group.id)]
    assert names[:4] == ["Group line", "Second group line", "Local line", SEEDED_FIRST]
    assert "Not ours" not in names
    seeded = await db.fetch(
        "SELECT name FROM crisis_resources WHERE group_id IS NULL"
        " ORDER BY region <> '', position, id"
    )
    assert names[3:] == [r["name"] for r in seeded]
    assert len(seeded) == 10


async def test_list_own_resources_gives_only_the_groups_lines_in_the_order_added(
    db: asyncpg.Connection, group: Group, elsewhere: Group
) -> None:
    await crisis.add_resource(db, group.id, _resource("Local line", region="France"))
    await crisis.add_resource(db, group.id, _resource("Group line"))
    await crisis.add_resource(db, elsewhere.id, _resource("Not ours"))
    own = await crisis.list_own_resources(db, group.id)
    assert [(r.name, r.region, r.phone, r.url, r.hours) for r in own] == [
        ("Local line", "France", "0800 000", "https://example.org", "24/7"),
        ("Group line", "", "0800 000", "https://example.org", "24/7"),
    ]
    assert await crisis.list_own_resources(db, 424242) == []


async def test_add_resource_numbers_positions_per_group(
    db: asyncpg.Connection, group: Group, elsewhere: Group
) -> None:
    for name in ("one", "two", "three"):
        await crisis.add_resource(db, group.id, _resource(name))
    await crisis.add_resource(db, elsewhere.id, _resource("first elsewhere"))
    rows = await db.fetch(
        "SELECT group_id, name, position FROM crisis_resources WHERE group_id IS NOT NULL"
        " ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (group.id, "one", 1),
        (group.id, "two", 2),
        (group.id, "three", 3),
        (elsewhere.id, "first elsewhere", 1),
    ]


async def test_remove_resource_removes_only_the_groups_own_line(
    db: asyncpg.Connection, group: Group, elsewhere: Group
) -> None:
    await crisis.add_resource(db, group.id, _resource("Ours"))
    await crisis.add_resource(db, elsewhere.id, _resource("Theirs"))
    ours = (await crisis.list_own_resources(db, group.id))[0]
    theirs = (await crisis.list_own_resources(db, elsewhere.id))[0]
    forum_wide = (await crisis.list_resources(db, group.id))[-1]
    assert not await crisis.remove_resource(db, group.id, theirs.id)
    assert not await crisis.remove_resource(db, group.id, forum_wide.id)
    assert await crisis.remove_resource(db, group.id, ours.id)
    assert not await crisis.remove_resource(db, group.id, ours.id)
    assert await crisis.list_own_resources(db, group.id) == []
    assert await crisis.list_own_resources(db, elsewhere.id) == [theirs]
    assert forum_wide in await crisis.list_resources(db, group.id)


async def test_a_phrase_is_added_once_per_group_in_any_letter_case(
    db: asyncpg.Connection, group: Group, elsewhere: Group, keeper: Member
) -> None:
    assert await crisis.add_phrase(db, group.id, "end it all", "urgent", keeper.id)
    assert not await crisis.add_phrase(db, group.id, "End It All", "concern", keeper.id)
    assert await crisis.add_phrase(db, elsewhere.id, "END IT ALL", "concern", keeper.id)
    assert await crisis.list_group_phrases(db, group.id) == [("end it all", "urgent")]
    by = await db.fetchval("SELECT created_by FROM crisis_phrases WHERE group_id = $1", group.id)
    assert by == keeper.id


async def test_phrases_are_listed_alphabetically_for_admins_and_in_order_added_for_the_scanner(
    db: asyncpg.Connection, group: Group, elsewhere: Group, keeper: Member
) -> None:
    await crisis.add_phrase(db, group.id, "no way out", "urgent", keeper.id)
    await crisis.add_phrase(db, group.id, "Hopeless", "concern", keeper.id)
    await crisis.add_phrase(db, group.id, "can't go on", "concern", keeper.id)
    await crisis.add_phrase(db, elsewhere.id, "elsewhere", "urgent", keeper.id)
    listed = await crisis.list_phrases(db, group.id)
    assert [(p.phrase, p.level) for p in listed] == [
        ("can't go on", "concern"),
        ("Hopeless", "concern"),
        ("no way out", "urgent"),
    ]
    assert await crisis.list_group_phrases(db, group.id) == [
        ("no way out", "urgent"),
        ("Hopeless", "concern"),
        ("can't go on", "concern"),
    ]


async def test_remove_phrase_removes_only_a_phrase_of_that_group(
    db: asyncpg.Connection, group: Group, elsewhere: Group, keeper: Member
) -> None:
    await crisis.add_phrase(db, group.id, "ours", "urgent", keeper.id)
    await crisis.add_phrase(db, elsewhere.id, "theirs", "urgent", keeper.id)
    [ours] = await crisis.list_phrases(db, group.id)
    [theirs] = await crisis.list_phrases(db, elsewhere.id)
    assert not await crisis.remove_phrase(db, group.id, theirs.id)
    assert await crisis.remove_phrase(db, group.id, ours.id)
    assert not await crisis.remove_phrase(db, group.id, ours.id)
    assert await crisis.list_phrases(db, group.id) == []
    assert await crisis.list_phrases(db, elsewhere.id) == [Phrase(theirs.id, "theirs", "urgent")]


async def test_record_scan_stores_the_level_and_the_matches_on_the_item(
    db: asyncpg.Connection, group: Group, member: Member
) -> None:
    item_id = await _crisis_item(db, group, member, level="concern")
    matches = [{"phrase": "no way out", "level": "urgent"}]
    await crisis.record_scan(db, item_id, "urgent", matches)
    row = await db.fetchrow(
        "SELECT crisis_level, crisis_matches::text AS matches FROM queue_items WHERE id = $1",
        item_id,
    )
    assert row is not None
    assert (row["crisis_level"], json.loads(row["matches"])) == ("urgent", matches)


async def test_an_urgent_item_is_overdue_for_moderators_once_the_groups_wait_is_over(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(
        "grief", name="Grief", crisis_reescalate_minutes=15, webhook_url="https://hook.example"
    )
    item_id = await _crisis_item(db, group, member)
    assert (
        await crisis.take_overdue(db, BASE + timedelta(minutes=14, seconds=59), "moderators") == []
    )
    now = BASE + timedelta(minutes=15)
    assert await crisis.take_overdue(db, now, "moderators") == [
        Overdue(item_id, group.id, "grief", "Grief", "https://hook.example", BASE)
    ]
    marks = await db.fetchrow(
        "SELECT reescalated_at, admins_alerted_at FROM queue_items WHERE id = $1", item_id
    )
    assert marks is not None
    assert tuple(marks) == (now, None)
    assert await crisis.take_overdue(db, now + timedelta(hours=1), "moderators") == []


async def test_only_open_unclaimed_urgent_crisis_items_are_reescalated(
    db: asyncpg.Connection, group: Group, member: Member
) -> None:
    due = await _crisis_item(db, group, member)
    await _crisis_item(db, group, member, level="concern")
    await _crisis_item(db, group, member, kind="report")
    claimed = await _crisis_item(db, group, member)
    await db.execute("UPDATE queue_items SET first_claimed_at = $2 WHERE id = $1", claimed, BASE)
    closed = await _crisis_item(db, group, member)
    await db.execute(
        "UPDATE queue_items SET state = 'closed', closed_at = $2 WHERE id = $1", closed, BASE
    )
    overdue = await crisis.take_overdue(db, BASE + timedelta(days=1), "moderators")
    assert [o.item_id for o in overdue] == [due]


async def test_admins_are_alerted_the_groups_wait_after_the_moderators_were(
    db: asyncpg.Connection, make_group: MakeGroup, member: Member
) -> None:
    group = await make_group(crisis_reescalate_minutes=10)
    item_id = await _crisis_item(db, group, member)
    assert await crisis.take_overdue(db, BASE + timedelta(days=1), "admins") == []
    moderators_at = BASE + timedelta(minutes=30)
    await crisis.take_overdue(db, moderators_at, "moderators")
    assert await crisis.take_overdue(db, moderators_at + timedelta(minutes=9), "admins") == []
    admins_at = moderators_at + timedelta(minutes=10)
    assert [o.item_id for o in await crisis.take_overdue(db, admins_at, "admins")] == [item_id]
    alerted = await db.fetchval("SELECT admins_alerted_at FROM queue_items WHERE id = $1", item_id)
    assert alerted == admins_at
    assert await crisis.take_overdue(db, admins_at + timedelta(hours=1), "admins") == []


async def test_list_moderator_ids_gives_the_groups_moderators_in_id_order(
    db: asyncpg.Connection,
    group: Group,
    elsewhere: Group,
    make_member: MakeMember,
    appoint: Appoint,
) -> None:
    first, second, other = await make_member(), await make_member(), await make_member()
    await appoint(group, second)
    await appoint(group, first)
    await appoint(elsewhere, other)
    assert await crisis.list_moderator_ids(db, group.id) == [first.id, second.id]
    assert await crisis.list_moderator_ids(db, 424242) == []


async def test_a_due_delivery_is_claimed_for_the_lease_and_then_due_again(
    db: asyncpg.Connection, group: Group, item_id: int
) -> None:
    await crisis.enqueue_webhook(
        db, group.id, item_id, "https://hook.example", {"level": "urgent", "item": item_id}
    )
    row = await db.fetchrow("SELECT id, attempts, delivered_at FROM webhook_deliveries")
    assert row is not None
    assert (row["attempts"], row["delivered_at"]) == (0, None)
    now = datetime.now(UTC) + timedelta(minutes=1)
    lease = timedelta(minutes=5)
    [taken] = await crisis.take_due_deliveries(db, now, lease=lease)
    assert (taken.id, taken.group_id, taken.url, taken.attempts) == (
        row["id"],
        group.id,
        "https://hook.example",
        0,
    )
    assert json.loads(taken.payload) == {"level": "urgent", "item": item_id}
    assert await db.fetchval("SELECT next_attempt_at FROM webhook_deliveries") == now + lease
    assert await crisis.take_due_deliveries(db, now + timedelta(minutes=4), lease=lease) == []
    again = await crisis.take_due_deliveries(db, now + lease, lease=lease)
    assert [d.id for d in again] == [taken.id]


async def test_due_deliveries_are_taken_soonest_first_up_to_the_limit(
    db: asyncpg.Connection, group: Group, item_id: int
) -> None:
    later = await _delivery(db, group, item_id, BASE + timedelta(minutes=2))
    sooner = await _delivery(db, group, item_id, BASE + timedelta(minutes=1))
    not_yet = await _delivery(db, group, item_id, BASE + timedelta(minutes=10))
    delivered = await _delivery(db, group, item_id, BASE)
    await crisis.mark_delivered(db, delivered, BASE)
    now = BASE + timedelta(minutes=5)
    first = await crisis.take_due_deliveries(db, now, lease=timedelta(minutes=1), limit=1)
    assert [d.id for d in first] == [sooner]
    rest = await crisis.take_due_deliveries(db, now, lease=timedelta(minutes=1))
    assert [d.id for d in rest] == [later]
    assert not_yet not in {d.id for d in first + rest}


async def test_mark_delivered_records_the_attempt_and_clears_the_error(
    db: asyncpg.Connection, group: Group, item_id: int
) -> None:
    delivery_id = await _delivery(db, group, item_id, BASE)
    await crisis.mark_failed(db, delivery_id, BASE + timedelta(minutes=1), "timeout")
    await crisis.mark_delivered(db, delivery_id, BASE + timedelta(minutes=2))
    row = await db.fetchrow(
        "SELECT attempts, delivered_at, last_error FROM webhook_deliveries WHERE id = $1",
        delivery_id,
    )
    assert row is not None
    assert tuple(row) == (2, BASE + timedelta(minutes=2), "")
    assert await crisis.take_due_deliveries(db, BASE + timedelta(days=1), lease=timedelta()) == []


async def test_mark_failed_schedules_the_retry_or_gives_up_and_keeps_the_row(
    db: asyncpg.Connection, group: Group, item_id: int
) -> None:
    retried = await _delivery(db, group, item_id, BASE)
    abandoned = await _delivery(db, group, item_id, BASE)
    retry_at = BASE + timedelta(minutes=3)
    await crisis.mark_failed(db, retried, retry_at, "HTTP 500 " + "x" * 600)
    await crisis.mark_failed(db, abandoned, None, "gone")
    rows = await db.fetch(
        "SELECT id, attempts, length(last_error) AS error_length,"
        " next_attempt_at = 'infinity' AS never FROM webhook_deliveries ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [(retried, 1, 500, False), (abandoned, 1, 4, True)]
    taken = await crisis.take_due_deliveries(db, BASE + timedelta(days=365), lease=timedelta())
    assert taken == [Delivery(retried, group.id, "https://x.org", json.dumps({"item": item_id}), 1)]
    assert await db.fetchval(
        "SELECT next_attempt_at FROM webhook_deliveries WHERE id = $1", retried
    ) == BASE + timedelta(days=365)


async def test_save_settings_changes_the_groups_crisis_settings(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group("grief")
    await crisis.save_settings(
        db, group.id, policy="publish", reescalate_minutes=45, webhook_url="https://hook.example"
    )
    saved = await groups.get_group_by_slug(db, "grief")
    assert saved is not None
    assert (saved.crisis_policy, saved.crisis_reescalate_minutes, saved.webhook_url) == (
        "publish",
        45,
        "https://hook.example",
    )
    await crisis.save_settings(db, group.id, policy="hold", reescalate_minutes=1, webhook_url=None)
    cleared = await groups.get_group_by_slug(db, "grief")
    assert cleared is not None
    assert (cleared.crisis_policy, cleared.crisis_reescalate_minutes, cleared.webhook_url) == (
        "hold",
        1,
        None,
    )


async def test_recent_post_texts_gives_the_newest_posts_with_the_title_on_opening_posts(
    db: asyncpg.Connection, group: Group, elsewhere: Group, member: Member
) -> None:
    topic = await make_topic(db, group, member, "Hard day", body="opening")
    first = await make_reply(db, topic.topic_id, member, body="first reply")
    removed = await make_reply(db, topic.topic_id, member, body="removed reply")
    deleted = await make_reply(db, topic.topic_id, member, body="deleted reply")
    await db.execute("UPDATE posts SET state = 'removed' WHERE id = $1", removed.post_id)
    await db.execute("UPDATE posts SET state = 'deleted' WHERE id = $1", deleted.post_id)
    await make_topic(db, elsewhere, member, "Other group", body="not here")
    assert await crisis.recent_post_texts(db, group.id, 10) == [
        (removed.post_id, "\nremoved reply"),
        (first.post_id, "\nfirst reply"),
        (topic.post_id, "Hard day\nopening"),
    ]
    assert await crisis.recent_post_texts(db, group.id, 1) == [(removed.post_id, "\nremoved reply")]
