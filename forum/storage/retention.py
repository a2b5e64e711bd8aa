"""How long things are kept, and the batched deletes that keep to it
(migrations/0024_retention.sql). Every statement takes the time as `now`, so tests can move the
clock; each touches at most `batch` rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Policy:
    drafts_days: int = 180
    sessions_days: int = 30
    rate_limits_hours: int = 24
    tombstones_days: int = 30
    audit_details_days: int = 730


_COLUMNS = (
    "keep_drafts_days AS drafts_days, keep_sessions_days AS sessions_days,"
    " keep_rate_limits_hours AS rate_limits_hours, keep_tombstones_days AS tombstones_days,"
    " keep_audit_details_days AS audit_details_days"
)


async def get_policy(conn: Conn) -> Policy:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM site_policy")
    return Policy(**row) if row else Policy()


async def set_policy(conn: Conn, policy: Policy) -> None:
    await conn.execute(
        "INSERT INTO site_policy (keep_drafts_days, keep_sessions_days, keep_rate_limits_hours,"
        " keep_tombstones_days, keep_audit_details_days) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (only_row) DO UPDATE SET keep_drafts_days = $1, keep_sessions_days = $2,"
        " keep_rate_limits_hours = $3, keep_tombstones_days = $4, keep_audit_details_days = $5",
        policy.drafts_days,
        policy.sessions_days,
        policy.rate_limits_hours,
        policy.tombstones_days,
        policy.audit_details_days,
    )


def _count(status: str) -> int:
    return int(status.split()[-1])


@dataclass(frozen=True, slots=True)
class DraftDue:
    id: int
    author_id: int
    title: str
    updated_at: datetime


async def drafts_to_warn(
    conn: Conn, now: datetime, untouched: timedelta, batch: int
) -> list[DraftDue]:
    """Drafts untouched for `untouched` whose author has not been told yet; marked told."""
    rows = await conn.fetch(
        "UPDATE drafts SET retention_notice_at = $1::timestamptz WHERE id IN ("
        "  SELECT id FROM drafts WHERE updated_at < $1::timestamptz - $2::interval"
        "  AND retention_notice_at IS NULL ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED)"
        " RETURNING id, author_id, title, updated_at",
        now,
        untouched,
        batch,
    )
    return [DraftDue(**r) for r in rows]


async def delete_drafts(
    conn: Conn, now: datetime, untouched: timedelta, notice: timedelta, batch: int
) -> int:
    """Drafts untouched for `untouched` whose author was told at least `notice` ago."""
    return _count(
        await conn.execute(
            "DELETE FROM drafts WHERE id IN ("
            "  SELECT id FROM drafts WHERE updated_at < $1::timestamptz - $2::interval"
            "  AND retention_notice_at < $1::timestamptz - $3::interval LIMIT $4 FOR UPDATE SKIP LOCKED)",
            now,
            untouched,
            notice,
            batch,
        )
    )


async def delete_sessions(conn: Conn, now: datetime, unused: timedelta, batch: int) -> int:
    """Sessions that ended (expired) or have not been used for `unused`."""
    return _count(
        await conn.execute(
            "DELETE FROM sessions WHERE token_hash IN ("
            "  SELECT token_hash FROM sessions WHERE expires_at <= $1::timestamptz"
            "  OR last_seen_at < $1::timestamptz - $2::interval LIMIT $3)",
            now,
            unused,
            batch,
        )
    )


async def delete_rate_limits(conn: Conn, now: datetime, older: timedelta, batch: int) -> int:
    return _count(
        await conn.execute(
            "DELETE FROM rate_limits WHERE (bucket, key) IN ("
            "  SELECT bucket, key FROM rate_limits WHERE window_start < $1::timestamptz - $2::interval"
            "  LIMIT $3)",
            now,
            older,
            batch,
        )
    )


async def erase_tombstones(conn: Conn, now: datetime, older: timedelta, batch: int) -> int:
    """The text (and earlier versions) of posts their authors deleted longer ago than `older`;
    the placeholder stays in its thread."""
    async with conn.transaction():
        ids = await conn.fetch(
            "SELECT id FROM posts WHERE state = 'deleted' AND body_source <> '-'"
            " AND deleted_at < $1::timestamptz - $2::interval ORDER BY deleted_at LIMIT $3 FOR UPDATE",
            now,
            older,
            batch,
        )
        found = [r["id"] for r in ids]
        if found:
            await conn.execute("DELETE FROM post_versions WHERE post_id = ANY($1)", found)
            await conn.execute(
                "UPDATE posts SET body_source = '-', body_html = '', content_warning = ''"
                " WHERE id = ANY($1)",
                found,
            )
    return len(found)


async def blank_audit_details(conn: Conn, now: datetime, older: timedelta, batch: int) -> int:
    """The reason and the member of audit entries older than `older`; what was done, by whom,
    where and when stays. The trigger lets only this change through (0024_retention.sql)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL forum.retention = 'on'")
        return _count(
            await conn.execute(
                "UPDATE audit_log SET reason = '', subject_id = NULL WHERE id IN ("
                "  SELECT id FROM audit_log WHERE at < $1::timestamptz - $2::interval"
                "  AND (reason <> '' OR subject_id IS NOT NULL) ORDER BY id LIMIT $3)",
                now,
                older,
                batch,
            )
        )


async def delete_decisions(conn: Conn, now: datetime, older: timedelta, batch: int) -> int:
    """Statements of reasons older than `older`, with their appeals; never one whose appeal
    still waits."""
    return _count(
        await conn.execute(
            "DELETE FROM decisions WHERE id IN ("
            "  SELECT d.id FROM decisions d WHERE d.created_at < $1::timestamptz - $2::interval"
            "  AND NOT EXISTS (SELECT 1 FROM appeals a WHERE a.decision_id = d.id"
            "   AND a.state = 'open') ORDER BY d.id LIMIT $3)",
            now,
            older,
            batch,
        )
    )
