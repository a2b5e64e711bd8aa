"""Members reporting a post to the group's moderators."""

from __future__ import annotations

from aiohttp import web

from forum.moderation import queue
from forum.web import auth, forms
from forum.web.handlers._lookups import VisiblePost, visible_post_or_404
from forum.web.keys import pool_key
from forum.web.pages import render

DETAILS_MAX = 1000


def _report_page(
    request: web.Request,
    post: VisiblePost,
    *,
    chosen: str = "",
    details: str = "",
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    context = {
        "post_id": post.post_id,
        "topic": post.topic,
        "reasons": queue.REPORT_REASONS,
        "done": error is None and request.query.get("done") == "1",
        "error": error,
        "chosen": chosen,
        "details": details,
    }
    return render(request, "posts/report.html", context, status=status)


async def report_page(request: web.Request) -> web.Response:
    auth.require_member(request)
    return _report_page(request, await visible_post_or_404(request))


async def report_post(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    post = await visible_post_or_404(request)
    form = await forms.read(request)
    reason, details = form.text("reason"), form.text("details").strip()
    if reason not in queue.REPORT_REASONS or len(details) > DETAILS_MAX:
        error = (
            "Please choose a reason from the list (and keep any details under"
            f" {DETAILS_MAX:,} characters)."
        )
        return _report_page(request, post, chosen=reason, details=details, error=error, status=400)
    async with request.app[pool_key].acquire() as conn:
        await queue.report(
            conn,
            post_id=post.post_id,
            group=post.view.group,
            reporter=member,
            reason=reason,
            details=details,
        )
    url = request.app.router["report_post"].url_for(id=str(post.post_id)).with_query(done="1")
    raise web.HTTPSeeOther(url)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/p/{id}/report", report_page, name="report_post")
    r.add_post("/p/{id}/report", report_post)
