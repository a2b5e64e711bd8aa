"""Admin pages for groups and their moderators. Everyone but an admin gets 404."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from forum import auth, forms
from forum.keys import pool_key
from forum.moderation import queue as mod_queue
from forum.moderation import reveal
from forum.pages import render
from forum.storage import audit, groups, members, moderators, posts
from forum.storage.members import Member

SLUG_RULE = "lower-case letters, digits and single hyphens (for example “lost-a-parent”)"
CHOICES = {
    "visibility": ("public", "members"),
    "membership": ("open", "approval"),
    "anonymous": ("off", "optional"),
    "moderation": ("open", "new-members", "all"),
}


def _require_admin(request: web.Request) -> Member:
    member = auth.require_member(request)
    if not member.is_admin:
        raise web.HTTPNotFound()
    return member


async def _groups_page(
    request: web.Request, *, form: dict[str, str], errors: list[str], status: int = 200
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        found = await groups.list_directory(conn, None)
    return render(
        request,
        "admin/groups.html",
        {
            "groups": found,
            "form": form,
            "errors": errors,
            "choices": CHOICES,
        },
        status=status,
    )


async def groups_page(request: web.Request) -> web.Response:
    _require_admin(request)
    return await _groups_page(request, form={}, errors=[])


def _group_problems(values: dict[str, str]) -> list[str]:
    from forum import demo  # the slug rule lives with the CLI's, in one place

    problems = []
    if not demo.SLUG.match(values["slug"]) or len(values["slug"]) > 64:
        problems.append(f"The address must be {SLUG_RULE}, at most 64 characters.")
    if not values["name"] or len(values["name"]) > 100:
        problems.append("Please give the group a name of 1 to 100 characters.")
    if len(values["description"]) > 2000:
        problems.append("The description can be at most 2,000 characters.")
    for field, allowed in CHOICES.items():
        if values[field] not in allowed:
            problems.append(f"Choose a {field} setting from the list.")
    return problems


async def create_group(request: web.Request) -> web.Response:
    admin = _require_admin(request)
    form = await forms.read(request)
    values = {
        "slug": form.text("slug").strip(),
        "name": form.text("name").strip(),
        "description": form.text("description").strip(),
        **{field: form.text(field, allowed[0]) for field, allowed in CHOICES.items()},
    }
    problems = _group_problems(values)
    if problems:
        return await _groups_page(request, form=values, errors=problems, status=400)
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        try:
            group = await groups.create_group(conn, **values)
        except groups.SlugTaken:
            return await _groups_page(
                request,
                form=values,
                status=400,
                errors=[
                    f"There is already a group at /g/{values['slug']}. Please choose another address."
                ],
            )
        await audit.record(
            conn, actor_id=admin.id, action="create-group", group_id=group.id, reason=group.name
        )
    raise web.HTTPSeeOther(request.app.router["admin_group"].url_for(slug=group.slug))


async def _group_or_404(request: web.Request) -> groups.Group:
    async with request.app[pool_key].acquire() as conn:
        group = await groups.get_group_by_slug(conn, request.match_info["slug"])
    if group is None:
        raise web.HTTPNotFound()
    return group


async def _group_page(
    request: web.Request,
    group: groups.Group,
    *,
    error: str | None = None,
    pseudonym: str = "",
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        mods = await moderators.list_for_group(conn, group.id)
    context: dict[str, Any] = {
        "group": group,
        "moderators": mods,
        "error": error,
        "pseudonym": pseudonym,
    }
    return render(request, "admin/group.html", context, status=status)


async def group_page(request: web.Request) -> web.Response:
    _require_admin(request)
    return await _group_page(request, await _group_or_404(request))


async def appoint_moderator(request: web.Request) -> web.Response:
    admin = _require_admin(request)
    group = await _group_or_404(request)
    pseudonym = (await forms.read(request)).text("pseudonym").strip()[:64]
    async with request.app[pool_key].acquire() as conn:
        found = await members.get_credentials(conn, pseudonym) if pseudonym else None
        if found is None:
            return await _group_page(
                request,
                group,
                pseudonym=pseudonym,
                status=400,
                error=f"No member is called “{pseudonym}”. Check the spelling.",
            )
        async with conn.transaction():
            if await moderators.appoint(conn, group.id, found.member.id, admin.id):
                await groups.add_member(conn, group.id, found.member.id)
                await audit.record(
                    conn,
                    actor_id=admin.id,
                    action="appoint-moderator",
                    group_id=group.id,
                    subject_id=found.member.id,
                    reason=found.member.pseudonym,
                )
    raise web.HTTPSeeOther(request.app.router["admin_group"].url_for(slug=group.slug))


async def remove_moderator(request: web.Request) -> web.Response:
    admin = _require_admin(request)
    group = await _group_or_404(request)
    member_id = forms.int_param(request, "member_id")
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        if await moderators.remove(conn, group.id, member_id):
            await audit.record(
                conn,
                actor_id=admin.id,
                action="remove-moderator",
                group_id=group.id,
                subject_id=member_id,
            )
    raise web.HTTPSeeOther(request.app.router["admin_group"].url_for(slug=group.slug))


async def reveal_author(request: web.Request) -> web.Response:
    """Unmask one anonymous post's author, with a reason; then show the audit entry."""
    admin = _require_admin(request)
    post_id = forms.int_param(request, "id")
    reason = (await forms.read(request)).text("reason")
    async with request.app[pool_key].acquire() as conn:
        if await posts.get_post_group(conn, post_id) is None:
            raise web.HTTPNotFound()
        try:
            entry_id = await reveal.reveal_author(conn, admin, post_id, reason)
        except mod_queue.ActionRefused as exc:
            return render(
                request,
                "admin/reveal_refused.html",
                {"error": str(exc), "post_id": post_id, "reason": reason},
                status=400,
            )
    raise web.HTTPSeeOther(request.app.router["admin_reveal"].url_for(id=str(entry_id)))


async def reveal_page(request: web.Request) -> web.Response:
    _require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        found = await audit.get_reveal(conn, forms.int_param(request, "id"))
    if found is None:
        raise web.HTTPNotFound()
    return render(request, "admin/reveal.html", {"reveal": found})
