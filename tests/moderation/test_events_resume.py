"""Moderator events that never silently drop: a stream resumes from `Last-Event-ID` (on this
process or another) with exactly what it missed; events written while a process's LISTEN
connection was cut arrive once it is back; a transaction that commits after a later one is
neither skipped nor repeated. Every count below is exact: each event arrives once per stream.
(The waits are upper bounds that turn a hang into a failure; nothing here measures time.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from forum.config import Settings
from forum.live import events as live_events
from forum.moderation import events
from forum.storage import live_events as store
from forum.storage import sessions
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web.app import create_app
from forum.web.security import SESSION_COOKIE
from tests.clients import ClientFactory, next_message
from tests.factories import Publish, item_for


@pytest.fixture
def no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only announcements and reconnections make a process read the table: so an event that
    arrives proves the path under test, not the safety-net poll."""
    monkeypatch.setattr(live_events, "POLL_SECONDS", 600.0)


Hold = Callable[[], Awaitable[int]]


@pytest.fixture
def hold(db: asyncpg.Connection, publish: Publish, author: Member, grief: Group) -> Hold:
    """`await hold()`: the author's next post in grief, held for review: its queue item's id."""

    async def make() -> int:
        return await item_for(db, (await publish(author, grief)).post_id)

    return make


@pytest.fixture
async def moderator(make_client: ClientFactory, keeper: Member, grief: Group) -> Any:
    """The HTTP client of grief's moderator, signed in."""
    return (await make_client(keeper)).http


@pytest.fixture
def other_moderator(make_client: ClientFactory, keeper: Member) -> Callable[[], Awaitable[Any]]:
    """Another signed-in session of the same moderator (another tab, another device)."""

    async def make() -> Any:
        return (await make_client(keeper)).http

    return make


async def stream_as(
    http: Any, path: str = "/mod/events", last_event_id: str | None = None
) -> aiohttp.ClientResponse:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    resp: aiohttp.ClientResponse = await http.get(path, headers=headers)
    assert resp.status == 200
    await next_message(resp.content, "ready")
    return resp


async def test_a_resumed_stream_gets_exactly_what_it_missed(
    moderator: Any,
    hold: Hold,
) -> None:
    first = await stream_as(moderator)
    seen = await hold()
    last_id, event = await next_message(first.content, "queue")
    assert event["item"] == seen
    first.close()
    missed = [await hold() for _ in range(2)]

    again = await stream_as(moderator, last_event_id=last_id)
    caught_up = [(await next_message(again.content, "queue"))[1]["item"] for _ in range(2)]
    after = await hold()
    _, next_one = await next_message(again.content, "queue")

    assert caught_up == missed
    assert next_one["item"] == after  # nothing repeated: the next event is the new one
    again.close()


async def test_a_stream_resumes_on_another_process(
    db: asyncpg.Connection,
    aiohttp_server: Any,
    aiohttp_client: Any,
    settings: Settings,
    moderator: Any,
    keeper: Member,
    hold: Hold,
) -> None:
    """The cursor is the stream's own, not the process's: a browser whose process went away
    reconnects to another (through a load balancer) and loses nothing."""
    first = await stream_as(moderator)
    await hold()
    last_id, _ = await next_message(first.content, "queue")
    first.close()
    missed = await hold()
    other = await aiohttp_client(await aiohttp_server(create_app(settings)))
    other.session.cookie_jar.update_cookies(
        {SESSION_COOKIE: (await sessions.create_session(db, keeper)).token}
    )

    resumed = await stream_as(other, last_event_id=last_id)
    _, event = await next_message(resumed.content, "queue")

    assert event["item"] == missed
    resumed.close()


@pytest.mark.parametrize("last_event_id", ["42", "not-a-cursor", "A" * 300])
async def test_a_last_event_id_the_forum_did_not_seal_reloads_the_queue(
    moderator: Any, last_event_id: str
) -> None:

    resp = await stream_as(moderator, last_event_id=last_event_id)
    _, event = await next_message(resp.content, "queue")

    assert event == {"item": 0, "change": "resync"}
    resp.close()


async def test_events_written_while_the_listen_connection_is_cut_arrive_when_it_is_back(
    no_polling: None,
    db: asyncpg.Connection,
    moderator: Any,
    hold: Hold,
) -> None:
    """Fault: the process's live-events LISTEN connection is terminated mid-stream (by
    PostgreSQL, as a restart or a network cut would), and posts are held while it is down, so
    their announcements reach no one. Promise: once it reconnects the process reads what it
    missed, and the moderator's open stream gets each event once."""
    resp = await stream_as(moderator)
    before = await hold()
    assert (await next_message(resp.content, "queue"))[1]["item"] == before

    cut = await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'forum-live-events' AND datname = current_database()"
    )
    during = [await hold() for _ in range(2)]
    arrived = [(await next_message(resp.content, "queue"))[1]["item"] for _ in range(2)]
    after = await hold()
    next_one = (await next_message(resp.content, "queue"))[1]["item"]

    assert cut >= 1
    assert arrived == during
    assert next_one == after
    resp.close()


