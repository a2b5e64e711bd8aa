"""`forum seed-bench`: realistic benchmark data, bulk-loaded with COPY; refuses a real database.

A million posts must load in minutes, so nothing goes through the per-post code paths: the rows
come from the generators in `bench_rows` and are sent with binary COPY in batches, ids included,
so that foreign keys can be computed up front; sequences are moved past them afterwards. Triggers
(including the page-cache ones) are switched off for the load session when the role allows it, so
there is no trigger work per row. `seed` reads as the order of the steps, one per table family,
all in one transaction, after refusing a database that holds members who are not benchmark
members (unless forced). The steps share a frozen `bench_rows.Bench` and draw from its one seeded
rng in a fixed order, which is what keeps the data the same for the same plan.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from forum.ops import bench_rows
from forum.ops.bench_rows import PREFIX, SLUG_PREFIX, Bench, Ids, Plan, Row, Topics
from forum.storage.db import Conn

__all__ = ["PASSWORD", "PREFIX", "SLUG_PREFIX", "Plan", "SeedRefused", "check_database", "seed"]

PASSWORD = "bench-password"  # noqa: S105 - benchmark members only; documented in bench/README.md
BATCH = 50_000
#: Tables whose ids the load sends itself, so their sequences must be moved past them.
SEQUENCED = ("members", "groups", "topics", "posts", "queue_items")


class SeedRefused(Exception):
    """The database is not one to fill with benchmark data; the message says why."""


@dataclass(frozen=True, slots=True)
class _Load:
    """The load's connection, and how many rows each table got."""

    conn: Conn
    counts: dict[str, int] = field(default_factory=dict)

    async def copy(self, table: str, columns: list[str], rows: Iterable[Row]) -> int:
        batch: list[Row] = []
        written, size = 0, BATCH
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                await self.conn.copy_records_to_table(table, records=batch, columns=columns)
                written += len(batch)
                batch = []
        if batch:
            await self.conn.copy_records_to_table(table, records=batch, columns=columns)
            written += len(batch)
        self.counts[table] = self.counts.get(table, 0) + written
        return written


async def check_database(conn: Conn, *, force: bool) -> None:
    real = await conn.fetchval("SELECT count(*) FROM members WHERE pseudonym NOT LIKE 'bench\\_%'")
    if real and not force:
        raise SeedRefused(
            f"this database holds {real} real member{'s' if real != 1 else ''};"
            " seed-bench is for a benchmark database (use --force to add to it anyway)"
        )
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM groups WHERE slug LIKE 'bench-%')"):
        raise SeedRefused("this database already holds benchmark data: seed a fresh database")


async def seed(
    conn: Conn,
    plan: Plan,
    password_hash: str,
    *,
    force: bool = False,
    report: Callable[[str], None] = lambda _line: None,
    seed_value: int = 8,
) -> dict[str, int]:
    """Load the plan; returns counts of the rows written, and "seconds"."""
    await check_database(conn, force=force)
    rng = random.Random(seed_value)  # noqa: S311 - reproducible data, not secrets
    started = time.monotonic()
    load = _Load(conn)
    async with conn.transaction():
        await _triggers_off(conn, report)
        bench = Bench.start(plan, await _first_ids(conn), rng, datetime.now(UTC))
        await _members(load, bench, password_hash)
        await _groups_and_memberships(load, bench)
        report(f"seed-bench: {plan.members} members, {plan.groups} groups")
        topics = await _topics_and_posts(load, bench)
        posts_written = topics.next_post - bench.ids.post
        report(f"seed-bench: {len(topics.rows)} topics, {posts_written} posts")
        await _queue_and_reports(load, bench, topics)
        await load.copy("drafts", bench_rows.DRAFT_COLUMNS, bench_rows.draft_rows(bench, topics))
        await load.copy(
            "notifications",
            bench_rows.NOTIFICATION_COLUMNS,
            bench_rows.notification_rows(bench, posts_written),
        )
        await _move_sequences(conn)
    # As autovacuum would in a live database: statistics, and the visibility map that lets
    # index-only scans skip the heap.
    await conn.execute("VACUUM ANALYZE")
    return {**load.counts, "seconds": int(time.monotonic() - started)}


