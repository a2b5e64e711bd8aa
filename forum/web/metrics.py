"""`/metrics` (Prometheus text format, every worker at once) and `/readyz`.

The numbers come from `prometheus_client` in its multiprocess mode: `forum serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before any worker starts, each worker writes its
counters there, and whichever worker is scraped adds them all up (`MultiProcessCollector`). So a
scrape through the shared port counts the requests every worker answered, and a worker that was
replaced keeps its counts (its live gauges are dropped by the parent, `mark_process_dead`).
Without the variable (the test suite's in-process servers) the one process's own registry is read.

What is measured, per process: requests by route pattern (never the path itself: `/t/1234`
would make one series per topic, and paths can be personal), method and status; latency by route;
database pool connections in use and idle; open live streams by feed; whether the process hears
the others (its live-events LISTEN connection). What the database knows is read at scrape time:
open moderation items by kind, and the age of the oldest unclaimed crisis item, the number that
says a person at risk is waiting.

`/metrics` tells how long a crisis has waited and how busy each group is, so it answers only
loopback and FORUM_METRICS_FROM, judged by the real client address (behind a trusted proxy, the
forwarded one): a request relayed by a proxy that is not named in FORUM_TRUSTED_PROXIES (it
carries X-Forwarded-For, X-Real-IP, Via or the like) is refused as well, so a local reverse proxy
cannot open it to the world. A proxy that adds none of them cannot be told from a local client:
the README asks for /metrics to be refused there too.
Anyone else gets the 404 of a page that does not exist (`forum.web.handlers.health`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from forum.live import listening
from forum.storage import queue_items
from forum.web import security, streams
from forum.web.keys import pool_key, settings_key
from forum.web.security import Handler

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: How often each worker writes its pool and stream gauges.
SAMPLE_SECONDS = 2.0

REQUESTS = Counter(
    "forum_http_requests_total",
    "Requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "forum_http_request_duration_seconds",
    "Time to answer a request, by route pattern (live streams are not timed).",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POOL = Gauge(
    "forum_db_pool_connections",
    "Database pool connections, by state (in_use, idle, max), summed over live workers.",
    ["state"],
    multiprocess_mode="livesum",
)
STREAMS = Gauge(
    "forum_live_streams",
    "Open live streams, by feed, summed over live workers.",
    ["feed"],
    multiprocess_mode="livesum",
)
HEARING = Gauge(
    "forum_live_listening",
    "1 if every live worker's live-events LISTEN connection is up, else 0.",
    multiprocess_mode="livemin",
)


#: Routes whose answer is a live stream: counted, but not timed.
STREAMING = frozenset({"/mod/events", "/inbox/events"})


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


#: The status counted for a request whose client left before its answer (nginx's convention):
#: it was handled, but nobody received the answer.
CLIENT_GONE = "499"


@web.middleware
async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every answer is counted, error pages and redirects included; one whose
    client had gone by the time it was ready is counted as 499."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = route_of(request)
        transport = request.transport
        gone = transport is None or transport.is_closing()
        REQUESTS.labels(route, request.method, CLIENT_GONE if gone else str(status)).inc()
        if route not in STREAMING:  # a stream's "latency" would be how long it stayed open
            LATENCY.labels(route, request.method).observe(time.perf_counter() - started)


async def sampling(app: web.Application) -> AsyncIterator[None]:
    """A cleanup_ctx writing this worker's gauges every SAMPLE_SECONDS while it runs."""

    async def sample() -> None:
        while True:
            pool = app[pool_key]
            size, idle = pool.get_size(), pool.get_idle_size()
            POOL.labels("in_use").set(size - idle)
            POOL.labels("idle").set(idle)
            POOL.labels("max").set(pool.get_max_size())
            for feed, hub in app[streams.hubs_key].items():
                STREAMS.labels(feed).set(len(hub))
            HEARING.set(1 if app[streams.hearing_key].get("listening") else 0)
            await asyncio.sleep(SAMPLE_SECONDS)

    task = asyncio.create_task(sample())
    try:
        yield
    finally:
        await listening.stop(task)


#: Headers only a proxy adds: a request carrying any of them was relayed, whoever sent it.
PROXY_HEADERS = (
    "X-Forwarded-For",
    "Forwarded",
    "X-Real-IP",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "Via",
    "CF-Connecting-IP",
    "True-Client-IP",
    "X-Client-IP",
)


def may_read(request: web.Request) -> bool:
    allowed = request.app[settings_key].metrics_from
    direct = request.remote or ""
    proxied = any(name in request.headers for name in PROXY_HEADERS)
    if proxied and not security.is_trusted(direct, request.app[settings_key].trusted_proxies):
        return False
    try:
        ip = ipaddress.ip_address(security.client_address(request))
    except ValueError:
        return False
    if ip.is_loopback or (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_loopback):
        return True
    return any(ip in network for network in allowed)


class _DatabaseFigures(Collector):
    """What the database knows, read once for this scrape."""

    def __init__(self, figures: queue_items.Figures | None) -> None:
        self.figures = figures

    def collect(self) -> list[GaugeMetricFamily]:
        up = GaugeMetricFamily("forum_database_up", "1 if the database answered this scrape.")
        up.add_metric([], 1 if self.figures is not None else 0)
        if self.figures is None:
            return [up]
        items = GaugeMetricFamily(
            "forum_queue_open_items", "Open moderation items, by kind.", labels=["kind"]
        )
        for kind, n in sorted(self.figures.open_by_kind.items()):
            items.add_metric([kind], n)
        oldest = GaugeMetricFamily(
            "forum_crisis_oldest_unclaimed_seconds",
            "How long the oldest unclaimed crisis item has waited (0: none waits).",
        )
        oldest.add_metric([], self.figures.oldest_unclaimed_crisis_seconds)
        return [up, items, oldest]


def exposition(figures: queue_items.Figures | None) -> bytes:
    """Every worker's figures (or this process's, outside `forum serve`), then the database's."""
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(_DatabaseFigures(figures))
    return generate_latest(registry) + generate_latest(database)
