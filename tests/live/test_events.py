"""The live-events cursor against a real PostgreSQL: transactions that commit out of id order,
a burst, a resume, and a cursor sealed so it says nothing and cannot be forged."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from forum.live import events
from forum.live.events import RELOAD, Cursor, Delivered, Horizon, Reader, Signal
from forum.storage import live_events

KEY = os.urandom(32)


@pytest.fixture
async def other(database_url: str, db: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """A second connection: another process's transaction."""
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


class Heard:
    def __init__(self) -> None:
        self.signals: list[tuple[str, Signal]] = []

    def __call__(self, feed: live_events.Feed, signal: Signal) -> None:
        self.signals.append((feed, signal))

    def delivered(self) -> list[int]:
        ids = [s.id for _, s in self.signals if isinstance(s, Delivered)]
        self.signals.clear()
        return ids


async def add(conn: asyncpg.Connection, key: int = 1, feed: live_events.Feed = "mod") -> int:
    await live_events.add(conn, feed, key, {"item": key, "group": key, "change": "opened"})
    return int(await conn.fetchval("SELECT max(id) FROM live_events"))


async def test_an_event_committed_after_a_later_one_is_delivered_not_skipped(
    db: asyncpg.Connection, other: asyncpg.Connection
) -> None:
    """Transaction A takes id 1 and commits last; B takes id 2 and commits first. Read by id,
    a reader that saw 2 would skip 1 for ever; read by (xid, id) up to the oldest transaction
    still open, each arrives once."""
    heard = Heard()
    reader = Reader(heard)
    await reader.read(db)  # the starting point
    slow = other.transaction()
    await slow.start()
    first = await add(other)  # A: id 1, still open
    async with db.transaction():
        second = await add(db)  # B: id 2, committed

    await reader.read(db)
    assert heard.delivered() == [second]
    await slow.commit()
    await reader.read(db)
    assert heard.delivered() == [first]
    await reader.read(db)
    assert heard.delivered() == []
    assert first < second


async def test_a_rolled_back_event_never_arrives(
    db: asyncpg.Connection, other: asyncpg.Connection
) -> None:
    heard = Heard()
    reader = Reader(heard)
    await reader.read(db)
    undone = other.transaction()
    await undone.start()
    await add(other)
    await undone.rollback()
    kept = await add(db)

    await reader.read(db)

    assert heard.delivered() == [kept]


async def test_each_read_tells_the_streams_how_far_it_got(db: asyncpg.Connection) -> None:
    heard = Heard()
    reader = Reader(heard)
    await reader.read(db)
    await add(db)

    await reader.read(db)

    horizons = [(feed, s) for feed, s in heard.signals if isinstance(s, Horizon)]
    assert {feed for feed, _ in horizons} == {"mod", "inbox"}
    assert reader.cursor is not None
    assert all(s.xid == reader.cursor.horizon for _, s in horizons)


async def test_a_burst_tells_every_stream_to_reload_and_reading_goes_on(
    db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "MAX_BATCH", 3)
    heard = Heard()
    reader = Reader(heard)
    await reader.read(db)
    for _ in range(4):
        await add(db)

    await reader.read(db)
    assert ("mod", RELOAD) in heard.signals
    assert heard.delivered() == []
    await reader.read(db)  # the fourth, after the first three were taken as reloaded
    assert len(heard.delivered()) == 1


async def test_catching_up_gives_a_stream_exactly_what_it_missed_of_its_own_keys(
    db: asyncpg.Connection, other: asyncpg.Connection
) -> None:
    cursor = Cursor(await live_events.horizon(db))
    slow = other.transaction()
    await slow.start()
    late = await add(other, key=1)
    early = await add(db, key=1)
    await add(db, key=2)  # another group's: not this stream's
    await add(db, key=1, feed="inbox")  # another feed

    first = await events.catch_up(db, cursor, "mod", frozenset({1}), limit=10)
    assert first is not None
    sent(cursor, first)
    await slow.commit()
    second = await events.catch_up(db, cursor, "mod", frozenset({1}), limit=10)
    assert second is not None
    sent(cursor, second)
    third = await events.catch_up(db, cursor, "mod", frozenset({1}), limit=10)

    assert [e.id for e in first.events] == [early]
    assert [e.id for e in second.events] == [late]
    assert third is not None
    assert third.events == []


