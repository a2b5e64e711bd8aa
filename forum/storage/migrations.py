"""Applies the numbered plain-SQL files in migrations/ in order, each exactly once.

Each file runs in its own transaction together with the row that records it, so a failing file
leaves no trace. A session-level advisory lock serialises concurrent runners (two workers, or two
hosts, starting at once): the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from forum import MIGRATIONS_DIR
from forum.storage.db import Conn

#: Arbitrary but fixed: the advisory-lock key that every forum process agrees on.
LOCK_KEY = 7_460_283_110
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    path: Path


def list_files(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = [Migration(p.name, p) for p in directory.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda m: m.name)


async def apply_pending(conn: Conn, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is missing; returns the names applied by this call (empty when up to date)."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for migration in list_files(directory):
            if migration.name in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.path.read_text())
                await conn.execute(
                    "INSERT INTO schema_migrations (name) VALUES ($1)", migration.name
                )
            applied_now.append(migration.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    return applied_now
