"""Membership beyond joining: requests to join an approval group, and accepting the guidelines.

A request is a `group_members` row in state 'pending' with the applicant's answer; approving
makes it 'active', declining deletes it (so the person may ask again later). Both are
conditional on the row still being pending, so two moderators deciding at once change it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class JoinRequest:
    group_id: int
    group_slug: str
    group_name: str
    join_question: str
    member_id: int
    pseudonym: str
    answer: str
    requested_at: datetime


async def list_pending(
    conn: Conn, group_ids: list[int] | None, limit: int = 200
) -> list[JoinRequest]:
    """Oldest first; `group_ids` None means every group (admins)."""
    rows = await conn.fetch(
        "SELECT g.id AS group_id, g.slug AS group_slug, g.name AS group_name, g.join_question,"
        " gm.member_id, m.pseudonym, gm.join_answer AS answer, gm.joined_at AS requested_at"
        " FROM group_members gm JOIN groups g ON g.id = gm.group_id"
        " JOIN members m ON m.id = gm.member_id"
        " WHERE gm.state = 'pending' AND m.deleted_at IS NULL AND g.archived_at IS NULL"
        "   AND ($1::bigint[] IS NULL OR gm.group_id = ANY($1))"
        " ORDER BY gm.joined_at, gm.group_id, gm.member_id LIMIT $2",
        group_ids,
        limit,
    )
    return [JoinRequest(**r) for r in rows]


async def approve(conn: Conn, group_id: int, member_id: int) -> bool:
    status = await conn.execute(
        "UPDATE group_members SET state = 'active', joined_at = now()"
        " WHERE group_id = $1 AND member_id = $2 AND state = 'pending'",
        group_id,
        member_id,
    )
    return status == "UPDATE 1"


async def decline(conn: Conn, group_id: int, member_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM group_members WHERE group_id = $1 AND member_id = $2 AND state = 'pending'",
        group_id,
        member_id,
    )
    return status == "DELETE 1"


async def accept_guidelines(conn: Conn, group_id: int, member_id: int) -> bool:
    """Recorded once for an active member; False if not a member (or already accepted)."""
    status = await conn.execute(
        "UPDATE group_members SET guidelines_accepted_at = now()"
        " WHERE group_id = $1 AND member_id = $2 AND state = 'active'"
        "   AND guidelines_accepted_at IS NULL",
        group_id,
        member_id,
    )
    return status == "UPDATE 1"


async def has_accepted_guidelines(conn: Conn, group_id: int, member_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1 AND member_id = $2"
            " AND guidelines_accepted_at IS NOT NULL)",
            group_id,
            member_id,
        )
    )
