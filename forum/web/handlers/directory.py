"""The group directory at `/`, with search over names and descriptions and a filter by
condition tag (`?tag=grief`, a plain link that works without JavaScript)."""

from __future__ import annotations

from aiohttp import web

from forum.groups.settings import TAGS
from forum.storage import groups
from forum.web import auth, page_cache
from forum.web.keys import pool_key
from forum.web.pages import render


@page_cache.visitor_page("tag")
async def directory_page(request: web.Request) -> web.Response:
    viewer = auth.viewer(request)
    query = request.query.get("q", "")[:100]
    tag = request.query.get("tag", "")
    if tag and tag not in TAGS:
        raise web.HTTPNotFound()
    async with request.app[pool_key].acquire() as conn:
        found = await groups.list_directory(conn, viewer.id if viewer else None, query, tag)
    return render(
        request,
        "directory/index.html",
        {"groups": found, "query": query.strip(), "tag": tag, "tags": TAGS},
    )


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/", directory_page, name="directory")
