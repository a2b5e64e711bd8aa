"""`forum seed-bench` as a user runs it: real console script, one-line refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.processes import forum_env, one_line, query, run_forum


@pytest.fixture
def cli_env(make_database: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return forum_env(tmp_path, DATABASE_URL=make_database("cli-seed-bench"))


def test_seed_bench_loads_posts_and_says_how_many(cli_env: dict[str, str]) -> None:
    done = run_forum(
        ["seed-bench", "--posts", "2000", "--groups", "3", "--members", "1100"], cli_env
    )
    assert done.returncode == 0, done.stderr
    assert "2000 posts" in done.stdout
    assert query(cli_env["DATABASE_URL"], "SELECT count(*) AS n FROM posts")[0]["n"] == 2000


def test_seed_bench_refuses_a_database_with_real_members_in_one_line(
    cli_env: dict[str, str],
) -> None:
    made = run_forum(
        ["create-admin", "realadmin", "--password-stdin"], cli_env, stdin="a long enough password\n"
    )
    assert made.returncode == 0, made.stderr
    refused = run_forum(["seed-bench", "--posts", "100"], cli_env)
    assert refused.returncode == 1
    assert "--force" in one_line(refused.stderr)
    assert query(cli_env["DATABASE_URL"], "SELECT count(*) AS n FROM posts")[0]["n"] == 0


def test_seed_bench_without_posts_is_bad_usage(cli_env: dict[str, str]) -> None:
    assert run_forum(["seed-bench"], cli_env).returncode == 2
    assert run_forum(["seed-bench", "--posts", "0"], cli_env).returncode == 2