def sent(cursor: Cursor, missed: events.Missed) -> None:
    """What a stream does with what it missed: each event moves the cursor as it is sent."""
    for event in missed.events:
        cursor.add(event.id, event.xid)
    cursor.advance(missed.horizon)


async def test_catching_up_leaves_the_cursor_for_the_stream_to_move(
    db: asyncpg.Connection,
) -> None:
    """Until each missed event is sent, the cursor must not say it was: a connection lost
    after "ready" resumes from the same place and gets them again."""
    cursor = Cursor(await live_events.horizon(db))
    before = (cursor.horizon, dict(cursor.seen))
    await add(db)

    missed = await events.catch_up(db, cursor, "mod", None, limit=10)

    assert missed is not None
    assert len(missed.events) == 1
    assert (cursor.horizon, cursor.seen) == before


async def test_a_cursor_from_another_database_is_told_to_reload(db: asyncpg.Connection) -> None:
    """A horizon past every transaction here comes from elsewhere (a restored backup on a new
    server counts transactions from the start): resuming it would skip every new event."""
    future = Cursor(await live_events.next_xid(db) + 1_000_000)

    assert await events.catch_up(db, future, "mod", None, limit=10) is None


async def test_a_stream_too_far_behind_is_told_to_reload(db: asyncpg.Connection) -> None:
    cursor = Cursor(await live_events.horizon(db))
    for _ in range(4):
        await add(db)

    assert await events.catch_up(db, cursor, "mod", None, limit=3) is None


def test_a_sealed_cursor_opens_with_its_key_only_and_says_nothing() -> None:
    cursor = Cursor(123456, {9001: 123460})

    token = cursor.seal(KEY)
    opened = Cursor.open(token, KEY)

    assert opened is not None
    assert (opened.horizon, opened.seen) == (123456, {9001: 123460})
    assert "123456" not in token
    assert "9001" not in token
    assert cursor.seal(KEY) != token  # a fresh nonce each time: equal cursors look different
    assert Cursor.open(token, os.urandom(32)) is None


@pytest.mark.parametrize("token", ["", "42", "not base64!!", "A" * 5000, "eyJoIjogMX0", "x" * 40])
def test_anything_but_a_sealed_cursor_is_refused(token: str) -> None:
    assert Cursor.open(token, KEY) is None


def test_a_tampered_cursor_is_refused() -> None:
    token = Cursor(5, {}).seal(KEY)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert Cursor.open(flipped, KEY) is None


def test_a_cursor_older_than_the_kept_events_is_stale() -> None:
    cursor = Cursor(1, since=1_000_000.0)
    assert not cursor.stale(now=1_000_000.0 + 3600)
    assert cursor.stale(now=1_000_000.0 + events.KEPT_FOR_SECONDS)


def test_a_cursor_kept_up_to_date_never_goes_stale() -> None:
    """A process up for days hands out cursors as fresh as its last read, even when nothing
    was written (the horizon did not move)."""
    cursor = Cursor(10, since=1.0)
    cursor.advance(10)
    assert not cursor.stale()
    assert not cursor.copy().stale()


async def test_events_older_than_a_day_are_forgotten_and_newer_ones_kept(
    db: asyncpg.Connection,
) -> None:
    old, new = await add(db), await add(db)
    await db.execute("UPDATE live_events SET at = now() - interval '25 hours' WHERE id = $1", old)

    deleted = await live_events.delete_older_than(
        db, timedelta(seconds=events.KEPT_FOR_SECONDS), batch=1
    )

    assert deleted == 1
    assert [r["id"] for r in await db.fetch("SELECT id FROM live_events")] == [new]


async def test_a_stream_that_began_before_the_reader_gets_what_came_in_between(
    db: asyncpg.Connection,
) -> None:
    """The database was away when the process started: a stream took its starting point from
    the database itself, and an event came before the reader's first read. The reader starts
    no later than that stream, so the event is delivered, not skipped."""
    heard = Heard()
    reader = Reader(heard)
    reader.started_at(await live_events.horizon(db))
    between = await add(db)

    await reader.read(db)

    assert heard.delivered() == [between]
