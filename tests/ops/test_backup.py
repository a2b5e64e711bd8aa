"""`forum backup` and `forum restore` as an operator runs them: the real console script, a real
PostgreSQL (external, and the embedded default), and backups damaged the ways files get damaged.

The promise: a backup restores posts, drafts, members and the moderation log exactly; a restore
never mixes into a database that holds something unless told to; a restore that fails part-way
changes nothing; and FORUM_SECRET is never in the backup.
"""

from __future__ import annotations

import asyncio
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from forum.ops import backup
from forum.ops.embedded_pg import EmbeddedPostgres
from tests import databases
from tests.processes import forum_env, one_line, query, run_forum

#: What an operator would miss: every row of these, compared between original and restored.
KEPT = {
    "members": "SELECT pseudonym, password_hash FROM members ORDER BY id",
    "posts": "SELECT id, topic_id, author_id, body_html FROM posts ORDER BY id",
    "drafts": "SELECT id, author_id, title, body FROM drafts ORDER BY id",
    "audit_log": "SELECT id, actor_id, action, reason FROM audit_log ORDER BY id",
    "schema_migrations": "SELECT name FROM schema_migrations ORDER BY name",
}
DRAFT_TEXT = "Half a thought I was not ready to post yet."


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {table: [tuple(r) for r in query(url, sql)] for table, sql in KEPT.items()}


def fill(env: dict[str, str], url: str) -> None:
    """Demo groups and posts, an admin, a draft and a moderation-log entry."""
    assert run_forum(["seed-demo"], env).returncode == 0
    created = run_forum(
        ["create-admin", "river", "--password-stdin"], env, stdin="a long pass 42\n"
    )
    assert created.returncode == 0, created.stderr
    query(
        url,
        "INSERT INTO drafts (author_id, group_id, title, body)"
        " SELECT m.id, g.id, 'Not yet', $1 FROM members m, groups g"
        " WHERE m.pseudonym = 'river' AND g.slug = 'grief'",
        DRAFT_TEXT,
    )
    query(url, "INSERT INTO audit_log (action, reason) VALUES ('test-entry', 'kept in the backup')")


@pytest.fixture
def empty_url(pg_admin_url: str, worker_id: str) -> str:
    return asyncio.run(databases.recreate(pg_admin_url, f"forum_restore_{worker_id}"))


@pytest.fixture
def source(make_database: Callable[[str], str], tmp_path: Path) -> tuple[dict[str, str], str]:
    url = make_database("backup")
    env = forum_env(tmp_path / "source", DATABASE_URL=url)
    fill(env, url)
    return env, url


@dataclass
class BackedUp:
    """The filled source database, just backed up: its environment, URL, backup and rows."""

    env: dict[str, str]
    url: str
    path: Path
    rows: dict[str, list[tuple[object, ...]]]


@pytest.fixture
def backed_up(source: tuple[dict[str, str], str], tmp_path: Path) -> BackedUp:
    env, url = source
    path = tmp_path / "b.dump"
    made = run_forum(["backup", str(path)], env)
    assert made.returncode == 0, made.stderr
    return BackedUp(env, url, path, snapshot(url))


def test_a_backup_restores_into_an_empty_database_exactly(
    source: tuple[dict[str, str], str], empty_url: str, tmp_path: Path
) -> None:
    env, url = source
    path = tmp_path / "nightly.dump"

    made = run_forum(["backup", str(path)], env)
    restored = run_forum(["restore", str(path)], {**env, "DATABASE_URL": empty_url})

    assert made.returncode == 0, made.stderr
    assert "1 drafts" in one_line(made.stdout)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {path}: ")
    assert snapshot(empty_url) == snapshot(url)
    assert snapshot(url)["drafts"][0][3] == DRAFT_TEXT
    # Restored means usable: nothing left to migrate, and the forum's own commands work on it.
    assert "up to date" in run_forum(["migrate"], {**env, "DATABASE_URL": empty_url}).stdout


