"""What several handler modules need: the viewer-aware 404 lookups and links to a post.

Each lookup answers 404 for what does not exist and for what this viewer may not see, the same
answer, so a page never confirms that a hidden group, topic or admin page is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from forum.storage import groups, topics
from forum.storage.members import Member
from forum.web import auth, forms
from forum.web.keys import pool_key

#: Posts per topic page.
POSTS_PER_PAGE = 20


def page_of(number: int) -> int:
    return (number - 1) // POSTS_PER_PAGE + 1


def post_url(request: web.Request, topic_id: int, number: int) -> str:
    url = request.app.router["topic"].url_for(id=str(topic_id))
    page = page_of(number)
    if page > 1:
        url = url.with_query(page=page)
    return f"{url}#post-{number}"


async def visible_topic_or_404(
    request: web.Request, topic_id: int
) -> tuple[topics.Topic, groups.GroupView]:
    viewer = auth.viewer(request)
    async with request.app[pool_key].acquire() as conn:
        topic = await topics.get_topic(conn, topic_id, viewer.id if viewer else None)
        if topic is None:
            raise web.HTTPNotFound()
        view = await groups.get_visible_group_by_id(
            conn, topic.group_id, viewer.id if viewer else None, bool(viewer and viewer.is_admin)
        )
    if view is None:
        raise web.HTTPNotFound()
    return topic, view


@dataclass(frozen=True, slots=True)
class VisiblePost:
    post_id: int
    number: int
    topic: topics.Topic
    view: groups.GroupView


async def visible_post_or_404(request: web.Request) -> VisiblePost:
    """The post at `{id}`, with its topic and group, if the viewer may read its topic."""
    post_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        location = await topics.get_post_location(conn, post_id)
    if location is None:
        raise web.HTTPNotFound()
    topic, view = await visible_topic_or_404(request, location[0])
    return VisiblePost(post_id, location[1], topic, view)


async def visible_group_or_404(request: web.Request, slug: str) -> groups.GroupView:
    """The group at `slug`, or at the slug it had before it was renamed, if the viewer may see
    it. Following old slugs here, not by redirecting, keeps a form posted with an old slug (a
    draft, a join) working, and answers 404 for a hidden group at its old address too."""
    viewer = auth.viewer(request)
    viewer_id, is_admin = (viewer.id if viewer else None), bool(viewer and viewer.is_admin)
    async with request.app[pool_key].acquire() as conn:
        found = await groups.get_visible_group(conn, slug, viewer_id, is_admin)
        if found is None:
            renamed = await groups.get_redirect(conn, slug)
            if renamed is not None:
                found = await groups.get_visible_group(conn, renamed, viewer_id, is_admin)
    if found is None:
        raise web.HTTPNotFound()
    return found


def require_admin(request: web.Request) -> Member:
    """Anyone but a signed-in admin, visitors included, gets 404: not even a sign-in prompt
    says that an admin page is there."""
    member = auth.viewer(request)
    if member is None or not member.is_admin:
        raise web.HTTPNotFound()
    return member


async def group_or_404(request: web.Request) -> groups.Group:
    async with request.app[pool_key].acquire() as conn:
        group = await groups.get_group_by_slug(conn, request.match_info["slug"])
    if group is None:
        raise web.HTTPNotFound()
    return group


async def admin_and_group(request: web.Request) -> tuple[Member, groups.Group]:
    """The signed-in admin and the group at `{slug}` of an admin page (else 404)."""
    return require_admin(request), await group_or_404(request)
