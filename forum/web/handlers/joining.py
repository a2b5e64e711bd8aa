"""Joining a group: the join page (who it is for, its guidelines, the moderators' question),
asking to join, accepting the guidelines, and moderators deciding on requests.

An approval group's request waits in `/mod` with the applicant's answer; the applicant is told
the outcome in their notifications. Deciding is for the group's moderators (and admins); anyone
else gets 404.
"""

from __future__ import annotations

from aiohttp import web

from forum.moderation import sanctions
from forum.storage import audit, groups, memberships, moderators, notifications
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render

ANSWER_MAX = 1000


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
    problem = None
    asked = group.membership == "approval" and group.join_question
    if asked and not answer:
        problem = "Please answer the moderators' question: it helps them welcome you."
    elif len(answer) > ANSWER_MAX:
        problem = f"Your answer can be at most {ANSWER_MAX:,} characters; it is still here."
    if problem:
        return _join_page(
            request, group, answer=answer, accepted=accepted, error=problem, status=400
        )
    async with request.app[pool_key].acquire() as conn:
        removed = await sanctions.removal(conn, member.id, group)
        if removed is not None:  # removed by a moderator: rejoining would undo their decision
            return render(
                request, "groups/join_refused.html", {"group": group, "why": removed}, status=400
            )
        state = await groups.join_group(
            conn,
            group,
            member.id,
            answer=answer if asked else "",
            accepted_guidelines=accepted and bool(group.guidelines),
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
        if not await moderators.is_moderator(conn, group_id, moderator.id):
            raise web.HTTPNotFound()
        view = await groups.get_visible_group_by_id(conn, group_id, moderator.id, True)
        if view is None:
            raise web.HTTPNotFound()
        name = view.group.name
        async with conn.transaction():
            if action == "approve":
                changed = await memberships.approve(conn, group_id, member_id)
                message = f"Your request to join “{name}” was accepted. Welcome!"
            else:
                changed = await memberships.decline(conn, group_id, member_id)
                message = (
                    f"Your request to join “{name}” was not accepted this time. You are welcome"
                    " to look for another group in the directory."
                )
            if changed:
                await notifications.notify(conn, member_id, f"join-{action}", message)
                await audit.record(
                    conn,
                    actor_id=moderator.id,
                    action=f"join-{action}",
                    group_id=group_id,
                    subject_id=member_id,
                )
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
