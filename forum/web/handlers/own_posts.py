"""A member's own posts: the list of them, edit (through a draft), delete, "people you helped",
responding to others' posts, and the moderators' view of a post's edit history.

Someone else's post, or one the viewer may not see, is a 404 for every action here.
"""

from __future__ import annotations

from aiohttp import web

from forum.members import limits
from forum.moderation import queue
from forum.storage import drafts, own_posts, posts, responses, topics
from forum.storage.members import Member
from forum.web import auth, forms
from forum.web.handlers._lookups import post_url, visible_post_or_404
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render

PAGE = 50


async def _own_post_or_404(request: web.Request, member: Member) -> own_posts.OwnPost:
    async with request.app[pool_key].acquire() as conn:
        post = await own_posts.get_own_post(conn, forms.int_param(request, "id"), member.id)
    if post is None:
        raise web.HTTPNotFound()
    return post


async def own_posts_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    before_id = forms.id_query(request, "before")
    async with request.app[pool_key].acquire() as conn:
        found = await own_posts.list_own_posts(conn, member.id, before_id=before_id, limit=PAGE + 1)
        own_drafts = await drafts.list_own_drafts(conn, member.id) if before_id is None else []
    older = found[PAGE - 1].id if len(found) > PAGE else None
    return render(
        request,
        "own_posts/list.html",
        {"posts": found[:PAGE], "drafts": own_drafts, "older": older},
    )


async def edit_post(request: web.Request) -> web.Response:
    """Open (or reopen) the draft that edits this post."""
    member = auth.require_member(request)
    post = await _own_post_or_404(request, member)
    if post.state != "published":
        raise web.HTTPNotFound()
    async with request.app[pool_key].acquire() as conn:
        draft_id = await own_posts.start_edit(conn, post, member.id)
    raise web.HTTPSeeOther(request.app.router["draft"].url_for(id=str(draft_id)))


async def delete_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    post = await _own_post_or_404(request, member)
    if post.state != "published":
        raise web.HTTPNotFound()
    return render(request, "own_posts/delete.html", {"post": post})


async def delete_post(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    post = await _own_post_or_404(request, member)
    async with request.app[pool_key].acquire() as conn:
        if not await own_posts.delete_own_post(conn, post.id, member.id):
            raise web.HTTPNotFound()
    if post.number is None:
        raise web.HTTPSeeOther(request.app.router["own_posts"].url_for())
    raise web.HTTPSeeOther(post_url(request, post.topic_id, post.number))


async def helped_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        found = await responses.list_helped(
            conn, member.id, before_id=forms.id_query(request, "before"), limit=PAGE + 1
        )
    older = found[PAGE - 1].id if len(found) > PAGE else None
    return render(request, "own_posts/helped.html", {"posts": found[:PAGE], "older": older})


async def respond(request: web.Request) -> web.Response:
    """Field `kind`: "helped" or "me-too"; pressing again takes the response back."""
    member = auth.require_member(request)
    post = await visible_post_or_404(request)
    kind = (await forms.read(request)).text("kind")
    if kind not in responses.KINDS:
        raise web.HTTPBadRequest(reason="Unknown response")
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(
                conn, request.app[settings_key], limits.RESPONSES_PER_MEMBER, f"m:{member.id}"
            )
        except limits.Limited as exc:
            raise web.HTTPTooManyRequests(headers={"Retry-After": str(exc.retry_after)}) from None
        changed = await responses.toggle(conn, post.post_id, member.id, kind)
    if changed is None:
        raise web.HTTPNotFound()  # their own post: there is nothing to respond to
    raise web.HTTPSeeOther(post_url(request, post.topic.id, post.number))


async def history_page(request: web.Request) -> web.Response:
    """Every earlier text of an edited post, for moderators of its group and for its author (a
    moderator's "edit and approve" keeps their text there); 404 for anyone else."""
    member = auth.require_member(request)
    post_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        where = await posts.get_post_group(conn, post_id)
        if where is None:
            raise web.HTTPNotFound()
        group_id, author_id, _ = where
        own = author_id == member.id
        scope = None if own else await queue.scope(conn, member)
        if not own and scope is not None and group_id not in scope:
            raise web.HTTPNotFound()
        post = await topics.get_post_for_moderation(conn, post_id)
        # Its author was promised that a deleted post's words are no longer shown to anyone.
        deleted = post is not None and post.state == "deleted"
        versions = [] if deleted else await own_posts.list_versions(conn, post_id)
    return render(
        request,
        "own_posts/history.html",
        {"post": post, "versions": versions, "deleted": deleted, "own": own},
    )


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/account/posts", own_posts_page, name="own_posts")
    r.add_get("/account/helped", helped_page, name="helped")
    r.add_post("/p/{id}/edit", edit_post, name="edit_post")
    r.add_get("/p/{id}/delete", delete_page, name="delete_post")
    r.add_post("/p/{id}/delete", delete_post)
    r.add_post("/p/{id}/respond", respond, name="respond")
    r.add_get("/mod/posts/{id}/history", history_page, name="post_history")
