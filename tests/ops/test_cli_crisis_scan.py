"""`forum crisis-scan` as an admin runs it: the real console script, JSON lines in and out.

Without --group it reads no configuration and starts no database (an admin can run it on a
laptop against exported posts); with --group it adds that group's phrases from PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import DATA
from tests.processes import forum_env, one_line, query, run_forum

CORPUS = DATA / "crisis_corpus.jsonl"


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_each_input_line_gets_one_output_line_in_order(tmp_path: Path) -> None:
    posts: list[dict[str, Any]] = [
        {"id": 7, "text": "Round 4 of chemo tomorrow."},
        {"id": "b", "text": "I took all my pills an hour ago."},
        {"id": None, "text": "Je veux mourir."},
        {"id": [1, 2], "text": "My back is killing me."},
    ]
    stdin = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts)

    result = run_forum(["crisis-scan"], forum_env(tmp_path), stdin=stdin)

    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    assert [o["id"] for o in out] == [7, "b", None, [1, 2]]
    assert [o["level"] for o in out] == ["none", "urgent", "concern", "none"]
    assert out[0]["matches"] == []
    [match] = out[1]["matches"]
    assert match["level"] == "urgent"
    assert match["category"] == "overdose"
    assert match["excerpt"] == posts[1]["text"][match["start"] : match["end"]]


def test_without_group_it_needs_no_database_or_configuration(tmp_path: Path) -> None:
    env = forum_env(
        tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", FORUM_PORT="not-a-port"
    )

    result = run_forum(["crisis-scan"], env, stdin='{"id": 1, "text": "kms"}\n')

    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[0]["level"] == "urgent"
    assert not (tmp_path / "pg").exists()  # no embedded PostgreSQL was started


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    stdin = '\n{"id": 1, "text": "hello"}\n\n{"id": 2, "text": "I want to die"}\n'

    result = run_forum(["crisis-scan"], forum_env(tmp_path), stdin=stdin)

    assert result.returncode == 0, result.stderr
    assert [o["id"] for o in lines(result.stdout)] == [1, 2]


@pytest.mark.parametrize(
    ("bad_line", "says"),
    [
        ('{"id": 3, "text": "unterminated', "not valid JSON"),
        ('["a list", "not an object"]', "JSON object"),
        ('{"id": 3}', '"text"'),
        ('{"id": 3, "text": 42}', '"text"'),
        ('{"id": 3, "text": "hi", "label": "maybe"}', '"label"'),
    ],
    ids=["broken", "not-object", "no-text", "text-not-string", "bad-label"],
)
def test_a_bad_line_stops_with_exit_2_and_one_line_naming_its_number(
    tmp_path: Path, bad_line: str, says: str
) -> None:
    stdin = '{"id": 1, "text": "fine"}\n{"id": 2, "text": "also fine"}\n' + bad_line + "\n"

    result = run_forum(["crisis-scan"], forum_env(tmp_path), stdin=stdin)

    assert result.returncode == 2
    message = one_line(result.stderr)
    assert "line 3" in message
    assert says in message
    assert "Traceback" not in result.stderr
    assert [o["id"] for o in lines(result.stdout)] == [1, 2]  # what came before was answered


def test_summary_prints_the_corpus_figures_to_stderr(tmp_path: Path) -> None:
    stdin = CORPUS.read_text(encoding="utf-8")

    result = run_forum(["crisis-scan", "--summary"], forum_env(tmp_path), stdin=stdin)

    assert result.returncode == 0, result.stderr
    assert len(lines(result.stdout)) == len(stdin.splitlines())
    figures = {
        name: float(line.split(name, 1)[1].split()[0])
        for line in result.stderr.splitlines()
        for name in ("urgent recall", "at-least-concern recall", "false-positive rate on none")
        if name in line
    }
    assert figures["urgent recall"] >= 0.95
    assert figures["at-least-concern recall"] >= 0.85
    assert figures["false-positive rate on none"] <= 0.05


def test_summary_without_labels_says_so(tmp_path: Path) -> None:
    result = run_forum(
        ["crisis-scan", "--summary"], forum_env(tmp_path), stdin='{"id": 1, "text": "hi"}\n'
    )

    assert result.returncode == 0, result.stderr
    assert "no line" in result.stderr


# --group: the database's per-group phrases


@pytest.fixture
def db_env(make_database: Callable[[str], str], tmp_path: Path) -> dict[str, str]:
    return forum_env(tmp_path, DATABASE_URL=make_database("cli_crisis"))


def test_group_adds_that_groups_phrases_from_the_database(db_env: dict[str, str]) -> None:
    assert run_forum(["create-group", "grief", "--name", "Grief"], db_env).returncode == 0
    assert run_forum(["create-group", "cancer", "--name", "Cancer"], db_env).returncode == 0
    query(
        db_env["DATABASE_URL"],
        "INSERT INTO crisis_phrases (group_id, phrase, level)"
        " SELECT id, 'the old quarry', 'urgent' FROM groups WHERE slug = 'grief'",
    )
    stdin = '{"id": 1, "text": "Tonight I will go up to the old quarry."}\n'

    grief = run_forum(["crisis-scan", "--group", "grief"], db_env, stdin=stdin)
    cancer = run_forum(["crisis-scan", "--group", "cancer"], db_env, stdin=stdin)
    plain = run_forum(["crisis-scan"], db_env, stdin=stdin)

    assert grief.returncode == 0, grief.stderr
    [out] = lines(grief.stdout)
    assert out["level"] == "urgent"
    assert "group" in [m["category"] for m in out["matches"]]
    # Elsewhere the phrase is not the lexicon's (the shipped model may still find the plan).
    for other in (cancer, plain):
        assert "group" not in [m["category"] for m in lines(other.stdout)[0]["matches"]]


def test_an_unknown_group_fails_in_one_line_naming_it(db_env: dict[str, str]) -> None:
    result = run_forum(
        ["crisis-scan", "--group", "no-such-group"], db_env, stdin='{"id": 1, "text": "hi"}\n'
    )

    assert result.returncode == 1
    assert "no-such-group" in one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
