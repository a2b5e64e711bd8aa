"""Who moderates which group. Admins moderate every group without being appointed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Moderator:
    member_id: int
    pseudonym: str
    appointed_at: datetime
    open_claims: int


async def appoint(conn: Conn, group_id: int, member_id: int, by: int | None) -> bool:
    """True when newly appointed; appointing twice changes nothing. `by` is the appointing admin
    (None for an appointment no admin made, such as demo or test data)."""
    status = await conn.execute(
        "INSERT INTO group_moderators (group_id, member_id, appointed_by) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        group_id,
        member_id,
        by,
    )
    return status == "INSERT 0 1"


async def remove(conn: Conn, group_id: int, member_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM group_moderators WHERE group_id = $1 AND member_id = $2", group_id, member_id
    )
    return status != "DELETE 0"


async def list_for_group(conn: Conn, group_id: int) -> list[Moderator]:
    rows = await conn.fetch(
        "SELECT gm.member_id, m.pseudonym, gm.appointed_at,"
        "  (SELECT count(*) FROM queue_items q WHERE q.group_id = gm.group_id AND q.state = 'open'"
        "     AND q.claimed_by = gm.member_id AND q.claimed_until > now()) AS open_claims"
        " FROM group_moderators gm JOIN members m ON m.id = gm.member_id"
        " WHERE gm.group_id = $1 ORDER BY lower(m.pseudonym)",
        group_id,
    )
    return [Moderator(**r) for r in rows]


async def moderated_group_ids(conn: Conn, member_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT group_id FROM group_moderators WHERE member_id = $1 ORDER BY group_id", member_id
    )
    return [r["group_id"] for r in rows]


async def is_moderator(conn: Conn, group_id: int, member_id: int) -> bool:
    """Appointed to this group, or an admin (who moderates every group)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_moderators WHERE group_id = $1 AND member_id = $2)"
            " OR EXISTS (SELECT 1 FROM members WHERE id = $2 AND is_admin AND deleted_at IS NULL)",
            group_id,
            member_id,
        )
    )


async def list_admin_ids(conn: Conn) -> list[int]:
    rows = await conn.fetch("SELECT id FROM members WHERE is_admin AND deleted_at IS NULL")
    return [r["id"] for r in rows]
