"""Members: pseudonym, argon2 hash, admin flag. Case-insensitive uniqueness lives in the index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from forum.storage import inbox, preferences
from forum.storage.db import Conn
from forum.storage.preferences import DEFAULTS, Preferences


class PseudonymTaken(Exception):
    """Another member holds this pseudonym (in any letter case)."""


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    pseudonym: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    member: Member
    password_hash: str


_COLUMNS = "id, pseudonym, is_admin, created_at"


async def create_member(
    conn: Conn, pseudonym: str, password_hash: str, *, is_admin: bool = False
) -> Member:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO members (pseudonym, password_hash, is_admin) VALUES ($1, $2, $3)"
            f" RETURNING {_COLUMNS}",
            pseudonym,
            password_hash,
            is_admin,
        )
    except asyncpg.UniqueViolationError:
        raise PseudonymTaken(pseudonym) from None
    assert row is not None
    return Member(**row)


async def get_member(conn: Conn, member_id: int) -> Member | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM members WHERE id = $1 AND deleted_at IS NULL", member_id
    )
    return Member(**row) if row else None


async def get_credentials(conn: Conn, pseudonym: str) -> Credentials | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, password_hash FROM members"
        " WHERE lower(pseudonym) = lower($1) AND deleted_at IS NULL",
        pseudonym,
    )
    if row is None:
        return None
    fields = dict(row)
    password_hash = fields.pop("password_hash")
    return Credentials(Member(**fields), password_hash)


async def save_password_hash(conn: Conn, member_id: int, password_hash: str) -> None:
    await conn.execute(
        "UPDATE members SET password_hash = $2 WHERE id = $1", member_id, password_hash
    )


async def other_admin_ids(conn: Conn, admin_id: int) -> list[int]:
    """The forum's admins besides `admin_id` (a reveal needs one of them to confirm it)."""
    rows = await conn.fetch(
        "SELECT id FROM members WHERE is_admin AND deleted_at IS NULL AND id <> $1 ORDER BY id",
        admin_id,
    )
    return [int(r["id"]) for r in rows]


async def count_members(conn: Conn) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM members"))


@dataclass(frozen=True, slots=True)
class Badges:
    """What the page header shows a signed-in member: unread notifications, a Moderate link,
    unread replies in their inbox."""

    unread: int
    moderates: bool
    inbox: int = 0


NO_BADGES = Badges(0, False)


async def get_page_header(conn: Conn, member: Member) -> tuple[Badges, Preferences]:
    """Everything a signed-in page's header and post rendering need, in one round trip: the
    badges and the member's reading preferences."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE member_id = $1"
        "          AND read_at IS NULL LIMIT 99) unread) AS unread,"
        "       EXISTS (SELECT 1 FROM group_moderators WHERE member_id = $1) AS moderates,"
        f"      ({inbox.UNREAD_COUNT_SQL}) AS inbox,"
        "       p.text_size, p.open_warnings, p.collapse_words, p.hide_words, p.check_ins"
        " FROM (SELECT 1) one LEFT JOIN reader_preferences p ON p.member_id = $1",
        member.id,
    )
    assert row is not None
    badges = Badges(
        int(row["unread"]), bool(row["moderates"]) or member.is_admin, int(row["inbox"])
    )
    return badges, preferences.from_row(row) if row["text_size"] is not None else DEFAULTS


async def pseudonym_in_use(conn: Conn, name: str, *, other_than: int) -> bool:
    """Is `name` (any case) another member's pseudonym? Deleted members keep theirs 30 days."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM members WHERE lower(pseudonym) = lower($1) AND id <> $2)",
            name,
            other_than,
        )
    )


async def staff_pseudonyms(conn: Conn, *, other_than: int | None) -> list[str]:
    """The pseudonyms of the admins and of every group's moderators (a few dozen at most)."""
    rows = await conn.fetch(
        "SELECT pseudonym FROM members m WHERE deleted_at IS NULL"
        " AND (is_admin OR EXISTS (SELECT 1 FROM group_moderators g WHERE g.member_id = m.id))"
        " AND ($1::bigint IS NULL OR id <> $1)",
        other_than,
    )
    return [r["pseudonym"] for r in rows]
