"""Groups (topic boards) and who has joined them.

Visibility is decided in SQL, in one place (`_VISIBLE`): a public group is visible to everyone,
a members-only group to its active members (and admins). Every read that takes a viewer goes
through it, so "may this viewer see this group?" has one answer everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

from forum.storage.db import Conn

if TYPE_CHECKING:
    from forum.groups.settings import GroupSettings


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
    condition_tags: list[str] = field(default_factory=list)
    join_question: str = ""
    guidelines: str = ""
    appeals: str = "admins"  # who decides appeals: "admins", or "moderators" of this group too


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
    " g.crisis_policy, g.crisis_reescalate_minutes, g.webhook_url, g.condition_tags,"
    " g.join_question, g.guidelines, g.appeals"
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
    moderation_first_posts: int = 3,
    report_hide_threshold: int = 3,
    crisis_policy: str = "hold",
    crisis_reescalate_minutes: int = 10,
    webhook_url: str | None = None,
    condition_tags: Sequence[str] = (),
    join_question: str = "",
    guidelines: str = "",
    appeals: str = "admins",
) -> Group:
    try:
        row = await conn.fetchrow(
            "INSERT INTO groups AS g (slug, name, description, visibility, membership, anonymous,"
            " moderation, moderation_first_posts, report_hide_threshold, crisis_policy,"
            " crisis_reescalate_minutes, webhook_url, condition_tags, join_question, guidelines,"
            " appeals)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            f" RETURNING {_COLUMNS}",
            slug,
            name,
            description,
            visibility,
            membership,
            anonymous,
            moderation,
            moderation_first_posts,
            report_hide_threshold,
            crisis_policy,
            crisis_reescalate_minutes,
            webhook_url,
            list(condition_tags),
            join_question,
            guidelines,
            appeals,
        )
    except asyncpg.UniqueViolationError:
        raise SlugTaken(slug) from None
    assert row is not None
    # A new group may take an address another group once had: the live group wins from now on.
    await conn.execute("DELETE FROM group_slug_redirects WHERE old_slug = $1", slug)
    return Group(**row)


async def save_settings(conn: Conn, group: Group, settings: GroupSettings) -> Group:
    """Every setting at once; a changed slug leaves a redirect behind. Raises SlugTaken."""
    try:
        row = await conn.fetchrow(
            "UPDATE groups AS g SET slug = $2, name = $3, description = $4, visibility = $5,"
            " membership = $6, anonymous = $7, moderation = $8, moderation_first_posts = $9,"
            " report_hide_threshold = $10, crisis_policy = $11, crisis_reescalate_minutes = $12,"
            " webhook_url = $13, condition_tags = $14, join_question = $15, guidelines = $16,"
            " appeals = $17"
            f" WHERE g.id = $1 RETURNING {_COLUMNS}",
            group.id,
            settings.slug,
            settings.name,
            settings.description,
            settings.visibility,
            settings.membership,
            settings.anonymous,
            settings.moderation,
            settings.moderation_first_posts,
            settings.report_hide_threshold,
            settings.crisis_policy,
            settings.crisis_reescalate_minutes,
            settings.webhook_url,
            settings.condition_tags,
            settings.join_question,
            settings.guidelines,
            settings.appeals,
        )
    except asyncpg.UniqueViolationError:
        raise SlugTaken(settings.slug) from None
    assert row is not None
    if settings.slug != group.slug:
        await conn.execute("DELETE FROM group_slug_redirects WHERE old_slug = $1", settings.slug)
        await conn.execute(
            "INSERT INTO group_slug_redirects (old_slug, group_id) VALUES ($1, $2)"
            " ON CONFLICT (old_slug) DO UPDATE SET group_id = EXCLUDED.group_id",
            group.slug,
            group.id,
        )
    return Group(**row)


async def has_posts(conn: Conn, group_id: int) -> bool:
    """Has anything ever been posted here (held or removed too)? Then its slug is settled."""
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM topics WHERE group_id = $1)", group_id)
    )


async def set_archived(conn: Conn, group_id: int, archived: bool) -> bool:
    """True when this changed something, so repeating it is harmless."""
    status = await conn.execute(
        "UPDATE groups SET archived_at = CASE WHEN $2 THEN now() END"
        " WHERE id = $1 AND (archived_at IS NOT NULL) <> $2",
        group_id,
        archived,
    )
    return status == "UPDATE 1"


async def get_redirect(conn: Conn, old_slug: str) -> str | None:
    """The current slug of the group that was once at `old_slug`."""
    slug = await conn.fetchval(
        "SELECT g.slug FROM group_slug_redirects r JOIN groups g ON g.id = r.group_id"
        " WHERE r.old_slug = $1",
        old_slug,
    )
    return None if slug is None else str(slug)


async def posts_this_week(conn: Conn, group_id: int) -> int:
    """Posts made visible in the last seven days: at most seven rows of a maintained counter."""
    return int(
        await conn.fetchval(
            "SELECT coalesce(sum(posts), 0) FROM group_daily_posts"
            " WHERE group_id = $1 AND day > (now() AT TIME ZONE 'UTC')::date - 7",
            group_id,
        )
    )


async def get_group_by_slug(conn: Conn, slug: str) -> Group | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM groups g WHERE g.slug = $1", slug)
    return Group(**row) if row else None


async def get_visible_group(
    conn: Conn, slug: str, viewer_id: int | None, viewer_is_admin: bool
) -> GroupView | None:
    return await _visible_group(conn, "g.slug", slug, viewer_id, viewer_is_admin)


async def get_visible_group_by_id(
    conn: Conn, group_id: int, viewer_id: int | None, viewer_is_admin: bool
) -> GroupView | None:
    return await _visible_group(conn, "g.id", group_id, viewer_id, viewer_is_admin)


async def _visible_group(
    conn: Conn, column: str, value: str | int, viewer_id: int | None, viewer_is_admin: bool
) -> GroupView | None:
    """The group whose `column` (one of two fixed names, never input) is `value`, if visible."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, gm.state AS membership_state FROM groups g {_JOIN_VIEWER}"
        f" WHERE {column} = $3 AND {_VISIBLE}",
        viewer_id,
        viewer_is_admin,
        value,
    )
    return _view(row) if row else None


