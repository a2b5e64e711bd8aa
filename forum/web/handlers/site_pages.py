"""`/privacy` and `/rules` for everyone (the notice with the retention policy in force), the
admin's editor for both, and the retention settings (issue 19)."""

from __future__ import annotations

from aiohttp import web

from forum.members import retention, site_pages
from forum.storage import site_pages as site_policy
from forum.web import auth, forms
from forum.web.handlers._lookups import require_admin
from forum.web.keys import pool_key
from forum.web.pages import render


def _slug(request: web.Request) -> str:
    slug = request.match_info["slug"]
    if slug not in site_pages.SLUGS:
        raise web.HTTPNotFound()
    return slug


async def _public(request: web.Request, slug: str) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        page = await site_pages.get(conn, slug)
        kept = retention.describe(await retention.get(conn)) if slug == "privacy" else None
    return render(request, "site/page.html", {"page": page, "kept": kept})


async def privacy_page(request: web.Request) -> web.Response:
    return await _public(request, "privacy")


async def rules_page(request: web.Request) -> web.Response:
    return await _public(request, "rules")


async def _editor(
    request: web.Request, slug: str, *, error: str | None = None, typed: str | None = None
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        page = await site_pages.get(conn, slug)
        age = await site_policy.minimum_age(conn)
    context = {
        "page": page,
        "source": page.source if typed is None else typed,
        "minimum_age": age,
        "error": error,
        "saved": request.query.get("saved") == "1",
    }
    return render(request, "admin/site_page.html", context, status=400 if error else 200)


async def editor_page(request: web.Request) -> web.Response:
    require_admin(request)
    return await _editor(request, _slug(request))


async def save_page(request: web.Request) -> web.Response:
    admin = require_admin(request)
    slug = _slug(request)
    form = await forms.read(request)
    source = form.text("body")
    async with request.app[pool_key].acquire() as conn:
        try:
            async with conn.transaction():  # both or neither
                if slug == "rules" and form.text("minimum_age"):
                    await site_pages.set_minimum_age(conn, admin, form.int("minimum_age"))
                await site_pages.save(conn, admin, slug, source)
        except site_pages.PageError as exc:
            return await _editor(request, slug, error=str(exc), typed=source)
    url = request.app.router["admin_site_page"].url_for(slug=slug).with_query(saved="1")
    raise web.HTTPSeeOther(url)


async def _accept_page(
    request: web.Request, *, changed_again: bool = False, status: int = 200
) -> web.Response:
    auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        page = await site_pages.get(conn, "rules")
    context = {
        "page": page,
        "next": auth.safe_next(request.query.get("next")),
        "changed_again": changed_again,
    }
    return render(request, "site/accept_rules.html", context, status=status)


async def accept_page(request: web.Request) -> web.Response:
    """The changed rules, to accept before the next page (or leave: the account is one link)."""
    return await _accept_page(request)


async def accept(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    async with request.app[pool_key].acquire() as conn:
        accepted = await site_pages.accept_rules(conn, member, form.int("version"))
    if not accepted:
        return await _accept_page(request, changed_again=True, status=409)
    raise web.HTTPSeeOther(auth.safe_next(request.query.get("next")))


async def _retention_page(
    request: web.Request,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        policy = await retention.get(conn)
    values = typed or {name: str(getattr(policy, name)) for name in retention.BOUNDS}
    context = {
        "values": values,
        "bounds": retention.BOUNDS,
        "labels": retention.LABELS,
        "defaults": retention.defaults(),
        "kept": retention.describe(policy),
        "error": error,
        "saved": request.query.get("saved") == "1",
    }
    return render(request, "admin/retention.html", context, status=status)


async def retention_page(request: web.Request) -> web.Response:
    return await _retention_page(request)


async def save_retention(request: web.Request) -> web.Response:
    admin = require_admin(request)
    form = await forms.read(request)
    typed = {name: form.text(name).strip()[:6] for name in retention.BOUNDS}
    try:
        values = {name: form.int(name) for name in retention.BOUNDS}
    except forms.BadForm:
        error = "Each period must be a whole number."
        return await _retention_page(request, error=error, typed=typed, status=400)
    async with request.app[pool_key].acquire() as conn:
        try:
            await retention.save(conn, admin, values)
        except retention.RetentionError as exc:
            return await _retention_page(request, error=str(exc), typed=typed, status=400)
    raise web.HTTPSeeOther(request.app.router["admin_retention"].url_for().with_query(saved="1"))


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/privacy", privacy_page, name="privacy")
    r.add_get("/rules", rules_page, name="rules")
    r.add_get("/rules/accept", accept_page, name="accept_rules")
    r.add_post("/rules/accept", accept)
    r.add_get("/admin/retention", retention_page, name="admin_retention")
    r.add_post("/admin/retention", save_retention)
    r.add_get("/admin/pages/{slug}", editor_page, name="admin_site_page")
    r.add_post("/admin/pages/{slug}", save_page)
