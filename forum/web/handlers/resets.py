"""`/admin/members/{id}/reset`: an admin issues a one-time password link for a member with no
recovery codes left, after confirming who is asking (forum/members/resets.py)."""

from __future__ import annotations

from aiohttp import web

from forum.members import resets
from forum.storage import members
from forum.web import forms
from forum.web.handlers._lookups import require_admin
from forum.web.keys import pool_key
from forum.web.pages import render_secret

PAGE = "admin/reset_link.html"


async def _page(
    request: web.Request,
    *,
    link: str | None = None,
    error: str | None = None,
    note: str = "",
    status: int = 200,
) -> web.Response:
    require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        member = await members.get_member(conn, forms.int_param(request, "id"))
    if member is None:
        raise web.HTTPNotFound()
    context = {"member": member, "link": link, "error": error, "note": note}
    return render_secret(request, PAGE, context, status=status)


async def reset_page(request: web.Request) -> web.Response:
    return await _page(request)


async def issue(request: web.Request) -> web.Response:
    admin = require_admin(request)
    form = await forms.read(request)
    note = form.text("note")
    async with request.app[pool_key].acquire() as conn:
        if await members.get_member(conn, forms.int_param(request, "id")) is None:
            raise web.HTTPNotFound()
        try:
            token = await resets.issue_link(
                conn, admin, forms.int_param(request, "id"), note, form.text("code")
            )
        except resets.ResetRefused as exc:
            return await _page(request, error=str(exc), note=note, status=400)
    link = str(request.url.join(request.app.router["reset"].url_for().with_query(token=token)))
    return await _page(request, link=link)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/admin/members/{id}/reset", reset_page, name="admin_reset_link")
    r.add_post("/admin/members/{id}/reset", issue)
