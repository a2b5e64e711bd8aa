"""Rendering pages: Jinja2 set up once, with what every template needs in its context."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from forum import TEMPLATES_DIR
from forum.members import reading
from forum.storage import members
from forum.web import auth, security
from forum.web.keys import pool_key, settings_key
from forum.web.timefmt import ago, iso


def base_context(request: web.Request) -> dict[str, Any]:
    """What every page needs; error pages use it directly, as they may be rendered by a
    middleware that runs before aiohttp-jinja2's context-processor middleware has."""
    return {
        "viewer": auth.viewer(request),
        # A function, not a value: only pages that actually show a form create the CSRF cookie.
        "csrf_token": lambda: security.csrf_token(request),
        "request_path": request.path_qs,
        "badges": members.NO_BADGES,
        # Visitors all read with the defaults, so their pages never vary by cookie.
        "reader": reading.VISITOR,
        "quick_exit_url": request.app[settings_key].quick_exit_url,
    }


async def _context(request: web.Request) -> dict[str, Any]:
    context = base_context(request)
    viewer = context["viewer"]
    # aiohttp-jinja2 runs this before every handler, rendering or not: a form POST (which
    # answers 303) or an event stream has no page header to fill, so it skips the query.
    if viewer is not None and request.method in ("GET", "HEAD"):
        async with request.app[pool_key].acquire() as conn:
            context["badges"], prefs = await members.get_page_header(conn, viewer)
        context["reader"] = reading.reader_for(prefs)
    return context


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        # Templates are read once per process: checking every file's mtime on every render
        # costs more than some pages' queries. Restart to pick up an edited template.
        auto_reload=False,
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[_context],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ago"] = ago
    env.filters["iso"] = iso
    env.globals["url"] = _cached_static(env.globals["url"])


def _cached_static(url: Any) -> Any:
    """`url('static', filename=...)` with its answer kept: the static route appends a hash of the
    file (so browsers may cache it for ever), which aiohttp computes by reading the whole file on
    every call, twice per page. Files change only with a deploy, which restarts the process."""
    known: dict[str, str] = {}

    @jinja2.pass_context
    def cached(context: Any, route: str, **parts: Any) -> Any:
        if route != "static" or set(parts) != {"filename"}:
            return url(context, route, **parts)
        key = str(parts["filename"])
        if key not in known:
            known[key] = str(url(context, route, **parts))
        return known[key]

    return cached


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def render_secret(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page showing something to be seen once or by one person only (codes, keys, a reset
    link, an unmasked name): never stored by the browser or anything in between."""
    response = render(request, template, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
