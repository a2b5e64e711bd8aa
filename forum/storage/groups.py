"""Groups (topic boards) and who has joined them.

Visibility is decided in SQL, in one place (`_VISIBLE`): a public group is visible to everyone,
a members-only group to its active members (and admins). Every read that takes a viewer goes
through it, so "may this viewer see this group?" has one answer everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from forum.storage.db import Conn


class SlugTaken(Exception):
    """Another group already uses this slug."""


class DisplayNameTaken(Exception):
    """Another member of the group already goes by this name (in any letter case)."""


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    slug: str
    name: str
    description: str
    visibility: str
    membership: str
    anonymous: str
    moderation: str
    moderation_first_posts: int
    created_at: datetime
    archived_at: datetime | None
    report_hide_threshold: int
    crisis_policy: str = "hold"  # an urgent post: "hold" for a moderator, or "publish" and flag
    crisis_reescalate_minutes: int = 10
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group as one viewer sees it: with their membership state (None when not joined)."""

    group: Group
    membership_state: str | None

    @property
    def joined(self) -> bool:
        return self.membership_state == "active"


_COLUMNS = (
    "g.id, g.slug, g.name, g.description, g.visibility, g.membership, g.anonymous, g.moderation,"
    " g.moderation_first_posts, g.created_at, g.archived_at, g.report_hide_threshold,"
    " g.crisis_policy, g.crisis_reescalate_minutes, g.webhook_url"
)
# $1 is the viewer's member id (NULL for a visitor), $2 whether the viewer is an admin.
_VISIBLE = "(g.visibility = 'public' OR gm.state = 'active' OR $2::boolean)"
_JOIN_VIEWER = "LEFT JOIN group_members gm ON gm.group_id = g.id AND gm.member_id = $1"
#: The same rule for other storage modules that read across groups (search), so that it stays
#: written once: join JOIN_VIEWER to `groups g` and filter on VISIBLE, with $1 and $2 as above.
VISIBLE = _VISIBLE
JOIN_VIEWER = _JOIN_VIEWER


def _view(row: asyncpg.Record) -> GroupView:
    fields = dict(row)
    state = fields.pop("membership_state")
    return GroupView(Group(**fields), state)


async def create_group(
    conn: Conn,
    slug: str,
    name: str,
    *,
    description: str = "",
    visibility: str = "public",
    membership: str = "open",
    anonymous: str = "off",
    moderation: str = "open",
) -> Group:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO groups AS g (slug, name, description, visibility, membership, anonymous,"
            f" moderation) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}",
            slug,
            name,
            description,
            visibility,
            membership,
            anonymous,
            moderation,
        )
    except asyncpg.UniqueViolationError:
        raise SlugTaken(slug) from None
    assert row is not None
    return Group(**row)


async def get_group_by_slug(conn: Conn, slug: str) -> Group | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM groups g WHERE g.slug = $1", slug)
    return Group(**row) if row else None


async def get_visible_group(
    conn: Conn, slug: str, viewer_id: int | None, viewer_is_admin: bool
) -> GroupView | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, gm.state AS membership_state FROM groups g {_JOIN_VIEWER}"
        f" WHERE g.slug = $3 AND {_VISIBLE}",
        viewer_id,
        viewer_is_admin,
        slug,
    )
    return _view(row) if row else None


async def get_visible_group_by_id(
    conn: Conn, group_id: int, viewer_id: int | None, viewer_is_admin: bool
) -> GroupView | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, gm.state AS membership_state FROM groups g {_JOIN_VIEWER}"
        f" WHERE g.id = $3 AND {_VISIBLE}",
        viewer_id,
        viewer_is_admin,
        group_id,
    )
    return _view(row) if row else None


