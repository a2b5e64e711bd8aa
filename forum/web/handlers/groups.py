"""A group's page (its topics, most recent activity first) and joining it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from forum.groups import about
from forum.members import accounts
from forum.storage import groups, topics
from forum.web import auth, forms, page_cache
from forum.web.handlers._lookups import visible_group_or_404
from forum.web.keys import pool_key
from forum.web.pages import render

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


@page_cache.visitor_page("before")
async def group_page(request: web.Request) -> web.Response:
    view = await visible_group_or_404(request, request.match_info["slug"])
    if view.group.slug != request.match_info["slug"]:  # an old address: send people on
        url = request.app.router["group"].url_for(slug=view.group.slug)
        raise web.HTTPMovedPermanently(url.with_query(request.query))
    page_cache.depends_on(request, view.group.id)
    return await _group_page(request, view)


async def _group_page(
    request: web.Request,
    view: groups.GroupView,
    *,
    name_error: str | None = None,
    typed_name: str | None = None,
    status: int = 200,
) -> web.Response:
    before = decode_cursor(request.query.get("before"))
    viewer = auth.viewer(request)
    async with request.app[pool_key].acquire() as conn:
        found = await topics.list_group_topics(
            conn, view.group.id, before=before, limit=PAGE_SIZE + 1
        )
        own_name = (
            await groups.get_display_name(conn, view.group.id, viewer.id)
            if viewer and view.joined
            else None
        )
        described = await about.describe(
            conn, view.group, viewer.id if viewer and view.joined else None
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
            "own_name": own_name,
            "typed_name": own_name or "" if typed_name is None else typed_name,
            "name_error": name_error,
            "about": described,
        },
        status=status,
    )


async def set_group_name(request: web.Request) -> web.Response:
    """Choose the name to go by in this group (empty: use your pseudonym)."""
    member = auth.require_member(request)
    view = await visible_group_or_404(request, request.match_info["slug"])
    name = (await forms.read(request)).text("display_name")[:64]
    async with request.app[pool_key].acquire() as conn:
        try:
            await accounts.set_group_name(conn, view.group, member, name)
        except accounts.AccountError as exc:
            return await _group_page(
                request, view, name_error=str(exc), typed_name=name, status=400
            )
    raise web.HTTPSeeOther(request.app.router["group"].url_for(slug=view.group.slug))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/g/{slug}", group_page, name="group")
    r.add_post("/g/{slug}/name", set_group_name, name="group_name")
