"""Live inbox events cross processes: a reply published through server A reaches /inbox/events
of the topic's author connected to server B, through PostgreSQL's LISTEN/NOTIFY alone."""

from __future__ import annotations

import time

import aiohttp
import asyncpg

from forum.storage import sessions
from tests.clients import csrf_for, next_event
from tests.factories import MakeDraft, MakeGroup, MakeMember, Publish
from tests.moderation.test_events_across_processes import EVENT_DEADLINE


async def _setup(url: str, password_hash: str) -> tuple[str, str, int]:
    """The author's and the replier's sessions, and the author's topic, made with the shared
    factories on a connection of the servers' own database."""
    conn = await asyncpg.connect(url)
    try:
        make_member = MakeMember(conn, password_hash)
        author, replier = await make_member("willow"), await make_member("quietheron")
        grief = await MakeGroup(conn)(
            "grief", name="Grief", anonymous="optional", members_=[author, replier]
        )
        publish = Publish(conn, MakeDraft(conn))
        topic = await publish(author, grief, title="Evenings", body="How are yours")
        author_session, replier_session = [
            await sessions.create_session(conn, member) for member in (author, replier)
        ]
        return author_session.token, replier_session.token, topic.topic_id
    finally:
        await conn.close()


async def test_a_reply_through_one_process_reaches_the_authors_stream_on_another(
    two_servers: tuple[str, str, str], password_hash: str
) -> None:
    url, base_a, base_b = two_servers
    author_token, replier_token, topic_id = await _setup(url, password_hash)
    async with (
        aiohttp.ClientSession(cookies={"forum_session": author_token}) as author,
        aiohttp.ClientSession(cookies={"forum_session": replier_token}) as replier,
    ):
        events = await author.get(f"{base_b}/inbox/events")
        assert events.status == 200
        await next_event(events.content, "ready")
        csrf = csrf_for(replier_token)
        made = await replier.post(
            f"{base_a}/drafts",
            allow_redirects=False,
            data={"csrf_token": csrf, "topic": str(topic_id), "body": "me too", "anonymous": "on"},
        )
        assert made.status == 303
        published = await replier.post(
            base_a + made.headers["Location"] + "/publish",
            allow_redirects=False,
            data={"csrf_token": csrf, "version": "1"},
        )
        assert published.status == 303
        started = time.monotonic()
        event = await next_event(events.content, "inbox", within=EVENT_DEADLINE)
        assert time.monotonic() - started < EVENT_DEADLINE
        assert set(event) == {"item", "unread"}
        assert event["unread"] == 1
        page = await (await author.get(f"{base_b}/inbox")).text()
        assert f'href="/inbox/{event["item"]}"' in page
        assert "Anonymous 1 replied" in page
        assert "quietheron" not in page
        events.close()
