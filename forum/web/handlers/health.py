"""`/healthz`: for load balancers and `make run`; says whether the database answers."""

from __future__ import annotations

import asyncio

from aiohttp import web

from forum.storage import db
from forum.web.keys import pool_key


async def healthz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(2):
            async with request.app[pool_key].acquire() as conn:
                await db.ping(conn)
    except Exception:  # any failure to answer means "not ok"; the reason goes to the log
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/healthz", healthz, name="healthz")
