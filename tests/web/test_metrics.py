"""`/metrics` and `/readyz` in one process: what is counted, who may read it, and the figures
read from the database at scrape time. (Summing over the workers of `forum serve --workers 2`
is in tests/ops/test_serve.py; readiness through a database outage in tests/faults/.)"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any

import asyncpg
import pytest

from forum.config import Settings
from forum.web.app import create_app
from tests.clients import ClientFactory
from tests.factories import MakeGroup, MakeMember, make_topic

#: name{labels} value, label values quoted (a route pattern has braces of its own).
SAMPLE = re.compile(r'^(\w+)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? ([0-9.e+-]+)$', re.MULTILINE)


def samples(text: str, name: str) -> dict[str, float]:
    return {labels or "": float(value) for n, labels, value in SAMPLE.findall(text) if n == name}


async def scrape(client: Any, headers: dict[str, str] | None = None) -> str:
    resp = await client.get("/metrics", headers=headers or {})
    assert resp.status == 200, resp.status
    assert resp.headers["Content-Type"].startswith("text/plain")
    return str(await resp.text())


async def test_requests_are_counted_by_route_pattern_method_and_status(
    make_client: ClientFactory,
) -> None:
    visitor = await make_client()
    before = samples(await scrape(visitor.http), "forum_http_requests_total")

    for _ in range(3):
        assert (await visitor.get("/")).status == 200
    assert (await visitor.get("/g/no-such-group")).status == 404
    after = samples(await scrape(visitor.http), "forum_http_requests_total")

    def grew(labels: str) -> float:
        return after.get(labels, 0) - before.get(labels, 0)

    assert grew('{method="GET",route="/",status="200"}') == 3
    assert grew('{method="GET",route="/g/{slug}",status="404"}') == 1
    assert not [labels for labels in after if "no-such-group" in labels]  # patterns, not paths


async def test_the_database_figures_say_how_long_a_crisis_has_waited(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
) -> None:
    author, group = await make_member("willow"), await make_group("grief")
    post = await make_topic(db, group, author, body="words")
    await db.execute(
        "INSERT INTO queue_items (group_id, post_id, kind, priority, created_at)"
        " VALUES ($1, $2, 'crisis', 0, now() - interval '10 minutes')",
        group.id,
        post.post_id,
    )

    text = await scrape((await make_client()).http)

    assert samples(text, "forum_database_up") == {"": 1}
    assert samples(text, "forum_queue_open_items")['{kind="crisis"}'] == 1
    assert 590 < samples(text, "forum_crisis_oldest_unclaimed_seconds")[""] < 700
    assert "willow" not in text  # numbers only


@pytest.fixture
async def proxied_client(aiohttp_client: Any, settings: Settings, db: asyncpg.Connection) -> Any:
    """The forum behind a trusted proxy on loopback, as with nginx on the same machine."""

    async def make(**changes: Any) -> Any:
        app = create_app(
            dataclasses.replace(
                settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),), **changes
            )
        )
        return await aiohttp_client(app)

    return make


async def test_a_request_relayed_from_elsewhere_is_refused(
    make_client: ClientFactory, proxied_client: Any
) -> None:
    """Loopback is allowed, but not what a loopback proxy relays from the world: through an
    untrusted relay (any X-Forwarded-For) or a trusted one (the real client is not loopback)."""
    direct = (await make_client()).http
    behind_proxy = await proxied_client()

    relayed = await direct.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    forwarded = await direct.get("/metrics", headers={"Forwarded": "for=203.0.113.9"})
    through_trusted = await behind_proxy.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})

    assert relayed.status == 404
    assert forwarded.status == 404
    assert through_trusted.status == 404


async def test_configured_addresses_may_read_it(proxied_client: Any) -> None:
    allowed = await proxied_client(metrics_from=(ipaddress.ip_network("203.0.113.0/24"),))

    ok = await allowed.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    other = await allowed.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})

    assert ok.status == 200
    assert other.status == 404


async def test_readyz_says_the_database_and_the_live_events_connection_are_up(
    make_client: ClientFactory,
) -> None:
    resp = await (await make_client()).get("/readyz")

    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "database": True, "live_events": True}


@pytest.mark.parametrize("header", ["X-Real-IP", "Via", "X-Forwarded-Proto", "CF-Connecting-IP"])
async def test_any_sign_of_a_relaying_proxy_is_refused(
    make_client: ClientFactory, header: str
) -> None:
    resp = await (await make_client()).get("/metrics", headers={header: "203.0.113.9"})
    assert resp.status == 404
