"""A member's reading preferences: one row per member, absent until they first save."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Preferences:
    text_size: str = "standard"
    open_warnings: bool = False
    collapse_words: tuple[str, ...] = field(default_factory=tuple)
    hide_words: tuple[str, ...] = field(default_factory=tuple)
    check_ins: bool = True  # moderators may check in privately after a worrying post


DEFAULTS = Preferences()


async def get_preferences(conn: Conn, member_id: int) -> Preferences:
    row = await conn.fetchrow(
        "SELECT text_size, open_warnings, collapse_words, hide_words, check_ins"
        " FROM reader_preferences WHERE member_id = $1",
        member_id,
    )
    return DEFAULTS if row is None else from_row(row)


def from_row(row: asyncpg.Record) -> Preferences:
    return Preferences(
        text_size=row["text_size"],
        open_warnings=row["open_warnings"],
        collapse_words=tuple(row["collapse_words"]),
        hide_words=tuple(row["hide_words"]),
        check_ins=row["check_ins"],
    )


async def save_preferences(conn: Conn, member_id: int, prefs: Preferences) -> None:
    await conn.execute(
        "INSERT INTO reader_preferences"
        " (member_id, text_size, open_warnings, collapse_words, hide_words, check_ins)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (member_id) DO UPDATE SET text_size = $2, open_warnings = $3,"
        " collapse_words = $4, hide_words = $5, check_ins = $6, updated_at = now()",
        member_id,
        prefs.text_size,
        prefs.open_warnings,
        list(prefs.collapse_words),
        list(prefs.hide_words),
        prefs.check_ins,
    )


async def delete_preferences(conn: Conn, member_id: int) -> None:
    await conn.execute("DELETE FROM reader_preferences WHERE member_id = $1", member_id)
