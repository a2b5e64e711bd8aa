"""Thin handlers: parse the request, call domain or storage code, choose the response.

Each module registers its own routes (`setup_routes`), named, so links always come from
`url_for`; `setup` registers them all, then the static files. No two modules' paths overlap, so
the order between modules does not matter; within a module a literal path comes before a pattern
that would also match it. Handler modules never import each other: what several need lives in
`_lookups` (the shared 404 helpers and post links).
"""

from __future__ import annotations

from aiohttp import web

from forum import STATIC_DIR
from forum.web.handlers import (
    account,
    accounts,
    admin,
    admin_console,
    admin_crisis,
    appeals,
    check_ins,
    directory,
    drafts,
    groups,
    health,
    inbox,
    joining,
    mod,
    notifications,
    own_posts,
    preferences,
    profiles,
    reports,
    resets,
    safety,
    search,
    site_pages,
    topics,
    two_factor,
)

AREAS = (
    health,
    directory,
    accounts,
    groups,
    joining,
    profiles,
    account,
    two_factor,
    preferences,
    safety,
    site_pages,
    topics,
    search,
    drafts,
    reports,
    notifications,
    appeals,
    mod,
    admin_console,
    admin_crisis,
    inbox,
    check_ins,
    own_posts,
    resets,
    admin,
)


def setup(app: web.Application) -> None:
    for area in AREAS:
        area.setup_routes(app.router)
    app.router.add_static("/static", STATIC_DIR, name="static", append_version=True)
