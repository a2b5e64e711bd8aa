"""Server-side sessions: only a hash of the token is kept, and expiry is enforced by the query."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.storage import retention, sessions
from forum.storage.members import Member
from forum.storage.sessions import Session
from tests.factories import MakeMember


@pytest.fixture
async def session(db: asyncpg.Connection, member: Member) -> Session:
    """The member's one session, just created."""
    return await sessions.create_session(db, member)


async def _set_times(
    db: asyncpg.Connection, *, expires_in: timedelta, last_seen_ago: timedelta | None = None
) -> None:
    """Every session expires `expires_in` from now (negative: it already has) and, if given, was
    last seen `last_seen_ago`."""
    await db.execute(
        "UPDATE sessions SET expires_at = now() + $1::interval,"
        " last_seen_at = coalesce(now() - $2::interval, last_seen_at)",
        expires_in,
        last_seen_ago,
    )


async def test_created_session_finds_its_member(
    db: asyncpg.Connection, member: Member, session: Session
) -> None:
    assert session.member == member
    assert await sessions.get_session_member(db, session.token) == member


async def test_each_session_gets_its_own_random_token(
    db: asyncpg.Connection, member: Member
) -> None:
    first = await sessions.create_session(db, member)
    second = await sessions.create_session(db, member)
    assert first.token != second.token
    assert len(first.token) >= 32


@pytest.mark.usefixtures("session")
async def test_unknown_token_finds_no_one(db: asyncpg.Connection) -> None:
    assert await sessions.get_session_member(db, "not-a-token") is None


async def test_only_the_sha256_of_the_token_is_stored(
    db: asyncpg.Connection, session: Session
) -> None:
    stored = await db.fetchval("SELECT token_hash FROM sessions")
    assert stored == hashlib.sha256(session.token.encode()).digest()


async def test_the_token_itself_appears_nowhere_in_the_table(
    db: asyncpg.Connection, session: Session
) -> None:
    found = await db.fetchval(
        "SELECT count(*) FROM sessions s WHERE strpos(s::text, $1) > 0"
        " OR strpos(encode(s.token_hash, 'escape'), $1) > 0",
        session.token,
    )
    assert found == 0


@pytest.mark.usefixtures("session")
async def test_a_new_session_expires_after_its_lifetime(db: asyncpg.Connection) -> None:
    lifetime = await db.fetchval("SELECT expires_at - created_at FROM sessions")
    assert abs(lifetime - sessions.LIFETIME) < timedelta(minutes=1)


async def test_expired_session_finds_no_one(db: asyncpg.Connection, session: Session) -> None:
    await _set_times(db, expires_in=-timedelta(seconds=1))
    assert await sessions.get_session_member(db, session.token) is None


async def test_expired_session_is_not_revived_by_being_read(
    db: asyncpg.Connection, session: Session
) -> None:
    await _set_times(db, expires_in=-timedelta(seconds=1), last_seen_ago=timedelta(days=1))
    await sessions.get_session_member(db, session.token)
    assert await db.fetchval("SELECT expires_at < now() FROM sessions")


async def test_session_of_a_deleted_member_finds_no_one(
    db: asyncpg.Connection, member: Member, session: Session
) -> None:
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", member.id)
    assert await sessions.get_session_member(db, session.token) is None


async def test_reading_a_session_seen_long_ago_slides_its_expiry(
    db: asyncpg.Connection, session: Session
) -> None:
    await _set_times(db, expires_in=timedelta(days=1), last_seen_ago=timedelta(hours=1))
    await sessions.get_session_member(db, session.token)
    row = await db.fetchrow(
        "SELECT expires_at - now() AS left, now() - last_seen_at AS idle FROM sessions"
    )
    assert row is not None
    assert row["left"] > sessions.LIFETIME - timedelta(minutes=1)
    assert row["idle"] < timedelta(minutes=1)


async def test_reading_a_session_seen_just_now_does_not_write(
    db: asyncpg.Connection, session: Session
) -> None:
    await _set_times(db, expires_in=timedelta(days=1))
    before = await db.fetchrow("SELECT last_seen_at, expires_at FROM sessions")
    await sessions.get_session_member(db, session.token)
    assert await db.fetchrow("SELECT last_seen_at, expires_at FROM sessions") == before


async def test_deleted_session_finds_no_one(db: asyncpg.Connection, session: Session) -> None:
    await sessions.delete_session(db, session.token)
    assert await sessions.get_session_member(db, session.token) is None
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0


async def test_deleting_one_session_keeps_the_members_other_sessions(
    db: asyncpg.Connection, member: Member
) -> None:
    laptop = await sessions.create_session(db, member)
    phone = await sessions.create_session(db, member)
    await sessions.delete_session(db, laptop.token)
    assert await sessions.get_session_member(db, phone.token) == member


async def test_deleting_an_unknown_session_is_harmless(
    db: asyncpg.Connection, member: Member, session: Session
) -> None:
    await sessions.delete_session(db, "not-a-token")
    assert await sessions.get_session_member(db, session.token) == member


async def test_retention_removes_only_expired_sessions(
    db: asyncpg.Connection, make_member: MakeMember
) -> None:
    old = await sessions.create_session(db, await make_member("stale"))
    live = await sessions.create_session(db, await make_member("fresh"))
    await db.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second'"
        " WHERE token_hash = sha256($1::text::bytea)",
        old.token,
    )
    assert await retention.delete_sessions(db, datetime.now(UTC), timedelta(days=30), 500) == 1
    assert await sessions.get_session_member(db, live.token) is not None
    assert await db.fetchval("SELECT count(*) FROM sessions") == 1


@pytest.mark.usefixtures("session")
async def test_retention_with_nothing_expired_removes_nothing(db: asyncpg.Connection) -> None:
    assert await retention.delete_sessions(db, datetime.now(UTC), timedelta(days=30), 500) == 0
    assert await db.fetchval("SELECT count(*) FROM sessions") == 1
