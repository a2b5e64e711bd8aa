"""Test databases: one per purpose and xdist worker, created afresh and migrated, and emptied
before each test (Warehouse's pattern) so tests never see each other's rows."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from forum.storage import migrations


def with_database(url: str, name: str) -> str:
    """`url` pointing at the database `name` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def recreate(admin_url: str, name: str) -> str:
    """Drop (if there) and create an empty database; returns its URL."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def migrate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrations.apply_pending(conn)
    finally:
        await conn.close()


#: Reference rows that migrations seed (the forum-wide crisis lines): kept across truncation.
_SEEDED: dict[str, list[asyncpg.Record]] = {}


async def truncate_all(conn: asyncpg.Connection) -> None:
    """Empty every table, then put back what the migrations seeded."""
    key = str(await conn.fetchval("SELECT current_database()"))
    if key not in _SEEDED:  # first use of a freshly migrated database: remember its seed
        _SEEDED[key] = await conn.fetch(
            "SELECT region, name, phone, text_number, url, hours, position"
            " FROM crisis_resources WHERE group_id IS NULL ORDER BY id"
        )
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'schema_migrations'"
    )
    names = ", ".join(f'"{t["tablename"]}"' for t in tables)
    await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    await conn.executemany(
        "INSERT INTO crisis_resources (region, name, phone, text_number, url, hours, position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [tuple(r) for r in _SEEDED[key]],
    )