async def list_directory(
    conn: Conn, viewer_id: int | None, query: str = "", tag: str = ""
) -> list[GroupView]:
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
        "   AND ($4::text = '' OR g.condition_tags @> ARRAY[$4::text])"
        " ORDER BY g.name, g.id",
        viewer_id,
        query,
        _escape_like(query),
        tag,
    )
    return [_view(r) for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def join_group(
    conn: Conn,
    group: Group,
    member_id: int,
    *,
    answer: str = "",
    accepted_guidelines: bool = False,
) -> str:
    """Join an open group, or ask to join an approval group; returns the resulting state."""
    state = "active" if group.membership == "open" else "pending"
    row = await conn.fetchrow(
        "INSERT INTO group_members (group_id, member_id, state, join_answer,"
        " guidelines_accepted_at) VALUES ($1, $2, $3, $4, CASE WHEN $5::boolean THEN now() END)"
        " ON CONFLICT (group_id, member_id) DO UPDATE SET state = group_members.state"
        " RETURNING state",
        group.id,
        member_id,
        state,
        answer,
        accepted_guidelines,
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


async def rejoin(conn: Conn, group_id: int, member_id: int) -> bool:
    """Back in the group after a removal that was undone, unless they have since joined or asked
    to (their choice stands); False then."""
    status = await conn.execute(
        "INSERT INTO group_members (group_id, member_id, state) VALUES ($1, $2, 'active')"
        " ON CONFLICT (group_id, member_id) DO NOTHING",
        group_id,
        member_id,
    )
    return status == "INSERT 0 1"


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
