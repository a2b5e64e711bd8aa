"""Sanctions on members: warnings, group mutes and removals, site-wide suspensions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from asyncpg import Record

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Sanction:
    id: int
    kind: str
    group_id: int | None
    reason: str
    ends_at: datetime | None
    created_at: datetime
    created_by: int
    post_id: int | None
    lifted_at: datetime | None
    # A moderator's sanction on a staff member's anonymous post, not in force until an admin
    # confirms it (migrations/0019_staff_sanctions.sql).
    awaiting_admin: bool = False
    rule: str = ""  # the rule its statement of reasons names (forum/moderation/reasons.py)
    detected_by: str = "moderator"

    def in_force(self, now: datetime) -> bool:
        return self.kind != "warn" and (self.ends_at is None or self.ends_at > now)


_COLUMNS = (
    "id, kind, group_id, reason, ends_at, created_at, created_by, post_id, lifted_at,"
    " awaiting_admin, rule, detected_by"
)


async def create(
    conn: Conn,
    *,
    member_id: int,
    group_id: int | None,
    kind: str,
    reason: str,
    duration: timedelta | None,
    created_by: int,
    post_id: int | None,
    awaiting_admin: bool = False,
    rule: str = "",
    detected_by: str = "moderator",
) -> Sanction:
    """Given for `post_id` (None: for no post), under that post's identity (see `list_for`)."""
    row = await conn.fetchrow(
        "INSERT INTO sanctions (member_id, group_id, kind, reason, ends_at, created_by, post_id,"
        " awaiting_admin, rule, detected_by, identity)"
        " VALUES ($1, $2, $3, $4, now() + $5::interval, $6, $7, $8, $9, $10, coalesce("
        "   (SELECT post_identity(p.anonymous, p.topic_id, p.persona, t.group_id)"
        "    FROM posts p JOIN topics t ON t.id = p.topic_id WHERE p.id = $7), 'member'))"
        f" RETURNING {_COLUMNS}",
        member_id,
        group_id,
        kind,
        reason,
        duration,
        created_by,
        post_id,
        awaiting_admin,
        rule,
        detected_by,
    )
    assert row is not None
    return Sanction(**row)


async def active_posting_blocks(conn: Conn, member_id: int, group_id: int) -> list[Sanction]:
    """Suspensions, and mutes or removals in this group, that are still in force."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sanctions WHERE member_id = $1"
        " AND (kind = 'suspend' OR (kind IN ('mute', 'remove') AND group_id = $2))"
        " AND NOT awaiting_admin AND (ends_at IS NULL OR ends_at > now())"
        " ORDER BY ends_at DESC NULLS FIRST",
        member_id,
        group_id,
    )
    return [Sanction(**r) for r in rows]


async def list_for(conn: Conn, member_id: int, group_id: int, identity: str) -> list[Sanction]:
    """This group's and site-wide sanctions given under `identity` (`queue_items.Item.identity`):
    what the member was sanctioned for under another name is never listed beside this one."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM sanctions WHERE member_id = $1 AND identity = $3"
        " AND (group_id = $2 OR group_id IS NULL) ORDER BY id DESC LIMIT 50",
        member_id,
        group_id,
        identity,
    )
    return [Sanction(**r) for r in rows]


async def end_sooner(
    conn: Conn, sanction_id: int, *, after: timedelta | None, by: int
) -> Sanction | None:
    """End the sanction `after` from now (None: now, which lifts it), if that is sooner than it
    would have ended; None when it has already ended or would end sooner anyway."""
    row = await conn.fetchrow(
        "UPDATE sanctions SET ends_at = now() + coalesce($2::interval, '0'),"
        " lifted_at = CASE WHEN $2::interval IS NULL THEN now() END,"
        " lifted_by = CASE WHEN $2::interval IS NULL THEN $3::bigint END"
        " WHERE id = $1 AND kind <> 'warn' AND (ends_at IS NULL OR ends_at > now())"
        "   AND (ends_at IS NULL OR ends_at > now() + coalesce($2::interval, '0'))"
        f" RETURNING {_COLUMNS}",
        sanction_id,
        after,
        by,
    )
    return Sanction(**row) if row else None


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A sanction waiting for an admin, as the admins' overview lists it (never the author)."""

    sanction: Sanction
    group_name: str
    moderator: str
    item_id: int | None  # the queue item it was given from, for the link


