"""`/check-ins/{id}`: the author's side of a moderator's private check-in (issue 18).

Only the author of the item's post sees the thread (anyone else, moderators included, gets 404
here; they read it on the item page). Opening it marks the moderators' messages read.
"""

from __future__ import annotations

from aiohttp import web

from forum.moderation import check_ins
from forum.moderation.queue import ActionRefused
from forum.storage import check_ins as store
from forum.storage import crisis, queue_items
from forum.storage.members import Member
from forum.storage.queue_items import Item
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render


async def _thread_or_404(request: web.Request, member: Member) -> Item:
    item_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        item = await queue_items.get_item(conn, item_id)
        if item is None or item.author_id != member.id:
            raise web.HTTPNotFound()
        if not await store.list_for_author(conn, item_id, member.id):
            raise web.HTTPNotFound()
    return item


async def _page(
    request: web.Request, member: Member, item: Item, *, error: str = "", typed: str = ""
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        thread = await store.list_for_author(conn, item.id, member.id)
        resources = await crisis.list_resources(conn, item.group_id)
        await store.mark_read(conn, item.id, member.id)
    context = {
        "item": item,
        "thread": thread,
        "resources": resources,
        "error": error,
        "typed": typed,
        "max_chars": check_ins.MAX_CHARS,
    }
    return render(request, "check_ins/thread.html", context, status=400 if error else 200)


async def thread_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    return await _page(request, member, await _thread_or_404(request, member))


async def reply(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    item = await _thread_or_404(request, member)
    form = await forms.read(request)
    body = form.text("message")
    try:
        async with request.app[pool_key].acquire() as conn:
            await check_ins.answer(conn, item, member, body, safe=form.flag("safe"))
    except ActionRefused as exc:
        return await _page(request, member, item, error=str(exc), typed=body)
    raise web.HTTPSeeOther(request.app.router["check_in"].url_for(id=str(item.id)))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/check-ins/{id}", thread_page, name="check_in")
    r.add_post("/check-ins/{id}", reply)
