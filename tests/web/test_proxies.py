"""Behind a TLS proxy: FORUM_TRUSTED_PROXIES, the client's address and scheme, `Secure` cookies,
HSTS, and rate limits per real client; and the keys derived from FORUM_SECRET, one per use.

The test client connects from 127.0.0.1, so "127.0.0.1/32" makes it the trusted proxy.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest

from forum.config import ConfigError, Settings, derive_key, load, parse_networks
from forum.members import limits
from forum.web import security
from forum.web.security import CSRF_COOKIE
from tests.clients import JOINING, PASSWORD, TEST_SECRET, ClientFactory, ForumClient

PROXIED = pytest.mark.parametrize("settings", ["127.0.0.1/32, 10.0.0.0/8"], indirect=True)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings, with the proxies a test names (by default, none)."""
    proxies = getattr(request, "param", "")
    return replace(settings, trusted_proxies=parse_networks("FORUM_TRUSTED_PROXIES", proxies))


# -- Configuration ---------------------------------------------------------------------------------


def test_trusted_proxies_are_read_as_addresses_and_networks(tmp_path: object) -> None:
    env = {"FORUM_SECRET": "x" * 32, "FORUM_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1"}
    settings = load(env)
    assert [str(n) for n in settings.trusted_proxies] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
        "::1/128",
    ]
    assert load({"FORUM_SECRET": "x" * 32}).trusted_proxies == ()


@pytest.mark.parametrize("bad", ["10.0.0.300", "proxy.example", "10.0.0.0/33"])
def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"^FORUM_TRUSTED_PROXIES must list IP addresses"):
        parse_networks("FORUM_TRUSTED_PROXIES", f"10.0.0.1,{bad}")


# -- Scheme: Secure cookies and HSTS ---------------------------------------------------------------


async def _login_page(client: ForumClient, **headers: str) -> tuple[str, str | None]:
    resp = await client.http.get("/login", headers=headers, allow_redirects=False)
    assert resp.status == 200
    return resp.headers.get("Set-Cookie", ""), resp.headers.get("Strict-Transport-Security")


@PROXIED
async def test_https_at_a_trusted_proxy_makes_cookies_secure_and_sends_hsts(
    make_client: ClientFactory,
) -> None:
    fresh = await make_client()
    fresh.http.session.cookie_jar.clear()  # so the page sets a CSRF cookie
    cookie, hsts = await _login_page(fresh, **{"X-Forwarded-Proto": "https"})
    assert "forum_csrf=" in cookie
    assert "Secure" in cookie
    assert hsts == "max-age=63072000; includeSubDomains"


@PROXIED
async def test_plain_http_at_a_trusted_proxy_stays_plain(make_client: ClientFactory) -> None:
    fresh = await make_client()
    fresh.http.session.cookie_jar.clear()
    cookie, hsts = await _login_page(fresh, **{"X-Forwarded-Proto": "http"})
    assert "forum_csrf=" in cookie
    assert "Secure" not in cookie
    assert hsts is None


async def test_forwarded_headers_from_anyone_else_are_ignored(make_client: ClientFactory) -> None:
    fresh = await make_client()
    fresh.http.session.cookie_jar.clear()
    cookie, hsts = await _login_page(fresh, **{"X-Forwarded-Proto": "https"})
    assert "Secure" not in cookie
    assert hsts is None


# -- Address: rate limits per real client ----------------------------------------------------------


async def _register(client: ForumClient, n: int, forwarded_for: str) -> int:
    """Register a new account as a visitor (afterwards signed out again, the same browser)."""
    client.http.session.cookie_jar.clear()
    client.http.session.cookie_jar.update_cookies({CSRF_COOKIE: client.binding})
    resp = await client.post_form(
        "/register",
        {**JOINING, "pseudonym": f"newcomer{n}", "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return resp.status


LIMIT = limits.REGISTER_PER_ADDRESS.limit


@PROXIED
async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client: ForumClient) -> None:
    for n in range(LIMIT + 2):
        assert await _register(client, n, f"203.0.113.{n + 1}") == 303


@PROXIED
async def test_a_forged_hop_left_of_the_proxys_own_does_not_choose_the_address(
    client: ForumClient,
) -> None:
    """The proxy appends the address it saw; whatever the client wrote before it is ignored."""
    statuses = [
        await _register(client, n, f"198.51.100.{n + 1}, 203.0.113.7") for n in range(LIMIT + 1)
    ]
    assert statuses == [303] * LIMIT + [429]


@PROXIED
async def test_hops_through_a_chain_of_trusted_proxies_are_skipped(client: ForumClient) -> None:
    statuses = [
        await _register(client, n, f"203.0.113.{n + 1}, 10.1.2.3, 10.4.5.6") for n in range(3)
    ]
    assert statuses == [303, 303, 303]  # three clients, not one "10.4.5.6"


@PROXIED
async def test_ipv6_clients_share_a_limit_per_64_and_mapped_ipv4_is_plain_ipv4(
    client: ForumClient,
) -> None:
    """A /64 is one subscriber's: walking through its addresses does not buy more attempts."""
    in_one_64 = [await _register(client, n, f"2001:db8:1:2::{n + 1:x}") for n in range(LIMIT + 1)]
    assert in_one_64 == [303] * LIMIT + [429]
    assert await _register(client, 100, "2001:db8:1:3::1") == 303  # the next /64 is someone else
    mapped = [await _register(client, 200 + n, "203.0.113.9") for n in range(LIMIT - 1)]
    assert mapped == [303] * (LIMIT - 1)
    assert await _register(client, 300, "::ffff:203.0.113.9") == 303
    assert await _register(client, 301, "::ffff:cb00:7109") == 429  # the same IPv4 address


def test_rate_keys() -> None:
    assert security.rate_key("2001:db8::1") == "2001:db8::/64"
    assert security.rate_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert security.rate_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert security.rate_key("192.0.2.1") == "192.0.2.1"
    assert security.rate_key("unknown") == "unknown"


async def test_without_trusted_proxies_a_forwarded_address_cannot_dodge_the_limit(
    client: ForumClient,
) -> None:
    statuses = [await _register(client, n, f"203.0.113.{n + 1}") for n in range(LIMIT + 1)]
    assert statuses == [303] * LIMIT + [429]


# -- Keys ------------------------------------------------------------------------------------------


def test_each_use_of_the_secret_has_its_own_derived_key() -> None:
    purposes = ("csrf", "rate-limits", "webhooks", "identities")
    keys = {derive_key(TEST_SECRET, p) for p in purposes}
    assert len(keys) == len(purposes)
    assert all(len(k) == 32 and TEST_SECRET not in k for k in keys)
    assert derive_key(TEST_SECRET, "csrf") != derive_key(b"another secret of some length", "csrf")


async def test_a_csrf_token_made_with_the_bare_secret_is_refused(client: ForumClient) -> None:
    """What the forum used to sign with: a leaked webhook or rate-limit key would forge it."""
    bare = hmac.new(TEST_SECRET, b"csrf:" + client.binding.encode(), hashlib.sha256).hexdigest()
    resp = await client.post_form(
        "/register", {**JOINING, "pseudonym": "forger", "password": PASSWORD, "csrf_token": bare}
    )
    assert resp.status == 403
    accepted = await client.post_form(
        "/register", {**JOINING, "pseudonym": "honest", "password": PASSWORD}
    )
    assert accepted.status == 303
