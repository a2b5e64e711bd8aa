"""Admin-issued one-time links to set a new password (migrations/0023_password_resets.sql)."""

from __future__ import annotations

from datetime import timedelta

from forum.storage import tokens
from forum.storage.db import Conn


async def create(
    conn: Conn, member_id: int, admin_id: int, token: str, lifetime: timedelta
) -> None:
    """A new link for the member; any earlier unused one stops working."""
    await conn.execute(
        "DELETE FROM password_resets WHERE member_id = $1 AND used_at IS NULL", member_id
    )
    await conn.execute(
        "INSERT INTO password_resets (token_hash, member_id, issued_by, expires_at)"
        " VALUES ($1, $2, $3, now() + $4::interval)",
        tokens.digest(token),
        member_id,
        admin_id,
        lifetime,
    )


async def member_for(conn: Conn, token: str) -> int | None:
    """Whose link this is, while it is unused and in time."""
    member_id = await conn.fetchval(
        "SELECT r.member_id FROM password_resets r JOIN members m ON m.id = r.member_id"
        " WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()"
        "   AND m.deleted_at IS NULL",
        tokens.digest(token),
    )
    return None if member_id is None else int(member_id)


async def use(conn: Conn, token: str) -> int | None:
    """Spend the link: the member it was for, or None if it was used, expired or unknown."""
    member_id = await conn.fetchval(
        "UPDATE password_resets SET used_at = now()"
        " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING member_id",
        tokens.digest(token),
    )
    return None if member_id is None else int(member_id)


async def delete_old(conn: Conn, older_than: timedelta) -> int:
    status = await conn.execute(
        "DELETE FROM password_resets WHERE expires_at < now() - $1::interval", older_than
    )
    return int(status.split()[-1])
