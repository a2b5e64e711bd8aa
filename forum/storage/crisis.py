"""Crisis data: resources shown to authors, per-group lexicon additions, re-escalation and the
webhook outbox.

Re-escalation takes `now` from the caller instead of SQL's now(), so tests drive it with a
controllable clock; rows are picked with FOR UPDATE SKIP LOCKED and marked in the same statement,
so with N processes running the same loop each item is escalated exactly once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Resource:
    id: int
    region: str
    name: str
    phone: str
    text_number: str
    url: str
    hours: str


async def list_resources(conn: Conn, group_id: int) -> list[Resource]:
    """The group's own resources first, then the forum-wide ones; "everyone" before regions."""
    rows = await conn.fetch(
        "SELECT id, region, name, phone, text_number, url, hours FROM crisis_resources"
        " WHERE group_id = $1 OR group_id IS NULL"
        " ORDER BY group_id IS NULL, region <> '', position, id",
        group_id,
    )
    return [Resource(**r) for r in rows]


async def list_group_phrases(conn: Conn, group_id: int) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT phrase, level FROM crisis_phrases WHERE group_id = $1 ORDER BY id", group_id
    )
    return [(r["phrase"], r["level"]) for r in rows]


async def record_scan(conn: Conn, item_id: int, level: str, matches: list[dict[str, Any]]) -> None:
    await conn.execute(
        "UPDATE queue_items SET crisis_level = $2, crisis_matches = $3::jsonb WHERE id = $1",
        item_id,
        level,
        json.dumps(matches),
    )


@dataclass(frozen=True, slots=True)
class Overdue:
    item_id: int
    group_id: int
    group_slug: str
    group_name: str
    webhook_url: str | None
    created_at: datetime


#: The two steps of re-escalation: (column marking the step, time the wait is counted from).
#: Moderators are alerted a group-set time after the item opened; admins the same time later.
_STEPS = {
    "moderators": ("reescalated_at", "q2.created_at"),
    "admins": ("admins_alerted_at", "q2.reescalated_at"),
}


async def take_overdue(conn: Conn, now: datetime, step: str) -> list[Overdue]:
    """Unclaimed urgent items whose wait for `step` is over; marks them so it happens once."""
    mark, since = _STEPS[step]  # fixed names from the table above, never caller text
    rows = await conn.fetch(
        f"""
        UPDATE queue_items q SET {mark} = $1::timestamptz
        FROM groups g
        WHERE q.id IN (
            SELECT q2.id FROM queue_items q2 JOIN groups g2 ON g2.id = q2.group_id
            WHERE q2.state = 'open' AND q2.kind = 'crisis' AND q2.crisis_level = 'urgent'
              AND q2.first_claimed_at IS NULL AND q2.{mark} IS NULL
              AND {since} <= $1::timestamptz - make_interval(mins => g2.crisis_reescalate_minutes)
            FOR UPDATE OF q2 SKIP LOCKED)
          AND g.id = q.group_id
        RETURNING q.id AS item_id, q.group_id, g.slug AS group_slug, g.name AS group_name,
                  g.webhook_url, q.created_at
        """,
        now,
    )
    return [Overdue(**r) for r in rows]


async def list_moderator_ids(conn: Conn, group_id: int) -> list[int]:
    rows = await conn.fetch(
        "SELECT member_id FROM group_moderators WHERE group_id = $1 ORDER BY member_id", group_id
    )
    return [r["member_id"] for r in rows]


# -- Webhook outbox ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    group_id: int
    url: str
    payload: str
    attempts: int


async def enqueue_webhook(
    conn: Conn, group_id: int, item_id: int | None, url: str, payload: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO webhook_deliveries (group_id, item_id, url, payload)"
        " VALUES ($1, $2, $3, $4::jsonb)",
        group_id,
        item_id,
        url,
        json.dumps(payload, sort_keys=True),
    )


async def take_due_deliveries(
    conn: Conn, now: datetime, *, lease: timedelta, limit: int = 20
) -> list[Delivery]:
    """Claim due deliveries by pushing their next attempt out by `lease` (so another process
    does not send them at the same time); the caller then records success or failure."""
    rows = await conn.fetch(
        """
        UPDATE webhook_deliveries d SET next_attempt_at = $1::timestamptz + $2::interval
        WHERE d.id IN (SELECT id FROM webhook_deliveries
                       WHERE delivered_at IS NULL AND next_attempt_at <= $1
                       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.group_id, d.url, d.payload::text AS payload, d.attempts
        """,
        now,
        lease,
        limit,
    )
    return [Delivery(**r) for r in rows]


async def mark_delivered(conn: Conn, delivery_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET delivered_at = $2, attempts = attempts + 1,"
        " last_error = '' WHERE id = $1",
        delivery_id,
        now,
    )


async def mark_failed(conn: Conn, delivery_id: int, retry_at: datetime | None, error: str) -> None:
    """Record a failed attempt; `retry_at` None means give up (the row stays, for the record)."""
    await conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $3,"
        " next_attempt_at = coalesce($2, 'infinity'::timestamptz) WHERE id = $1",
        delivery_id,
        retry_at,
        error[:500],
    )


# -- Admin settings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    id: int
    phrase: str
    level: str


async def list_phrases(conn: Conn, group_id: int) -> list[Phrase]:
    rows = await conn.fetch(
        "SELECT id, phrase, level FROM crisis_phrases WHERE group_id = $1 ORDER BY lower(phrase)",
        group_id,
    )
    return [Phrase(**r) for r in rows]


