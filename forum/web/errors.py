"""Error pages: every 4xx/5xx is a calm HTML page from templates/errors/, never a traceback.

Handlers raise aiohttp's HTTP exceptions (or let one escape); this middleware renders them.
Anything unexpected is logged with its traceback (ids and paths only: request bodies are never
logged) and answered 500. A database that cannot be reached, or that does not answer in time
(no pool connection within FORUM_DB_ACQUIRE_SECONDS, a statement past FORUM_DB_STATEMENT_SECONDS),
answers a calm 503 with Retry-After; the worker's log filter (`forum.ops.logs`) turns an outage's
thousands of such failures into one line a minute with a count.
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
#: What a 503 asks the browser (and a well-behaved client) to wait before trying again.
RETRY_AFTER_S = 30
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    # A statement cancelled (its timeout), the server shutting down or restarting (every
    # connection is terminated "due to administrator command"), or not accepting connections yet.
    asyncpg.OperatorInterventionError,
    asyncpg.PostgresConnectionError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
)


#: The fields of our forms that hold what a member wrote (never a password or a code): a POST
#: the database could not take shows them back, so nothing typed is lost.
WRITTEN = {
    "title": "Title",
    "body": "What you wrote",
    "text": "What you wrote",
    "message": "Your message",
    "reason": "Your reason",
}


async def _written(request: web.Request) -> list[tuple[str, str]]:
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return []
    try:
        form = await request.post()
    except Exception:  # an unreadable body: there is nothing to give back
        return []
    return [
        (label, value)
        for name, label in WRITTEN.items()
        if isinstance(value := form.get(name), str) and value.strip()
    ]


def error_page(
    request: web.Request,
    status: int,
    headers: dict[str, str] | None = None,
    written: list[tuple[str, str]] | None = None,
) -> web.Response:
    title = TITLES.get(status, "Something went wrong")
    context = {**base_context(request), "status": status, "title": title}
    try:
        response = aiohttp_jinja2.render_template(
            "errors/error.html",
            request,
            {**context, "sent": request.method == "POST", "written": written or []},
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
    except _UNAVAILABLE as exc:
        log.warning(
            "database unavailable during %s %s: %s",
            request.method,
            _route(request),
            type(exc).__name__,
        )
        return error_page(
            request, 503, {"Retry-After": str(RETRY_AFTER_S)}, await _written(request)
        )
    except Exception:
        log.exception("unhandled error during %s %s", request.method, _route(request))
        return error_page(request, 500)


def _route(request: web.Request) -> str:
    """The route's pattern, not the path: paths can be personal, and are unbounded."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"
