"""`/healthz`: ok when the database answers, 503 when it does not."""

from __future__ import annotations

from typing import Any

from forum.web.keys import pool_key
from tests.clients import ForumClient


async def test_healthz_says_ok_when_the_database_answers(client: ForumClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok"}


async def test_healthz_answers_503_when_the_database_does_not(
    client: ForumClient, server: Any
) -> None:
    await server.app[pool_key].close()  # as good as the database going away
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert (await resp.json())["status"] != "ok"
