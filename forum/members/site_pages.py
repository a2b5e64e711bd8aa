"""The privacy notice and the site rules (issue 19): an admin's text, or until one is written
the default in `texts/`, as Markdown rendered and sanitised like posts. The rules' version
counts the admin's saves (the default is version 0), so a member's acceptance names what they
accepted; when it grows, members accept the new text at their next page (web/auth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forum import markup
from forum.storage import audit, site_pages
from forum.storage.db import Conn
from forum.storage.members import Member

SLUGS = ("privacy", "rules")
TITLES = {"privacy": "Privacy notice", "rules": "Site rules"}
MAX_CHARS = 20_000
_TEXTS = Path(__file__).with_name("texts")


class PageError(Exception):
    """A refusal to show the admin as it is."""


@dataclass(frozen=True, slots=True)
class Shown:
    slug: str
    title: str
    source: str
    html: str
    version: int
    is_default: bool


@cache
def default(slug: str) -> tuple[str, str]:
    source = (_TEXTS / f"{slug}.md").read_text()
    return source, markup.render(source)


async def get(conn: Conn, slug: str) -> Shown:
    page = await site_pages.get(conn, slug)
    if page is None:
        source, html = default(slug)
        return Shown(slug, TITLES[slug], source, html, 0, True)
    return Shown(slug, TITLES[slug], page.body_source, page.body_html, page.version, False)


async def save(conn: Conn, admin: Member, slug: str, source: str) -> Shown:
    if not admin.is_admin:
        raise PageError("Only admins write these pages.")
    source = source.strip()
    if not source or len(source) > MAX_CHARS:
        raise PageError(f"The text must be 1 to {MAX_CHARS:,} characters.")
    try:
        html = markup.render(source)
    except markup.TooComplex as exc:
        raise PageError(str(exc)) from None
    async with conn.transaction():
        page = await site_pages.save(conn, slug, source, html, admin.id)
        if slug == "rules":  # whoever wrote them has accepted them
            await site_pages.record_rules(conn, admin.id, page.version)
        await audit.record(
            conn, actor_id=admin.id, action=f"edit-{slug}", reason=f"version {page.version}"
        )
    return Shown(slug, TITLES[slug], page.body_source, page.body_html, page.version, False)


async def accept_rules(conn: Conn, member: Member, version: int) -> bool:
    """The member accepts the rules as they read them; False when they changed again meanwhile
    (the member is then shown the newer text to accept)."""
    current = await get(conn, "rules")
    if version != current.version:
        return False
    await site_pages.record_rules(conn, member.id, version)
    return True


async def set_minimum_age(conn: Conn, admin: Member, age: int) -> None:
    if not admin.is_admin:
        raise PageError("Only admins set the minimum age.")
    if not 13 <= age <= 21:
        raise PageError("The minimum age must be between 13 and 21.")
    async with conn.transaction():
        await site_pages.set_minimum_age(conn, age)
        await audit.record(conn, actor_id=admin.id, action="minimum-age", reason=str(age))
