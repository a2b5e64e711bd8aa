"""Fixed-window rate-limit counters shared by every process through PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from forum.storage import rate_limits, retention

WINDOW = timedelta(minutes=15)
KEY = b"\x01" * 32
OTHER_KEY = b"\x02" * 32


async def age_window(db: asyncpg.Connection, by: timedelta, key: bytes = KEY) -> None:
    """Move the window's start into the past instead of waiting for it."""
    await db.execute(
        "UPDATE rate_limits SET window_start = window_start - $1::interval WHERE key = $2", by, key
    )


async def test_first_hit_counts_one(db: asyncpg.Connection) -> None:
    window = await rate_limits.hit(db, "login", KEY, WINDOW)
    assert window.hits == 1


async def test_hits_within_a_window_are_counted(db: asyncpg.Connection) -> None:
    counts = [(await rate_limits.hit(db, "login", KEY, WINDOW)).hits for _ in range(4)]
    assert counts == [1, 2, 3, 4]


async def test_hits_are_counted_per_key(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await rate_limits.hit(db, "login", KEY, WINDOW)
    assert (await rate_limits.hit(db, "login", OTHER_KEY, WINDOW)).hits == 1


async def test_hits_are_counted_per_bucket(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await rate_limits.hit(db, "login", KEY, WINDOW)
    assert (await rate_limits.hit(db, "register", KEY, WINDOW)).hits == 1


async def test_count_restarts_once_the_window_has_passed(db: asyncpg.Connection) -> None:
    for _ in range(3):
        await rate_limits.hit(db, "login", KEY, WINDOW)
    await age_window(db, WINDOW + timedelta(seconds=1))
    assert (await rate_limits.hit(db, "login", KEY, WINDOW)).hits == 1


async def test_a_restarted_window_starts_now(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await age_window(db, WINDOW + timedelta(seconds=1))
    window = await rate_limits.hit(db, "login", KEY, WINDOW)
    assert window.retry_after > WINDOW.total_seconds() - 60


async def test_count_continues_while_the_window_has_not_passed(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await age_window(db, WINDOW - timedelta(minutes=1))
    assert (await rate_limits.hit(db, "login", KEY, WINDOW)).hits == 2


async def test_retry_after_is_positive_and_within_the_window(db: asyncpg.Connection) -> None:
    window = await rate_limits.hit(db, "login", KEY, WINDOW)
    assert 0 < window.retry_after <= WINDOW.total_seconds()


async def test_retry_after_shrinks_as_the_window_ages(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await age_window(db, timedelta(minutes=10))
    window = await rate_limits.hit(db, "login", KEY, WINDOW)
    assert 0 < window.retry_after <= timedelta(minutes=5).total_seconds()


async def test_peek_reports_the_count_without_adding_to_it(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await rate_limits.hit(db, "login", KEY, WINDOW)
    first = await rate_limits.peek(db, "login", KEY, WINDOW)
    second = await rate_limits.peek(db, "login", KEY, WINDOW)
    assert first.hits == second.hits == 2
    assert (await rate_limits.hit(db, "login", KEY, WINDOW)).hits == 3


async def test_peek_with_no_hits_reports_zero(db: asyncpg.Connection) -> None:
    window = await rate_limits.peek(db, "login", KEY, WINDOW)
    assert window.hits == 0
    assert await db.fetchval("SELECT count(*) FROM rate_limits") == 0


async def test_peek_after_the_window_has_passed_reports_zero(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await age_window(db, WINDOW + timedelta(seconds=1))
    assert (await rate_limits.peek(db, "login", KEY, WINDOW)).hits == 0


async def test_peek_gives_a_positive_retry_after_while_counting(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    window = await rate_limits.peek(db, "login", KEY, WINDOW)
    assert 0 < window.retry_after <= WINDOW.total_seconds()


async def test_clear_forgets_the_count(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await rate_limits.hit(db, "login", OTHER_KEY, WINDOW)
    await rate_limits.clear(db, "login", KEY)
    assert (await rate_limits.peek(db, "login", KEY, WINDOW)).hits == 0
    assert (await rate_limits.peek(db, "login", OTHER_KEY, WINDOW)).hits == 1


async def test_retention_removes_only_old_windows(db: asyncpg.Connection) -> None:
    await rate_limits.hit(db, "login", KEY, WINDOW)
    await rate_limits.hit(db, "login", OTHER_KEY, WINDOW)
    await age_window(db, timedelta(days=2), key=KEY)
    await retention.delete_rate_limits(db, datetime.now(UTC), timedelta(days=1), 500)
    keys = [r["key"] for r in await db.fetch("SELECT key FROM rate_limits")]
    assert keys == [OTHER_KEY]
