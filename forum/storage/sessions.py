"""Server-side sessions. The browser holds a random token; we keep only its SHA-256.

A session is a row, so signing out (or an admin suspending someone) takes effect on every process
at once, and expiry is a WHERE clause rather than trust in the cookie.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from forum.storage import tokens
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.storage.two_factor import required_sql

LIFETIME = timedelta(days=30)
#: last_seen_at is refreshed at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    member: Member


async def create_session(conn: Conn, member: Member) -> Session:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (token_hash, member_id, expires_at) VALUES ($1, $2, now() + $3::interval)",
        tokens.digest(token),
        member.id,
        LIFETIME,
    )
    return Session(token, member)


async def get_session_member(conn: Conn, token: str) -> Member | None:
    """The signed-in member for `token`, sliding the expiry forward now and then."""
    found = await get_signed_in(conn, token)
    return found.member if found else None


@dataclass(frozen=True, slots=True)
class SignedIn:
    member: Member
    #: The forum's policy asks them for two-factor sign-in, not set up yet (storage/two_factor.py).
    two_factor_due: bool
    #: The site rules changed since they accepted them (migrations/0021_site_pages.sql): the
    #: default text is version 0, which every member has by joining.
    rules_due: bool


async def get_signed_in(conn: Conn, token: str) -> SignedIn | None:
    """The member for `token` and what they still owe the forum: one statement per request."""
    row = await conn.fetchrow(
        f"""
        WITH found AS (
            SELECT s.token_hash, s.last_seen_at, m.id, m.pseudonym, m.is_admin, m.created_at,
                m.rules_version
            FROM sessions s JOIN members m ON m.id = s.member_id
            WHERE s.token_hash = $1 AND s.expires_at > now() AND m.deleted_at IS NULL
        ), touched AS (
            UPDATE sessions SET last_seen_at = now(), expires_at = now() + $2::interval
            WHERE token_hash = (SELECT token_hash FROM found WHERE last_seen_at < now() - $3::interval)
        )
        SELECT id, pseudonym, is_admin, created_at,
            NOT EXISTS (
                SELECT 1 FROM two_factor t WHERE t.member_id = found.id AND t.confirmed_at IS NOT NULL
            ) AND {required_sql("found.id", "found.is_admin")} AS two_factor_due,
            coalesce(rules_version, 0)
                < coalesce((SELECT version FROM site_pages WHERE slug = 'rules'), 0) AS rules_due
        FROM found
        """,
        tokens.digest(token),
        LIFETIME,
        TOUCH_EVERY,
    )
    if row is None:
        return None
    member = Member(row["id"], row["pseudonym"], row["is_admin"], row["created_at"])
    return SignedIn(member, bool(row["two_factor_due"]), bool(row["rules_due"]))


async def is_live(conn: Conn, token: str) -> bool:
    """Whether the session still exists and has not expired (without sliding its expiry)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = $1 AND expires_at > now())",
            tokens.digest(token),
        )
    )


async def delete_session(conn: Conn, token: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = $1", tokens.digest(token))


def stream_key(token: str) -> str:
    """What a deleted session is announced by (migrations/0016_session_notify.sql)."""
    return tokens.digest(token)[:8].hex()


async def delete_other_sessions(conn: Conn, member_id: int, keep: str) -> int:
    """Sign the member out everywhere but the session `keep`; how many were ended."""
    status = await conn.execute(
        "DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2",
        member_id,
        tokens.digest(keep),
    )
    return int(status.split()[-1])


async def delete_member_sessions(conn: Conn, member_id: int) -> int:
    """Sign the member out everywhere (their password was reset); how many were ended."""
    status = await conn.execute("DELETE FROM sessions WHERE member_id = $1", member_id)
    return int(status.split()[-1])
