"""Sign-in limits that hold under concurrency and do not lock the owner out.

A burst of 20 concurrent sign-ins used to get 15 guesses through a limit of 5 (each checked the
count before any had added to it), and the same burst locked the pseudonym's owner out. Now each
attempt is counted before its password is checked, and the tight limit is per pseudonym *and*
address; the owner meets only a looser per-pseudonym limit, for at most an hour.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import pytest

from forum.config import Settings, parse_networks
from forum.members import limits
from forum.storage.members import Member
from forum.web.security import SESSION_COOKIE
from tests.clients import PASSWORD, ForumClient


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test client (127.0.0.1) as a trusted proxy, so each request can name its client."""
    return replace(settings, trusted_proxies=parse_networks("FORUM_TRUSTED_PROXIES", "127.0.0.1"))


async def _login(client: ForumClient, password: str, address: str = "203.0.113.9") -> int:
    resp = await client.post_form(
        "/login",
        {"pseudonym": "river", "password": password},
        headers={"X-Forwarded-For": address},
    )
    return resp.status


async def test_a_concurrent_burst_gets_no_more_guesses_than_the_limit(
    client: ForumClient, member: Member
) -> None:
    statuses = await asyncio.gather(*(_login(client, f"guess {n}") for n in range(20)))
    assert sorted(statuses) == [400] * 5 + [429] * 15


async def test_a_strangers_guessing_does_not_lock_the_owner_out(
    client: ForumClient, member: Member
) -> None:
    await asyncio.gather(*(_login(client, f"guess {n}") for n in range(20)))
    assert await _login(client, PASSWORD) == 429  # the stranger's address is locked
    resp = await client.post_form(
        "/login",
        {"pseudonym": "river", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert resp.status == 303
    assert SESSION_COOKIE in resp.cookies


async def test_guesses_spread_over_many_addresses_are_bounded_per_pseudonym(
    client: ForumClient, member: Member
) -> None:
    limit = limits.LOGIN_PER_PSEUDONYM.limit
    for n in range(limit):
        assert await _login(client, f"guess {n}", address=f"192.0.2.{n + 1}") == 400
    assert await _login(client, PASSWORD, address="198.51.100.20") == 429
    assert limits.LOGIN_PER_PSEUDONYM.window.total_seconds() <= 3600


async def test_a_refused_attempt_is_not_counted(
    db: asyncpg.Connection, client: ForumClient, member: Member
) -> None:
    """Attempts answered 429 were never evaluated, so they add nothing to any count; a sign-in
    that succeeds is given back too."""
    statuses = [await _login(client, f"guess {n}") for n in range(8)]
    assert statuses == [400] * 5 + [429] * 3
    assert await _login(client, PASSWORD, address="198.51.100.20") == 303
    rows = await db.fetch("SELECT bucket, sum(hits) AS hits FROM rate_limits GROUP BY bucket")
    hits = {str(r["bucket"]): int(r["hits"]) for r in rows}
    assert hits == {"login-pseudonym-address": 5, "login-address": 5, "login-pseudonym": 5}
