"""CSRF protection, security headers and cookie flags.

CSRF: the token is an HMAC, under the forum's CSRF key, of something only this browser holds: the
session token when signed in, otherwise a random `forum_csrf` cookie. Nothing is stored, every
process can check it (they share the secret), and a token lifted from another browser is useless
here. Every unsafe request must carry it in the `csrf_token` field or the X-CSRF-Token header;
without it the answer is 403 and the handler never runs.

Headers: a strict CSP (no inline script, no third-party anything: the forum works offline), no
framing, no referrer (a link out of a grief group should not tell the other site where the reader
came from), and `no-store` on anything personal so a shared computer's Back button shows nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from forum.config import Network
from forum.web.keys import settings_key

SESSION_COOKIE = "forum_session"
CSRF_COOKIE = "forum_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: Set by the auth middleware to the session token, only when that session is valid.
SESSION_TOKEN_KEY = web.RequestKey("session_token", str)
_binding_key = web.RequestKey("csrf_binding", str)
_new_cookie_key = web.RequestKey("csrf_new_cookie", str)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Client:
    """Who is on the other end: the address and scheme the browser used, which behind a trusted
    proxy are the ones it forwarded."""

    address: str
    https: bool


_client_key = web.RequestKey("client", Client)


def client(request: web.Request) -> Client:
    """The request's client, read once per request.

    Only a request that arrives from one of FORUM_TRUSTED_PROXIES has its X-Forwarded-For and
    X-Forwarded-Proto believed; anyone else could write them. The client is the right-most
    X-Forwarded-For hop that is not itself a trusted proxy (the hops to its left were written by
    the client and prove nothing), so a forged header cannot choose the address rate limits
    count. Kept in the request's state rather than a cloned request, so the response signals
    (HSTS, `Secure` cookies) see it too."""
    if _client_key not in request:
        request[_client_key] = _read_client(request)
    return request[_client_key]


def _read_client(request: web.Request) -> Client:
    direct = Client(request.remote or "unknown", request.secure)
    trusted = request.app[settings_key].trusted_proxies
    if not trusted or not is_trusted(direct.address, trusted):
        return direct
    hops = [h.strip() for v in request.headers.getall("X-Forwarded-For", ()) for h in v.split(",")]
    address = direct.address
    for hop in reversed(hops):
        if not _valid_address(hop):
            break  # a mangled header: trust nothing further left of it
        address = hop
        if not is_trusted(hop, trusted):
            break
    protos = request.headers.getall("X-Forwarded-Proto", ())  # the proxy's is the last one
    proto = protos[-1].rsplit(",", 1)[-1].strip().lower() if protos else ""
    return Client(address, proto == "https" if proto else direct.https)


def _valid_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def is_https(request: web.Request) -> bool:
    return client(request).https


def client_address(request: web.Request) -> str:
    return client(request).address


#: One IPv6 subscriber usually holds a whole /64, so a limit per address would be a limit per
#: 2**64 addresses: IPv6 clients are counted by their /64 network.
IPV6_PREFIX = 64


def rate_key(address: str) -> str:
    """What a per-address rate limit counts: an IPv4 address (IPv4-mapped IPv6 included, so
    ::ffff:192.0.2.1 and 192.0.2.1 share one count), or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def client_rate_key(request: web.Request) -> str:
    return rate_key(client_address(request))


def set_cookie(
    response: web.StreamResponse,
    request: web.Request,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    # SameSite=Lax keeps the cookie off cross-site POSTs; HttpOnly keeps it from any script.
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def _binding(request: web.Request) -> str:
    """What the CSRF token is bound to for this browser, creating a cookie value if needed."""
    if _binding_key not in request:
        value = _bound_value(request)
        if not value:
            value = secrets.token_urlsafe(32)
            request[_new_cookie_key] = value
        request[_binding_key] = value
    return request[_binding_key]


def _bound_value(request: web.Request) -> str | None:
    return request.get(SESSION_TOKEN_KEY) or request.cookies.get(CSRF_COOKIE) or None


def token_issued(request: web.Request) -> bool:
    """Whether this response carries a CSRF token (a page holding one is per-browser)."""
    return _binding_key in request


def csrf_token(request: web.Request) -> str:
    key = request.app[settings_key].key("csrf")
    return hmac.new(key, _binding(request).encode(), hashlib.sha256).hexdigest()


#: Forms that carry a post's text (20,000 characters, up to 80 KB of UTF-8 and three times that
#: percent-encoded) may use the application's whole limit (`app.MAX_REQUEST_BYTES`); every
#: other form is a few short fields and gets this much.
SMALL_FORM_BYTES = 64 * 1024
POST_TEXT_ROUTES = frozenset(
    {"/drafts", "/drafts/{id}", "/drafts/{id}/publish", "/p/{id}/edit", "/mod/items/{id}/{action}"}
)


@web.middleware
async def body_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """413 before reading a body larger than its route needs (the declared length is checked
    here; a chunked body without one is still cut at the application's limit)."""
    length = request.content_length
    if length is not None and length > SMALL_FORM_BYTES and request.method == "POST":
        resource = request.match_info.route.resource
        if resource is None or resource.canonical not in POST_TEXT_ROUTES:
            raise web.HTTPRequestEntityTooLarge(SMALL_FORM_BYTES, length)
    return await handler(request)


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                sent = (await request.post()).get(CSRF_FIELD)  # type: ignore[assignment]
            except (ValueError, LookupError):  # not UTF-8, or an unknown charset
                raise web.HTTPBadRequest(reason="The form could not be read") from None
        if (
            not _bound_value(request)
            or not isinstance(sent, str)
            or not hmac.compare_digest(sent, csrf_token(request))
        ):
            raise web.HTTPForbidden(reason="CSRF token missing or wrong")
    response = await handler(request)
    new_cookie = request.get(_new_cookie_key)
    if new_cookie and not response.prepared:
        set_cookie(response, request, CSRF_COOKIE, new_cookie)
    return response


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if is_https(request):
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    personal = SESSION_TOKEN_KEY in request or "Set-Cookie" in headers
    if personal and not request.path.startswith("/static/"):
        headers["Cache-Control"] = "private, no-store"
