"""Members' TOTP keys, half-finished sign-ins and staff's duty to use two-factor
(migrations/0022_two_factor.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from forum.storage import tokens
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Key:
    secret: str
    confirmed: bool
    last_step: int


async def get_key(conn: Conn, member_id: int) -> Key | None:
    row = await conn.fetchrow(
        "SELECT secret, confirmed_at IS NOT NULL AS confirmed, last_step FROM two_factor"
        " WHERE member_id = $1",
        member_id,
    )
    return Key(**row) if row else None


async def start_key(conn: Conn, member_id: int, secret: str) -> str:
    """The member's key being set up: a new one, or the one already waiting for its first code
    (reloading the page must not change the QR code the member just scanned). A confirmed key
    is never replaced here."""
    found = await conn.fetchval(
        "INSERT INTO two_factor (member_id, secret) VALUES ($1, $2)"
        " ON CONFLICT (member_id) DO UPDATE SET secret = two_factor.secret"
        " RETURNING secret",
        member_id,
        secret,
    )
    return str(found)


async def use_step(conn: Conn, member_id: int, step: int, *, confirm: bool = False) -> bool:
    """Accept time step `step` for the member's key if it is newer than any accepted before (so
    a code seen over a shoulder, or sent twice, works once); `confirm` turns the key on."""
    status = await conn.execute(
        "UPDATE two_factor SET last_step = $2,"
        " confirmed_at = CASE WHEN $3 THEN coalesce(confirmed_at, now()) ELSE confirmed_at END"
        " WHERE member_id = $1 AND last_step < $2 AND (confirmed_at IS NOT NULL OR $3)",
        member_id,
        step,
        confirm,
    )
    return status.endswith(" 1")


async def delete_key(conn: Conn, member_id: int) -> bool:
    status = await conn.execute("DELETE FROM two_factor WHERE member_id = $1", member_id)
    return status.endswith(" 1")


async def is_required(conn: Conn, member_id: int) -> bool:
    """Whether the forum's policy asks this member for two-factor: an admin, or a moderator of a
    group where posts may be anonymous (each an admin setting, both on by default)."""
    return bool(
        await conn.fetchval(
            "SELECT " + required_sql("m.id", "m.is_admin") + " FROM members m WHERE m.id = $1",
            member_id,
        )
    )


def required_sql(member_id: str, is_admin: str) -> str:
    """The duty as an SQL expression of the columns (or parameters) naming a member's id and
    whether they are an admin: `is_required`, and the session lookup on every request."""
    return f"""(
    {is_admin} AND coalesce((SELECT two_factor_admins FROM site_policy), true)
    OR coalesce((SELECT two_factor_moderators FROM site_policy), true) AND EXISTS (
        SELECT 1 FROM group_moderators gm JOIN groups g ON g.id = gm.group_id
        WHERE gm.member_id = {member_id} AND g.anonymous <> 'off' AND g.archived_at IS NULL)
)"""


@dataclass(frozen=True, slots=True)
class Policy:
    admins: bool
    moderators: bool


async def get_policy(conn: Conn) -> Policy:
    row = await conn.fetchrow(
        "SELECT two_factor_admins AS admins, two_factor_moderators AS moderators FROM site_policy"
    )
    return Policy(**row) if row else Policy(admins=True, moderators=True)


async def set_policy(conn: Conn, policy: Policy) -> None:
    await conn.execute(
        "INSERT INTO site_policy (two_factor_admins, two_factor_moderators) VALUES ($1, $2)"
        " ON CONFLICT (only_row) DO UPDATE SET two_factor_admins = $1, two_factor_moderators = $2",
        policy.admins,
        policy.moderators,
    )


async def create_challenge(conn: Conn, member_id: int, token: str, lifetime: timedelta) -> None:
    await conn.execute(
        "INSERT INTO sign_in_challenges (token_hash, member_id, expires_at)"
        " VALUES ($1, $2, now() + $3::interval)",
        tokens.digest(token),
        member_id,
        lifetime,
    )


async def spend_challenge(conn: Conn, token: str, max_attempts: int) -> int | None:
    """Count one try at the code: the member it is for, or None when the challenge is unknown,
    expired or out of tries (then it is gone, and the member starts again with the password)."""
    member_id = await conn.fetchval(
        "UPDATE sign_in_challenges SET attempts = attempts + 1"
        " WHERE token_hash = $1 AND expires_at > now() AND attempts < $2 RETURNING member_id",
        tokens.digest(token),
        max_attempts,
    )
    if member_id is None:
        await end_challenge(conn, token)
    return None if member_id is None else int(member_id)


async def end_challenge(conn: Conn, token: str) -> None:
    await conn.execute("DELETE FROM sign_in_challenges WHERE token_hash = $1", tokens.digest(token))


async def delete_expired_challenges(conn: Conn) -> int:
    status = await conn.execute("DELETE FROM sign_in_challenges WHERE expires_at <= now()")
    return int(status.split()[-1])
