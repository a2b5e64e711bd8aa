"""`forum seed-bench`: realistic benchmark data, bulk-loaded with COPY.

A million posts must load in minutes, so nothing goes through the per-post code paths: rows are
generated in Python (bodies drawn from a pool of pre-rendered paragraphs, as publishing would have
stored them) and sent with binary COPY, ids included, so that foreign keys can be computed up
front; sequences are moved past them afterwards. Triggers (including the page-cache ones) are
switched off for the load session when the role allows it, so there is no trigger work per row.

The shape: members `bench_<n>` (the first 1,000 moderate the first group, which is where the
1,000 open queue items are), groups `bench-<n>` (every fifth members-only, anonymity optional in
half), topics of varied length (most short, a few long) with about 10% anonymous and 2% taken-down
posts, drafts, reports, closed and open queue items, notifications. The first topic of the first
group has exactly 21 posts: the benchmark's "topic page with 20 replies".

It refuses a database holding members who are not benchmark members, unless forced.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from forum import markup
from forum.storage.db import Conn

PREFIX = "bench_"
PASSWORD = "bench-password"  # noqa: S105 - benchmark members only; documented in bench/README.md
SLUG_PREFIX = "bench-"
MODERATORS = 1000
OPEN_ITEMS = 1000
HELD = OPEN_ITEMS * 6 // 10  # of the open items, posts waiting for review
BENCH_TOPIC_POSTS = 21


class SeedRefused(Exception):
    """The database is not one to fill with benchmark data; the message says why."""


@dataclass(frozen=True, slots=True)
class Plan:
    posts: int
    groups: int = 10
    members: int = 2000


_SENTENCES = [
    "It has been a hard week, and writing this down helps a little.",
    "I didn't expect the evenings to be the worst part.",
    "Thank you for sharing this, it sounds so much like what I went through last year.",
    "My counsellor suggested keeping a small notebook by the bed, and it has helped.",
    "Some days I manage fine, and then a song in the supermarket undoes everything.",
    "You are not alone in this; many of us here have felt exactly that.",
    "I went for a walk this morning for the first time in weeks.",
    "The appointment is on Thursday and I keep rehearsing what to ask.",
    "Has anyone else found that the second year was harder than the first?",
    "I am three months clean today, and I wanted to tell someone who understands.",
    "Be gentle with yourself: grief has no timetable.",
    "We started a small ritual of lighting a candle on Sundays.",
    "The nurses were kind, but the waiting room felt endless.",
    "Reading this thread at 3am made me feel less alone.",
    "I finally told my sister how I have been feeling, and she listened.",
]


def _paragraphs(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(source, html) pairs, rendered once with the real renderer, as publishing stores them."""
    pool = []
    for _ in range(count):
        words = rng.sample(_SENTENCES, rng.randint(1, 6))
        source = " ".join(words)
        if rng.random() < 0.2:
            source = f"**{words[0]}**\n\n" + " ".join(words[1:] or words)
        if rng.random() < 0.1:
            source += "\n\n- one day at a time\n- ask for help early"
        pool.append((source, markup.render(source)))
    return pool


def _topic_lengths(rng: random.Random, posts: int) -> list[int]:
    """Posts per topic: most conversations are short, a few run long."""
    lengths = [BENCH_TOPIC_POSTS]
    total = BENCH_TOPIC_POSTS
    while total < posts:
        roll = rng.random()
        n = (
            rng.randint(1, 5)
            if roll < 0.6
            else rng.randint(6, 25)
            if roll < 0.9
            else rng.randint(26, 120)
            if roll < 0.99
            else rng.randint(121, 600)
        )
        n = min(n, posts - total)
        lengths.append(n)
        total += n
    return lengths