async def list_awaiting(conn: Conn, limit: int = 100) -> list[Awaiting]:
    """Sanctions waiting for an admin's decision and not yet ended or withdrawn, oldest first."""
    rows = await conn.fetch(
        f"SELECT {', '.join('s.' + c.strip() for c in _COLUMNS.split(','))},"
        " g.name AS group_name, m.pseudonym AS moderator,"
        " (SELECT max(q.id) FROM queue_items q WHERE q.post_id = s.post_id) AS item_id"
        " FROM sanctions s JOIN members m ON m.id = s.created_by"
        " LEFT JOIN groups g ON g.id = s.group_id"
        " WHERE s.awaiting_admin AND s.lifted_at IS NULL"
        "   AND (s.ends_at IS NULL OR s.ends_at > now())"
        " ORDER BY s.created_at LIMIT $1",
        limit,
    )
    out = []
    for r in rows:
        row = dict(r)
        extra = {k: row.pop(k) for k in ("group_name", "moderator", "item_id")}
        out.append(
            Awaiting(
                Sanction(**row), extra["group_name"] or "", extra["moderator"], extra["item_id"]
            )
        )
    return out


async def confirm(conn: Conn, sanction_id: int) -> tuple[Sanction, int] | None:
    """Put a waiting sanction in force, its length counting from now: (sanction, member id), or
    None if it no longer waits."""
    row = await conn.fetchrow(
        "UPDATE sanctions SET awaiting_admin = false,"
        " ends_at = CASE WHEN ends_at IS NULL THEN NULL ELSE now() + (ends_at - created_at) END"
        " WHERE id = $1 AND awaiting_admin AND lifted_at IS NULL"
        "   AND (ends_at IS NULL OR ends_at > now())"
        f" RETURNING member_id, {_COLUMNS}",
        sanction_id,
    )
    return _with_member(row)


async def dismiss(conn: Conn, sanction_id: int, *, by: int) -> tuple[Sanction, int] | None:
    """Withdraw a waiting sanction, recorded as lifted as any lifted sanction is: (sanction,
    member id), or None if it no longer waits."""
    row = await conn.fetchrow(
        "UPDATE sanctions SET awaiting_admin = false, lifted_at = now(), lifted_by = $2,"
        " ends_at = CASE WHEN kind = 'warn' THEN ends_at ELSE now() END"
        " WHERE id = $1 AND awaiting_admin AND lifted_at IS NULL"
        f" RETURNING member_id, {_COLUMNS}",
        sanction_id,
        by,
    )
    return _with_member(row)


def _with_member(row: Record | None) -> tuple[Sanction, int] | None:
    if row is None:
        return None
    fields = dict(row)
    member_id = fields.pop("member_id")
    return Sanction(**fields), member_id


async def withdraw(conn: Conn, sanction_id: int, *, by: int) -> bool:
    """An appeal upheld: the sanction ends now, as lifted (a warning too); False when it had
    ended already (lifted, or run its time)."""
    status = await conn.execute(
        "UPDATE sanctions SET lifted_at = now(), lifted_by = $2,"
        " ends_at = CASE WHEN kind = 'warn' THEN ends_at ELSE now() END"
        " WHERE id = $1 AND lifted_at IS NULL"
        "   AND (kind = 'warn' OR ends_at IS NULL OR ends_at > now())",
        sanction_id,
        by,
    )
    return status == "UPDATE 1"
