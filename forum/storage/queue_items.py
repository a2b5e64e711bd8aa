"""The moderation queue: one table for held posts, reports and crisis matches.

Every state change is a single conditional UPDATE (`... WHERE state = 'open' AND <not claimed by
someone else>`), so when two moderators act on one item at the same moment exactly one UPDATE
matches and the other gets None back, with `get_item` to say who won. No locks are held between
requests. Authors appear by pseudonym only when they did not post anonymously; the SQL yields NULL
otherwise, so a moderator page cannot leak an anonymous author's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from forum.storage.db import Conn

CLAIM_FOR = timedelta(minutes=15)
PRIORITY = {"crisis-urgent": 0, "crisis-concern": 10, "held": 20, "report": 30}


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    group_id: int
    group_slug: str
    group_name: str
    post_id: int
    topic_id: int
    topic_title: str
    kind: str
    priority: int
    state: str
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_until: datetime | None
    escalated_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    closed_by_name: str | None
    outcome: str | None
    post_state: str
    post_number: int | None
    author_id: int
    author_name: str | None  # None: an anonymous post; never show who wrote it
    anon_label: int | None  # an anonymous post's "Anonymous 2" in its topic
    identity: str  # what the author's record is scoped to (migrations/0011_identities.sql)
    excerpt: str
    report_count: int
    crisis_level: str | None = None
    crisis_phrases: str = ""  # what the scanner matched, for the moderator to read
    verdict: str | None = None  # the moderator's "was this person at risk?": urgent, concern, no

    def claimed_by_other(self, member_id: int, now: datetime) -> bool:
        return (
            self.claimed_by is not None
            and self.claimed_by != member_id
            and self.claimed_until is not None
            and self.claimed_until > now
        )


@dataclass(frozen=True, slots=True)
class Report:
    reason: str
    details: str
    created_at: datetime


_SELECT = """
    SELECT q.id, q.group_id, g.slug AS group_slug, g.name AS group_name, q.post_id, p.topic_id,
           t.title AS topic_title, q.kind, q.priority, q.state, q.claimed_by,
           cm.pseudonym AS claimed_by_name, q.claimed_until, q.escalated_at, q.created_at,
           q.closed_at, xm.pseudonym AS closed_by_name, q.outcome, p.state AS post_state,
           p.number AS post_number, p.author_id,
           CASE WHEN p.anonymous THEN NULL WHEN p.persona IS NOT NULL THEN p.persona
                WHEN am.deleted_at IS NOT NULL THEN 'deleted member'
                ELSE am.pseudonym END AS author_name,
           CASE WHEN p.anonymous THEN p.anon_label END AS anon_label,
           post_identity(p.anonymous, p.topic_id, p.persona, t.group_id) AS identity,
           CASE WHEN p.state = 'deleted' THEN '' ELSE left(p.body_source, 280) END AS excerpt,
           (SELECT count(*) FROM reports r WHERE r.post_id = q.post_id
              AND r.created_at >= q.created_at)::int AS report_count,
           q.crisis_level,
           coalesce((SELECT string_agg(DISTINCT m ->> 'phrase', ', ')
                     FROM jsonb_array_elements(q.crisis_matches) m), '') AS crisis_phrases,
           q.verdict
    FROM queue_items q
    JOIN groups g ON g.id = q.group_id
    JOIN posts p ON p.id = q.post_id
    JOIN topics t ON t.id = p.topic_id
    JOIN members am ON am.id = p.author_id
    LEFT JOIN members cm ON cm.id = q.claimed_by
    LEFT JOIN members xm ON xm.id = q.closed_by