async def _next_id(conn: Conn, table: str) -> int:
    # Table names come from this module's constants only.
    return int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))  # noqa: S608


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
    """Load the plan; returns counts of the rows written."""
    await check_database(conn, force=force)
    rng = random.Random(seed_value)  # noqa: S311 - reproducible data, not secrets
    started = time.monotonic()
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    async with conn.transaction():
        try:  # no per-row trigger work (page-cache NOTIFY, foreign-key checks) for the load
            async with conn.transaction():  # a savepoint: a refusal must not end the load
                await conn.execute("SET LOCAL session_replication_role = replica")
        except asyncpg.InsufficientPrivilegeError:
            report("seed-bench: cannot switch triggers off (not a superuser); loading anyway")

        async def copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
            batch: list[tuple[Any, ...]] = []
            written = 0
            for row in rows:
                batch.append(row)
                if len(batch) >= 50_000:
                    await conn.copy_records_to_table(table, records=batch, columns=columns)
                    written += len(batch)
                    batch = []
            if batch:
                await conn.copy_records_to_table(table, records=batch, columns=columns)
                written += len(batch)
            counts[table] = counts.get(table, 0) + written
            return written

        # Members: one real argon2 hash shared by all, so signing in works and costs as usual.
        first_member = await _next_id(conn, "members")
        member_ids = list(range(first_member, first_member + plan.members))
        joined = now - timedelta(days=800)
        await copy(
            "members",
            ["id", "pseudonym", "password_hash", "created_at"],
            (
                (mid, f"{PREFIX}{mid - first_member + 1}", password_hash, joined)
                for mid in member_ids
            ),
        )
        moderators = member_ids[: min(MODERATORS, len(member_ids))]
        writers = member_ids[len(moderators) :] or member_ids

        first_group = await _next_id(conn, "groups")
        group_ids = list(range(first_group, first_group + plan.groups))

        def group_row(n: int, gid: int) -> tuple[Any, ...]:
            members_only = n % 5 == 4
            return (
                gid,
                f"{SLUG_PREFIX}{n + 1}",
                f"Benchmark group {n + 1}",
                "A benchmark group: " + _SENTENCES[n % len(_SENTENCES)],
                "members" if members_only else "public",
                "optional" if n % 2 == 0 else "off",
                joined,
            )

        await copy(
            "groups",
            ["id", "slug", "name", "description", "visibility", "anonymous", "created_at"],
            (group_row(n, gid) for n, gid in enumerate(group_ids)),
        )
        await copy(
            "group_members",
            ["group_id", "member_id", "joined_at"],
            ((gid, mid, joined) for gid in group_ids for mid in member_ids),
        )
        await copy(
            "group_moderators",
            ["group_id", "member_id"],
            ((group_ids[0], mid) for mid in moderators),
        )
        report(f"seed-bench: {plan.members} members, {plan.groups} groups")

        # Topics and posts. The first group is the big one (a deep keyset to page through).
        paragraphs = _paragraphs(rng, 400)
        lengths = _topic_lengths(rng, max(plan.posts - HELD, BENCH_TOPIC_POSTS))
        first_topic = await _next_id(conn, "topics")
        first_post = await _next_id(conn, "posts")
        span = timedelta(days=700).total_seconds()
        topic_rows: list[tuple[Any, ...]] = []
        anon_labels: list[tuple[int, int, int]] = []
        topic_group: list[int] = []
        post_id = first_post

        def post_rows() -> Iterator[tuple[Any, ...]]:
            nonlocal post_id
            for index, length in enumerate(lengths):
                tid = first_topic + index
                gid = group_ids[0] if index == 0 or rng.random() < 0.3 else rng.choice(group_ids)
                topic_group.append(gid)
                start = now - timedelta(seconds=rng.random() * span)
                step = timedelta(minutes=rng.randint(5, 600))
                labels: dict[int, int] = {}
                starter = rng.choice(writers)
                starter_anon = rng.random() < 0.1
                for number in range(1, length + 1):
                    author = starter if number == 1 else rng.choice(writers)
                    anonymous = starter_anon if number == 1 else rng.random() < 0.1
                    label = None
                    if anonymous:
                        label = labels.setdefault(author, len(labels) + 1)
                    state = "published"
                    if number > 1 and rng.random() < 0.02:
                        state = rng.choice(("removed", "hidden", "deleted"))
                    source, html = rng.choice(paragraphs)
                    yield (
                        post_id,
                        tid,
                        author,
                        anonymous,
                        number,
                        source,
                        html,
                        "loss" if rng.random() < 0.03 else "",
                        state,
                        start + step * number,
                        label,
                    )
                    post_id += 1
                for author, label in labels.items():
                    anon_labels.append((tid, author, label))
                topic_rows.append(
                    (
                        tid,
                        gid,
                        starter,
                        starter_anon,
                        f"Topic {index + 1}: " + _SENTENCES[index % len(_SENTENCES)][:120],
                        start + step,
                        start + step * length,
                        length,
                        length - 1,
                    )
                )

        post_columns = [
            "id",
            "topic_id",
            "author_id",
            "anonymous",
            "number",
            "body_source",
            "body_html",
            "content_warning",
            "state",
            "created_at",
            "anon_label",
        ]
        # Topics are written after their posts are generated (they need the last post's time);
        # with triggers off for the load, the order of the COPYs does not matter.
        written = await copy("posts", post_columns, post_rows())
        await copy(
            "topics",
            [
                "id",
                "group_id",
                "author_id",
                "anonymous",
                "title",
                "created_at",
                "last_posted_at",
                "last_post_number",
                "reply_count",
            ],
            iter(topic_rows),
        )
        await copy("topic_anon_labels", ["topic_id", "member_id", "label"], iter(anon_labels))
        report(f"seed-bench: {len(topic_rows)} topics, {written} posts")

        # The moderation queue of the first group: 1,000 open items (held posts waiting for
        # review, reports, crisis matches), plus closed history across all groups.
        main_topics = [first_topic + i for i, gid in enumerate(topic_group) if gid == group_ids[0]][
            :500
        ]
        held_first = post_id
        held = []
        for n in range(HELD):
            source, html = rng.choice(paragraphs)
            held.append(
                (
                    post_id,
                    rng.choice(main_topics),
                    rng.choice(writers),
                    n % 4 == 0,
                    None,
                    source,
                    html,
                    "",
                    "held",
                    now - timedelta(minutes=n),
                    None,
                )
            )
            post_id += 1
        await copy("posts", post_columns, iter(held))
        first_item = await _next_id(conn, "queue_items")
        items: list[tuple[Any, ...]] = []
        reports: list[tuple[Any, ...]] = []
        # One open item per post and kind, and never on the benchmark topic.
        targets = rng.sample(
            range(first_post + BENCH_TOPIC_POSTS, first_post + written),
            max(min(OPEN_ITEMS - len(held), written - BENCH_TOPIC_POSTS), 0),
        )
        for n in range(len(held) + len(targets)):
            created = now - timedelta(minutes=OPEN_ITEMS - n)
            if n < len(held):
                items.append(
                    (first_item + n, group_ids[0], held_first + n, "held", 20, created, None, None)
                )
                continue
            target = targets[n - len(held)]
            kind = "crisis" if n % 10 == 0 else "report"
            crisis = kind == "crisis"
            # Seeded crisis items count as already alerted: the re-escalation timer stays quiet.
            items.append(
                (
                    first_item + n,
                    group_ids[0],
                    target,
                    kind,
                    10 if crisis else 30,
                    created,
                    "concern" if crisis else None,
                    created if crisis else None,
                )
            )
            if kind == "report":
                reports.append((target, rng.choice(writers), "other", created))
        await copy(
            "queue_items",
            [
                "id",
                "group_id",
                "post_id",
                "kind",
                "priority",
                "created_at",
                "crisis_level",
                "reescalated_at",
            ],
            iter(items),
        )
        await conn.execute(
            "UPDATE queue_items SET admins_alerted_at = created_at"
            " WHERE kind = 'crisis' AND state = 'open' AND group_id = $1",
            group_ids[0],
        )
        closed = [
            (
                first_item + OPEN_ITEMS + n,
                rng.choice(group_ids),
                first_post + rng.randrange(written),
                "report",
                30,
                "closed",
                now - timedelta(days=rng.randint(2, 600)),
                now - timedelta(days=1),
                moderators[0],
                "resolved",
            )
            for n in range(plan.posts // 200)
        ]
        await copy(
            "queue_items",
            [
                "id",
                "group_id",
                "post_id",
                "kind",
                "priority",
                "state",
                "created_at",
                "closed_at",
                "closed_by",
                "outcome",
            ],
            iter(closed),
        )
        seen: set[tuple[int, int]] = set()
        unique_reports = []
        for row in reports:
            if (row[0], row[1]) not in seen:
                seen.add((row[0], row[1]))
                unique_reports.append(row)
        await copy(
            "reports", ["post_id", "reporter_id", "reason", "created_at"], iter(unique_reports)
        )

        # Drafts in progress and unread notifications, spread over the writers.
        def draft_rows() -> Iterator[tuple[Any, ...]]:
            for n in range(max(plan.posts // 100, 10)):
                source, _html = rng.choice(paragraphs)
                reply = n % 2 == 0
                tid = first_topic + rng.randrange(len(topic_rows)) if reply else None
                gid = topic_group[tid - first_topic] if tid else rng.choice(group_ids)
                yield (rng.choice(writers), gid, tid, "" if reply else "A draft title", source)

        await copy("drafts", ["author_id", "group_id", "topic_id", "title", "body"], draft_rows())
        await copy(
            "notifications",
            ["member_id", "kind", "post_id", "message", "created_at"],
            (
                (
                    rng.choice(member_ids),
                    "reply",
                    first_post + rng.randrange(written),
                    "Someone replied to your topic.",
                    now - timedelta(hours=rng.randint(1, 2000)),
                )
                for _ in range(max(plan.posts // 50, 10))
            ),
        )
        for table in ("members", "groups", "topics", "posts", "queue_items"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT max(id) FROM {table}))"
            )
    # As autovacuum would in a live database: statistics, and the visibility map that lets
    # index-only scans skip the heap.
    await conn.execute("VACUUM ANALYZE")
    counts["seconds"] = int(time.monotonic() - started)
    return counts
