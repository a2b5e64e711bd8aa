"""What one signed-in member alone sees on a topic page, read in one query per page.

Whether they follow the topic; which posts are collapsed because they muted the author (posts
under the author's pseudonym only, see `storage.inbox`); which posts they responded to; and, on
their own posts, how many people responded (counts only, never who).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class ViewerMarks:
    following: bool = False
    muted: frozenset[int] = frozenset()
    responded: frozenset[tuple[int, str]] = frozenset()  # (post id, kind)
    counts: dict[int, dict[str, int]] = field(default_factory=dict)  # own posts only
    moderates: bool = False  # a moderator of the topic's group: may read edit histories

    def count(self, post_id: int, kind: str) -> int:
        return self.counts.get(post_id, {}).get(kind, 0)


async def get_marks(
    conn: Conn, member_id: int, topic_id: int, post_ids: list[int], *, is_admin: bool = False
) -> ViewerMarks:
    rows = await conn.fetch(
        "SELECT 'moderates' AS what, NULL::bigint AS post_id, NULL::text AS kind, 1::bigint AS n"
        " FROM group_moderators gmod JOIN topics t ON t.group_id = gmod.group_id"
        " WHERE t.id = $2 AND gmod.member_id = $1"
        " UNION ALL"
        " SELECT 'following' AS what, NULL::bigint AS post_id, NULL::text AS kind, 1::bigint AS n"
        " FROM topic_follows WHERE topic_id = $2 AND member_id = $1 AND state = 'following'"
        " UNION ALL"
        " SELECT 'muted', p.id, NULL, 1 FROM posts p"
        " JOIN member_mutes mm ON mm.muted_id = p.author_id AND mm.member_id = $1"
        " WHERE p.id = ANY($3::bigint[]) AND NOT p.anonymous AND p.persona IS NULL"
        " UNION ALL"
        " SELECT 'mine', r.post_id, r.kind, 1 FROM post_responses r"
        " WHERE r.member_id = $1 AND r.post_id = ANY($3::bigint[])"
        " UNION ALL"
        " SELECT 'count', r.post_id, r.kind, count(*) FROM post_responses r"
        " JOIN posts p ON p.id = r.post_id"
        " WHERE p.author_id = $1 AND r.post_id = ANY($3::bigint[]) GROUP BY r.post_id, r.kind",
        member_id,
        topic_id,
        post_ids,
    )
    following = False
    moderates = is_admin
    muted: set[int] = set()
    responded: set[tuple[int, str]] = set()
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for r in rows:
        if r["what"] == "moderates":
            moderates = True
        elif r["what"] == "following":
            following = True
        elif r["what"] == "muted":
            muted.add(r["post_id"])
        elif r["what"] == "mine":
            responded.add((r["post_id"], r["kind"]))
        else:
            counts[r["post_id"]][r["kind"]] = int(r["n"])
    return ViewerMarks(following, frozenset(muted), frozenset(responded), dict(counts), moderates)
