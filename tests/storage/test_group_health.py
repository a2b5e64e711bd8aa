"""forum.storage.group_health against a real database: posts per week (empty weeks too), topics
still waiting for a first reply, the medians for a first reply and a first claim, the queue
counts, every moderator's load, and the admin overview of every group."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg
import pytest

from forum.storage import audit, group_health, groups, posts, queue_items
from forum.storage.group_health import Week
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import Appoint, MakeGroup, MakeMember, make_reply, make_topic

DAY = timedelta(days=1)


async def _today(db: asyncpg.Connection) -> date:
    today: date = await db.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    return today


async def _monday(db: asyncpg.Connection) -> date:
    today = await _today(db)
    return today - timedelta(days=today.weekday())


async def _daily(db: asyncpg.Connection, group: Group, day: date, count: int) -> None:
    """As if `count` posts had become visible in the group on that day."""
    await db.execute(
        "INSERT INTO group_daily_posts (group_id, day, posts) VALUES ($1, $2, $3)",
        group.id,
        day,
        count,
    )


async def _topic_aged(
    db: asyncpg.Connection, group: Group, author: Member, title: str, age: timedelta
) -> int:
    """A published topic started `age` ago: its id."""
    new = await make_topic(db, group, author, title)
    await db.execute(
        "UPDATE topics SET created_at = now() - $2::interval WHERE id = $1", new.topic_id, age
    )
    return new.topic_id


async def _reply_after(
    db: asyncpg.Connection, topic_id: int, author: Member, after: timedelta, state: str = ""
) -> int:
    """A reply posted `after` the topic was started (in `state`, if given): its post id."""
    reply = await make_reply(db, topic_id, author)
    await db.execute(
        "UPDATE posts SET created_at = (SELECT created_at FROM topics WHERE id = $2) + $3::interval,"
        " state = coalesce(nullif($4, ''), state) WHERE id = $1",
        reply.post_id,
        topic_id,
        after,
        state,
    )
    return reply.post_id


async def _item(db: asyncpg.Connection, group: Group, author: Member) -> int:
    """An open report item on a new topic in the group: its id."""
    post = await make_topic(db, group, author)
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=post.post_id, kind="report", priority=30
    )
    return item_id


async def _claim(db: asyncpg.Connection, group: Group, item_id: int, moderator: Member) -> datetime:
    """Claim the item as the moderation code does (queue row and audit entry): when."""
    assert await queue_items.claim(db, item_id, moderator.id)
    entry_id = await audit.record(
        db, actor_id=moderator.id, action="claim", group_id=group.id, item_id=item_id
    )
    at: datetime = await db.fetchval("SELECT at FROM audit_log WHERE id = $1", entry_id)
    return at


async def _opened(db: asyncpg.Connection, item_id: int, at: datetime | timedelta) -> None:
    """Backdate the item: opened at `at`, or that long ago."""
    value = at if isinstance(at, datetime) else None
    ago = at if isinstance(at, timedelta) else None
    await db.execute(
        "UPDATE queue_items SET created_at = coalesce($2, now() - $3::interval) WHERE id = $1",
        item_id,
        value,
        ago,
    )


# -- weekly_posts ----------------------------------------------------------------------------


async def test_a_quiet_group_has_eight_empty_weeks_from_this_monday_back(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group()
    monday = await _monday(db)
    assert await group_health.weekly_posts(db, group.id) == [
        Week(monday - timedelta(weeks=n), 0) for n in range(8)
    ]


async def test_posts_count_in_their_monday_to_sunday_week_of_the_window_only(
    db: asyncpg.Connection, make_group: MakeGroup, author: Member
) -> None:
    group, other = await make_group(), await make_group()
    new = await make_topic(db, group, author)  # counted today by the trigger
    await make_reply(db, new.topic_id, author)
    monday = await _monday(db)
    await _daily(db, group, monday - 7 * DAY, 2)  # last week's Monday
    await _daily(db, group, monday - DAY, 4)  # last week's Sunday
    await _daily(db, group, monday - 49 * DAY, 5)  # the oldest week shown
    await _daily(db, group, monday - 50 * DAY, 9)  # the Sunday before it: outside
    await _daily(db, other, monday - 7 * DAY, 100)
    weeks = await group_health.weekly_posts(db, group.id)
    assert [w.posts for w in weeks] == [2, 6, 0, 0, 0, 0, 0, 5]
    assert weeks[0].starts == monday


async def test_weekly_posts_covers_as_many_weeks_as_asked(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group()
    monday = await _monday(db)
    weeks = await group_health.weekly_posts(db, group.id, weeks=3)
    assert [w.starts for w in weeks] == [monday, monday - 7 * DAY, monday - 14 * DAY]


# -- list_unanswered -------------------------------------------------------------------------


@pytest.fixture
async def waiting(
    db: asyncpg.Connection, make_group: MakeGroup, author: Member
) -> tuple[Group, Group, dict[str, int]]:
    """Topics of every kind in one group, one waiting in another: (group, other, ids by title)."""
    group = await make_group(name="Grief")
    other = await make_group(name="Loss")
    ids = {
        title: await _topic_aged(db, group, author, title, age)
        for title, age in [
            ("fresh", timedelta(hours=2)),
            ("a day", timedelta(hours=30)),
            ("a week", timedelta(days=7)),
            ("too old", timedelta(days=100)),
            ("answered", timedelta(days=3)),
            ("removed", timedelta(days=3)),
            ("held", timedelta(days=3)),
        ]
    }
    await make_reply(db, ids["answered"], author)
    await db.execute("UPDATE topics SET state = 'removed' WHERE id = $1", ids["removed"])
    await db.execute("UPDATE topics SET state = 'held' WHERE id = $1", ids["held"])
    ids["elsewhere"] = await _topic_aged(db, other, author, "elsewhere", timedelta(days=2))
    archived = await make_group(name="Archived")
    await _topic_aged(db, archived, author, "archived", timedelta(days=2))
    await groups.set_archived(db, archived.id, True)
    return group, other, ids


def _titles(unanswered: list[group_health.Unanswered]) -> list[str]:
    return [u.title for u in unanswered]


async def test_unanswered_are_published_unreplied_topics_a_day_to_90_days_old_newest_first(
    db: asyncpg.Connection, waiting: tuple[Group, Group, dict[str, int]]
) -> None:
    group, _, ids = waiting
    unanswered = await group_health.list_unanswered(db, [group.id])
    assert _titles(unanswered) == ["a day", "a week"]
    first = unanswered[0]
    assert (first.topic_id, first.group_name) == (ids["a day"], "Grief")
    assert unanswered[0].created_at > unanswered[1].created_at


async def test_unanswered_of_every_group_but_archived_ones_or_of_none(
    db: asyncpg.Connection, waiting: tuple[Group, Group, dict[str, int]]
) -> None:
    _, other, _ = waiting
    everywhere = await group_health.list_unanswered(db, None)
    assert _titles(everywhere) == ["a day", "elsewhere", "a week"]
    assert [u.group_name for u in everywhere] == ["Grief", "Loss", "Grief"]
    assert _titles(await group_health.list_unanswered(db, [other.id])) == ["elsewhere"]
    assert await group_health.list_unanswered(db, []) == []
    assert _titles(await group_health.list_unanswered(db, None, limit=1)) == ["a day"]


# -- get_health ------------------------------------------------------------------------------


async def test_a_new_group_is_healthy_and_empty(
    db: asyncpg.Connection, make_group: MakeGroup
) -> None:
    group = await make_group()
    assert await group_health.get_health(db, group.id) == group_health.Health(
        weeks=await group_health.weekly_posts(db, group.id),
        unanswered=[],
        median_first_reply_seconds=None,
        open_items=0,
        unclaimed_items=0,
        median_claim_seconds=None,
    )


async def test_health_gathers_the_groups_weeks_and_unanswered_topics(
    db: asyncpg.Connection, waiting: tuple[Group, Group, dict[str, int]]
) -> None:
    group, _, _ = waiting
    health = await group_health.get_health(db, group.id)
    assert health.weeks == await group_health.weekly_posts(db, group.id)
    assert sum(w.posts for w in health.weeks) == 8  # 7 topics and a reply, all today
    assert health.unanswered == await group_health.list_unanswered(db, [group.id])


async def test_the_median_first_reply_counts_the_first_published_reply_of_recent_topics(
    db: asyncpg.Connection, make_group: MakeGroup, author: Member, keeper: Member
) -> None:
    group, other = await make_group(), await make_group()
    recent = timedelta(days=5)
    quick = await _topic_aged(db, group, author, "quick", recent)
    await _reply_after(db, quick, keeper, timedelta(hours=1))
    middle = await _topic_aged(db, group, author, "middle", recent)
    await _reply_after(db, middle, keeper, timedelta(minutes=30), state="removed")
    await _reply_after(db, middle, keeper, timedelta(hours=3))
    await _reply_after(db, middle, keeper, timedelta(hours=4))  # not the first
    slow = await _topic_aged(db, group, author, "slow", recent)
    await _reply_after(db, slow, keeper, timedelta(hours=10))
    only_held = await _topic_aged(db, group, author, "only held", recent)
    await _reply_after(db, only_held, keeper, timedelta(seconds=1), state="held")
    old = await _topic_aged(db, group, author, "old", timedelta(days=40))
    await _reply_after(db, old, keeper, timedelta(seconds=1))
    await _topic_aged(db, group, author, "unanswered", recent)
    elsewhere = await _topic_aged(db, other, author, "elsewhere", recent)
    await _reply_after(db, elsewhere, keeper, timedelta(seconds=1))
    health = await group_health.get_health(db, group.id)
    assert health.median_first_reply_seconds == 3 * 3600.0


async def test_queue_counts_and_the_median_time_to_a_first_claim(
    db: asyncpg.Connection, make_group: MakeGroup, author: Member, keeper: Member
) -> None:
    group, other = await make_group(), await make_group()
    await _item(db, group, author)  # never claimed: open and unclaimed, in no median
    expired = await _item(db, group, author)
    held_now = await _item(db, group, author)
    open_old = await _item(db, group, author)
    closed_recent = await _item(db, group, author)
    closed_old = await _item(db, group, author)
    await _item(db, other, author)
    for item_id in (expired, held_now, closed_recent, closed_old):
        assert await queue_items.claim(db, item_id, keeper.id)
    for item_id in (closed_recent, closed_old):
        assert await queue_items.close(db, item_id, keeper.id, "resolved")
    await db.execute(
        "UPDATE queue_items SET claimed_until = now() - interval '1 minute' WHERE id = $1", expired
    )
    await _opened(db, open_old, timedelta(days=40))
    await _opened(db, closed_old, timedelta(days=40))
    for item_id, seconds in [(expired, 60), (held_now, 120), (closed_recent, 600), (closed_old, 5)]:
        await db.execute(
            "UPDATE queue_items SET first_claimed_at = created_at + $2::interval WHERE id = $1",
            item_id,
            timedelta(seconds=seconds),
        )
    health = await group_health.get_health(db, group.id)
    assert (health.open_items, health.unclaimed_items) == (4, 3)  # unclaimed, expired, open_old
    assert health.median_claim_seconds == 120.0  # of 60, 120 and 600: not the old closed item


# -- list_moderator_load ---------------------------------------------------------------------


@pytest.fixture
async def alpha_and_beta(
    db: asyncpg.Connection, make_group: MakeGroup, make_member: MakeMember, appoint: Appoint
) -> tuple[Group, Group, dict[str, Member]]:
    """Beta moderated by "keeper"; Alpha by "zed" and "Amy"; a third group with none."""
    beta = await make_group(name="Beta")
    alpha = await make_group(name="Alpha")
    await make_group(name="Unmoderated")
    cast = {name: await make_member(name) for name in ("keeper", "zed", "Amy", "author")}
    await appoint(beta, cast["keeper"])
    await appoint(alpha, cast["zed"])
    await appoint(alpha, cast["Amy"])
    return alpha, beta, cast


def _load_rows(load: list[group_health.ModeratorLoad]) -> list[tuple[object, ...]]:
    return [
        (
            m.group_name,
            m.pseudonym,
            m.open_claims,
            m.claimed_30d,
            m.median_claim_seconds,
            m.group_open_items,
            m.group_moderators,
        )
        for m in load
    ]


async def test_every_moderator_by_group_name_then_pseudonym_with_nothing_done_yet(
    db: asyncpg.Connection, alpha_and_beta: tuple[Group, Group, dict[str, Member]]
) -> None:
    alpha, beta, cast = alpha_and_beta
    load = await group_health.list_moderator_load(db)
    assert _load_rows(load) == [
        ("Alpha", "Amy", 0, 0, None, 0, 2),
        ("Alpha", "zed", 0, 0, None, 0, 2),
        ("Beta", "keeper", 0, 0, None, 0, 1),
    ]
    amy = load[0]
    assert (amy.group_id, amy.group_slug, amy.member_id) == (alpha.id, alpha.slug, cast["Amy"].id)
    assert amy.appointed_at is not None
    only_beta = await group_health.list_moderator_load(db, beta.id)
    assert _load_rows(only_beta) == [("Beta", "keeper", 0, 0, None, 0, 1)]


async def test_a_moderators_load_counts_what_they_hold_and_what_they_claimed_first(
    db: asyncpg.Connection, alpha_and_beta: tuple[Group, Group, dict[str, Member]]
) -> None:
    alpha, beta, cast = alpha_and_beta
    amy, zed, keeper, author = cast["Amy"], cast["zed"], cast["keeper"], cast["author"]
    shared, zeds, _waiting, closed = [await _item(db, alpha, author) for _ in range(4)]
    await _opened(db, shared, await _claim(db, alpha, shared, amy) - timedelta(seconds=60))
    await _opened(db, closed, await _claim(db, alpha, closed, amy) - timedelta(seconds=180))
    assert await queue_items.close(db, closed, amy.id, "resolved")
    await _opened(db, zeds, await _claim(db, alpha, zeds, zed) - timedelta(seconds=30))
    # zed claims the shared item too, later: Amy was first, so it is not zed's.
    await audit.record(db, actor_id=zed.id, action="claim", group_id=alpha.id, item_id=shared)
    # keeper's only claim is older than the window.
    beta_item = await _item(db, beta, author)
    await db.execute(
        "INSERT INTO audit_log (at, actor_id, action, group_id, item_id)"
        " VALUES (now() - interval '40 days', $1, 'claim', $2, $3)",
        keeper.id,
        beta.id,
        beta_item,
    )
    assert _load_rows(await group_health.list_moderator_load(db)) == [
        ("Alpha", "Amy", 1, 2, 120.0, 3, 2),
        ("Alpha", "zed", 1, 1, 30.0, 3, 2),
        ("Beta", "keeper", 0, 0, None, 1, 1),
    ]


async def test_an_expired_claim_is_no_longer_held(
    db: asyncpg.Connection, alpha_and_beta: tuple[Group, Group, dict[str, Member]]
) -> None:
    alpha, _, cast = alpha_and_beta
    item_id = await _item(db, alpha, cast["author"])
    await _claim(db, alpha, item_id, cast["zed"])
    await db.execute(
        "UPDATE queue_items SET claimed_until = now() - interval '1 second' WHERE id = $1", item_id
    )
    (zed,) = [m for m in await group_health.list_moderator_load(db) if m.pseudonym == "zed"]
    assert (zed.open_claims, zed.claimed_30d, zed.group_open_items) == (0, 1, 1)


async def test_a_later_claim_of_an_item_first_claimed_long_ago_is_not_a_first_claim(
    db: asyncpg.Connection, alpha_and_beta: tuple[Group, Group, dict[str, Member]]
) -> None:
    alpha, _, cast = alpha_and_beta
    item_id = await _item(db, alpha, cast["author"])
    await _opened(db, item_id, timedelta(days=41))
    await db.execute(
        "INSERT INTO audit_log (at, actor_id, action, group_id, item_id)"
        " VALUES (now() - interval '40 days', $1, 'claim', $2, $3)",
        cast["Amy"].id,
        alpha.id,
        item_id,
    )
    await _claim(db, alpha, item_id, cast["zed"])
    (zed,) = [m for m in await group_health.list_moderator_load(db) if m.pseudonym == "zed"]
    assert (zed.claimed_30d, zed.median_claim_seconds) == (0, None)


# -- list_group_summaries --------------------------------------------------------------------


async def test_no_groups_no_summaries(db: asyncpg.Connection) -> None:
    assert await group_health.list_group_summaries(db) == []


async def test_summaries_list_live_groups_by_name_then_archived_ones_with_their_counts(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_member: MakeMember,
    appoint: Appoint,
    author: Member,
    keeper: Member,
) -> None:
    beta = await make_group("beta", name="Beta")
    archived = await make_group("archived", name="Archived")
    alpha = await make_group(
        "alpha", name="Alpha", visibility="members", membership="approval", members_=[author]
    )
    second_beta = await make_group("beta-2", name="Beta")
    await groups.set_archived(db, archived.id, True)
    await appoint(alpha, keeper)
    await appoint(alpha, await make_member("warden"))
    await groups.add_member(db, alpha.id, (await make_member("active")).id)
    await _item(db, alpha, keeper)
    assert await queue_items.close(db, await _item(db, alpha, keeper), keeper.id, "resolved")
    today = await _today(db)
    await _daily(db, alpha, today - 6 * DAY, 2)  # within the last seven days
    await _daily(db, alpha, today - 7 * DAY, 5)  # a day too old
    await posts.hide(db, (await make_topic(db, beta, author)).post_id)  # counted when posted

    summaries = await group_health.list_group_summaries(db)
    assert [(s.id, s.slug, s.archived_at is not None) for s in summaries] == [
        (alpha.id, "alpha", False),
        (beta.id, "beta", False),
        (second_beta.id, "beta-2", False),
        (archived.id, "archived", True),
    ]
    first = summaries[0]
    assert (first.name, first.visibility, first.membership) == ("Alpha", "members", "approval")
    # Alpha: two moderators, one open item, the author's request pending, 2 + 2 posts this week
    # (the two topics of its items, posted today, and two six days ago).
    assert [
        (s.moderators, s.open_items, s.pending_requests, s.posts_this_week) for s in summaries
    ] == [(2, 1, 1, 4), (0, 0, 0, 1), (0, 0, 0, 0), (0, 0, 0, 0)]
