"""A topic and its replies, paged by post number; `/p/{id}` links to one post."""

from __future__ import annotations

from aiohttp import web

from forum.storage import crisis, topics, viewer_marks
from forum.web import auth, forms, page_cache
from forum.web.handlers._lookups import (
    POSTS_PER_PAGE,
    page_of,
    post_url,
    visible_post_or_404,
    visible_topic_or_404,
)
from forum.web.keys import pool_key
from forum.web.pages import render


@page_cache.visitor_page("page")
async def topic_page(request: web.Request) -> web.Response:
    topic, view = await visible_topic_or_404(request, forms.int_param(request, "id"))
    page_cache.depends_on(request, view.group.id)
    raw_page = request.query.get("page", "1")
    if not (raw_page.isascii() and raw_page.isdigit()) or len(raw_page) > 9 or int(raw_page) < 1:
        raise web.HTTPNotFound()
    page = int(raw_page)
    last_page = page_of(max(topic.last_post_number, 1))
    if page > last_page:
        raise web.HTTPNotFound()
    first = (page - 1) * POSTS_PER_PAGE + 1
    viewer = auth.viewer(request)
    async with request.app[pool_key].acquire() as conn:
        posts = await topics.list_posts(
            conn, topic.id, first, first + POSTS_PER_PAGE - 1, viewer.id if viewer else None
        )
        own_held = (
            await topics.list_own_held(conn, topic.id, viewer.id)
            if viewer and page == last_page
            else []
        )
        marks = (
            await viewer_marks.get_marks(
                conn, viewer.id, topic.id, [p.id for p in posts], is_admin=viewer.is_admin
            )
            if viewer and topic.state == "published"
            else None
        )
        # After publishing words the scanner flagged, the author's page opens with support.
        support = (
            await crisis.list_resources(conn, view.group.id)
            if viewer and request.query.get("support") == "1"
            else None
        )
    return render(
        request,
        "topics/topic.html",
        {
            "topic": topic,
            "view": view,
            "group": view.group,
            "posts": posts,
            "own_held": own_held,
            "support": support,
            "page": page,
            "last_page": last_page,
            "marks": marks,
        },
    )


async def post_permalink(request: web.Request) -> web.Response:
    post = await visible_post_or_404(request)
    raise web.HTTPSeeOther(post_url(request, post.topic.id, post.number))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/t/{id}", topic_page, name="topic")
    r.add_get("/p/{id}", post_permalink, name="post")
