"""Live moderator events cross processes: a post held through server A reaches /mod/events on B.

Two real `forum serve` processes (`two_servers`, from tests/processes.py) share one database and
nothing else; the only path between them is PostgreSQL's LISTEN/NOTIFY.
"""

from __future__ import annotations

import time

import aiohttp
import asyncpg
import pytest

from forum.storage import groups, members, sessions
from tests.clients import csrf_for, next_event

EVENT_DEADLINE = 2.0  # seconds, from the issue


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
        await next_event(events.content, "ready")

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
        event = await next_event(events.content, "queue", within=EVENT_DEADLINE)
        assert time.monotonic() - started < EVENT_DEADLINE
        assert event["change"] == "opened"
        assert event.get("level") == level  # an urgent post sounds the alarm on the page
        queue_page = await (await moderator.get(f"{base_b}/mod")).text()
        assert f"/mod/items/{event['item']}" in queue_page
        events.close()
