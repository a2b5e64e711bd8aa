"""The admin's list of members: pseudonym, when they joined, admin or not.

There is nothing more to show: the forum keeps no e-mail address or real name. Paged by
pseudonym (keyset on the unique `lower(pseudonym)` index), never by OFFSET. The page lists members
only for a search: an admin looks someone up (after a report, to check a sanction) rather than
browsing everyone's pseudonym, which keeps even admins' pages from naming members who only ever
posted anonymously unless someone asks for that name.

Sanctions are deliberately not listed here: a sanction given over an anonymous post, matched by
group and date against the audit log, would tell an admin who wrote it without the audited
reveal. A member's sanctions are read on the moderation item they were given from.
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


async def list_members(
    conn: Conn, *, search: str, after: str | None, limit: int
) -> list[ListedMember]:
    rows = await conn.fetch(
        "SELECT m.id, m.pseudonym, m.created_at, m.is_admin FROM members m"
        " WHERE m.deleted_at IS NULL"
        "   AND strpos(lower(m.pseudonym), lower($1)) > 0"
        "   AND ($2::text IS NULL OR lower(m.pseudonym) > $2)"
        " ORDER BY lower(m.pseudonym) LIMIT $3",
        search,
        after,
        limit,
    )
    return [ListedMember(**r) for r in rows]
