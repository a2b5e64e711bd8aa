"""The admin's list of members: pseudonym, when they joined, admin or not, sanctions in force.

There is nothing more to show: the forum keeps no e-mail address or real name. Paged by
pseudonym (keyset on the unique `lower(pseudonym)` index), never by OFFSET. The page lists members
only for a search: an admin looks someone up (after a report, to check a sanction) rather than
browsing everyone's pseudonym, which keeps even admins' pages from naming members who only ever
posted anonymously unless someone asks for that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class ListedMember:
    id: int
    pseudonym: str
    created_at: datetime
    is_admin: bool
    sanctions: list[str]  # e.g. "mute in Grief and loss until 2026-12-01", "suspended"


async def list_members(
    conn: Conn, *, search: str, after: str | None, limit: int
) -> list[ListedMember]:
    rows = await conn.fetch(
        "SELECT m.id, m.pseudonym, m.created_at, m.is_admin,"
        " coalesce(s.list, '{}') AS sanctions"
        " FROM members m LEFT JOIN LATERAL (SELECT array_agg(s.kind"
        "     || coalesce(' in ' || g.name, ' (site-wide)')"
        "     || coalesce(' until ' || to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '')"
        "     ORDER BY s.id) AS list"
        "   FROM sanctions s LEFT JOIN groups g ON g.id = s.group_id"
        "   WHERE s.member_id = m.id AND s.kind <> 'warn'"
        "     AND (s.ends_at IS NULL OR s.ends_at > now())) s ON true"
        " WHERE m.deleted_at IS NULL"
        "   AND strpos(lower(m.pseudonym), lower($1)) > 0"
        "   AND ($2::text IS NULL OR lower(m.pseudonym) > $2)"
        " ORDER BY lower(m.pseudonym) LIMIT $3",
        search,
        after,
        limit,
    )
    return [ListedMember(**r) for r in rows]
