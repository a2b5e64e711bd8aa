"""Admin pages for a group's crisis settings: policy, re-escalation, webhook, phrases, resources.

Each form validates on the server and, when refused, shows the page again with what was typed.
Every change is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from forum.groups.settings import valid_url, webhook_problem
from forum.live import webhooks
from forum.moderation.crisis import impact
from forum.moderation.crisis.scanner import Lexicon
from forum.moderation.crisis.sources import load_sources
from forum.storage import audit, crisis
from forum.storage.groups import Group
from forum.web import forms
from forum.web.handlers._lookups import group_or_404, require_admin
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render

LEVELS = ("concern", "urgent")
RESOURCE_FIELDS = {
    "region": 60,
    "name": 120,
    "phone": 80,
    "text_number": 40,
    "url": 300,
    "hours": 60,
}


async def _page(
    request: web.Request,
    group: Group,
    *,
    errors: list[str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        phrases = await crisis.list_phrases(conn, group.id)
        resources = await crisis.list_own_resources(conn, group.id)
    key = webhooks.group_key(request.app[settings_key].secret, group.id).hex()
    context: dict[str, Any] = {
        "group": group,
        "phrases": phrases,
        "resources": resources,
        "errors": errors or [],
        "typed": typed or {},
        "levels": LEVELS,
        "resource_fields": RESOURCE_FIELDS,
        "webhook_key": key,
    }
    return render(request, "admin/crisis.html", context, status=status)


def _preview(
    request: web.Request,
    group: Group,
    outcome: impact.Impact,
    *,
    adding: dict[str, str] | None = None,
    removing: crisis.Phrase | None = None,
) -> web.Response:
    context = {"group": group, "impact": outcome, "adding": adding, "removing": removing}
    return render(request, "admin/crisis_preview.html", context)


async def lexicon_page(request: web.Request) -> web.Response:
    """The forum-wide lexicon every group starts from, by level and category."""
    require_admin(request)
    by_level: dict[str, dict[str, list[str]]] = {"urgent": {}, "concern": {}, "ignore": {}}
    for phrase, level, category in load_sources().rules:
        by_level.setdefault(level, {}).setdefault(category, []).append(phrase)
    return render(request, "admin/lexicon.html", {"by_level": by_level})


async def crisis_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await _page(request, await group_or_404(request))


async def save_settings(request: web.Request) -> web.Response:
    admin = require_admin(request)
    group = await group_or_404(request)
    form = await forms.read(request)
    typed = {
        k: form.text(k).strip() for k in ("crisis_policy", "reescalate_minutes", "webhook_url")
    }
    errors = []
    if typed["crisis_policy"] not in ("hold", "publish"):
        errors.append("Choose whether urgent posts are held for a moderator or published.")
    minutes = typed["reescalate_minutes"]
    if not (minutes.isascii() and minutes.isdigit() and 1 <= int(minutes) <= 1440):
        errors.append("Re-escalation must be a number of minutes from 1 to 1440.")
    url = typed["webhook_url"]
    problem = webhook_problem(url)
    if problem:
        errors.append(problem)
    if errors:
        return await _page(request, group, errors=errors, typed=typed, status=400)
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        await crisis.save_settings(
            conn,
            group.id,
            policy=typed["crisis_policy"],
            reescalate_minutes=int(minutes),
            webhook_url=url or None,
        )
        await audit.record(
            conn,
            actor_id=admin.id,
            action="crisis-settings",
            group_id=group.id,
            reason=f"policy {typed['crisis_policy']}, {minutes} min, webhook "
            + ("set" if url else "off"),
        )
    raise web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


async def add_phrase(request: web.Request) -> web.Response:
    admin = require_admin(request)
    group = await group_or_404(request)
    form = await forms.read(request)
    phrase, level = " ".join(form.text("phrase").split()), form.text("level")
    typed = {"phrase": phrase, "level": level}
    if not 2 <= len(phrase) <= 200 or level not in LEVELS:
        return await _page(
            request,
            group,
            typed=typed,
            status=400,
            errors=["A phrase needs 2 to 200 characters and a level (concern or urgent)."],
        )
    try:  # the same pattern syntax as the lexicon files: refuse what would not compile
        Lexicon.base().with_phrases([(phrase, level)])
    except ValueError as exc:
        return await _page(
            request,
            group,
            typed=typed,
            status=400,
            errors=[f"That phrase can't be used as written ({exc}). Check brackets and symbols."],
        )
    async with request.app[pool_key].acquire() as conn:
        current = await crisis.list_group_phrases(conn, group.id)
        if any(p.lower() == phrase.lower() for p, _ in current):
            return await _page(
                request,
                group,
                typed=typed,
                status=400,
                errors=[f"“{phrase}” is already on this group's list."],
            )
        if form.text("confirm") != "yes":  # first show what it would have done, then save
            outcome = await impact.preview(conn, group.id, [*current, (phrase, level)])
            return _preview(request, group, outcome, adding=typed)
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        if not await crisis.add_phrase(conn, group.id, phrase, level, admin.id):
            return await _page(
                request,
                group,
                typed=typed,
                status=400,
                errors=[f"“{phrase}” is already on this group's list."],
            )
        await audit.record(
            conn,
            actor_id=admin.id,
            action="crisis-phrase-add",
            group_id=group.id,
            reason=f"{level}: {phrase}",
        )
    raise web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


async def remove_phrase(request: web.Request) -> web.Response:
    admin = require_admin(request)
    group = await group_or_404(request)
    phrase_id = forms.int_param(request, "id")
    if (await forms.read(request)).text("confirm") != "yes":
        async with request.app[pool_key].acquire() as conn:
            phrases = await crisis.list_phrases(conn, group.id)
            removing = next((p for p in phrases if p.id == phrase_id), None)
            if removing is None:
                raise web.HTTPNotFound()
            kept = [(p.phrase, p.level) for p in phrases if p.id != phrase_id]
            outcome = await impact.preview(conn, group.id, kept)
        return _preview(request, group, outcome, removing=removing)
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        if await crisis.remove_phrase(conn, group.id, phrase_id):
            await audit.record(
                conn,
                actor_id=admin.id,
                action="crisis-phrase-remove",
                group_id=group.id,
                reason=f"phrase #{phrase_id}",
            )
    raise web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


async def add_resource(request: web.Request) -> web.Response:
    admin = require_admin(request)
    group = await group_or_404(request)
    form = await forms.read(request)
    typed = {k: " ".join(form.text(k).split()) for k in RESOURCE_FIELDS}
    errors = [
        f"The {k.replace('_', ' ')} can be at most {n} characters."
        for k, n in RESOURCE_FIELDS.items()
        if len(typed[k]) > n
    ]
    if not typed["name"]:
        errors.append("Please give the resource a name.")
    if not (typed["phone"] or typed["text_number"] or typed["url"]):
        errors.append("Give at least a phone number, a text number or a web address.")
    if typed["url"] and not valid_url(typed["url"]):
        errors.append("The web address must start with http:// or https://.")
    if errors:
        return await _page(request, group, errors=errors, typed=typed, status=400)
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        await crisis.add_resource(conn, group.id, typed)
        await audit.record(
            conn,
            actor_id=admin.id,
            action="crisis-resource-add",
            group_id=group.id,
            reason=typed["name"],
        )
    raise web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


async def remove_resource(request: web.Request) -> web.Response:
    admin = require_admin(request)
    group = await group_or_404(request)
    resource_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        if await crisis.remove_resource(conn, group.id, resource_id):
            await audit.record(
                conn,
                actor_id=admin.id,
                action="crisis-resource-remove",
                group_id=group.id,
                reason=f"resource #{resource_id}",
            )
    raise web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/admin/lexicon", lexicon_page, name="admin_lexicon")
    r.add_get("/admin/groups/{slug}/crisis", crisis_page, name="admin_crisis")
    r.add_post("/admin/groups/{slug}/crisis", save_settings)
    r.add_post("/admin/groups/{slug}/crisis/phrases", add_phrase, name="admin_crisis_phrases")
    r.add_post(
        "/admin/groups/{slug}/crisis/phrases/{id}/remove",
        remove_phrase,
        name="admin_crisis_phrase_remove",
    )
    r.add_post(
        "/admin/groups/{slug}/crisis/resources",
        add_resource,
        name="admin_crisis_resources",
    )
    r.add_post(
        "/admin/groups/{slug}/crisis/resources/{id}/remove",
        remove_resource,
        name="admin_crisis_resource_remove",
    )