async def _triggers_off(conn: Conn, report: Callable[[str], None]) -> None:
    """No per-row trigger work (page-cache NOTIFY, foreign-key checks) for the load."""
    try:
        async with conn.transaction():  # a savepoint: a refusal must not end the load
            await conn.execute("SET LOCAL session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        report("seed-bench: cannot switch triggers off (not a superuser); loading anyway")


async def _next_id(conn: Conn, table: str) -> int:
    # Table names come from this module's constants only.
    return int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))  # noqa: S608


async def _first_ids(conn: Conn) -> Ids:
    """Past whatever a forced load finds; no trigger writes ids into these tables."""
    return Ids(
        member=await _next_id(conn, "members"),
        group=await _next_id(conn, "groups"),
        topic=await _next_id(conn, "topics"),
        post=await _next_id(conn, "posts"),
        queue_item=await _next_id(conn, "queue_items"),
    )


async def _members(load: _Load, bench: Bench, password_hash: str) -> None:
    await load.copy(
        "members", bench_rows.MEMBER_COLUMNS, bench_rows.member_rows(bench, password_hash)
    )


async def _groups_and_memberships(load: _Load, bench: Bench) -> None:
    """Every member belongs to every group; the moderators moderate the first."""
    await load.copy("groups", bench_rows.GROUP_COLUMNS, bench_rows.group_rows(bench))
    await load.copy(
        "group_members", bench_rows.GROUP_MEMBER_COLUMNS, bench_rows.group_member_rows(bench)
    )
    await load.copy(
        "group_moderators",
        bench_rows.GROUP_MODERATOR_COLUMNS,
        bench_rows.group_moderator_rows(bench),
    )


async def _topics_and_posts(load: _Load, bench: Bench) -> Topics:
    """The published posts, then their topics and anonymous labels; held posts come later."""
    lengths = bench_rows.topic_lengths(
        bench.rng, max(bench.plan.posts - bench_rows.HELD, bench_rows.BENCH_TOPIC_POSTS)
    )
    topics = Topics(next_post=bench.ids.post)
    # Topics are written after their posts are generated (they need the last post's time);
    # with triggers off for the load, the order of the COPYs does not matter.
    await load.copy("posts", bench_rows.POST_COLUMNS, bench_rows.post_rows(bench, lengths, topics))
    await load.copy("topics", bench_rows.TOPIC_COLUMNS, topics.rows)
    await load.copy("topic_anon_labels", bench_rows.TOPIC_ANON_LABEL_COLUMNS, topics.anon_labels)
    return topics


async def _queue_and_reports(load: _Load, bench: Bench, topics: Topics) -> None:
    """The first group's queue: 1,000 open items (held posts waiting for review, reports, crisis
    matches), plus closed history across all groups."""
    first_group, first_post = bench.groups[0], bench.ids.post
    written = topics.next_post - first_post
    first_held = topics.next_post
    main_topics = topics.in_group(bench.ids.topic, first_group)[:500]
    await load.copy(
        "posts", bench_rows.POST_COLUMNS, bench_rows.held_post_rows(bench, first_held, main_topics)
    )
    # One open item per post and kind, and never on the benchmark topic.
    targets = bench.rng.sample(
        range(first_post + bench_rows.BENCH_TOPIC_POSTS, first_post + written),
        max(
            min(bench_rows.OPEN_ITEMS - bench_rows.HELD, written - bench_rows.BENCH_TOPIC_POSTS), 0
        ),
    )
    items, reports = bench_rows.open_item_rows(bench, first_held, targets)
    await load.copy("queue_items", bench_rows.OPEN_ITEM_COLUMNS, items)
    await load.conn.execute(
        "UPDATE queue_items SET admins_alerted_at = created_at"
        " WHERE kind = 'crisis' AND state = 'open' AND group_id = $1",
        first_group,
    )
    await load.copy(
        "queue_items", bench_rows.CLOSED_ITEM_COLUMNS, bench_rows.closed_item_rows(bench, written)
    )
    await load.copy("reports", bench_rows.REPORT_COLUMNS, bench_rows.unique_reports(reports))


async def _move_sequences(conn: Conn) -> None:
    for table in SEQUENCED:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
            f" (SELECT max(id) FROM {table}))"
        )
