"""`/m/{pseudonym}`: a member's public page."""

from __future__ import annotations

from aiohttp import web

from forum.storage import inbox, profiles
from forum.web import auth
from forum.web.keys import pool_key
from forum.web.pages import render


async def profile_page(request: web.Request) -> web.Response:
    viewer = auth.viewer(request)
    async with request.app[pool_key].acquire() as conn:
        profile = await profiles.get_profile(conn, request.match_info["pseudonym"][:64])
        if profile is None:
            raise web.HTTPNotFound()
        posts = await profiles.list_public_posts(
            conn, profile.id, viewer.id if viewer else None, bool(viewer and viewer.is_admin)
        )
        muted = viewer is not None and await inbox.has_muted(conn, viewer.id, profile.id)
    return render(
        request, "profiles/profile.html", {"profile": profile, "posts": posts, "muted": muted}
    )


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/m/{pseudonym}", profile_page, name="profile")