async def list_directory(conn: Conn, viewer_id: int | None, query: str = "") -> list[GroupView]:
    """Every group that is not archived, with the viewer's membership; `query` searches.

    Members-only groups are listed too (name and description only) so that people can find them
    and ask to join; their topics stay behind `get_visible_group`. Full-text search finds other
    forms of a word ("grieved" finds "grieving", not "grief": English stemming keeps those apart);
    the ILIKE arm finds partial words ("canc").
    """
    query = query.strip()[:100]
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, gm.state AS membership_state FROM groups g {_JOIN_VIEWER}"
        " WHERE g.archived_at IS NULL"
        "   AND ($2 = '' OR g.search @@ websearch_to_tsquery('english', $2)"
        "        OR g.name ILIKE '%' || $3 || '%' ESCAPE '\\'"
        "        OR g.description ILIKE '%' || $3 || '%' ESCAPE '\\')"
        " ORDER BY g.name, g.id",
        viewer_id,
        query,
        _escape_like(query),
    )
    return [_view(r) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def join_group(conn: Conn, group: Group, member_id: int) -> str:
    """Join an open group, or ask to join an approval group; returns the resulting state."""
    state = "active" if group.membership == "open" else "pending"
    row = await conn.fetchrow(
        "INSERT INTO group_members (group_id, member_id, state) VALUES ($1, $2, $3)"
        " ON CONFLICT (group_id, member_id) DO UPDATE SET state = group_members.state"
        " RETURNING state",
        group.id,
        member_id,
        state,
    )
    assert row is not None
    return str(row["state"])


async def add_member(conn: Conn, group_id: int, member_id: int) -> None:
    """Make someone an active member whatever the group's membership rule (e.g. a moderator)."""
    await conn.execute(
        "INSERT INTO group_members (group_id, member_id, state) VALUES ($1, $2, 'active')"
        " ON CONFLICT (group_id, member_id) DO UPDATE SET state = 'active'",
        group_id,
        member_id,
    )


async def leave_group(conn: Conn, group_id: int, member_id: int) -> None:
    await conn.execute(
        "DELETE FROM group_members WHERE group_id = $1 AND member_id = $2", group_id, member_id
    )


async def is_active_member(conn: Conn, group_id: int, member_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_members"
            " WHERE group_id = $1 AND member_id = $2 AND state = 'active')",
            group_id,
            member_id,
        )
    )


async def get_display_name(conn: Conn, group_id: int, member_id: int) -> str | None:
    """The member's own name in this group, if they chose one."""
    name = await conn.fetchval(
        "SELECT display_name FROM group_members WHERE group_id = $1 AND member_id = $2",
        group_id,
        member_id,
    )
    return None if name is None else str(name)


async def set_display_name(conn: Conn, group_id: int, member_id: int, name: str | None) -> bool:
    """Set (or, with None, clear) a joined member's name in the group; False if not joined."""
    try:
        status = await conn.execute(
            "UPDATE group_members SET display_name = $3 WHERE group_id = $1 AND member_id = $2",
            group_id,
            member_id,
            name,
        )
    except asyncpg.UniqueViolationError:
        raise DisplayNameTaken(name) from None
    return status == "UPDATE 1"


async def display_name_in_use(conn: Conn, name: str) -> bool:
    """Does any member use this name in any group, or sign posts with it? (So no one can register
    it as a pseudonym.) Posts keep the name they were published under, so a name dropped since
    is still theirs; only a deleted member's posts, shown as "deleted member", free it."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_members"
            " WHERE display_name IS NOT NULL AND lower(display_name) = lower($1))"
            " OR EXISTS (SELECT 1 FROM posts p JOIN members m ON m.id = p.author_id"
            "   WHERE p.persona IS NOT NULL AND lower(p.persona) = lower($1)"
            "   AND m.deleted_at IS NULL)",
            name,
        )
    )


async def name_on_others_posts(conn: Conn, group_id: int, name: str, member_id: int) -> bool:
    """Do posts in this group by someone else (not deleted) carry this name? Giving it to a new
    owner would make those posts look like theirs."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM posts p JOIN topics t ON t.id = p.topic_id"
            " JOIN members m ON m.id = p.author_id"
            " WHERE t.group_id = $1 AND p.persona IS NOT NULL AND lower(p.persona) = lower($2)"
            "   AND p.author_id <> $3 AND m.deleted_at IS NULL)",
            group_id,
            name,
            member_id,
        )
    )