async def add_phrase(conn: Conn, group_id: int, phrase: str, level: str, by: int) -> bool:
    """False when the group already has this phrase (in any letter case)."""
    status = await conn.execute(
        "INSERT INTO crisis_phrases (group_id, phrase, level, created_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (group_id, lower(phrase)) DO NOTHING",
        group_id,
        phrase,
        level,
        by,
    )
    return status == "INSERT 0 1"


async def remove_phrase(conn: Conn, group_id: int, phrase_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM crisis_phrases WHERE id = $1 AND group_id = $2", phrase_id, group_id
    )
    return status != "DELETE 0"


async def list_own_resources(conn: Conn, group_id: int) -> list[Resource]:
    rows = await conn.fetch(
        "SELECT id, region, name, phone, text_number, url, hours FROM crisis_resources"
        " WHERE group_id = $1 ORDER BY position, id",
        group_id,
    )
    return [Resource(**r) for r in rows]


async def add_resource(conn: Conn, group_id: int, fields: dict[str, str]) -> None:
    await conn.execute(
        "INSERT INTO crisis_resources (group_id, region, name, phone, text_number, url, hours,"
        " position) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " (SELECT coalesce(max(position), 0) + 1 FROM crisis_resources WHERE group_id = $1))",
        group_id,
        fields["region"],
        fields["name"],
        fields["phone"],
        fields["text_number"],
        fields["url"],
        fields["hours"],
    )


async def remove_resource(conn: Conn, group_id: int, resource_id: int) -> bool:
    status = await conn.execute(
        "DELETE FROM crisis_resources WHERE id = $1 AND group_id = $2", resource_id, group_id
    )
    return status != "DELETE 0"


async def save_settings(
    conn: Conn, group_id: int, *, policy: str, reescalate_minutes: int, webhook_url: str | None
) -> None:
    await conn.execute(
        "UPDATE groups SET crisis_policy = $2, crisis_reescalate_minutes = $3, webhook_url = $4"
        " WHERE id = $1",
        group_id,
        policy,
        reescalate_minutes,
        webhook_url,
    )


async def recent_post_texts(conn: Conn, group_id: int, limit: int) -> list[tuple[int, str]]:
    """The group's newest posts (any state but deleted) as the scanner read them at publishing:
    a topic's first post with its title, a reply on its own."""
    rows = await conn.fetch(
        "SELECT p.id, CASE WHEN p.id = (SELECT min(f.id) FROM posts f WHERE f.topic_id = t.id)"
        "   THEN t.title ELSE '' END || E'\\n' || p.body_source AS text"
        " FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE t.group_id = $1 AND p.state <> 'deleted'"
        " ORDER BY p.id DESC LIMIT $2",
        group_id,
        limit,
    )
    return [(r["id"], r["text"]) for r in rows]


VERDICTS = ("urgent", "concern", "no")


async def record_verdict(conn: Conn, item_id: int, moderator_id: int, verdict: str) -> bool:
    """Set (or change) an item's verdict; a miss when no crisis item of the post was the
    scanner's. False if the item does not exist."""
    row = await conn.fetchrow(
        "UPDATE queue_items q SET verdict = $3, verdict_by = $2, verdict_at = now(),"
        " verdict_missed = $3 <> 'no' AND NOT EXISTS ("
        "   SELECT 1 FROM queue_items s WHERE s.post_id = q.post_id AND s.crisis_level IS NOT NULL)"
        " WHERE id = $1 RETURNING id",
        item_id,
        moderator_id,
        verdict,
    )
    return row is not None


@dataclass(frozen=True, slots=True)
class ScannerRecord:
    days: int
    flagged_confirmed: int  # the scanner flagged it and the moderator said at risk
    flagged_not_at_risk: int  # flagged, and the moderator said no
    misses: int  # not flagged, reached the queue another way, and at risk


async def scanner_record(conn: Conn, group_id: int, days: int) -> ScannerRecord:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE crisis_level IS NOT NULL AND verdict <> 'no')::int AS c,"
        "       count(*) FILTER (WHERE crisis_level IS NOT NULL AND verdict = 'no')::int AS n,"
        "       count(*) FILTER (WHERE verdict_missed)::int AS m"
        " FROM queue_items"
        " WHERE group_id = $1 AND verdict IS NOT NULL"
        "   AND verdict_at >= now() - $2 * interval '1 day'",
        group_id,
        days,
    )
    assert row is not None
    return ScannerRecord(days, row["c"], row["n"], row["m"])


@dataclass(frozen=True, slots=True)
class Verdict:
    item_id: int
    text: str  # the post's source, read in-process for training and never written out
    label: str  # "urgent", "concern" or "none"


async def list_verdicts(conn: Conn) -> list[Verdict]:
    """Every post's latest verdict, oldest first, for `forum crisis-train --with-local-verdicts`.

    One row per post (its latest verdict), and only posts still there: a deleted post's text is
    gone and so is its lesson."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (q.post_id) q.id, p.body_source, q.verdict"
        " FROM queue_items q JOIN posts p ON p.id = q.post_id"
        " WHERE q.verdict IS NOT NULL AND p.state <> 'deleted'"
        " ORDER BY q.post_id, q.verdict_at DESC"
    )
    out = [
        Verdict(r["id"], r["body_source"], "none" if r["verdict"] == "no" else r["verdict"])
        for r in rows
    ]
    return sorted(out, key=lambda v: v.item_id)
