"""Admin pages for groups (create, edit, archive) and their moderators, and the audited reveal.

Everyone but an admin gets 404. The group forms are checked by `GroupSettings.parse`, the same
function `forum create-group` uses; a refused form comes back with what was typed and a message
beside each field at fault.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from forum.groups import admin
from forum.groups.settings import CHOICES, DEFAULTS, NUMBERS, SLUG_RULE, TAGS, GroupSettings
from forum.moderation import queue, reveal
from forum.storage import audit, group_health, groups, posts, reveal_requests
from forum.web import forms
from forum.web.handlers._lookups import admin_and_group, group_or_404, require_admin
from forum.web.keys import pool_key
from forum.web.pages import render, render_secret


def _read_settings(form: forms.Form) -> tuple[dict[str, str], list[str]]:
    """What was typed, as text, and the ticked condition tags: kept to show again if refused."""
    typed = {field: form.text(field, default) for field, default in DEFAULTS.items()}
    tags = [t for t in form.data.getall("tags", []) if isinstance(t, str)]
    return typed, tags


def _settings_context(
    typed: dict[str, str], tags: list[str], problems: dict[str, str]
) -> dict[str, Any]:
    return {
        "form": typed,
        "chosen_tags": tags,
        "problems": problems,
        "choices": CHOICES,
        "numbers": NUMBERS,
        "tags": TAGS,
        "slug_rule": SLUG_RULE,
    }


async def _groups_page(
    request: web.Request,
    *,
    typed: dict[str, str],
    tags: list[str],
    problems: dict[str, str],
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        found = await group_health.list_group_summaries(conn)
    context = {"groups": found, **_settings_context(typed, tags, problems)}
    return render(request, "admin/groups.html", context, status=status)


async def groups_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await _groups_page(request, typed=dict(DEFAULTS), tags=[], problems={})


async def create_group(request: web.Request) -> web.Response:
    actor = require_admin(request)
    typed, tags = _read_settings(await forms.read(request))
    checked, problems = GroupSettings.parse(typed, tags)
    if checked is None:
        return await _groups_page(request, typed=typed, tags=tags, problems=problems, status=400)
    async with request.app[pool_key].acquire() as conn:
        try:
            group = await admin.create(conn, checked, actor_id=actor.id)
        except admin.SettingsRefused as exc:
            problems = {exc.field: str(exc)}
            return await _groups_page(
                request, typed=typed, tags=tags, problems=problems, status=400
            )
    raise _back(request, group)


def _form_of(group: groups.Group) -> dict[str, str]:
    return {f: "" if getattr(group, f) is None else str(getattr(group, f)) for f in DEFAULTS}


async def _group_page(
    request: web.Request,
    group: groups.Group,
    *,
    typed: dict[str, str] | None = None,
    tags: list[str] | None = None,
    problems: dict[str, str] | None = None,
    error: str | None = None,
    pseudonym: str = "",
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        load = await group_health.list_moderator_load(conn, group.id)
        slug_settled = await groups.has_posts(conn, group.id)
    context: dict[str, Any] = {
        "group": group,
        "moderators": load,
        "error": error,
        "pseudonym": pseudonym,
        "slug_settled": slug_settled,
        "saved": request.method == "GET" and request.query.get("saved") == "1",
        **_settings_context(
            typed or _form_of(group),
            group.condition_tags if tags is None else tags,
            problems or {},
        ),
    }
    return render(request, "admin/group.html", context, status=status)


async def group_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await _group_page(request, await group_or_404(request))


async def save_group(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    typed, tags = _read_settings(await forms.read(request))
    checked, problems = GroupSettings.parse(typed, tags)
    if checked is None:
        return await _group_page(
            request, group, typed=typed, tags=tags, problems=problems, status=400
        )
    async with request.app[pool_key].acquire() as conn:
        try:
            saved = await admin.save(conn, group, checked, actor_id=actor.id)
        except admin.SettingsRefused as exc:
            return await _group_page(
                request, group, typed=typed, tags=tags, problems={exc.field: str(exc)}, status=400
            )
    url = request.app.router["admin_group"].url_for(slug=saved.slug).with_query(saved="1")
    raise web.HTTPSeeOther(url)


async def archive_group(request: web.Request) -> web.Response:
    """An archived group stays readable, takes no new posts and leaves the directory."""
    return await _set_archived(request, archived=True)


async def restore_group(request: web.Request) -> web.Response:
    return await _set_archived(request, archived=False)


async def _set_archived(request: web.Request, *, archived: bool) -> web.Response:
    actor, group = await admin_and_group(request)
    async with request.app[pool_key].acquire() as conn:
        await admin.set_archived(conn, group, archived, actor_id=actor.id)
    raise _back(request, group)


async def appoint_moderator(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    pseudonym = (await forms.read(request)).text("pseudonym").strip()[:64]
    try:
        async with request.app[pool_key].acquire() as conn:
            await admin.appoint_moderator(conn, group, pseudonym, actor_id=actor.id)
    except admin.NoSuchMember as exc:
        return await _group_page(request, group, pseudonym=pseudonym, status=400, error=str(exc))
    raise _back(request, group)


async def remove_moderator(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    member_id = forms.int_param(request, "member_id")
    async with request.app[pool_key].acquire() as conn:
        await admin.remove_moderator(conn, group, member_id, actor_id=actor.id)
    raise _back(request, group)


async def reveal_author(request: web.Request) -> web.Response:
    """Ask to unmask one anonymous post's author, with a reason and a fresh two-factor code:
    the name at once for a forum's only admin, else the request waiting for a second admin."""
    actor = require_admin(request)
    post_id = forms.int_param(request, "id")
    form = await forms.read(request)
    reason = form.text("reason")
    async with request.app[pool_key].acquire() as conn:
        if await posts.get_post_group(conn, post_id) is None:
            raise web.HTTPNotFound()
        try:
            asked = await reveal.request_reveal(conn, actor, post_id, reason, form.text("code"))
        except queue.ActionRefused as exc:
            return render(
                request,
                "admin/reveal_refused.html",
                {"error": str(exc), "post_id": post_id, "reason": reason},
                status=400,
            )
    if asked.reveal_id is not None:
        raise web.HTTPSeeOther(request.app.router["admin_reveal"].url_for(id=str(asked.reveal_id)))
    where = request.app.router["admin_reveal_request"].url_for(id=str(asked.request_id))
    raise web.HTTPSeeOther(where)


