"""`forum seed-bench`: bulk-loaded benchmark data that the pages can serve, and its refusals."""

from __future__ import annotations

import asyncpg
import pytest

from forum.ops import seed_bench
from tests.factories import MakeMember


async def test_seeding_loads_about_the_asked_number_of_posts(
    db: asyncpg.Connection, password_hash: str
) -> None:
    counts = await seed_bench.seed(
        db, seed_bench.Plan(posts=3000, groups=4, members=1200), password_hash
    )
    assert await db.fetchval("SELECT count(*) FROM posts") == 3000
    assert counts["members"] == 1200
    assert await db.fetchval("SELECT count(*) FROM queue_items WHERE state = 'open'") == 1000


async def test_the_benchmark_topic_has_twenty_one_posts(
    db: asyncpg.Connection, password_hash: str
) -> None:
    await seed_bench.seed(db, seed_bench.Plan(posts=2000, groups=2, members=1100), password_hash)
    row = await db.fetchrow(
        "SELECT t.last_post_number, g.slug FROM topics t JOIN groups g ON g.id = t.group_id"
        " ORDER BY t.id LIMIT 1"
    )
    assert row is not None
    assert row["last_post_number"] == 21
    assert row["slug"] == "bench-1"


async def test_seeded_counters_match_the_rows(db: asyncpg.Connection, password_hash: str) -> None:
    await seed_bench.seed(db, seed_bench.Plan(posts=2000, groups=3, members=1100), password_hash)
    wrong = await db.fetchval(
        "SELECT count(*) FROM topics t WHERE last_post_number <>"
        " (SELECT max(number) FROM posts WHERE topic_id = t.id)"
    )
    assert wrong == 0
    # New rows after the load get fresh ids (sequences moved past the copied ones).
    await db.execute("INSERT INTO groups (slug, name) VALUES ('after-seed', 'After')")


async def test_a_database_with_real_members_is_refused(
    db: asyncpg.Connection, make_member: MakeMember, password_hash: str
) -> None:
    await make_member("realperson")
    with pytest.raises(seed_bench.SeedRefused, match="1 real member"):
        await seed_bench.seed(db, seed_bench.Plan(posts=100), password_hash)
    assert await db.fetchval("SELECT count(*) FROM posts") == 0


async def test_force_loads_beside_real_members(
    db: asyncpg.Connection, make_member: MakeMember, password_hash: str
) -> None:
    await make_member("realperson")
    await seed_bench.seed(
        db, seed_bench.Plan(posts=500, groups=2, members=50), password_hash, force=True
    )
    assert await db.fetchval("SELECT count(*) FROM members") == 51


async def test_seeding_twice_is_refused(db: asyncpg.Connection, password_hash: str) -> None:
    await seed_bench.seed(db, seed_bench.Plan(posts=500, groups=2, members=50), password_hash)
    with pytest.raises(seed_bench.SeedRefused, match="already holds benchmark data"):
        await seed_bench.seed(db, seed_bench.Plan(posts=500), password_hash)