async def test_an_event_committed_after_a_later_one_reaches_the_stream_once(
    no_polling: None,
    database_url: str,
    moderator: Any,
    grief: Group,
    hold: Hold,
) -> None:
    """Two events committed out of id order: the one with the smaller id commits last. Read by
    id, it would be skipped; it arrives, once, after the other."""
    resp = await stream_as(moderator)
    slow = await asyncpg.connect(database_url)
    try:
        transaction = slow.transaction()
        await transaction.start()
        await events.notify(slow, events.Event(999_001, grief.id, "updated"))
        later = await hold()  # takes a larger id, commits first
        assert (await next_message(resp.content, "queue"))[1]["item"] == later
        await transaction.commit()
        _, earlier = await next_message(resp.content, "queue")
        assert earlier["item"] == 999_001
        after = await hold()
        assert (await next_message(resp.content, "queue"))[1]["item"] == after
    finally:
        await slow.close()
        resp.close()


async def test_stream_ids_are_sealed_per_stream_and_say_nothing(
    db: asyncpg.Connection,
    moderator: Any,
    hold: Hold,
    other_moderator: Callable[[], Awaitable[Any]],
) -> None:
    one = await stream_as(moderator)
    two = await stream_as(await other_moderator())
    item = await hold()

    first_id, _ = await next_message(one.content, "queue")
    second_id, _ = await next_message(two.content, "queue")
    event_id = await db.fetchval("SELECT max(id) FROM live_events")

    assert first_id != second_id
    for sealed in (first_id, second_id):
        assert str(item) not in sealed.split("-")  # not the item, not the event's number
        assert not sealed.isdigit()
        assert str(event_id) != sealed
    one.close()
    two.close()


async def test_an_inbox_stream_resumes_from_its_ready_event(
    db: asyncpg.Connection, make_client: ClientFactory, author: Member, keeper: Member
) -> None:
    """The inbox feed rides the same table, and even the "ready" event carries a cursor: a
    browser that lost its stream before any event still gets what came meanwhile, and nothing
    addressed to someone else."""
    member = await make_client(author)
    first = await member.http.get("/inbox/events")
    ready_id, _ = await next_message(first.content, "ready")
    first.close()
    await store.add(db, "inbox", keeper.id, {"item": 0})  # someone else's
    await store.add(db, "inbox", author.id, {"item": 0})  # what a check-in writes

    resp = await stream_as(member.http, "/inbox/events", last_event_id=ready_id)
    _, event = await next_message(resp.content, "inbox")

    assert event == {"item": 0, "unread": 0}
    with pytest.raises(TimeoutError):  # and only that one
        await next_message(resp.content, "inbox", within=1.0)
    resp.close()


async def _cut_listener(db: asyncpg.Connection, application_name: str) -> None:
    cut = await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
        application_name,
    )
    assert cut >= 1


async def test_a_sign_out_whose_announcement_was_lost_still_ends_the_stream(
    db: asyncpg.Connection, moderator: Any, keeper: Member
) -> None:
    """Fault: the session is deleted while nothing announces it (as when the process's sessions
    LISTEN connection is down), then that connection is cut and comes back. Promise: the stream
    checks its session on the way back, finds it gone, and ends."""
    resp = await stream_as(moderator)
    async with db.transaction():
        await db.execute("ALTER TABLE sessions DISABLE TRIGGER sessions_ended")
        await db.execute("DELETE FROM sessions WHERE member_id = $1", keeper.id)
        await db.execute("ALTER TABLE sessions ENABLE TRIGGER sessions_ended")

    await _cut_listener(db, "forum-sessions")

    with pytest.raises(AssertionError, match="the event stream ended"):
        await next_message(resp.content, "queue")
    resp.close()


async def test_a_live_session_keeps_its_stream_when_the_sessions_feed_comes_back(
    db: asyncpg.Connection,
    moderator: Any,
    hold: Hold,
) -> None:
    resp = await stream_as(moderator)

    await _cut_listener(db, "forum-sessions")
    await _reconnected(db, "forum-sessions")
    await asyncio.sleep(0.5)  # and every stream has checked its session (one query each)
    items = [await hold() for _ in range(2)]

    assert [(await next_message(resp.content, "queue"))[1]["item"] for _ in range(2)] == items
    resp.close()


async def _reconnected(db: asyncpg.Connection, application_name: str) -> None:
    for _ in range(100):
        if await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            application_name,
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{application_name} did not reconnect")


async def test_a_connection_lost_between_ready_and_the_missed_events_loses_none(
    moderator: Any,
    hold: Hold,
) -> None:
    """The browser reconnects, gets "ready", and loses the connection before the events it
    missed arrive: the id it holds is ready's, which still lies before them."""
    first = await stream_as(moderator)
    await hold()
    last_id, _ = await next_message(first.content, "queue")
    first.close()
    missed = [await hold() for _ in range(2)]
    cut_short = await moderator.get("/mod/events", headers={"Last-Event-ID": last_id})
    ready_id, _ = await next_message(cut_short.content, "ready")
    cut_short.close()  # before reading the two

    again = await stream_as(moderator, last_event_id=ready_id)
    arrived = [(await next_message(again.content, "queue"))[1]["item"] for _ in range(2)]

    assert arrived == missed
    again.close()
