"""How tests talk to the forum: a form-posting client that knows its CSRF token, the test secret
and password, and a reader for Server-Sent Events (`/mod/events`, `/inbox/events`)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import pyotp
from aiohttp.test_utils import TestClient

from forum.config import derive_key
from forum.storage.members import Member

TEST_SECRET = b"test-secret-for-signing-cookies-and-tokens"
PASSWORD = "correct horse battery staple"
#: What registration asks a new member to confirm besides the name and password (issue 19).
JOINING = {"age_ok": "on", "rules_ok": "on"}

#: The two-factor key of the admins and moderators the factories make: staff whom the forum asks
#: for two-factor reach only its set-up page until it is on, so the cast has it on (issue 19).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


async def enrol_two_factor(db: Any, member_id: int, secret: str = TOTP_SECRET) -> None:
    """Two-factor on for the member, as if they had scanned the key and typed a code."""
    await db.execute(
        "INSERT INTO two_factor (member_id, secret, confirmed_at) VALUES ($1, $2, now())"
        " ON CONFLICT (member_id) DO NOTHING",
        member_id,
        secret,
    )


async def fresh_code(db: Any, member_id: int, secret: str = TOTP_SECRET) -> str:
    """A code the forum has not accepted yet (each time step works once) that it takes now:
    the current step's, else the next one's (a clock a little fast)."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    last = await db.fetchval("SELECT last_step FROM two_factor WHERE member_id = $1", member_id)
    step = max(now, (last or 0) + 1)
    if step > now + 1:  # both used: let the clock move on, as a person would wait
        await db.execute(
            "UPDATE two_factor SET last_step = $2 WHERE member_id = $1", member_id, now - 1
        )
        step = now
    return totp.generate_otp(step)


#: Seconds an event stream may stay silent before a test fails: turns a hang into a failure and
#: measures nothing.
HANG_GUARD = 10


def csrf_for(binding: str, secret: bytes = TEST_SECRET) -> str:
    """The token a browser bound to `binding` carries, computed as the forum does."""
    return hmac.new(derive_key(secret, "csrf"), binding.encode(), hashlib.sha256).hexdigest()


@dataclass
class ForumClient:
    """An HTTP client for the app that knows its own CSRF token, like a browser with a form."""

    http: TestClient[Any, Any]
    binding: str
    member: Member | None = None
    db: Any = None

    async def fresh_code(self) -> str:
        """A two-factor code from the signed-in member's app (the factories' key)."""
        assert self.member is not None
        assert self.db is not None
        return await fresh_code(self.db, self.member.id)

    @property
    def csrf_token(self) -> str:
        return csrf_for(self.binding)

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        kwargs.setdefault("allow_redirects", False)
        return await self.http.get(path, **kwargs)

    async def post_form(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        form = {k: str(v) for k, v in (data or {}).items() if v is not None}
        if csrf:
            form.setdefault("csrf_token", self.csrf_token)
        kwargs.setdefault("allow_redirects", False)
        return await self.http.post(path, data=form, **kwargs)


class ClientFactory(Protocol):
    """`await make_client()` is a visitor; `await make_client(member)` is signed in as member."""

    async def __call__(self, member: Member | None = None) -> ForumClient: ...


async def next_data(stream: aiohttp.StreamReader, wanted: str) -> str:
    """The data line of the next event named `wanted`, as sent (other events are skipped)."""
    event = None
    async for raw in stream:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == wanted:
            return line.split(":", 1)[1].strip()
    raise AssertionError("the event stream ended")


async def next_message(
    stream: aiohttp.StreamReader, wanted: str, within: float = HANG_GUARD
) -> tuple[str, dict[str, Any]]:
    """(its id, its data decoded) of the next event named `wanted`."""

    async def read() -> tuple[str, dict[str, Any]]:
        event, event_id = None, ""
        async for raw in stream:
            line = raw.decode().rstrip("\r\n")
            if not line:
                event, event_id = None, ""
            elif line.startswith("id:"):
                event_id = line.split(":", 1)[1].strip()
            elif line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == wanted:
                return event_id, dict(json.loads(line.split(":", 1)[1].strip()))
        raise AssertionError("the event stream ended")

    return await asyncio.wait_for(read(), within)


async def next_event(
    stream: aiohttp.StreamReader, wanted: str, within: float = HANG_GUARD
) -> dict[str, Any]:
    """The next event named `wanted`, decoded; fails after `within` seconds of waiting."""
    return dict(json.loads(await asyncio.wait_for(next_data(stream, wanted), within)))


async def open_stream(client: ForumClient, path: str) -> aiohttp.ClientResponse:
    """Connect to an event stream and wait for its `ready` event."""
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    await asyncio.wait_for(next_data(resp.content, "ready"), HANG_GUARD)
    return resp
