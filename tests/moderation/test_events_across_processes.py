"""Live moderator events cross processes: a post held through server A reaches /mod/events on B.

Two real `forum serve` processes share one database and nothing else, as two machines behind a
load balancer would; the only path between them is PostgreSQL's LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from forum.storage import groups, members, sessions
from tests.conftest import TEST_SECRET, csrf_for

EVENT_DEADLINE = 2.0  # seconds, from the issue


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FORUM_DATA_DIR": str(data_dir),
        "FORUM_SECRET": TEST_SECRET.decode(),
        "FORUM_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "forum", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("forum serve exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("forum serve did not start in 30 s")


@pytest.fixture
def two_servers(
    make_database: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    url = make_database("events")
    a, base_a = start_server(url, tmp_path / "a")
    b, base_b = start_server(url, tmp_path / "b")
    try:
        yield url, base_a, base_b
    finally:
        for process in (a, b):
            process.terminate()
        for process in (a, b):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _setup(url: str, password_hash: str) -> tuple[str, str]:
    conn = await asyncpg.connect(url)
    try:
        author = await members.create_member(conn, "willow", password_hash)
        moderator = await members.create_member(conn, "keeper", password_hash)
        group = await groups.create_group(conn, "grief", "Grief", moderation="all")
        for member in (author, moderator):
            await groups.join_group(conn, group, member.id)
        await conn.execute(
            "INSERT INTO group_moderators (group_id, member_id) VALUES ($1, $2)",
            group.id,
            moderator.id,
        )
        return (
            (await sessions.create_session(conn, author)).token,
            (await sessions.create_session(conn, moderator)).token,
        )
    finally:
        await conn.close()


async def _next_event(stream: aiohttp.StreamReader, wanted: str) -> dict[str, object]:
    event = None
    async for raw in stream:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == wanted:
            return dict(json.loads(line.split(":", 1)[1]))
    raise AssertionError("the event stream ended")


@pytest.mark.parametrize(
    ("body", "level"),
    [
        ("Hello", None),  # held by pre-moderation
        (
            "I have the pills in front of me and I am going to take them all tonight. Goodbye.",
            "urgent",
        ),
    ],
)
async def test_a_post_held_through_one_process_reaches_a_moderator_on_another(
    two_servers: tuple[str, str, str], password_hash: str, body: str, level: str | None
) -> None:
    url, base_a, base_b = two_servers
    author_token, moderator_token = await _setup(url, password_hash)

    async with (
        aiohttp.ClientSession(cookies={"forum_session": moderator_token}) as moderator,
        aiohttp.ClientSession(cookies={"forum_session": author_token}) as author,
    ):
        events = await moderator.get(f"{base_b}/mod/events")
        assert events.status == 200
        assert events.headers["Content-Type"].startswith("text/event-stream")
        await asyncio.wait_for(_next_event(events.content, "ready"), timeout=10)

        csrf = csrf_for(author_token)
        made = await author.post(
            f"{base_a}/drafts",
            allow_redirects=False,
            data={
                "csrf_token": csrf,
                "group": "grief",
                "title": "Held for review",
                "body": body,
            },
        )
        assert made.status == 303
        draft_id = made.headers["Location"].rsplit("/", 1)[1]
        published = await author.post(
            f"{base_a}/drafts/{draft_id}/publish",
            allow_redirects=False,
            data={"csrf_token": csrf, "version": "1"},
        )
        assert published.status == 303
        started = time.monotonic()
        event = await asyncio.wait_for(_next_event(events.content, "queue"), timeout=EVENT_DEADLINE)
        assert time.monotonic() - started < EVENT_DEADLINE
        assert event["change"] == "opened"
        assert event.get("level") == level  # an urgent post sounds the alarm on the page
        queue_page = await (await moderator.get(f"{base_b}/mod")).text()
        assert f"/mod/items/{event['item']}" in queue_page
        events.close()
