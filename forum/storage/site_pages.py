"""The privacy notice, the site rules and the minimum age (migrations/0021_site_pages.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Page:
    slug: str
    body_source: str
    body_html: str
    version: int
    updated_at: datetime


async def get(conn: Conn, slug: str) -> Page | None:
    """The admin's text, or None while the default stands."""
    row = await conn.fetchrow(
        "SELECT slug, body_source, body_html, version, updated_at FROM site_pages WHERE slug = $1",
        slug,
    )
    return Page(**row) if row else None


async def save(conn: Conn, slug: str, source: str, html: str, by: int) -> Page:
    """The admin's new text; each save is a new version."""
    row = await conn.fetchrow(
        "INSERT INTO site_pages (slug, body_source, body_html, updated_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (slug) DO UPDATE SET body_source = $2, body_html = $3, updated_by = $4,"
        "   version = site_pages.version + 1, updated_at = now()"
        " RETURNING slug, body_source, body_html, version, updated_at",
        slug,
        source,
        html,
        by,
    )
    assert row is not None
    return Page(**row)


DEFAULT_MINIMUM_AGE = 16


async def minimum_age(conn: Conn) -> int:
    value = await conn.fetchval("SELECT minimum_age FROM site_policy")
    return DEFAULT_MINIMUM_AGE if value is None else int(value)


async def set_minimum_age(conn: Conn, age: int) -> None:
    await conn.execute(
        "INSERT INTO site_policy (minimum_age) VALUES ($1)"
        " ON CONFLICT (only_row) DO UPDATE SET minimum_age = $1",
        age,
    )


async def record_joining(conn: Conn, member_id: int, rules_version: int) -> None:
    """The member confirmed the minimum age and accepted this version of the rules."""
    await conn.execute(
        "UPDATE members SET rules_version = $2, age_confirmed_at = now() WHERE id = $1",
        member_id,
        rules_version,
    )


async def record_rules(conn: Conn, member_id: int, rules_version: int) -> None:
    """The member accepted this version of the rules (again, after a change)."""
    await conn.execute(
        "UPDATE members SET rules_version = $2 WHERE id = $1", member_id, rules_version
    )
