"""Who is asking: the session cookie resolved to a member once per request.

`load_member` puts the signed-in Member (or None) on the request; handlers ask `viewer()` or
`require_member()`. An unknown or expired session cookie is cleared on the response and the
request is treated as a visitor's, so an old cookie never breaks a page or a CSRF check.

`owed_gate` keeps a staff member whom the forum's policy asks for two-factor sign-in, and who
has not set it up, on the set-up page (and signing out) until they have; and sends a member
whose accepted site rules have changed since to accept them again before the next page.
"""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from forum.storage import sessions
from forum.storage.members import Member
from forum.web.keys import pool_key
from forum.web.security import SESSION_COOKIE, SESSION_TOKEN_KEY, Handler, set_cookie

_member_key = web.RequestKey("member", Member)
_two_factor_due_key = web.RequestKey("two_factor_due", bool)
_rules_due_key = web.RequestKey("rules_due", bool)
#: What a staff member still has to set up two-factor for can reach meanwhile.
OPEN_UNTIL_TWO_FACTOR = (
    "/account/two-factor",
    "/logout",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/privacy",
    "/rules",
)


@web.middleware
async def load_member(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    member = None
    if token and not request.path.startswith("/static/"):
        async with request.app[pool_key].acquire() as conn:
            found = await sessions.get_signed_in(conn, token[:200])
        if found is not None:
            member = found.member
            request[SESSION_TOKEN_KEY] = token
            request[_member_key] = member
            request[_two_factor_due_key] = found.two_factor_due
            request[_rules_due_key] = found.rules_due
    response = await handler(request)
    if (
        token
        and member is None
        and not response.prepared
        and not request.path.startswith("/static/")
    ):
        response.del_cookie(SESSION_COOKIE, path="/")
    return response


#: What a member asked to accept changed rules can still open first: the rules themselves, the
#: privacy notice, their account (to export their data or leave instead) and live streams.
OPEN_UNTIL_RULES_ACCEPTED = (
    "/rules",
    "/privacy",
    "/account",
    "/logout",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
)


@web.middleware
async def owed_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What a signed-in member owes the forum before anything else: staff their two-factor
    set-up (every request but the set-up page's), a member changed site rules (pages only, so
    a form already being sent, such as a post, is never lost)."""
    if request.get(_two_factor_due_key) and not request.path.startswith(OPEN_UNTIL_TWO_FACTOR):
        back = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther(URL("/account/two-factor").with_query(next=back))
    if (
        request.get(_rules_due_key)
        and request.method == "GET"
        and not request.path.startswith(OPEN_UNTIL_RULES_ACCEPTED)
        and not request.path.endswith("/events")
    ):
        raise web.HTTPSeeOther(URL("/rules/accept").with_query(next=request.path_qs))
    return await handler(request)


def viewer(request: web.Request) -> Member | None:
    return request.get(_member_key)


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else (another site) becomes '/'.

    Control characters are refused too: URL parsers (yarl, browsers) drop tabs and newlines, so
    "/<tab>/evil.example" would otherwise reach the Location header as "//evil.example".
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(c < " " or c == "\x7f" for c in target)
    ):
        return "/"
    return target


def require_member(request: web.Request) -> Member:
    member = viewer(request)
    if member is None:
        back = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther(URL("/login").with_query(next=back))
    return member


def start_session(request: web.Request, response: web.StreamResponse, token: str) -> None:
    set_cookie(
        response, request, SESSION_COOKIE, token, max_age=int(sessions.LIFETIME.total_seconds())
    )


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
