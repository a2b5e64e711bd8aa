"""Full-text search over published posts and topic titles, in the groups a viewer may read.

Nothing here decides visibility on its own: groups come through `groups.VISIBLE` (members-only
groups for their active members and admins; archived groups stay readable), posts through
`topics.POST_READABLE` (published, in a published topic: never held, hidden by reports,
rejected, removed or deleted), and the author's name through `topics.POST_AUTHOR_NAME`, so an
anonymous post shows its per-topic label and a post made under a per-group name shows that name,
as on the topic page. No name is indexed (see migrations/0009_search.sql).

Results are posts, best first. An opening post also carries its topic's title with weight A
(bodies have weight D), so a topic about a word ranks ahead of a reply that mentions it in
passing; the rank is divided by the log of the text's length for the same reason. Ranks are
scaled to whole numbers ("scores") so that the keyset cursor (score, id) survives a URL exactly,
and ties are broken by id: pages never overlap or skip, and nothing is counted or offset.

Snippets come from `ts_headline` over the sanitised HTML (its tags are dropped by the parser),
with two private-use characters as highlight marks; they are stripped from the text first, so
every mark is ours. The pieces come back as plain text for the template to escape.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from forum.storage import groups, topics
from forum.storage.db import Conn

#: Scores are ts_rank (a float in [0, 1]) times this, rounded down.
SCORE_SCALE = 1_000_000
_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=30, MinWords=12, ShortWord=2,'
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
_TITLE_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", HighlightAll=true'
_MARKS = re.compile(f"([{_START}{_STOP}])")
_SPACE = re.compile(r"\s+")

#: One piece of highlighted text: (text, is it a match?).
Piece = tuple[str, bool]


@dataclass(frozen=True, slots=True)
class Result:
    post_id: int
    topic_id: int
    number: int
    title: tuple[Piece, ...]
    snippet: tuple[Piece, ...]
    group_slug: str
    group_name: str
    author_name: str | None  # None: posted anonymously (see anon_label)
    anon_label: int | None
    has_profile: bool
    content_warning: str
    created_at: datetime
    score: int


async def is_searchable(conn: Conn, query: str) -> bool:
    """Does the query look for at least one word? Punctuation, stop words alone, or only
    exclusions ("-grief", which would match nearly everything) do not."""
    tree = await conn.fetchval("SELECT querytree(websearch_to_tsquery('english', $1))", query)
    return tree not in (None, "", "T")


_QUERY = "websearch_to_tsquery('english', $3)"
# Written so the planner sees the query itself (no CTE hides it: its estimates pick hash joins
# for a common word), carries the few columns ranking needs out of the index scans, and fetches
# bodies, names and snippets only for the page's rows. A post matching by body and by title comes
# from the first branch only, so UNION ALL needs no de-duplication.
_SEARCH = f"""
WITH matches AS (
    SELECT p.id, p.number, p.search AS body, t.search AS title, t.group_id
    FROM posts p JOIN topics t ON t.id = p.topic_id
    WHERE p.search @@ {_QUERY} AND {topics.POST_READABLE} AND ($4::bigint IS NULL OR t.group_id = $4)
    UNION ALL
    SELECT p.id, p.number, p.search, t.search, t.group_id
    FROM topics t JOIN posts p ON p.topic_id = t.id AND p.number = 1
    WHERE t.search @@ {_QUERY} AND NOT p.search @@ {_QUERY} AND {topics.POST_READABLE}
      AND ($4::bigint IS NULL OR t.group_id = $4)
),
scored AS (
    SELECT matches.id,
        floor(ts_rank(CASE WHEN matches.number = 1 THEN setweight(matches.title, 'A') || matches.body
                           ELSE matches.body END, {_QUERY}, 1) * {SCORE_SCALE})::bigint AS score
    FROM matches JOIN groups g ON g.id = matches.group_id {groups.JOIN_VIEWER}
    WHERE {groups.VISIBLE}
),
page AS (
    SELECT id, score FROM scored
    WHERE $5::bigint IS NULL OR (score, id) < ($5, $6)
    ORDER BY score DESC, id DESC
    LIMIT $7
)
SELECT p.id AS post_id, p.topic_id, p.number, p.content_warning, p.created_at, p.anon_label,
    g.slug AS group_slug, g.name AS group_name, {topics.POST_AUTHOR_NAME} AS author_name,
    {topics.POST_HAS_PROFILE} AS has_profile, page.score,
    ts_headline('english', translate(t.title, '{_START}{_STOP}', ''), {_QUERY},
                '{_TITLE_OPTIONS}') AS title,
    ts_headline('english', translate(p.body_html, '{_START}{_STOP}', ''), {_QUERY},
                '{_HEADLINE_OPTIONS}') AS snippet
FROM page
JOIN posts p ON p.id = page.id
JOIN topics t ON t.id = p.topic_id
JOIN groups g ON g.id = t.group_id
JOIN members m ON m.id = p.author_id
ORDER BY page.score DESC, page.id DESC
"""


async def search_posts(
    conn: Conn,
    query: str,
    *,
    viewer_id: int | None,
    viewer_is_admin: bool,
    group_id: int | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 20,
) -> list[Result]:
    """Posts matching `query` that the viewer may read, best first, strictly after the
    (score, post id) cursor `after`; only in `group_id` when given."""
    after_score, after_id = after if after else (None, None)
    async with conn.transaction():
        # A cached generic plan cannot see the words, and plans every search as if it matched a
        # handful of posts: nested loops that take seconds for a common word. Plan each one.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await conn.fetch(
            _SEARCH, viewer_id, viewer_is_admin, query, group_id, after_score, after_id, limit
        )
    results = []
    for row in rows:
        fields = dict(row)
        fields["title"] = pieces(fields["title"], html_source=False)
        fields["snippet"] = pieces(fields["snippet"], html_source=True)
        results.append(Result(**fields))
    return results


def pieces(headline: str, *, html_source: bool) -> tuple[Piece, ...]:
    """Split `ts_headline` output at our marks into plain-text pieces, spaces collapsed.

    From HTML, entities are decoded (`&amp;` is "&" to the reader; Jinja escapes it again)."""
    found: list[Piece] = []
    inside = False
    for part in _MARKS.split(headline):
        if part == _START:
            inside = True
        elif part == _STOP:
            inside = False
        elif part:
            text = _SPACE.sub(" ", html.unescape(part) if html_source else part)
            found.append((text, inside))
    if found:
        found[0] = (found[0][0].lstrip(), found[0][1])
        found[-1] = (found[-1][0].rstrip(), found[-1][1])
    return tuple(p for p in found if p[0])
