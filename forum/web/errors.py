"""Error pages: every 4xx/5xx is a calm HTML page from templates/errors/, never a traceback.

Handlers raise aiohttp's HTTP exceptions (or let one escape); this middleware renders them.
Anything unexpected is logged with its traceback (ids and paths only: request bodies are never
logged) and answered 500. A database that cannot be reached answers 503.
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
import asyncpg
from aiohttp import web

from forum.web.pages import base_context
from forum.web.security import Handler

log = logging.getLogger(__name__)

TITLES = {
    400: "Something in that request didn't come through",
    403: "This form has expired",
    404: "We couldn't find that page",
    405: "That action isn't available here",
    409: "This changed while you were away",
    413: "That's too much to send at once",
    429: "Please slow down a little",
    500: "Something went wrong on our side",
    503: "The forum is resting for a moment",
}
_UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
)


def error_page(
    request: web.Request, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    title = TITLES.get(status, "Something went wrong")
    try:
        response = aiohttp_jinja2.render_template(
            "errors/error.html",
            request,
            {**base_context(request), "status": status, "title": title},
            status=status,
        )
    except Exception:  # the error page itself failed: still answer, plainly
        log.exception("error page for %s failed", status)
        response = web.Response(text=title, status=status)
    if headers:
        response.headers.update(headers)
    return response


@web.middleware
async def pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if "\x00" in request.path or "\x00" in request.rel_url.query_string:
            # PostgreSQL text cannot hold NUL and no link of ours has one: refuse before any query.
            raise web.HTTPBadRequest()
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json" or exc.empty_body:
            raise
        keep = {k: v for k, v in exc.headers.items() if k in ("Retry-After", "Allow")}
        return error_page(request, exc.status, keep)
    except _UNAVAILABLE:
        log.exception("database unavailable during %s %s", request.method, request.path)
        return error_page(request, 503, {"Retry-After": "30"})
    except Exception:
        log.exception("unhandled error during %s %s", request.method, request.path)
        return error_page(request, 500)
