"""How a group is doing, for its admins: activity, members waiting for a first reply, and
how quickly moderators pick up what is waiting.

Each figure is one query over an index (the daily post counter, topics by group and creation
time, open queue items), bounded to a recent window, so the page stays cheap as a group grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from forum.storage.db import Conn

WEEKS = 8
UNANSWERED_HOURS = 24
LIST_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Week:
    starts: date
    posts: int


@dataclass(frozen=True, slots=True)
class Unanswered:
    topic_id: int
    title: str
    created_at: datetime
    group_name: str


@dataclass(frozen=True, slots=True)
class Health:
    weeks: list[Week]
    unanswered: list[Unanswered]
    median_first_reply_seconds: float | None  # topics started in the last 30 days
    open_items: int
    unclaimed_items: int
    median_claim_seconds: float | None  # queue items opened in the last 30 days


async def weekly_posts(conn: Conn, group_id: int, weeks: int = WEEKS) -> list[Week]:
    """Posts per ISO week, newest first, including weeks with none."""
    rows = await conn.fetch(
        "WITH w AS (SELECT generate_series(date_trunc('week', now() AT TIME ZONE 'UTC')::date"
        "   - 7 * ($2 - 1), date_trunc('week', now() AT TIME ZONE 'UTC')::date,"
        "   interval '7 days')::date AS starts)"
        " SELECT w.starts, coalesce(sum(d.posts), 0)::int AS posts FROM w"
        " LEFT JOIN group_daily_posts d ON d.group_id = $1"
        "   AND d.day >= w.starts AND d.day < w.starts + 7"
        " GROUP BY w.starts ORDER BY w.starts DESC",
        group_id,
        weeks,
    )
    return [Week(**r) for r in rows]


async def list_unanswered(
    conn: Conn, group_ids: list[int] | None, limit: int = LIST_LIMIT
) -> list[Unanswered]:
    """Topics of the last 90 days still without a reply a day later, newest first (their
    authors are the likeliest to come back and read a welcome). `group_ids` None: every group."""
    rows = await conn.fetch(
        "SELECT t.id AS topic_id, t.title, t.created_at, g.name AS group_name"
        " FROM topics t JOIN groups g ON g.id = t.group_id"
        " WHERE ($1::bigint[] IS NULL OR t.group_id = ANY($1))"
        "   AND t.state = 'published' AND t.reply_count = 0 AND g.archived_at IS NULL"
        "   AND t.created_at < now() - make_interval(hours => $2)"
        "   AND t.created_at > now() - interval '90 days'"
        " ORDER BY t.created_at DESC LIMIT $3",
        group_ids,
        UNANSWERED_HOURS,
        limit,
    )
    return [Unanswered(**r) for r in rows]


async def get_health(conn: Conn, group_id: int) -> Health:
    unanswered = await list_unanswered(conn, [group_id])
    first_reply = await conn.fetchval(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - t.created_at))"
        " FROM topics t CROSS JOIN LATERAL (SELECT min(p.created_at) AS at FROM posts p"
        "   WHERE p.topic_id = t.id AND p.number > 1 AND p.state = 'published') r"
        " WHERE t.group_id = $1 AND t.state = 'published'"
        "   AND t.created_at > now() - interval '30 days' AND r.at IS NOT NULL",
        group_id,
    )
    queue = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE state = 'open') AS open_items,"
        " count(*) FILTER (WHERE state = 'open' AND (claimed_until IS NULL"
        "   OR claimed_until < now())) AS unclaimed_items,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
        "   first_claimed_at - created_at)) FILTER (WHERE first_claimed_at IS NOT NULL)"
        "   AS median_claim_seconds"
        " FROM queue_items WHERE group_id = $1"
        "   AND (state = 'open' OR created_at > now() - interval '30 days')",
        group_id,
    )
    assert queue is not None
    return Health(
        weeks=await weekly_posts(conn, group_id),
        unanswered=unanswered,
        median_first_reply_seconds=None if first_reply is None else float(first_reply),
        open_items=int(queue["open_items"]),
        unclaimed_items=int(queue["unclaimed_items"]),
        median_claim_seconds=(
            None if queue["median_claim_seconds"] is None else float(queue["median_claim_seconds"])
        ),
    )


@dataclass(frozen=True, slots=True)
class ModeratorLoad:
    group_id: int
    group_slug: str
    group_name: str
    member_id: int
    pseudonym: str
    appointed_at: datetime
    open_claims: int  # items they hold right now
    claimed_30d: int  # items they were first to claim in the last 30 days
    median_claim_seconds: float | None  # for those items: opened -> their claim
    group_open_items: int
    group_moderators: int


async def list_moderator_load(conn: Conn, group_id: int | None = None) -> list[ModeratorLoad]:
    """Every moderator (of one group, or of all), with their load and their group's."""
    rows = await conn.fetch(
        # Each item's first claim ever, kept if it falls in the last 30 days: a recent claim of
        # an item first claimed long ago is not a first claim.
        "WITH recent AS (SELECT DISTINCT item_id FROM audit_log"
        "   WHERE action = 'claim' AND at > now() - interval '30 days'),"
        " firsts AS (SELECT * FROM (SELECT DISTINCT ON (a.item_id) a.item_id, a.actor_id, a.at"
        "   FROM audit_log a JOIN recent USING (item_id) WHERE a.action = 'claim'"
        "   ORDER BY a.item_id, a.id) f WHERE f.at > now() - interval '30 days'),"
        " mine AS (SELECT f.actor_id, q.group_id, count(*) AS n,"
        "   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.at - q.created_at))"
        "     AS median"
        "   FROM firsts f JOIN queue_items q ON q.id = f.item_id GROUP BY 1, 2),"
        " open_q AS (SELECT group_id, count(*) AS n,"
        "   count(*) FILTER (WHERE claimed_until > now()) AS claimed FROM queue_items"
        "   WHERE state = 'open' GROUP BY group_id),"
        " held AS (SELECT group_id, claimed_by, count(*) AS n FROM queue_items"
        "   WHERE state = 'open' AND claimed_until > now() GROUP BY 1, 2),"
        " mods AS (SELECT group_id, count(*) AS n FROM group_moderators GROUP BY group_id)"
        " SELECT gm.group_id, g.slug AS group_slug, g.name AS group_name, gm.member_id,"
        " m.pseudonym, gm.appointed_at, coalesce(h.n, 0)::int AS open_claims,"
        " coalesce(mine.n, 0)::int AS claimed_30d, mine.median AS median_claim_seconds,"
        " coalesce(o.n, 0)::int AS group_open_items, mods.n::int AS group_moderators"
        " FROM group_moderators gm JOIN members m ON m.id = gm.member_id"
        " JOIN groups g ON g.id = gm.group_id JOIN mods ON mods.group_id = gm.group_id"
        " LEFT JOIN held h ON h.group_id = gm.group_id AND h.claimed_by = gm.member_id"
        " LEFT JOIN mine ON mine.group_id = gm.group_id AND mine.actor_id = gm.member_id"
        " LEFT JOIN open_q o ON o.group_id = gm.group_id"
        " WHERE $1::bigint IS NULL OR gm.group_id = $1"
        " ORDER BY g.name, g.id, lower(m.pseudonym)",
        group_id,
    )
    return [ModeratorLoad(**r) for r in rows]


