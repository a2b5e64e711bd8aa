"""`/healthz` (does the database answer?), `/readyz` (can this process serve: the database
answers and it hears the others?) and `/metrics` (Prometheus, loopback and FORUM_METRICS_FROM
only: see `forum.web.metrics`)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from forum.storage import db, queue_items
from forum.web import metrics, streams
from forum.web.keys import pool_key

log = logging.getLogger(__name__)

#: How long a probe or a scrape waits for the database before saying it did not answer.
PROBE_SECONDS = 2


async def _database_answers(request: web.Request) -> bool:
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            async with request.app[pool_key].acquire() as conn:
                await db.ping(conn)
    except Exception:  # any failure to answer means "not ok"
        return False
    return True


async def healthz(request: web.Request) -> web.Response:
    if not await _database_answers(request):
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """503 while the database or this process's live-events LISTEN connection is down: a load
    balancer then sends members elsewhere, where the live pages are live."""
    database = await _database_answers(request)
    hearing = bool(request.app[streams.hearing_key].get("listening"))
    ok = database and hearing
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "database": database, "live_events": hearing},
        status=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )


async def scrape(request: web.Request) -> web.Response:
    if not metrics.may_read(request):
        raise web.HTTPNotFound()
    figures = None
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            async with request.app[pool_key].acquire() as conn:
                figures = await queue_items.figures(conn)
    except Exception as exc:  # the scrape still answers, saying the database did not
        log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
    return web.Response(
        body=metrics.exposition(figures),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/healthz", healthz, name="healthz")
    r.add_get("/readyz", readyz, name="readyz")
    r.add_get("/metrics", scrape, name="metrics")
