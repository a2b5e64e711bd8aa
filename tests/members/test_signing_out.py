"""Signing out ends the session everywhere, live streams included, and a member can sign out
every other device at once.

Signing out used to leave the session's open live streams running, and there was no way to end
a session left open on another computer.
"""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg

from forum.storage import sessions
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient, next_message


async def _stream(client: ForumClient) -> aiohttp.ClientResponse:
    resp = await client.get("/inbox/events")
    assert resp.status == 200
    await next_message(resp.content, "ready")
    return resp


async def _ends(resp: aiohttp.ClientResponse, within: float = 5) -> bool:
    """Whether the stream is closed by the server within `within` seconds."""
    try:
        await asyncio.wait_for(resp.content.read(), within)
    except TimeoutError:
        return False
    return True


async def test_signing_out_ends_that_sessions_live_streams(
    make_client: ClientFactory, member: Member
) -> None:
    client = await make_client(member)
    stream = await _stream(client)
    assert (await client.post_form("/logout")).status == 303
    assert await _ends(stream)


async def test_sign_out_everywhere_else_ends_the_other_sessions_and_their_streams(
    db: asyncpg.Connection, make_client: ClientFactory, member: Member
) -> None:
    here, laptop, library = [await make_client(member) for _ in range(3)]
    streams = {name: await _stream(c) for name, c in (("here", here), ("laptop", laptop))}
    resp = await here.post_form("/account/sign-out-others")
    assert resp.status == 200
    assert "Signed out on 2 other devices." in await resp.text()
    assert await _ends(streams["laptop"])
    assert not await _ends(streams["here"], within=1.5)
    for gone in (laptop, library):
        assert (await gone.get("/account")).status == 303  # to sign in again
    assert (await here.get("/account")).status == 200
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE member_id = $1", member.id) == 1
    streams["here"].close()


async def test_a_deleted_session_is_announced_by_a_key_that_is_not_its_token(
    db: asyncpg.Connection, member: Member
) -> None:
    session = await sessions.create_session(db, member)
    await db.execute("LISTEN forum_sessions_ended")
    heard: asyncio.Queue[str] = asyncio.Queue()
    await db.add_listener("forum_sessions_ended", lambda *args: heard.put_nowait(args[3]))
    await sessions.delete_other_sessions(db, member.id, "some other token")
    payload = await asyncio.wait_for(heard.get(), 5)
    assert payload == sessions.stream_key(session.token)
    assert session.token not in payload
    assert len(payload) == 16
