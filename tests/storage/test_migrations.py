"""forum.storage.migrations against real databases: which files count as migrations and in what
order, applying the forum's own to an empty database and then nothing more, recording each name,
a failing file leaving no trace (and the lock released), and the advisory lock that makes two
runners starting at once apply every file exactly once between them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from forum import MIGRATIONS_DIR
from forum.storage import migrations
from tests import databases


@pytest.fixture
async def scratch_url(pg_admin_url: str, worker_id: str) -> AsyncIterator[str]:
    """An empty database, not migrated, dropped after the test."""
    name = f"forum_scratch_migrations_{worker_id}"
    url = await databases.recreate(pg_admin_url, name)
    yield url
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def scratch(scratch_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(scratch_url)
    try:
        yield conn
    finally:
        await conn.close()


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


async def _recorded(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    return [r["name"] for r in rows]


async def _table_exists(conn: asyncpg.Connection, name: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name) is True


async def _lock_is_free(url: str) -> bool:
    """Whether another session could take the migrations lock right now (released at once)."""
    other = await asyncpg.connect(url)
    try:
        taken = bool(await other.fetchval("SELECT pg_try_advisory_lock($1)", migrations.LOCK_KEY))
        if taken:
            await other.execute("SELECT pg_advisory_unlock($1)", migrations.LOCK_KEY)
        return taken
    finally:
        await other.close()


#: Two files where the second needs the first: applied out of order, the second fails.
ORDERED = {
    "0002_add_column.sql": "ALTER TABLE notes ADD COLUMN body text NOT NULL DEFAULT '';",
    "0001_create.sql": "CREATE TABLE notes (id int PRIMARY KEY);",
}


# -- list_files ------------------------------------------------------------------------------


def test_list_files_keeps_only_numbered_lowercase_sql_files_sorted_by_name(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {
            "0010_later.sql": "",
            "0002_second.sql": "",
            "0001_first_one.sql": "",
            "001_too_short.sql": "",
            "00001_too_long.sql": "",
            "0003_Capital.sql": "",
            "0004-dash.sql": "",
            "0005_.sql": "",
            "0006_backup.sql.bak": "",
            "0007_upper.SQL": "",
            "README.md": "",
            "notes.sql": "",
        },
    )
    found = migrations.list_files(tmp_path)
    assert [m.name for m in found] == ["0001_first_one.sql", "0002_second.sql", "0010_later.sql"]
    assert [m.path for m in found] == [tmp_path / m.name for m in found]


def test_list_files_of_an_empty_directory_is_empty(tmp_path: Path) -> None:
    assert migrations.list_files(tmp_path) == []


def test_every_sql_file_the_forum_ships_is_a_migration() -> None:
    """A misnamed file in migrations/ would be skipped without a word: none is."""
    shipped = sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert [m.name for m in migrations.list_files()] == shipped
    assert shipped[0] == "0001_foundation.sql"


# -- the forum's own migrations --------------------------------------------------------------


async def test_a_fresh_database_gets_every_migration_in_order_each_recorded(
    scratch: asyncpg.Connection,
) -> None:
    names = [m.name for m in migrations.list_files()]
    assert await migrations.apply_pending(scratch) == names
    assert await _recorded(scratch) == names
    applied_at = await scratch.fetchval(
        "SELECT bool_and(applied_at <= now()) AND count(*) = $1 FROM schema_migrations",
        len(names),
    )
    assert applied_at is True
    for table in ("members", "groups", "topics", "posts", "inbox_items", "group_daily_posts"):
        assert await _table_exists(scratch, table), table


async def test_a_second_run_applies_nothing_and_changes_nothing(
    scratch: asyncpg.Connection,
) -> None:
    await migrations.apply_pending(scratch)
    before = await scratch.fetch("SELECT name, applied_at FROM schema_migrations ORDER BY name")
    assert await migrations.apply_pending(scratch) == []
    after = await scratch.fetch("SELECT name, applied_at FROM schema_migrations ORDER BY name")
    assert after == before


async def test_the_test_database_is_up_to_date(db: asyncpg.Connection) -> None:
    assert await migrations.apply_pending(db) == []
    assert await _recorded(db) == [m.name for m in migrations.list_files()]


# -- applying a directory --------------------------------------------------------------------


async def test_files_apply_in_name_order_and_report_what_they_applied(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    directory = _write(tmp_path / "m", ORDERED)
    assert await migrations.apply_pending(scratch, directory) == [
        "0001_create.sql",
        "0002_add_column.sql",
    ]
    await scratch.execute("INSERT INTO notes (id, body) VALUES (1, 'hello')")
    assert await _recorded(scratch) == ["0001_create.sql", "0002_add_column.sql"]


async def test_only_files_added_since_the_last_run_are_applied(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    directory = _write(tmp_path / "m", {"0001_create.sql": ORDERED["0001_create.sql"]})
    assert await migrations.apply_pending(scratch, directory) == ["0001_create.sql"]
    _write(directory, {"0002_add_column.sql": ORDERED["0002_add_column.sql"]})
    # 0001 creates a table: running it again would fail, so this also shows it is skipped.
    assert await migrations.apply_pending(scratch, directory) == ["0002_add_column.sql"]
    assert await migrations.apply_pending(scratch, directory) == []


async def test_a_file_of_several_statements_runs_whole(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    directory = _write(
        tmp_path / "m",
        {
            "0001_seed.sql": "CREATE TABLE lines (n int);\n"
            "INSERT INTO lines VALUES (1), (2);\n"
            "-- a comment\n"
            "INSERT INTO lines VALUES (3);\n"
        },
    )
    await migrations.apply_pending(scratch, directory)
    assert await scratch.fetchval("SELECT array_agg(n ORDER BY n) FROM lines") == [1, 2, 3]


async def test_an_empty_directory_applies_nothing_but_creates_the_record_table(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    assert await migrations.apply_pending(scratch, _write(tmp_path / "m", {})) == []
    assert await _recorded(scratch) == []


async def test_a_recorded_name_without_a_file_is_left_alone(
    scratch: asyncpg.Connection, tmp_path: Path
) -> None:
    await migrations.apply_pending(scratch, _write(tmp_path / "m", {}))
    await scratch.execute("INSERT INTO schema_migrations (name) VALUES ('0001_gone.sql')")
    directory = _write(tmp_path / "m", {"0002_create.sql": ORDERED["0001_create.sql"]})
    assert await migrations.apply_pending(scratch, directory) == ["0002_create.sql"]
    assert await _recorded(scratch) == ["0001_gone.sql", "0002_create.sql"]


# -- a failing file --------------------------------------------------------------------------


async def test_a_failing_file_leaves_no_trace_and_stops_the_run(
    scratch: asyncpg.Connection, scratch_url: str, tmp_path: Path
) -> None:
    directory = _write(
        tmp_path / "m",
        {
            "0001_good.sql": "CREATE TABLE good (id int);",
            # The first statement succeeds; the second fails, taking the first with it.
            "0002_bad.sql": "CREATE TABLE half (id int);\nSELECT no_such_column FROM good;",
            "0003_after.sql": "CREATE TABLE after_bad (id int);",
        },
    )
    with pytest.raises(asyncpg.UndefinedColumnError):
        await migrations.apply_pending(scratch, directory)
    assert await _recorded(scratch) == ["0001_good.sql"]
    assert await _table_exists(scratch, "good")
    assert not await _table_exists(scratch, "half")
    assert not await _table_exists(scratch, "after_bad")
    assert await _lock_is_free(scratch_url)

    # Once the file is fixed, the next run picks up where the failed one stopped.
    _write(directory, {"0002_bad.sql": "CREATE TABLE half (id int);"})
    assert await migrations.apply_pending(scratch, directory) == ["0002_bad.sql", "0003_after.sql"]
    assert await _recorded(scratch) == ["0001_good.sql", "0002_bad.sql", "0003_after.sql"]


async def test_a_file_that_cannot_be_decoded_applies_nothing_of_itself(
    scratch: asyncpg.Connection, scratch_url: str, tmp_path: Path
) -> None:
    directory = _write(tmp_path / "m", {"0001_good.sql": "CREATE TABLE good (id int);"})
    (directory / "0002_binary.sql").write_bytes(b"CREATE TABLE bin (id int); -- \xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        await migrations.apply_pending(scratch, directory)
    assert await _recorded(scratch) == ["0001_good.sql"]
    assert not await _table_exists(scratch, "bin")
    assert await _lock_is_free(scratch_url)


# -- the advisory lock -----------------------------------------------------------------------


async def test_the_lock_is_held_while_files_run_and_released_after(
    scratch: asyncpg.Connection, scratch_url: str, tmp_path: Path
) -> None:
    directory = _write(
        tmp_path / "m",
        {
            "0001_probe.sql": "CREATE TABLE probe AS SELECT count(*) AS held FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid();"
        },
    )
    await migrations.apply_pending(scratch, directory)
    assert await scratch.fetchval("SELECT held FROM probe") == 1
    assert await _lock_is_free(scratch_url)


async def test_two_runners_at_once_apply_each_file_exactly_once(
    scratch_url: str, tmp_path: Path
) -> None:
    directory = _write(tmp_path / "m", ORDERED)  # CREATE TABLE: a second run of it would fail
    holder, first, second = [await asyncpg.connect(scratch_url) for _ in range(3)]
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", migrations.LOCK_KEY)
        runs = [
            asyncio.create_task(migrations.apply_pending(conn, directory))
            for conn in (first, second)
        ]
        waiting = 0
        for _ in range(200):  # until both runners wait for the lock
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if waiting == 2:
                break
            await asyncio.sleep(0.02)
        assert waiting == 2
        # Nothing happens before the lock is taken, not even the record table.
        assert not await _table_exists(holder, "schema_migrations")
        await holder.execute("SELECT pg_advisory_unlock($1)", migrations.LOCK_KEY)
        results = await asyncio.gather(*runs)
        assert sorted(results, key=len) == [[], ["0001_create.sql", "0002_add_column.sql"]]
        assert await _recorded(holder) == ["0001_create.sql", "0002_add_column.sql"]
    finally:
        for conn in (holder, first, second):
            await conn.close()
