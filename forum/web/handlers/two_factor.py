"""`/account/two-factor`: set up, confirm or turn off two-factor sign-in (issue 19); and
`/admin/two-factor`, where admins choose whom it is required of.

The page is the only one a staff member who owes two-factor can reach (web/auth.py), so it works
on its own: it says why it is asked for and where the member was going. The key and the first
recovery codes are secrets, so no page here is ever cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from forum.members import limits
from forum.members import two_factor as tf
from forum.storage import audit
from forum.storage import two_factor as store
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.web import auth, forms
from forum.web.handlers._lookups import require_admin
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render, render_secret

PAGE = "account/two_factor.html"
T = TypeVar("T")


async def _page(
    request: web.Request,
    *,
    error: str | None = None,
    codes: list[str] | None = None,
    note: str | None = None,
    status: int = 200,
) -> web.Response:
    member = auth.require_member(request)
    target = auth.safe_next(request.query.get("next"))
    async with request.app[pool_key].acquire() as conn:
        setup = await tf.setup(conn, member)
        required = await store.is_required(conn, member.id)
    context = {
        "setup": setup,
        "required": required,
        "error": error,
        "codes": codes,
        "note": note,
        "next": target,
    }
    return render_secret(request, PAGE, context, status=status)


async def _limited(request: web.Request, member_id: int) -> str | None:
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(
                conn, request.app[settings_key], limits.TWO_FACTOR_PER_MEMBER, f"m:{member_id}"
            )
        except limits.Limited as exc:
            minutes = max(1, -(-exc.retry_after // 60))
            return f"Too many codes tried just now. Please wait {minutes} min and try again."
    return None


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def _with_code(
    request: web.Request, act: Callable[[Conn, Member, forms.Form], Awaitable[T]]
) -> tuple[T | None, web.Response | None]:
    """Run `act` for the signed-in member's form, counted against their limit on codes: its
    result, or the page again with why not (too many tries, or `act`'s TwoFactorError)."""
    member = auth.require_member(request)
    form = await forms.read(request)
    if wait := await _limited(request, member.id):
        return None, await _page(request, error=wait, status=429)
    async with request.app[pool_key].acquire() as conn:
        try:
            return await act(conn, member, form), None
        except tf.TwoFactorError as exc:
            return None, await _page(request, error=str(exc), status=400)


async def confirm(request: web.Request) -> web.Response:
    codes, refused = await _with_code(
        request, lambda conn, member, form: tf.confirm(conn, member, form.text("code")[:64])
    )
    return refused or await _page(request, codes=codes)


async def turn_off(request: web.Request) -> web.Response:
    _, refused = await _with_code(
        request,
        lambda conn, member, form: tf.turn_off(
            conn, member, form.text("password"), form.text("code")[:64]
        ),
    )
    return refused or await _page(request, note="Two-factor sign-in is off.")


async def policy_page(request: web.Request) -> web.Response:
    require_admin(request)
    async with request.app[pool_key].acquire() as conn:
        policy = await store.get_policy(conn)
    saved = request.query.get("saved") == "1"
    return render(request, "admin/two_factor.html", {"policy": policy, "saved": saved})


async def save_policy(request: web.Request) -> web.Response:
    """Whom two-factor is required of; audited. Turning a duty on sends the staff it covers to
    the set-up page at their next request."""
    admin = require_admin(request)
    form = await forms.read(request)
    policy = store.Policy(admins=form.flag("admins"), moderators=form.flag("moderators"))
    words = {True: "required", False: "optional"}
    async with request.app[pool_key].acquire() as conn, conn.transaction():
        await store.set_policy(conn, policy)
        await audit.record(
            conn,
            actor_id=admin.id,
            action="two_factor_policy",
            reason=f"Two-factor for admins: {words[policy.admins]}; for moderators of groups"
            f" with anonymous posting: {words[policy.moderators]}.",
        )
    where = request.app.router["admin_two_factor"].url_for().with_query(saved="1")
    raise web.HTTPSeeOther(where)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/account/two-factor", page, name="account_two_factor")
    r.add_post("/account/two-factor", confirm)
    r.add_post("/account/two-factor/off", turn_off, name="account_two_factor_off")
    r.add_get("/admin/two-factor", policy_page, name="admin_two_factor")
    r.add_post("/admin/two-factor", save_policy)