"""


async def open_item(
    conn: Conn, *, group_id: int, post_id: int, kind: str, priority: int
) -> tuple[int, bool]:
    """Open an item for the post, or return the open one of that kind: (id, newly opened?)."""
    row = await conn.fetchrow(
        "INSERT INTO queue_items (group_id, post_id, kind, priority) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (post_id, kind) WHERE state = 'open'"
        " DO UPDATE SET priority = least(queue_items.priority, EXCLUDED.priority)"
        " RETURNING id, (xmax = 0) AS inserted",
        group_id,
        post_id,
        kind,
        priority,
    )
    assert row is not None
    return int(row["id"]), bool(row["inserted"])


async def get_item(conn: Conn, item_id: int) -> Item | None:
    row = await conn.fetchrow(_SELECT + " WHERE q.id = $1", item_id)
    return Item(**row) if row else None


async def list_open(conn: Conn, group_ids: list[int] | None, limit: int = 200) -> list[Item]:
    """Open items, most urgent first, oldest first within a priority. None: every group."""
    rows = await conn.fetch(
        _SELECT + " WHERE q.state = 'open' AND ($1::bigint[] IS NULL OR q.group_id = ANY($1))"
        " ORDER BY q.priority, q.created_at, q.id LIMIT $2",
        group_ids,
        limit,
    )
    return [Item(**r) for r in rows]


async def count_open_by_kind(conn: Conn, group_ids: list[int] | None) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT kind, count(*) AS n FROM queue_items WHERE state = 'open'"
        " AND ($1::bigint[] IS NULL OR group_id = ANY($1)) GROUP BY kind",
        group_ids,
    )
    return {r["kind"]: int(r["n"]) for r in rows}


_FREE_FOR = "(claimed_by IS NULL OR claimed_by = $2 OR claimed_until <= now())"


async def claim(conn: Conn, item_id: int, member_id: int) -> bool:
    status = await conn.execute(
        "UPDATE queue_items SET claimed_by = $2, claimed_until = now() + $3::interval,"
        " first_claimed_at = coalesce(first_claimed_at, now())"
        f" WHERE id = $1 AND state = 'open' AND {_FREE_FOR}",
        item_id,
        member_id,
        CLAIM_FOR,
    )
    return status == "UPDATE 1"


async def close(conn: Conn, item_id: int, member_id: int, outcome: str) -> bool:
    """Close the item if it is still open and not claimed by someone else; False if we lost."""
    status = await conn.execute(
        "UPDATE queue_items SET state = 'closed', closed_at = now(), closed_by = $2,"
        " outcome = $3, first_claimed_at = coalesce(first_claimed_at, now()),"
        " claimed_by = NULL, claimed_until = NULL"
        f" WHERE id = $1 AND state = 'open' AND {_FREE_FOR}",
        item_id,
        member_id,
        outcome,
    )
    return status == "UPDATE 1"


async def escalate(conn: Conn, item_id: int, member_id: int) -> bool:
    status = await conn.execute(
        "UPDATE queue_items SET escalated_at = now(), claimed_by = NULL, claimed_until = NULL"
        f" WHERE id = $1 AND state = 'open' AND escalated_at IS NULL AND {_FREE_FOR}",
        item_id,
        member_id,
    )
    return status == "UPDATE 1"


async def close_other_open_items(
    conn: Conn, post_id: int, member_id: int, outcome: str
) -> list[int]:
    """When a post is decided on, its other open items (say, reports on a held post) go too."""
    rows = await conn.fetch(
        "UPDATE queue_items SET state = 'closed', closed_at = now(), closed_by = $2, outcome = $3,"
        " claimed_by = NULL, claimed_until = NULL"
        " WHERE post_id = $1 AND state = 'open' RETURNING id",
        post_id,
        member_id,
        outcome,
    )
    return [r["id"] for r in rows]


async def list_reports(conn: Conn, post_id: int, since: datetime) -> list[Report]:
    rows = await conn.fetch(
        "SELECT reason, details, created_at FROM reports WHERE post_id = $1 AND created_at >= $2"
        " ORDER BY id",
        post_id,
        since,
    )
    return [Report(**r) for r in rows]


async def create_report(
    conn: Conn, post_id: int, reporter_id: int, reason: str, details: str
) -> bool:
    """False when this member already reported this post.

    Stamped with the clock, not the transaction's start: a report counts towards the open item
    it was filed against (`created_at >= item.created_at`), even when its transaction began first.
    """
    status = await conn.execute(
        "INSERT INTO reports (post_id, reporter_id, reason, details, created_at)"
        " VALUES ($1, $2, $3, $4, clock_timestamp())"
        " ON CONFLICT (post_id, reporter_id) DO NOTHING",
        post_id,
        reporter_id,
        reason,
        details,
    )
    return status == "INSERT 0 1"


async def count_reporters_since(conn: Conn, post_id: int, since: datetime) -> int:
    """Members who reported the post since `since` ("someone may be at risk" left out)."""
    return int(
        await conn.fetchval(
            "SELECT count(DISTINCT reporter_id) FROM reports"
            " WHERE post_id = $1 AND created_at >= $2 AND reason <> 'crisis'",
            post_id,
            since,
        )
    )


#: A reporter's weight towards hiding a post: a whole report from an account at least this old,
#: a quarter of one from a newer account; half as much again from a reporter whose last reports
#: moderators mostly kept (at least three decided, under a third of them upheld).
TRUSTED_AFTER = timedelta(days=7)


async def weigh_reporters_since(conn: Conn, post_id: int, since: datetime) -> float:
    """The reports on the post since `since`, weighed by their reporters' standing, for
    auto-hiding: fresh accounts, or ones whose reports moderators keep dismissing, count for
    little, so a few of them cannot take a post down. Crisis reports never count."""
    value = await conn.fetchval(
        "SELECT coalesce(sum("
        "  CASE WHEN m.created_at > now() - $3::interval THEN 0.25 ELSE 1.0 END"
        "  * CASE WHEN h.decided >= 3 AND h.upheld * 3 < h.decided THEN 0.5 ELSE 1.0 END), 0)"
        " FROM reports r JOIN members m ON m.id = r.reporter_id"
        " CROSS JOIN LATERAL ("
        "   SELECT count(*) AS decided, count(*) FILTER (WHERE q.outcome = 'rejected') AS upheld"
        "   FROM (SELECT earlier.post_id FROM reports earlier"
        "         WHERE earlier.reporter_id = r.reporter_id AND earlier.post_id <> r.post_id"
        "         ORDER BY earlier.id DESC LIMIT 20) past"
        "   JOIN queue_items q ON q.post_id = past.post_id AND q.kind = 'report'"
        "    AND q.state = 'closed') h"
        " WHERE r.post_id = $1 AND r.created_at >= $2 AND r.reason <> 'crisis'",
        post_id,
        since,
        TRUSTED_AFTER,
    )
    return float(value)


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    """What a moderator may know about one identity of an author in one group: the posts under
    that name (or that topic's anonymous label) only, so counts never join two names up."""

    removed_posts: int
    held_posts: int
    published_posts: int


async def author_history(conn: Conn, author_id: int, group_id: int, identity: str) -> AuthorHistory:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE p.state IN ('rejected', 'removed')) AS removed_posts,"
        "       count(*) FILTER (WHERE p.state = 'held') AS held_posts,"
        "       count(*) FILTER (WHERE p.state = 'published') AS published_posts"
        " FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.author_id = $1 AND t.group_id = $2"
        "   AND post_identity(p.anonymous, p.topic_id, p.persona, t.group_id) = $3",
        author_id,
        group_id,
        identity,
    )
    assert row is not None
    return AuthorHistory(**row)


@dataclass(frozen=True, slots=True)
class Figures:
    """What `/metrics` reports of the queues: open items by kind, and how long the oldest
    unclaimed crisis item has waited (0 when none waits)."""

    open_by_kind: dict[str, int]
    oldest_unclaimed_crisis_seconds: float


async def figures(conn: Conn) -> Figures:
    rows = await conn.fetch(
        "SELECT kind, count(*) AS n FROM queue_items WHERE state = 'open' GROUP BY kind"
    )
    oldest = await conn.fetchval(
        "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM queue_items"
        " WHERE state = 'open' AND kind = 'crisis'"
        "   AND (claimed_by IS NULL OR claimed_until < now())"
    )
    found = {kind: 0 for kind in ("crisis", "held", "report")}
    found.update({r["kind"]: int(r["n"]) for r in rows})
    return Figures(found, float(oldest))