@dataclass(frozen=True, slots=True)
class GroupSummary:
    id: int
    slug: str
    name: str
    archived_at: datetime | None
    visibility: str
    membership: str
    moderators: int
    open_items: int
    pending_requests: int
    posts_this_week: int


async def list_group_summaries(conn: Conn) -> list[GroupSummary]:
    """Every group, archived ones too, for the admin overview: one query, grouped counts."""
    rows = await conn.fetch(
        "SELECT g.id, g.slug, g.name, g.archived_at, g.visibility, g.membership,"
        " coalesce(mods.n, 0)::int AS moderators, coalesce(q.n, 0)::int AS open_items,"
        " coalesce(p.n, 0)::int AS pending_requests, coalesce(d.n, 0)::int AS posts_this_week"
        " FROM groups g"
        " LEFT JOIN (SELECT group_id, count(*) AS n FROM group_moderators GROUP BY 1) mods"
        "   ON mods.group_id = g.id"
        " LEFT JOIN (SELECT group_id, count(*) AS n FROM queue_items WHERE state = 'open'"
        "   GROUP BY 1) q ON q.group_id = g.id"
        " LEFT JOIN (SELECT group_id, count(*) AS n FROM group_members WHERE state = 'pending'"
        "   GROUP BY 1) p ON p.group_id = g.id"
        " LEFT JOIN (SELECT group_id, sum(posts) AS n FROM group_daily_posts"
        "   WHERE day > (now() AT TIME ZONE 'UTC')::date - 7 GROUP BY 1) d ON d.group_id = g.id"
        " ORDER BY g.archived_at IS NOT NULL, g.name, g.id"
    )
    return [GroupSummary(**r) for r in rows]
