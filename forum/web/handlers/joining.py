"""Joining a group: the join page (who it is for, its guidelines, the moderators' question),
asking to join, accepting the guidelines, and moderators deciding on requests.

An approval group's request waits in `/mod` with the applicant's answer; the applicant is told
the outcome in their notifications (`moderation.joins` decides and records). Deciding is for the
group's moderators (and admins); anyone else gets 404.
"""

from __future__ import annotations

from aiohttp import web

from forum.moderation import joins
from forum.storage import groups, memberships
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render


async def _open_group_or_404(request: web.Request) -> groups.Group:
    async with request.app[pool_key].acquire() as conn:
        group = await groups.get_group_by_slug(conn, request.match_info["slug"])
    if group is None or group.archived_at is not None:
        raise web.HTTPNotFound()
    return group


def _join_page(
    request: web.Request,
    group: groups.Group,
    *,
    answer: str = "",
    accepted: bool = False,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    context = {"group": group, "answer": answer, "accepted": accepted, "error": error}
    return render(request, "groups/join.html", context, status=status)


async def join_page(request: web.Request) -> web.Response:
    """Shown for members-only groups too: the directory lists their name and description, and
    this adds only what an applicant needs (the guidelines and the question), never topics."""
    member = auth.require_member(request)
    group = await _open_group_or_404(request)
    async with request.app[pool_key].acquire() as conn:
        if await groups.is_active_member(conn, group.id, member.id):
            raise web.HTTPSeeOther(request.app.router["group"].url_for(slug=group.slug))
    return _join_page(request, group)


async def join_group(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    group = await _open_group_or_404(request)
    form = await forms.read(request)
    answer, accepted = form.text("answer").strip(), form.flag("accept_guidelines")
    try:
        async with request.app[pool_key].acquire() as conn:
            state = await joins.join(conn, group, member.id, answer=answer, accepted=accepted)
    except joins.AnswerRefused as exc:
        return _join_page(
            request, group, answer=answer, accepted=accepted, error=str(exc), status=400
        )
    except joins.Removed as exc:
        return render(
            request, "groups/join_refused.html", {"group": group, "why": str(exc)}, status=400
        )
    if state == "pending":
        url = request.app.router["directory"].url_for().with_query(requested=group.slug)
        raise web.HTTPSeeOther(url)
    raise web.HTTPSeeOther(request.app.router["group"].url_for(slug=group.slug))


async def accept_guidelines(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    group = await _open_group_or_404(request)
    async with request.app[pool_key].acquire() as conn:
        if not await groups.is_active_member(conn, group.id, member.id):
            raise web.HTTPNotFound()
        await memberships.accept_guidelines(conn, group.id, member.id)
    raise web.HTTPSeeOther(request.app.router["group"].url_for(slug=group.slug))


async def decide_request(request: web.Request) -> web.Response:
    """Approve or decline one request; deciding twice (two moderators at once) is harmless."""
    moderator = auth.require_member(request)
    group_id = forms.int_param(request, "group_id")
    member_id = forms.int_param(request, "member_id")
    action = request.match_info["action"]
    if action not in ("approve", "decline"):
        raise web.HTTPNotFound()
    async with request.app[pool_key].acquire() as conn:
        decided = await joins.decide(
            conn, moderator, group_id, member_id, approve=action == "approve"
        )
    if decided is None:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(request.app.router["mod"].url_for().with_fragment("join-requests"))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_post("/g/{slug}/join", join_group, name="join_group")
    r.add_get("/g/{slug}/join", join_page, name="join_page")
    r.add_post("/g/{slug}/guidelines", accept_guidelines, name="accept_guidelines")
    r.add_post(
        "/mod/join-requests/{group_id}/{member_id}/{action}",
        decide_request,
        name="mod_join_request",
    )
