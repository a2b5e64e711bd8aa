"""The `forum` command as a user runs it: the real console script in a subprocess.

Each test gives the command a fresh database (or none, for the embedded default) through the
environment, exactly as the contract describes, and checks exit status, the one-line messages and
what ended up in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import databases
from tests.clients import PASSWORD
from tests.processes import (
    COMMAND_TIMEOUT,
    forum_argv,
    forum_env,
    one_line,
    postgres_processes_for,
    query,
    run_forum,
)


def migration_counts(url: str) -> dict[str, int]:
    rows = query(url, "SELECT name, count(*) AS n FROM schema_migrations GROUP BY name")
    return {r["name"]: r["n"] for r in rows}


def migration_files() -> list[str]:
    from forum.storage import migrations

    return [m.name for m in migrations.list_files()]


@pytest.fixture
def cli_env(make_database: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return forum_env(tmp_path, DATABASE_URL=make_database("cli"))


@pytest.fixture
def empty_database_url(pg_admin_url: str, worker_id: str) -> str:
    """A database that exists but has never been migrated: no tables at all."""
    return asyncio.run(databases.recreate(pg_admin_url, f"forum_cli_empty_{worker_id}"))


# forum migrate


def test_migrate_twice_applies_each_migration_once(cli_env: dict[str, str]) -> None:
    first = run_forum(["migrate"], cli_env)
    second = run_forum(["migrate"], cli_env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert migration_counts(cli_env["DATABASE_URL"]) == {name: 1 for name in migration_files()}


def test_migrate_on_an_empty_database_applies_every_file(
    empty_database_url: str, tmp_path: Path
) -> None:
    result = run_forum(["migrate"], forum_env(tmp_path, DATABASE_URL=empty_database_url))

    assert result.returncode == 0, result.stderr
    for name in migration_files():
        assert name in result.stdout
    assert migration_counts(empty_database_url) == {name: 1 for name in migration_files()}


def test_two_migrate_processes_started_together_apply_each_migration_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = forum_env(tmp_path, DATABASE_URL=empty_database_url)
    processes = [
        subprocess.Popen(
            [*forum_argv(), "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=COMMAND_TIMEOUT) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert migration_counts(empty_database_url) == {name: 1 for name in migration_files()}
    # One of them did the work; the other waited on the lock and found nothing to do.
    assert sum("up to date" in out for out, _err in outputs) >= 1, outputs


# forum create-admin


def test_create_admin_with_password_on_stdin_creates_an_admin(cli_env: dict[str, str]) -> None:
    result = run_forum(
        ["create-admin", "Keeper", "--password-stdin"], cli_env, stdin=PASSWORD + "\n"
    )

    assert result.returncode == 0, result.stderr
    rows = query(
        cli_env["DATABASE_URL"], "SELECT is_admin FROM members WHERE pseudonym = $1", "Keeper"
    )
    assert [r["is_admin"] for r in rows] == [True]


def test_create_admin_refuses_a_short_password_in_one_line(cli_env: dict[str, str]) -> None:
    result = run_forum(["create-admin", "Keeper", "--password-stdin"], cli_env, stdin="short\n")

    assert result.returncode == 1
    assert "password" in one_line(result.stderr).lower()
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM members") == []


def test_create_admin_refuses_a_reserved_pseudonym_as_bad_usage(cli_env: dict[str, str]) -> None:
    result = run_forum(
        ["create-admin", "admin", "--password-stdin"], cli_env, stdin=PASSWORD + "\n"
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM members") == []


# forum clear-two-factor


def test_clear_two_factor_turns_it_off_ends_sessions_and_is_audited(
    cli_env: dict[str, str],
) -> None:
    url = cli_env["DATABASE_URL"]
    made = run_forum(["create-admin", "Keeper", "--password-stdin"], cli_env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    query(
        url,
        "WITH m AS (SELECT id FROM members WHERE pseudonym = 'Keeper'),"
        " k AS (INSERT INTO two_factor (member_id, secret, confirmed_at)"
        "  SELECT id, 'JBSWY3DPEHPK3PXP', now() FROM m)"
        " INSERT INTO sessions (token_hash, member_id, expires_at)"
        "  SELECT sha256('a session'::bytea), id, now() + interval '1 day' FROM m",
    )
    note = "Confirmed by phone with the charity's volunteer coordinator"
    result = run_forum(["clear-two-factor", "keeper", "--note", note], cli_env)

    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout) == (
        "two-factor cleared for Keeper; they were signed out everywhere"
    )
    assert query(url, "SELECT 1 FROM two_factor") == []
    assert query(url, "SELECT 1 FROM sessions") == []
    logged = query(
        url, "SELECT actor_id, reason FROM audit_log WHERE action = 'two-factor-cleared'"
    )
    assert [(r["actor_id"], r["reason"]) for r in logged] == [(None, note)]
    told = query(url, "SELECT message FROM notifications WHERE kind = 'two_factor'")
    assert "cleared" in told[0]["message"]


@pytest.mark.parametrize(
    ("pseudonym", "note", "says"),
    [
        ("Keeper", "short", "at least 20 characters"),
        ("nobody", "Confirmed in person at the drop-in", "no member called"),
        ("Keeper", "Confirmed in person at the drop-in", "does not have two-factor"),
    ],
)
def test_clear_two_factor_refuses_in_one_line_and_changes_nothing(
    cli_env: dict[str, str], pseudonym: str, note: str, says: str
) -> None:
    made = run_forum(["create-admin", "Keeper", "--password-stdin"], cli_env, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    result = run_forum(["clear-two-factor", pseudonym, "--note", note], cli_env)

    assert result.returncode == 1
    assert says in one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM audit_log") == []


# forum create-group


def test_create_group_stores_the_given_settings(cli_env: dict[str, str]) -> None:
    result = run_forum(
        [
            "create-group",
            "grief",
            "--name",
            "Grief",
            "--anonymous",
            "optional",
            "--moderation",
            "all",
            "--visibility",
            "members",
            "--appeals",
            "moderators",
        ],
        cli_env,
    )

    assert result.returncode == 0, result.stderr
    rows = query(
        cli_env["DATABASE_URL"],
        "SELECT slug, name, anonymous, moderation, visibility, appeals FROM groups",
    )
    assert [dict(r) for r in rows] == [
        {
            "slug": "grief",
            "name": "Grief",
            "anonymous": "optional",
            "moderation": "all",
            "visibility": "members",
            "appeals": "moderators",
        }
    ]


def test_create_group_with_a_taken_slug_fails_in_one_line(cli_env: dict[str, str]) -> None:
    assert run_forum(["create-group", "grief", "--name", "Grief"], cli_env).returncode == 0

    result = run_forum(["create-group", "grief", "--name", "Grief again"], cli_env)

    assert result.returncode == 1
    assert "grief" in one_line(result.stderr)
    assert "Traceback" not in result.stderr
    names = query(cli_env["DATABASE_URL"], "SELECT name FROM groups")
    assert [r["name"] for r in names] == ["Grief"]


@pytest.mark.parametrize("slug", ["Grief", "grief--loss", "grief-", "grief loss", "x" * 65])
def test_create_group_with_a_bad_slug_is_bad_usage(cli_env: dict[str, str], slug: str) -> None:
    result = run_forum(["create-group", slug, "--name", "Grief"], cli_env)

    assert result.returncode == 2
    assert "SLUG" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM groups") == []


def test_create_group_with_a_bad_anonymous_value_is_bad_usage(cli_env: dict[str, str]) -> None:
    result = run_forum(
        ["create-group", "grief", "--name", "Grief", "--anonymous", "always"], cli_env
    )

    assert result.returncode == 2
    assert "--anonymous" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM groups") == []


# forum seed-demo


def test_seed_demo_twice_creates_the_demo_groups_once(cli_env: dict[str, str]) -> None:
    url = cli_env["DATABASE_URL"]

    def counts() -> tuple[int, int, int]:
        row = query(
            url,
            "SELECT (SELECT count(*) FROM groups) AS g,"
            " (SELECT count(*) FROM topics) AS t, (SELECT count(*) FROM posts) AS p",
        )
        return row[0]["g"], row[0]["t"], row[0]["p"]

    first = run_forum(["seed-demo"], cli_env)
    after_first = counts()
    second = run_forum(["seed-demo"], cli_env)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert counts() == after_first
    slugs = {r["slug"] for r in query(url, "SELECT slug FROM groups")}
    assert {"grief", "cancer", "addiction"} <= slugs
    assert after_first[2] > after_first[1] > 0  # topics, and replies beyond their first posts


# bad configuration


@pytest.mark.parametrize(
    ("variables", "status", "culprit"),
    [
        ({"DATABASE_URL": "mysql://x"}, 2, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://127.0.0.1:99999/forum"}, 2, "DATABASE_URL"),
        ({"FORUM_PORT": "70000"}, 2, "FORUM_PORT"),
        ({"FORUM_PORT": "eighty"}, 2, "FORUM_PORT"),
        ({"FORUM_SECRET": "short"}, 2, "FORUM_SECRET"),
        ({"FORUM_QUICK_EXIT_URL": "weather.example"}, 2, "FORUM_QUICK_EXIT_URL"),
    ],
    ids=[
        "mysql-url",
        "url-port-out-of-range",
        "port-out-of-range",
        "port-not-a-number",
        "short-secret",
        "relative-quick-exit-url",
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(
    tmp_path: Path, variables: dict[str, str], status: int, culprit: str
) -> None:
    variables = {"DATABASE_URL": "postgresql://127.0.0.1:1/forum", **variables}
    result = run_forum(["migrate"], forum_env(tmp_path, **variables))

    assert result.returncode == status
    assert culprit in one_line(result.stderr)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["migrate"], ["seed-demo"], ["serve"]])
def test_an_unreachable_database_stops_with_one_line_naming_database_url(
    tmp_path: Path, command: list[str]
) -> None:
    env = forum_env(tmp_path, DATABASE_URL="postgresql://forum@127.0.0.1:1/forum")
    result = run_forum(command, env)

    assert result.returncode != 0
    assert "DATABASE_URL" in one_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_a_missing_database_stops_with_one_line_naming_database_url(
    pg_admin_url: str, tmp_path: Path
) -> None:
    env = forum_env(
        tmp_path, DATABASE_URL=databases.with_database(pg_admin_url, "forum_no_such_database")
    )
    result = run_forum(["migrate"], env)

    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "DATABASE_URL" in line
    assert "forum_no_such_database" in line
    assert "Traceback" not in result.stderr


def test_a_bad_port_for_serve_stops_with_one_line(cli_env: dict[str, str]) -> None:
    result = run_forum(["serve", "--port", "70000"], cli_env)

    assert result.returncode == 2
    assert "--port" in one_line(result.stderr)
    assert "Traceback" not in result.stderr


# the embedded default


def test_migrate_without_database_url_uses_and_stops_an_embedded_postgresql(tmp_path: Path) -> None:
    result = run_forum(["migrate"], forum_env(tmp_path))

    assert result.returncode == 0, result.stderr
    pg = tmp_path / "pg"
    assert (pg / "PG_VERSION").exists()
    assert not (pg / "postmaster.pid").exists()
    # `pg_ctl stop -w` waits for the postmaster; its children may take a moment more to go.
    deadline = time.monotonic() + 10
    while postgres_processes_for(pg) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postgres_processes_for(pg) == []


def test_a_second_embedded_migrate_finds_everything_applied(tmp_path: Path) -> None:
    env = forum_env(tmp_path)
    assert run_forum(["migrate"], env).returncode == 0

    again = run_forum(["migrate"], env)

    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout


def test_create_group_takes_every_setting_the_admin_form_has(cli_env: dict[str, str]) -> None:
    result = run_forum(
        [
            "create-group",
            "dementia-carers",
            "--name",
            "Carers of people with dementia",
            "--membership",
            "approval",
            "--question",
            "Who are you caring for?",
            "--moderation",
            "new-members",
            "--first-posts",
            "2",
            "--report-threshold",
            "5",
            "--crisis-policy",
            "publish",
            "--reescalate-minutes",
            "20",
            "--webhook-url",
            "https://hooks.example.org/x",
            "--tags",
            "caring, dementia",
            "--guidelines",
            "Be kind.",
        ],
        cli_env,
    )

    assert result.returncode == 0, result.stderr
    row = query(
        cli_env["DATABASE_URL"],
        "SELECT join_question, moderation_first_posts, report_hide_threshold, crisis_policy,"
        " crisis_reescalate_minutes, webhook_url, condition_tags, guidelines FROM groups",
    )[0]
    assert dict(row) == {
        "join_question": "Who are you caring for?",
        "moderation_first_posts": 2,
        "report_hide_threshold": 5,
        "crisis_policy": "publish",
        "crisis_reescalate_minutes": 20,
        "webhook_url": "https://hooks.example.org/x",
        "condition_tags": ["dementia", "caring"],
        "guidelines": "Be kind.",
    }
    logged = query(cli_env["DATABASE_URL"], "SELECT action, actor_id FROM audit_log")
    assert [tuple(r) for r in logged] == [("create-group", None)]


@pytest.mark.parametrize(
    ("flags", "culprit"),
    [
        (["--webhook-url", "javascript:alert(1)"], "--webhook-url"),
        (["--first-posts", "0"], "--first-posts"),
        (["--tags", "astrology"], "--tags"),
        (["--name", "   "], "--name"),
    ],
)
def test_create_group_refuses_what_the_admin_form_refuses(
    cli_env: dict[str, str], flags: list[str], culprit: str
) -> None:
    result = run_forum(["create-group", "grief", "--name", "Grief", *flags], cli_env)

    assert result.returncode == 2
    assert culprit in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert query(cli_env["DATABASE_URL"], "SELECT 1 FROM groups") == []
