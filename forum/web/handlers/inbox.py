"""`/inbox`: replies that reached the member, live updates, following topics and muting members.

Every route is the signed-in member's own; an item, topic or member they may not see is a 404.
"""

from __future__ import annotations

from aiohttp import web

from forum.storage import check_ins, inbox, profiles
from forum.web import auth, forms, live, streams
from forum.web.handlers._lookups import visible_topic_or_404
from forum.web.keys import pool_key
from forum.web.pages import render

PAGE = 50
#: A member's stream that falls this far behind gets one "resync" (item 0) instead.


async def inbox_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    before_id = forms.id_query(request, "before")
    async with request.app[pool_key].acquire() as conn:
        items = await inbox.list_items(conn, member.id, before_id=before_id, limit=PAGE + 1)
        threads = [] if before_id else await check_ins.list_threads(conn, member.id)
    older = items[PAGE - 1].id if len(items) > PAGE else None
    context = {"items": items[:PAGE], "older": older, "check_ins": threads}
    return render(request, "inbox/inbox.html", context)


async def open_item(request: web.Request) -> web.Response:
    """Follow an inbox link: the item is read, and the reply is shown in its topic."""
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        post_id = await inbox.open_item(conn, member.id, forms.int_param(request, "id"))
    if post_id is None:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(request.app.router["post"].url_for(id=str(post_id)))


async def mark_all_read(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        await inbox.mark_all_read(conn, member.id)
    raise web.HTTPSeeOther(request.app.router["inbox"].url_for())


async def event_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events for the member's own inbox: `{"item": id, "unread": n}` per reply."""
    member = auth.viewer(request)
    if member is None:
        raise web.HTTPNotFound()

    async def inbox_message(payload: str | live.Resync) -> tuple[str, str]:
        shown = 0 if payload is live.RESYNC else inbox.parse_delivery(payload)  # 0: reload
        async with request.app[pool_key].acquire() as conn:
            unread = await inbox.unread_count(conn, member.id)
        return f'{{"item": {shown}, "unread": {unread}}}', "inbox"

    return await streams.stream(request, "inbox", frozenset({member.id}), inbox_message)


async def follow_topic(request: web.Request) -> web.Response:
    """Field `follow`: "on" to follow, anything else to stop following (mute) the topic."""
    member = auth.require_member(request)
    topic, _ = await visible_topic_or_404(request, forms.int_param(request, "id"))
    form = await forms.read(request)
    async with request.app[pool_key].acquire() as conn:
        await inbox.set_follow(conn, topic.id, member.id, following=form.flag("follow"))
    url = request.app.router["topic"].url_for(id=str(topic.id))
    raise web.HTTPSeeOther(f"{url}#follow")


async def mute_member(request: web.Request) -> web.Response:
    """Field `mute`: "on" to mute the member whose page this is, anything else to unmute."""
    member = auth.require_member(request)
    form = await forms.read(request)
    async with request.app[pool_key].acquire() as conn:
        profile = await profiles.get_profile(conn, request.match_info["pseudonym"][:64])
        if profile is None or profile.id == member.id:
            raise web.HTTPNotFound()
        if form.flag("mute"):
            await inbox.mute_member(conn, member.id, profile.id)
        else:
            await inbox.unmute_member(conn, member.id, profile.id)
    url = request.app.router["profile"].url_for(pseudonym=profile.pseudonym)
    raise web.HTTPSeeOther(f"{url}#mute")


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/inbox", inbox_page, name="inbox")
    r.add_get("/inbox/events", event_stream, name="inbox_events")
    r.add_post("/inbox/read", mark_all_read, name="inbox_read")
    r.add_get("/inbox/{id}", open_item, name="inbox_item")
    r.add_post("/t/{id}/follow", follow_topic, name="follow_topic")
    r.add_post("/m/{pseudonym}/mute", mute_member, name="mute_member")
