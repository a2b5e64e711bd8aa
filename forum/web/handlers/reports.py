"""Members reporting a post to the group's moderators."""

from __future__ import annotations

from aiohttp import web

from forum.moderation import queue
from forum.storage import topics
from forum.web import auth, forms
from forum.web.handlers._lookups import visible_topic_or_404
from forum.web.keys import pool_key
from forum.web.pages import render

DETAILS_MAX = 1000


async def _reportable(request: web.Request) -> tuple[int, topics.Topic, object]:
    post_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        location = await topics.get_post_location(conn, post_id)
    if location is None:
        raise web.HTTPNotFound()
    topic, view = await visible_topic_or_404(request, location[0])
    return post_id, topic, view


async def report_page(request: web.Request) -> web.Response:
    auth.require_member(request)
    post_id, topic, _ = await _reportable(request)
    return render(
        request,
        "posts/report.html",
        {
            "post_id": post_id,
            "topic": topic,
            "reasons": queue.REPORT_REASONS,
            "done": request.query.get("done") == "1",
            "error": None,
            "chosen": "",
            "details": "",
        },
    )


async def report_post(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    post_id, topic, view = await _reportable(request)
    form = await forms.read(request)
    reason, details = form.text("reason"), form.text("details").strip()
    if reason not in queue.REPORT_REASONS or len(details) > DETAILS_MAX:
        return render(
            request,
            "posts/report.html",
            {
                "post_id": post_id,
                "topic": topic,
                "reasons": queue.REPORT_REASONS,
                "done": False,
                "chosen": reason,
                "details": details,
                "error": "Please choose a reason from the list (and keep any details under"
                f" {DETAILS_MAX:,} characters).",
            },
            status=400,
        )
    async with request.app[pool_key].acquire() as conn:
        await queue.report(
            conn,
            post_id=post_id,
            group=view.group,  # type: ignore[attr-defined]
            reporter=member,
            reason=reason,
            details=details,
        )
    url = request.app.router["report_post"].url_for(id=str(post_id)).with_query(done="1")
    raise web.HTTPSeeOther(url)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/p/{id}/report", report_page, name="report_post")
    r.add_post("/p/{id}/report", report_post)
