"""Topics and their posts.

Author names are resolved in SQL: an anonymous row yields NULL for the name (and its per-topic
label instead), a post made under a per-group name yields that name, so no template or handler
ever holds an anonymous author's pseudonym, or the link between a member's names, to leak. Group pages page by keyset on
(last_posted_at, id); topic pages by post number. Neither counts nor offsets rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn

#: A member who deleted their account still has readable posts under this name.
DELETED_NAME = "deleted member"


@dataclass(frozen=True, slots=True)
class TopicSummary:
    id: int
    title: str
    author_name: str | None  # None: posted anonymously
    created_at: datetime
    last_posted_at: datetime
    reply_count: int


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    group_id: int
    title: str
    author_name: str | None
    created_at: datetime
    last_posted_at: datetime
    last_post_number: int
    reply_count: int
    state: str = "published"  # or "held": only its author is ever given a held topic


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    topic_id: int
    number: int
    author_name: str | None
    body_html: str
    content_warning: str
    created_at: datetime
    edited_at: datetime | None
    # "published"; "held" (shown to its author only); "hidden", "removed" or "deleted": shown
    # as a placeholder with no body, so the thread still reads in order.
    state: str = "published"
    anon_label: int | None = None  # "Anonymous 2": the same author within one topic
    is_own: bool = False  # the viewer wrote it (computed per viewer, shown to them alone)
    has_profile: bool = False  # the name shown is the author's pseudonym: link to their page


@dataclass(frozen=True, slots=True)
class NewPost:
    topic_id: int
    post_id: int
    number: int | None  # None: held for review, not in the thread yet
    held: bool = False


#: A post under a group name keeps it after its author's account is deleted: relabelling it
#: "deleted member" in the same moment as their signed posts would link the two names.
_NAME_EXPR = (
    "CASE WHEN {alias}.anonymous THEN NULL WHEN {alias}.persona IS NOT NULL THEN {alias}.persona"
    f" WHEN m.deleted_at IS NOT NULL THEN '{DELETED_NAME}' ELSE m.pseudonym END"
)
_AUTHOR_NAME = _NAME_EXPR + " AS author_name"
_HAS_PROFILE = "(NOT p.anonymous AND p.persona IS NULL AND m.deleted_at IS NULL)"
#: For other storage modules that show posts (search): how a post `p` by member `m` is signed,
#: and whether that name links to a profile, exactly as on the topic page.
POST_AUTHOR_NAME = _NAME_EXPR.format(alias="p")
POST_HAS_PROFILE = _HAS_PROFILE
#: A post anyone who may read its group may read: published, in a published topic `t`.
POST_READABLE = "(p.state = 'published' AND t.state = 'published')"


def _post_columns(viewer: str = "NULL::bigint") -> str:
    """The Post columns for any post; `viewer` is the SQL for the viewing member's id."""
    return (
        f"p.id, p.topic_id, coalesce(p.number, 0) AS number, {_AUTHOR_NAME.format(alias='p')},"
        " p.body_html, p.content_warning, p.created_at, p.edited_at, p.state, p.anon_label,"
        f" coalesce(p.author_id = {viewer}, false) AS is_own, {_HAS_PROFILE} AS has_profile"
    )


