"""The admin console's overview pages: `/admin`, group health, moderator load, members, audit log.

All read-only; every action they link to lives with its own form (admin.py, admin_crisis.py,
the moderation item pages). Everyone but an admin gets 404.
"""

from __future__ import annotations

from aiohttp import web

from forum.storage import audit, group_health, member_list, reveal_requests, sanctions
from forum.web import forms
from forum.web.handlers._lookups import group_or_404, require_admin
from forum.web.keys import pool_key
from forum.web.pages import render

MEMBERS_PAGE = 50
LOG_PAGE = 100


def _duration(seconds: float | None) -> str:
    """“4 min”, “3 h 10 min”, “2 days”: how long people waited, in words."""
    if seconds is None:
        return "no data yet"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{round(hours / 24)} days"


async def index(request: web.Request) -> web.Response:
    require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        summaries = await group_health.list_group_summaries(conn)
        awaiting = await sanctions.list_awaiting(conn)
        asked = await reveal_requests.list_open(conn)
    context = {"groups": summaries, "awaiting": awaiting, "reveal_requests": asked}
    return render(request, "admin/index.html", context)


async def health_page(request: web.Request) -> web.Response:
    require_admin(request)
    group = await group_or_404(request)
    async with request.app[pool_key].acquire() as conn:
        health = await group_health.get_health(conn, group.id)
    return render(
        request,
        "admin/health.html",
        {
            "group": group,
            "health": health,
            "first_reply": _duration(health.median_first_reply_seconds),
            "time_to_claim": _duration(health.median_claim_seconds),
            "unanswered_hours": group_health.UNANSWERED_HOURS,
        },
    )


async def moderators_page(request: web.Request) -> web.Response:
    require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        load = await group_health.list_moderator_load(conn)
        summaries = await group_health.list_group_summaries(conn)
    unmoderated = [g for g in summaries if g.moderators < 2 and g.archived_at is None]
    return render(
        request,
        "admin/moderators.html",
        {
            "load": load,
            "unmoderated": unmoderated,
            "durations": {
                (m.group_id, m.member_id): _duration(m.median_claim_seconds) for m in load
            },
        },
    )


async def members_page(request: web.Request) -> web.Response:
    require_admin(request)
    search = request.query.get("q", "").strip()[:32]
    after = request.query.get("after", "")[:32].lower() or None
    found: list[member_list.ListedMember] = []
    if search:  # looked up by name, never browsed: see the module docstring of member_list
        async with request.app[pool_key].acquire() as conn:
            found = await member_list.list_members(
                conn, search=search, after=after, limit=MEMBERS_PAGE + 1
            )
    more = found[MEMBERS_PAGE - 1].pseudonym.lower() if len(found) > MEMBERS_PAGE else None
    return render(
        request,
        "admin/members.html",
        {"members": found[:MEMBERS_PAGE], "search": search, "more": more, "paged": bool(after)},
    )


async def log_page(request: web.Request) -> web.Response:
    """The whole audit log, admin actions and moderation alike, newest first."""
    require_admin(request)
    before_id = forms.id_query(request, "before")
    async with request.app[pool_key].acquire() as conn:
        entries = await audit.list_entries(conn, None, before_id=before_id, limit=LOG_PAGE + 1)
    older = str(entries[LOG_PAGE - 1].id) if len(entries) > LOG_PAGE else None
    return render(request, "admin/log.html", {"entries": entries[:LOG_PAGE], "older": older})


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/admin", index, name="admin")
    r.add_get("/admin/moderators", moderators_page, name="admin_moderator_load")
    r.add_get("/admin/members", members_page, name="admin_members")
    r.add_get("/admin/log", log_page, name="admin_log")
    r.add_get("/admin/groups/{slug}/health", health_page, name="admin_health")
