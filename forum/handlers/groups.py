"""A group's page (its topics, most recent activity first) and joining it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from forum import auth
from forum.keys import pool_key
from forum.moderation import sanctions
from forum.pages import render
from forum.storage import groups, topics

PAGE_SIZE = 30
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def encode_cursor(summary: topics.TopicSummary) -> str:
    return f"{(summary.last_posted_at - _EPOCH) // _MICRO}-{summary.id}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    if not raw:
        return None
    micros, _, topic_id = raw.partition("-")
    plausible = all(
        part.isascii() and part.isdigit() and len(part) < 18 for part in (micros, topic_id)
    )
    if not plausible:
        raise web.HTTPNotFound()
    return _EPOCH + int(micros) * _MICRO, int(topic_id)


async def visible_group_or_404(request: web.Request, slug: str) -> groups.GroupView:
    viewer = auth.viewer(request)
    async with request.app[pool_key].acquire() as conn:
        found = await groups.get_visible_group(
            conn, slug, viewer.id if viewer else None, bool(viewer and viewer.is_admin)
        )
    if found is None:
        raise web.HTTPNotFound()
    return found


async def group_page(request: web.Request) -> web.Response:
    view = await visible_group_or_404(request, request.match_info["slug"])
    before = decode_cursor(request.query.get("before"))
    async with request.app[pool_key].acquire() as conn:
        found = await topics.list_group_topics(
            conn, view.group.id, before=before, limit=PAGE_SIZE + 1
        )
    older = encode_cursor(found[PAGE_SIZE - 1]) if len(found) > PAGE_SIZE else None
    return render(
        request,
        "groups/group.html",
        {
            "view": view,
            "group": view.group,
            "topics": found[:PAGE_SIZE],
            "older": older,
            "paged": before is not None,
        },
    )


async def join_group(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    slug = request.match_info["slug"]
    async with request.app[pool_key].acquire() as conn:
        group = await groups.get_group_by_slug(conn, slug)
        if group is None or group.archived_at is not None:
            raise web.HTTPNotFound()
        removed = await sanctions.removal(conn, member.id, group)
        if removed is not None:  # removed by a moderator: rejoining would undo their decision
            return render(
                request, "groups/join_refused.html", {"group": group, "why": removed}, status=400
            )
        state = await groups.join_group(conn, group, member.id)
    if state == "pending":
        raise web.HTTPSeeOther(request.app.router["directory"].url_for().with_query(requested=slug))
    raise web.HTTPSeeOther(request.app.router["group"].url_for(slug=slug))