async def list_group_topics(
    conn: Conn,
    group_id: int,
    *,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[TopicSummary]:
    """Published topics, most recent activity first, strictly after the `before` keyset cursor."""
    before_at, before_id = before if before else (None, None)
    rows = await conn.fetch(
        f"SELECT t.id, t.title, {_AUTHOR_NAME.format(alias='t')}, t.created_at, t.last_posted_at,"
        " t.reply_count"
        " FROM topics t JOIN members m ON m.id = t.author_id"
        " WHERE t.group_id = $1 AND t.state = 'published'"
        "   AND ($2::timestamptz IS NULL OR (t.last_posted_at, t.id) < ($2, $3))"
        " ORDER BY t.last_posted_at DESC, t.id DESC LIMIT $4",
        group_id,
        before_at,
        before_id,
        limit,
    )
    return [TopicSummary(**r) for r in rows]


async def get_topic(conn: Conn, topic_id: int, viewer_id: int | None = None) -> Topic | None:
    """A published topic, or the viewer's own held one. Group visibility is the caller's question."""
    row = await conn.fetchrow(
        f"SELECT t.id, t.group_id, t.title, {_AUTHOR_NAME.format(alias='t')}, t.created_at,"
        " t.last_posted_at, t.last_post_number, t.reply_count, t.state"
        " FROM topics t JOIN members m ON m.id = t.author_id"
        " WHERE t.id = $1 AND (t.state = 'published' OR (t.state = 'held' AND t.author_id = $2))",
        topic_id,
        viewer_id,
    )
    return Topic(**row) if row else None


async def list_posts(
    conn: Conn, topic_id: int, first_number: int, last_number: int, viewer_id: int | None = None
) -> list[Post]:
    """Numbered posts; those no longer published come back as bare placeholders (no author, body,
    warning or label), so a removed anonymous post cannot be matched to its neighbours."""
    published = "p.state = 'published'"
    rows = await conn.fetch(
        "SELECT p.id, p.topic_id, p.number,"
        f" CASE WHEN {published} THEN {_NAME_EXPR.format(alias='p')} END AS author_name,"
        f" CASE WHEN {published} THEN p.body_html ELSE '' END AS body_html,"
        f" CASE WHEN {published} THEN p.content_warning ELSE '' END AS content_warning,"
        " p.created_at, p.edited_at, p.state,"
        f" CASE WHEN {published} THEN p.anon_label END AS anon_label,"
        f" {published} AND coalesce(p.author_id = $4, false) AS is_own,"
        f" {published} AND {_HAS_PROFILE} AS has_profile"
        " FROM posts p JOIN members m ON m.id = p.author_id"
        " WHERE p.topic_id = $1 AND p.number BETWEEN $2 AND $3"
        " ORDER BY p.number",
        topic_id,
        first_number,
        last_number,
        viewer_id,
    )
    return [Post(**r) for r in rows]


async def list_own_held(conn: Conn, topic_id: int, viewer_id: int) -> list[Post]:
    """The viewer's own posts in this topic that wait for a moderator (no one else sees them)."""
    rows = await conn.fetch(
        f"SELECT {_post_columns('$2')}"
        " FROM posts p JOIN members m ON m.id = p.author_id"
        " WHERE p.topic_id = $1 AND p.author_id = $2 AND p.state = 'held' ORDER BY p.id",
        topic_id,
        viewer_id,
    )
    return [Post(**r) for r in rows]


#: What moderators read of a post its author deleted: nothing. The author was told that a
#: deleted post's words are no longer shown to anyone, moderators included.
_UNLESS_DELETED = "CASE WHEN p.state = 'deleted' THEN '' ELSE p.{column} END"


async def get_post_for_moderation(conn: Conn, post_id: int) -> Post | None:
    """A post in any state, body included unless its author deleted it (for moderators; the
    author stays NULL if anonymous)."""
    columns = _post_columns().replace(
        "p.body_html,", _UNLESS_DELETED.format(column="body_html") + " AS body_html,"
    )
    row = await conn.fetchrow(
        f"SELECT {columns} FROM posts p JOIN members m ON m.id = p.author_id WHERE p.id = $1",
        post_id,
    )
    return Post(**row) if row else None


async def get_post_source(conn: Conn, post_id: int) -> str | None:
    """The Markdown, for "edit and approve" ('' for a post its author deleted)."""
    source = await conn.fetchval(
        f"SELECT {_UNLESS_DELETED.format(column='body_source')} FROM posts p WHERE p.id = $1",
        post_id,
    )
    return None if source is None else str(source)


async def list_context(conn: Conn, topic_id: int, number: int | None) -> list[Post]:
    """What a moderator needs to judge a post: the topic's opening post and the one before it."""
    rows = await conn.fetch(
        f"SELECT {_post_columns()}"
        " FROM posts p JOIN members m ON m.id = p.author_id"
        " WHERE p.topic_id = $1 AND p.state = 'published'"
        "   AND (p.number = 1 OR p.number = (SELECT max(number) FROM posts"
        "        WHERE topic_id = $1 AND state = 'published' AND ($2::int IS NULL OR number < $2)))"
        "   AND ($2::int IS NULL OR p.number < $2)"
        " ORDER BY p.number",
        topic_id,
        number,
    )
    return [Post(**r) for r in rows]


async def get_post_location(conn: Conn, post_id: int) -> tuple[int, int] | None:
    """(topic id, post number) of a published post in a published topic."""
    row = await conn.fetchrow(
        "SELECT p.topic_id, p.number FROM posts p JOIN topics t ON t.id = p.topic_id"
        " WHERE p.id = $1 AND p.state = 'published' AND t.state = 'published'",
        post_id,
    )
    return (row["topic_id"], row["number"]) if row else None


async def create_topic(
    conn: Conn,
    *,
    group_id: int,
    author_id: int,
    anonymous: bool,
    title: str,
    body_source: str,
    body_html: str,
    content_warning: str,
    held: bool = False,
    persona: str | None = None,
) -> NewPost:
    """A topic and its opening post (number 1, or none while held). Call inside a transaction.

    `persona` is the per-group name to publish under (ignored for an anonymous post)."""
    state = "held" if held else "published"
    number = None if held else 1
    persona = None if anonymous else persona
    topic_id = await conn.fetchval(
        "INSERT INTO topics (group_id, author_id, anonymous, title, last_post_number, state,"
        " persona) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        group_id,
        author_id,
        anonymous,
        title,
        number or 0,
        state,
        persona,
    )
    post_id = await _insert_post(
        conn,
        topic_id,
        author_id,
        anonymous,
        number,
        (body_source, body_html, content_warning),
        state,
        persona,
    )
    return NewPost(int(topic_id), post_id, number, held)


async def _insert_post(
    conn: Conn,
    topic_id: int,
    author_id: int,
    anonymous: bool,
    number: int | None,
    content: tuple[str, str, str],  # body_source, body_html, content_warning
    state: str,
    persona: str | None,
) -> int:
    """The post row of a new topic or reply, with its author's anonymous label in the topic."""
    label = await _anon_label(conn, topic_id, author_id) if anonymous else None
    body_source, body_html, content_warning = content
    post_id = await conn.fetchval(
        "INSERT INTO posts (topic_id, author_id, anonymous, number, body_source, body_html,"
        " content_warning, state, anon_label, persona)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        topic_id,
        author_id,
        anonymous,
        number,
        body_source,
        body_html,
        content_warning,
        state,
        label,
        persona,
    )
    return int(post_id)


async def _anon_label(conn: Conn, topic_id: int, author_id: int) -> int:
    """The author's anonymous label in this topic: theirs if they have one, else the next free.

    The topic row is locked first so two new anonymous authors never take the same number.
    """
    await conn.execute("SELECT 1 FROM topics WHERE id = $1 FOR UPDATE", topic_id)
    label = await conn.fetchval(
        "INSERT INTO topic_anon_labels (topic_id, member_id, label)"
        " SELECT $1, $2, coalesce(max(label), 0) + 1 FROM topic_anon_labels WHERE topic_id = $1"
        " ON CONFLICT (topic_id, member_id) DO UPDATE SET label = topic_anon_labels.label"
        " RETURNING label",
        topic_id,
        author_id,
    )
    return int(label)


async def create_reply(
    conn: Conn,
    *,
    topic_id: int,
    author_id: int,
    anonymous: bool,
    body_source: str,
    body_html: str,
    content_warning: str,
    held: bool = False,
    persona: str | None = None,
) -> NewPost | None:
    """A reply at the end of a published topic; None if the topic is gone. Call in a transaction.

    Taking the number from the topic row also locks it, so concurrent replies queue up there and
    each gets the next number. A held reply takes no number until a moderator approves it.
    """
    persona = None if anonymous else persona
    if held:
        if not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM topics WHERE id = $1 AND state = 'published')", topic_id
        ):
            return None
        number = None
    else:
        number = await conn.fetchval(
            "UPDATE topics SET last_post_number = last_post_number + 1,"
            " reply_count = reply_count + 1, last_posted_at = now()"
            " WHERE id = $1 AND state = 'published' RETURNING last_post_number",
            topic_id,
        )
        if number is None:
            return None
    post_id = await _insert_post(
        conn,
        topic_id,
        author_id,
        anonymous,
        number,
        (body_source, body_html, content_warning),
        "held" if held else "published",
        persona,
    )
    return NewPost(topic_id, post_id, None if number is None else int(number), held=held)