def test_the_backup_is_private_and_holds_no_forum_secret(
    source: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, _ = source
    path = tmp_path / "b.dump"
    secret = "an operator secret that must stay out of backups"

    made = run_forum(["backup", str(path)], {**env, "FORUM_SECRET": secret})

    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sql = subprocess.run(
        [backup.tools(10_000)["pg_restore"], "--file=-", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    assert DRAFT_TEXT.encode() in sql  # the SQL is searchable: the absence below means something
    assert secret.encode() not in sql
    assert "FORUM_SECRET" in made.stdout
    assert not list(tmp_path.glob(".b.dump.*"))  # no partial file left beside it


def test_a_database_that_is_not_empty_is_refused_without_force(backed_up: BackedUp) -> None:
    refused = run_forum(["restore", str(backed_up.path)], backed_up.env)

    assert refused.returncode == 1
    assert "not empty" in one_line(refused.stderr)
    assert "--force" in refused.stderr
    assert snapshot(backed_up.url) == backed_up.rows


def test_force_replaces_everything_with_the_backup(backed_up: BackedUp) -> None:
    env, url, path, before = backed_up.env, backed_up.url, backed_up.path, backed_up.rows
    query(url, "INSERT INTO members (pseudonym, password_hash) VALUES ('after-backup', 'x')")
    query(url, "DELETE FROM drafts")

    restored = run_forum(["restore", "--force", str(path)], env)

    assert restored.returncode == 0, restored.stderr
    assert snapshot(url) == before


def test_a_damaged_backup_changes_nothing_even_with_force(
    backed_up: BackedUp, tmp_path: Path
) -> None:
    """The table of contents reads, but a data block near the end is garbage: pg_restore fails
    after psql has dropped the schema and loaded most tables, and all of it is rolled back."""
    env, url = backed_up.env, backed_up.url
    data = bytearray(backed_up.path.read_bytes())
    for i in range(len(data) - 3000, len(data) - 2900):
        data[i] ^= 0x5A
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(bytes(data))
    query(url, "INSERT INTO members (pseudonym, password_hash) VALUES ('after-backup', 'x')")
    before = snapshot(url)

    failed = run_forum(["restore", "--force", str(damaged)], env)

    assert failed.returncode == 1
    assert "nothing changed" in one_line(failed.stderr)
    assert snapshot(url) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name,body\n1,hello\n", "is not a backup made by `forum backup`"),
        (b"PGDMP\x01\x0f", "damaged"),
    ],
)
def test_a_file_that_is_not_a_whole_backup_gets_one_line(
    content: bytes, expected: str, empty_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "not.dump"
    path.write_bytes(content)

    result = run_forum(["restore", str(path)], forum_env(tmp_path, DATABASE_URL=empty_url))

    assert result.returncode == 1
    assert expected in one_line(result.stderr)
    assert (
        query(empty_url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")[0]["n"]
        == 0
    )


def test_a_missing_file_or_folder_gets_one_line(
    source: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, _ = source

    missing = run_forum(["restore", str(tmp_path / "nope.dump")], env)
    no_folder = run_forum(["backup", str(tmp_path / "no" / "such" / "b.dump")], env)
    a_folder = run_forum(["backup", str(tmp_path)], env)
    unwritable = run_forum(["backup", "/proc/b.dump"], env)  # not even root writes there

    assert missing.returncode == 1
    assert "cannot read" in one_line(missing.stderr)
    assert no_folder.returncode == 1
    assert "does not exist" in one_line(no_folder.stderr)
    assert a_folder.returncode == 1
    assert "is a directory" in one_line(a_folder.stderr)
    assert unwritable.returncode == 1
    assert "cannot write in /proc" in one_line(unwritable.stderr)


def test_the_embedded_default_round_trips_onto_a_fresh_machine(tmp_path: Path) -> None:
    """No DATABASE_URL on either side: members, posts, drafts and the moderation log go from
    one embedded PostgreSQL into another created for the restore, as on a new machine after
    losing the old one."""
    old, new = tmp_path / "old", tmp_path / "new"
    path = tmp_path / "b.dump"
    original = EmbeddedPostgres(old / "pg")
    url = original.start()  # the commands below share this running server
    try:
        fill(forum_env(old), url)
        made = run_forum(["backup", str(path)], forum_env(old))
        before = snapshot(url)
    finally:
        original.stop()

    restored = run_forum(["restore", str(path)], forum_env(new))

    assert made.returncode == 0, made.stderr
    assert restored.returncode == 0, restored.stderr
    copy = EmbeddedPostgres(new / "pg")
    try:
        after = snapshot(copy.start())
    finally:
        copy.stop()
    assert after == before
    assert all(after[table] for table in ("members", "posts", "drafts", "audit_log"))


def test_the_database_password_never_reaches_the_command_line() -> None:
    for url in (
        "postgresql://forum:s3cret@db.example:5432/forum",
        "postgresql://forum@db.example/forum?password=s3cret&sslmode=require",
    ):
        dsn, env = backup._libpq(url)
        assert "s3cret" not in dsn
        assert env["PGPASSWORD"] == "s3cret"
    assert "sslmode=require" in backup._libpq(url)[0]
