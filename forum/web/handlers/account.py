"""The member's own account: download what they wrote, or delete the account.

Both are POSTs behind the CSRF check (a cross-site page cannot start the download) and both are
rate-limited per member: the export is heavy, and deleting asks for the password.
"""

from __future__ import annotations

import json

from aiohttp import web

from forum.members import accounts, limits, recovery
from forum.storage import own_data, recovery_codes, sessions
from forum.web import auth, forms, security
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render, render_secret


async def _spend(request: web.Request, policy: limits.Policy, who: int) -> str | None:
    """None, or why the member must wait (the limit was reached)."""
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(conn, request.app[settings_key], policy, f"m:{who}")
        except limits.Limited as exc:
            minutes = max(1, round(exc.retry_after / 60))
            return f"You have done that several times just now. Please try again in {minutes} min."
    return None


async def account_page(request: web.Request) -> web.Response:
    auth.require_member(request)
    return render(request, "account/account.html", {"error": None})


async def export_data(request: web.Request) -> web.Response:
    """Everything the member wrote, as one JSON file. Only ever the signed-in member's own."""
    member = auth.require_member(request)
    wait = await _spend(request, limits.EXPORTS_PER_MEMBER, member.id)
    if wait:
        return render(request, "account/account.html", {"error": wait}, status=429)
    async with request.app[pool_key].acquire() as conn:
        data = await own_data.export(conn, member.id)
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-forum-data.json"'},
    )


async def sign_out_others(request: web.Request) -> web.Response:
    """End every other session of the member (another device, a forgotten library computer);
    their open live streams close too. This one stays signed in."""
    member = auth.require_member(request)
    token = request[security.SESSION_TOKEN_KEY]
    async with request.app[pool_key].acquire() as conn:
        ended = await sessions.delete_other_sessions(conn, member.id, token)
    note = f"Signed out on {ended} other device{'' if ended == 1 else 's'}."
    return render(request, "account/account.html", {"error": None, "note": note})


async def delete_account(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    wait = await _spend(request, limits.DELETES_PER_MEMBER, member.id)
    if wait:
        return render(request, "account/account.html", {"error": wait}, status=429)
    async with request.app[pool_key].acquire() as conn:
        try:
            await accounts.delete_account(
                conn, member, form.text("password"), remove_posts=form.flag("remove_posts")
            )
        except accounts.AccountError as exc:
            return render(request, "account/account.html", {"error": str(exc)}, status=400)
    response = web.HTTPSeeOther(request.app.router["directory"].url_for().with_query(bye="1"))
    auth.end_session(response)
    raise response


async def password_page(request: web.Request) -> web.Response:
    auth.require_member(request)
    return render(request, "account/password.html", {"error": None, "note": None})


async def change_password(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    page = "account/password.html"
    wait = await _spend(request, limits.PASSWORD_CHANGES_PER_MEMBER, member.id)
    if wait:
        return render(request, page, {"error": wait, "note": None}, status=429)
    async with request.app[pool_key].acquire() as conn:
        try:
            ended = await recovery.change_password(
                conn,
                member,
                form.text("current_password"),
                form.text("new_password"),
                form.text("new_password_confirm"),
                keep_session=request[security.SESSION_TOKEN_KEY],
            )
        except accounts.AccountError as exc:
            return render(request, page, {"error": str(exc), "note": None}, status=400)
    note = "Your password is changed." + (
        f" {ended} other device{'' if ended == 1 else 's'} signed out." if ended else ""
    )
    return render(request, page, {"error": None, "note": note})


async def recovery_codes_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        left = await recovery_codes.count_unused(conn, member.id)
    context = {"left": left, "codes": None, "error": None}
    return render(request, "account/recovery_codes.html", context)


async def new_recovery_codes(request: web.Request) -> web.Response:
    """A new set of codes after the member confirms their password; shown once, not cached."""
    member = auth.require_member(request)
    form = await forms.read(request)
    page = "account/recovery_codes.html"
    wait = await _spend(request, limits.PASSWORD_CHANGES_PER_MEMBER, member.id)
    async with request.app[pool_key].acquire() as conn:
        left = await recovery_codes.count_unused(conn, member.id)
        if wait:
            return render(request, page, {"left": left, "codes": None, "error": wait}, status=429)
        try:
            await recovery.confirm_password(conn, member, form.text("password"))
        except accounts.AccountError as exc:
            context = {"left": left, "codes": None, "error": str(exc)}
            return render(request, page, context, status=400)
        codes = await recovery.issue(conn, member)
    return render_secret(request, page, {"left": len(codes), "codes": codes, "error": None})


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/account", account_page, name="account")
    r.add_post("/account/export", export_data, name="account_export")
    r.add_post("/account/delete", delete_account, name="account_delete")
    r.add_post("/account/sign-out-others", sign_out_others, name="account_sign_out_others")
    r.add_get("/account/password", password_page, name="account_password")
    r.add_post("/account/password", change_password)
    r.add_get("/account/recovery-codes", recovery_codes_page, name="account_recovery_codes")
    r.add_post("/account/recovery-codes", new_recovery_codes)
