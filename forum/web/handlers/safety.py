"""`/safety`: what quick exit can and cannot hide, and how to read here more privately.

The page is the same for everyone and needs no database, so it also loads when little else does.
"""

from __future__ import annotations

from aiohttp import web

from forum.web.pages import render


async def safety_page(request: web.Request) -> web.Response:
    return render(request, "safety/safety.html", {})


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/safety", safety_page, name="safety")
