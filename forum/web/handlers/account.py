"""The member's own account: download what they wrote, or delete the account."""

from __future__ import annotations

import json

from aiohttp import web

from forum.members import accounts
from forum.storage import own_data
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render


async def account_page(request: web.Request) -> web.Response:
    auth.require_member(request)
    return render(request, "account/account.html", {"error": None})


async def export_data(request: web.Request) -> web.Response:
    """Everything the member wrote, as one JSON file. Only ever the signed-in member's own."""
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        data = await own_data.export(conn, member.id)
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-forum-data.json"'},
    )


async def delete_account(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
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


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/account", account_page, name="account")
    r.add_get("/account/export", export_data, name="account_export")
    r.add_post("/account/delete", delete_account, name="account_delete")
