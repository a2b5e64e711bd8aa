"""Members' one-time recovery codes, as argon2 hashes (migrations/0020_recovery_codes.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class StoredCode:
    id: int
    code_hash: str


async def replace(conn: Conn, member_id: int, code_hashes: Sequence[str]) -> None:
    """The member's new set; every code of the old set stops working."""
    async with conn.transaction():
        await conn.execute("DELETE FROM recovery_codes WHERE member_id = $1", member_id)
        await conn.executemany(
            "INSERT INTO recovery_codes (member_id, code_hash) VALUES ($1, $2)",
            [(member_id, h) for h in code_hashes],
        )


async def unused(conn: Conn, member_id: int) -> list[StoredCode]:
    rows = await conn.fetch(
        "SELECT id, code_hash FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL"
        " ORDER BY id",
        member_id,
    )
    return [StoredCode(**r) for r in rows]


async def count_unused(conn: Conn, member_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL",
            member_id,
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
            "SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE member_id = $1)", member_id
        )
    )
