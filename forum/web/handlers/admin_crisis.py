"""Admin pages for a group's crisis settings: policy, re-escalation, webhook, phrases, resources.

Each form goes to `moderation.crisis.settings`, which checks it and saves it with its audit-log
entry; a refusal shows the page again with what was typed and why.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from forum.live import webhooks
from forum.moderation.crisis import impact, settings
from forum.moderation.crisis.sources import load_sources
from forum.storage import crisis
from forum.storage.groups import Group
from forum.web import forms
from forum.web.handlers._lookups import admin_and_group, group_or_404, require_admin
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render


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
        record = [await crisis.scanner_record(conn, group.id, days) for days in (30, 90)]
    key = webhooks.group_key(request.app[settings_key].key("webhooks"), group.id).hex()
    context: dict[str, Any] = {
        "group": group,
        "phrases": phrases,
        "resources": resources,
        "errors": errors or [],
        "typed": typed or {},
        "levels": settings.LEVELS,
        "resource_fields": settings.RESOURCE_FIELDS,
        "webhook_key": key,
        "record": record,
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
    actor, group = await admin_and_group(request)
    form = await forms.read(request)
    typed = {
        k: form.text(k).strip() for k in ("crisis_policy", "reescalate_minutes", "webhook_url")
    }
    try:
        async with request.app[pool_key].acquire() as conn:
            await settings.save(
                conn,
                group,
                policy=typed["crisis_policy"],
                reescalate_minutes=typed["reescalate_minutes"],
                webhook_url=typed["webhook_url"],
                actor_id=actor.id,
            )
    except settings.Refused as exc:
        return await _page(request, group, errors=exc.problems, typed=typed, status=400)
    raise _back(request, group)


async def add_phrase(request: web.Request) -> web.Response:
    """Shows first what the phrase would have done to recent posts; `confirm=yes` saves it."""
    actor, group = await admin_and_group(request)
    form = await forms.read(request)
    phrase, level = settings.clean_phrase(form.text("phrase")), form.text("level")
    typed = {"phrase": phrase, "level": level}
    try:
        async with request.app[pool_key].acquire() as conn:
            phrases = await settings.phrases_with(conn, group, phrase, level)
            if form.text("confirm") != "yes":
                outcome = await impact.preview(conn, group.id, phrases)
                return _preview(request, group, outcome, adding=typed)
            await settings.add_phrase(conn, group, phrase, level, actor_id=actor.id)
    except settings.Refused as exc:
        return await _page(request, group, typed=typed, status=400, errors=exc.problems)
    raise _back(request, group)


async def remove_phrase(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    phrase_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        if (await forms.read(request)).text("confirm") != "yes":
            phrases = await crisis.list_phrases(conn, group.id)
            removing = next((p for p in phrases if p.id == phrase_id), None)
            if removing is None:
                raise web.HTTPNotFound()
            kept = [(p.phrase, p.level) for p in phrases if p.id != phrase_id]
            outcome = await impact.preview(conn, group.id, kept)
            return _preview(request, group, outcome, removing=removing)
        await settings.remove_phrase(conn, group, phrase_id, actor_id=actor.id)
    raise _back(request, group)


async def add_resource(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    form = await forms.read(request)
    typed = settings.clean_resource({k: form.text(k) for k in settings.RESOURCE_FIELDS})
    try:
        async with request.app[pool_key].acquire() as conn:
            await settings.add_resource(conn, group, typed, actor_id=actor.id)
    except settings.Refused as exc:
        return await _page(request, group, errors=exc.problems, typed=typed, status=400)
    raise _back(request, group)


async def remove_resource(request: web.Request) -> web.Response:
    actor, group = await admin_and_group(request)
    resource_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        await settings.remove_resource(conn, group, resource_id, actor_id=actor.id)
    raise _back(request, group)


def _back(request: web.Request, group: Group) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["admin_crisis"].url_for(slug=group.slug))


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
