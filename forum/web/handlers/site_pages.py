"""`/privacy` and `/rules` for everyone, and the admin's editor for both (issue 19)."""

from __future__ import annotations

from aiohttp import web

from forum.members import site_pages
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
    return render(request, "site/page.html", {"page": page})


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


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/privacy", privacy_page, name="privacy")
    r.add_get("/rules", rules_page, name="rules")
    r.add_get("/rules/accept", accept_page, name="accept_rules")
    r.add_post("/rules/accept", accept)
    r.add_get("/admin/pages/{slug}", editor_page, name="admin_site_page")
    r.add_post("/admin/pages/{slug}", save_page)