async def reveal_page(request: web.Request) -> web.Response:
    """The name, for the admin who asked for the reveal only; 404 for everyone else."""
    actor = require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        found = await audit.get_reveal(conn, forms.int_param(request, "id"), actor.id)
    if found is None:
        raise web.HTTPNotFound()
    return render_secret(request, "admin/reveal.html", {"reveal": found})


async def _reveal_request_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.Response:
    actor = require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        found = await reveal_requests.get(conn, forms.int_param(request, "id"))
    if found is None:
        raise web.HTTPNotFound()
    context = {"request_": found, "mine": found.requested_by == actor.id, "error": error}
    return render(request, "admin/reveal_request.html", context, status=status)


async def reveal_request_page(request: web.Request) -> web.Response:
    return await _reveal_request_page(request)


async def decide_reveal(request: web.Request) -> web.Response:
    """A second admin's answer to a reveal request: confirm (with a fresh code) or decline."""
    actor = require_admin(request)
    form = await forms.read(request)
    request_id = forms.int_param(request, "id")
    decision = form.text("decision")
    if decision not in ("confirm", "decline"):
        return await _reveal_request_page(
            request, error="Choose to confirm or to decline the request.", status=400
        )
    async with request.app[pool_key].acquire() as conn:
        try:
            await reveal.decide(
                conn, actor, request_id, confirm=decision == "confirm", code=form.text("code")
            )
        except queue.ActionRefused as exc:
            return await _reveal_request_page(request, error=str(exc), status=400)
    raise web.HTTPSeeOther(request.app.router["admin_reveal_request"].url_for(id=str(request_id)))


def _back(request: web.Request, group: groups.Group) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["admin_group"].url_for(slug=group.slug))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/admin/groups", groups_page, name="admin_groups")
    r.add_post("/admin/groups", create_group)
    r.add_get("/admin/groups/{slug}", group_page, name="admin_group")
    r.add_post("/admin/groups/{slug}", save_group)
    r.add_post("/admin/groups/{slug}/archive", archive_group, name="admin_archive")
    r.add_post("/admin/groups/{slug}/restore", restore_group, name="admin_restore")
    r.add_post("/admin/groups/{slug}/moderators", appoint_moderator, name="admin_moderators")
    r.add_post(
        "/admin/groups/{slug}/moderators/{member_id}/remove",
        remove_moderator,
        name="admin_remove_moderator",
    )
    r.add_post("/admin/posts/{id}/reveal", reveal_author, name="admin_reveal_author")
    r.add_get("/admin/reveals/{id}", reveal_page, name="admin_reveal")
    r.add_get("/admin/reveal-requests/{id}", reveal_request_page, name="admin_reveal_request")
    r.add_post("/admin/reveal-requests/{id}", decide_reveal)
