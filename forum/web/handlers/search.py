"""Searching posts: `/search?q=...` across every group the viewer may read, `&group=slug` in one.

A plain GET form, so it works without JavaScript and a search can be bookmarked or shared (the
results still depend on who opens the link). Empty, over-long or wordless queries get a calm page
with the form, never an error; a group the viewer may not see is a 404, as everywhere. Every
search with words spends from a rate limit, per member or, for visitors, per address.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from forum.members import limits
from forum.storage import search
from forum.web import auth, forms, security
from forum.web.handlers._lookups import post_url, visible_group_or_404
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render

PAGE_SIZE = 20
#: Longer queries are cut to this; real searches are a few words.
MAX_QUERY = 200


def encode_cursor(result: search.Result) -> str:
    return f"{result.score}-{result.post_id}"


def decode_cursor(raw: str | None) -> tuple[int, int] | None:
    """A cursor from our own "More results" link; anything else was not made by us: 404."""
    if not raw:
        return None
    score, _, post_id = raw.partition("-")
    if not all(p.isascii() and p.isdigit() and len(p) < 18 for p in (score, post_id)):
        raise web.HTTPNotFound()
    return int(score), int(post_id)


def _reader(request: web.Request) -> str:
    """Who is searching, for the rate limit: the member, or a visitor's address."""
    viewer = auth.viewer(request)
    return "s:" + (f"m:{viewer.id}" if viewer else f"a:{security.client_rate_key(request)}")


async def search_page(request: web.Request) -> web.Response:
    viewer = auth.viewer(request)
    typed = " ".join(forms.clean_text(request.query.get("q", "")).split())
    query = typed[:MAX_QUERY]
    slug = request.query.get("group", "").strip()
    view = await visible_group_or_404(request, slug[:64]) if slug else None
    after = decode_cursor(request.query.get("after"))
    context: dict[str, Any] = {
        "query": query,
        "view": view,
        "group": view.group if view else None,
        "cut": len(typed) > MAX_QUERY,
        "max_query": MAX_QUERY,
        "problem": None,
        "results": [],
        "more": None,
        "paged": after is not None,
    }
    if not query:
        return render(request, "search/results.html", {**context, "problem": "empty"})
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(
                conn, request.app[settings_key], limits.SEARCH_PER_READER, _reader(request)
            )
        except limits.Limited as exc:
            response = render(
                request,
                "search/results.html",
                {**context, "problem": "limited", "retry_after": exc.retry_after},
                status=429,
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if not await search.is_searchable(conn, query):
            return render(request, "search/results.html", {**context, "problem": "no-words"})
        found = await search.search_posts(
            conn,
            query,
            viewer_id=viewer.id if viewer else None,
            viewer_is_admin=bool(viewer and viewer.is_admin),
            group_id=view.group.id if view else None,
            after=after,
            limit=PAGE_SIZE + 1,
        )
    shown = found[:PAGE_SIZE]
    base = request.app.router["search"].url_for()
    first = base.with_query({"q": query, **({"group": view.group.slug} if view else {})})
    context.update(
        results=[(r, post_url(request, r.topic_id, r.number)) for r in shown],
        more=first.update_query(after=encode_cursor(shown[-1])) if len(found) > PAGE_SIZE else None,
        first=first,
        everywhere=base.with_query(q=query),
    )
    return render(request, "search/results.html", context)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/search", search_page, name="search")
