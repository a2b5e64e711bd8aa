"""A member's notifications: held, approved and rejected posts, warnings and other news."""

from __future__ import annotations

from aiohttp import web

from forum.storage import notifications
from forum.web import auth
from forum.web.keys import pool_key
from forum.web.pages import render


async def notifications_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        found = await notifications.list_for(conn, member.id)
    return render(request, "notifications/list.html", {"notifications": found})


async def mark_read(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        await notifications.mark_all_read(conn, member.id)
    raise web.HTTPSeeOther(request.app.router["notifications"].url_for())


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/notifications", notifications_page, name="notifications")
    r.add_post("/notifications/read", mark_read, name="notifications_read")
