"""Members' one-time recovery codes, as argon2 hashes (migrations/0020_recovery_codes.sql).

Two sets per member, by `purpose`: "password" codes set a new password at `/recover`;
"two_factor" codes stand in for an authenticator app that was lost (0022_two_factor.sql).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forum.storage.db import Conn

FOR_PASSWORD = "password"  # noqa: S105 (a purpose, not a password)
FOR_TWO_FACTOR = "two_factor"


@dataclass(frozen=True, slots=True)
class StoredCode:
    id: int
    code_hash: str


async def replace(
    conn: Conn, member_id: int, code_hashes: Sequence[str], purpose: str = FOR_PASSWORD
) -> None:
    """The member's new set; every code of the old set (of that purpose) stops working."""
    async with conn.transaction():
        await delete(conn, member_id, purpose)
        await conn.executemany(
            "INSERT INTO recovery_codes (member_id, code_hash, purpose) VALUES ($1, $2, $3)",
            [(member_id, h, purpose) for h in code_hashes],
        )


async def delete(conn: Conn, member_id: int, purpose: str) -> None:
    await conn.execute(
        "DELETE FROM recovery_codes WHERE member_id = $1 AND purpose = $2", member_id, purpose
    )


async def unused(conn: Conn, member_id: int, purpose: str = FOR_PASSWORD) -> list[StoredCode]:
    rows = await conn.fetch(
        "SELECT id, code_hash FROM recovery_codes"
        " WHERE member_id = $1 AND purpose = $2 AND used_at IS NULL ORDER BY id",
        member_id,
        purpose,
    )
    return [StoredCode(**r) for r in rows]


async def count_unused(conn: Conn, member_id: int, purpose: str = FOR_PASSWORD) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM recovery_codes"
            " WHERE member_id = $1 AND purpose = $2 AND used_at IS NULL",
            member_id,
            purpose,
        )
    )


async def use(conn: Conn, code_id: int) -> bool:
    """Mark a code used; False if it already was (two tabs racing with one code)."""
    status = await conn.execute(
        "UPDATE recovery_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL", code_id
    )
    return status.endswith(" 1")


async def ever_issued(conn: Conn, member_id: int, *, lock: bool = False) -> bool:
    """Whether the member was ever given codes (used ones are kept, marked, until a new set).
    `lock`: hold the member's row until the transaction ends, so two tabs cannot both issue."""
    if lock:
        await conn.execute("SELECT 1 FROM members WHERE id = $1 FOR UPDATE", member_id)
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE member_id = $1 AND purpose = $2)",
            member_id,
            FOR_PASSWORD,
        )
    )
