"""Crisis escalation end to end: support for the author, the hold-or-publish policy, queue
priority, re-escalation on a controllable clock, and the signed, retried webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from forum.config import derive_key
from forum.live import webhooks
from forum.moderation.crisis import escalation
from forum.storage import crisis
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web import outbound
from tests.clients import TEST_SECRET, ClientFactory, ForumClient
from tests.factories import Appoint, MakeGroup, MakeMember, version_of

WEBHOOKS_KEY = derive_key(TEST_SECRET, "webhooks")
URGENT = "I have the pills in front of me and I am going to take them all tonight. Goodbye."
CONCERN = "Some days I wish I could just disappear and not wake up. Everything feels hopeless."
ORDINARY = "The first winter without Mum is hard, but the scarf she knitted keeps me going."


@pytest.fixture
async def grief(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    group = await make_group("grief", name="Grief and loss", members_=[author])
    await appoint(group, keeper)
    return group


@pytest.fixture
async def writer(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


async def write_and_preview(
    writer: ForumClient, body: str, title: str = "Tonight"
) -> tuple[str, str]:
    made = await writer.post_form("/drafts", {"group": "grief", "title": title, "body": body})
    assert made.status == 303
    url = made.headers["Location"]
    return url, await (await writer.get(url)).text()


async def publish(writer: ForumClient, url: str, page: str) -> aiohttp.ClientResponse:
    return await writer.post_form(url + "/publish", {"version": version_of(page)})


async def test_the_preview_of_an_urgent_draft_opens_with_support_and_crisis_lines(
    writer: ForumClient, grief: Group
) -> None:
    _, page = await write_and_preview(writer, URGENT)
    assert page.index('id="support"') < page.index('id="preview"')
    assert "988" in page
    assert "116 123" in page


async def test_an_ordinary_draft_shows_no_support_panel(writer: ForumClient, grief: Group) -> None:
    _, page = await write_and_preview(writer, ORDINARY)
    assert 'id="support"' not in page


async def test_an_urgent_post_is_held_by_default_and_its_author_is_told_a_moderator_will_look(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, make_client: ClientFactory
) -> None:
    url, page = await write_and_preview(writer, URGENT)
    resp = await publish(writer, url, page)
    assert resp.status == 303
    assert "support=1" in resp.headers["Location"]
    landing = await (await writer.get(resp.headers["Location"].split("#")[0])).text()
    assert "A moderator will look at your post soon" in landing
    assert await db.fetchval("SELECT state FROM posts") == "held"
    visitor = await make_client()
    assert (await visitor.get(resp.headers["Location"].split("?")[0])).status == 404
    item = await db.fetchrow("SELECT kind, priority, crisis_level, crisis_matches FROM queue_items")
    assert item is not None
    assert (item["kind"], item["priority"], item["crisis_level"]) == ("crisis", 0, "urgent")
    assert json.loads(item["crisis_matches"])  # the phrases that explain the flag


async def test_a_group_can_publish_urgent_posts_at_once_and_flag_them(
    writer: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    await db.execute("UPDATE groups SET crisis_policy = 'publish'")
    url, page = await write_and_preview(writer, URGENT)
    resp = await publish(writer, url, page)
    assert resp.status == 303
    assert await db.fetchval("SELECT state FROM posts") == "published"
    assert await db.fetchval("SELECT crisis_level FROM queue_items") == "urgent"


async def test_a_concern_post_is_published_with_a_lower_priority_item(
    writer: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    url, page = await write_and_preview(writer, CONCERN)
    assert (await publish(writer, url, page)).status == 303
    assert await db.fetchval("SELECT state FROM posts") == "published"
    row = await db.fetchrow("SELECT crisis_level, priority FROM queue_items")
    assert row is not None
    assert row["crisis_level"] == "concern"
    assert 0 < row["priority"] < 20  # below urgent, above held posts and reports


async def test_an_ordinary_post_creates_no_crisis_item(
    writer: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    url, page = await write_and_preview(writer, ORDINARY)
    assert (await publish(writer, url, page)).status == 303
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 0


async def test_a_groups_own_phrase_is_caught(
    writer: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    await db.execute(
        "INSERT INTO crisis_phrases (group_id, phrase, level) VALUES ($1, 'going to the bridge',"
        " 'urgent')",
        grief.id,
    )
    url, page = await write_and_preview(writer, "I think I am going to the bridge later.")
    assert 'id="support"' in page
    await publish(writer, url, page)
    assert await db.fetchval("SELECT crisis_level FROM queue_items") == "urgent"


async def _urgent_item(writer: ForumClient, db: asyncpg.Connection) -> int:
    url, page = await write_and_preview(writer, URGENT)
    await publish(writer, url, page)
    return int(await db.fetchval("SELECT id FROM queue_items"))


async def created_at(db: asyncpg.Connection, item_id: int) -> datetime:
    created: datetime = await db.fetchval(
        "SELECT created_at FROM queue_items WHERE id = $1", item_id
    )
    return created


async def test_an_unclaimed_urgent_item_goes_to_every_moderator_then_to_the_admins(
    writer: ForumClient,
    grief: Group,
    db: asyncpg.Connection,
    make_member: MakeMember,
    appoint: Appoint,
) -> None:
    second = await make_member("second_keeper")
    await appoint(grief, second)
    admin = await make_member("boss", is_admin=True)
    item_id = await _urgent_item(writer, db)
    created = await created_at(db, item_id)

    assert await escalation.reescalate_due(db, created + timedelta(minutes=9)) == 0
    assert await escalation.reescalate_due(db, created + timedelta(minutes=10, seconds=1)) == 1
    alerted = await db.fetch("SELECT member_id FROM notifications WHERE kind = 'crisis'")
    assert {r["member_id"] for r in alerted} == {
        await db.fetchval("SELECT id FROM members WHERE pseudonym = 'keeper'"),
        second.id,
    }
    # The same moment again changes nothing: each step happens once.
    assert await escalation.reescalate_due(db, created + timedelta(minutes=11)) == 0
    assert await escalation.reescalate_due(db, created + timedelta(minutes=20, seconds=2)) == 1
    admins = await db.fetch(
        "SELECT member_id FROM notifications WHERE kind = 'crisis' AND member_id = $1", admin.id
    )
    assert len(admins) == 1
    actions = [r["action"] for r in await db.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("reescalate") == 1
    assert actions.count("alert-admins") == 1


async def test_a_claimed_urgent_item_is_not_reescalated(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, mod: ForumClient
) -> None:
    item_id = await _urgent_item(writer, db)
    assert (await mod.post_form(f"/mod/items/{item_id}/claim")).status == 303
    created = await created_at(db, item_id)
    assert await escalation.reescalate_due(db, created + timedelta(hours=2)) == 0


async def test_the_reescalation_time_is_set_per_group(
    writer: ForumClient, grief: Group, db: asyncpg.Connection
) -> None:
    await db.execute("UPDATE groups SET crisis_reescalate_minutes = 3")
    item_id = await _urgent_item(writer, db)
    created = await created_at(db, item_id)
    assert await escalation.reescalate_due(db, created + timedelta(minutes=3, seconds=1)) == 1


#: A webhook receiver: the server, the (headers, body) of each call, and {"fail_first": n}.
Receiver = tuple[TestServer, list[tuple[dict[str, str], bytes]], dict[str, int]]


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> Receiver:
    """A real HTTP server that records webhook calls; `fail_first` makes it answer 500 first."""
    calls: list[tuple[dict[str, str], bytes]] = []
    state = {"fail_first": 0}

    async def hook(request: web.Request) -> web.Response:
        calls.append((dict(request.headers), await request.read()))
        if state["fail_first"] > 0:
            state["fail_first"] -= 1
            return web.Response(status=500)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = await aiohttp_server(app)
    return server, calls, state


async def reescalated_to_the_webhook(
    writer: ForumClient, db: asyncpg.Connection, server: TestServer
) -> tuple[int, datetime]:
    """An urgent item in grief, whose webhook is the server, reescalated after 11 minutes: the
    item's id and that moment."""
    await db.execute("UPDATE groups SET webhook_url = $1", str(server.make_url("/hook")))
    item_id = await _urgent_item(writer, db)
    now = await created_at(db, item_id) + timedelta(minutes=11)
    await escalation.reescalate_due(db, now)
    return item_id, now


async def test_the_webhook_is_signed_and_carries_no_post_text_or_author(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, receiver: Receiver
) -> None:
    server, calls, _ = receiver
    item_id, now = await reescalated_to_the_webhook(writer, db, server)

    async with outbound.poster() as post:
        assert await webhooks.deliver_due(db, post, WEBHOOKS_KEY, now) == 1
    headers, body = calls[0]
    key = webhooks.group_key(WEBHOOKS_KEY, grief.id)
    expected = hmac.new(
        key, headers["X-Forum-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Forum-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["item"] == item_id
    assert payload["group"] == "grief"
    assert "pills" not in body.decode()
    assert "willow" not in body.decode()


async def test_a_failing_webhook_is_retried_with_back_off_and_then_delivered(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, receiver: Receiver
) -> None:
    server, calls, state = receiver
    state["fail_first"] = 2
    _, now = await reescalated_to_the_webhook(writer, db, server)
    async with outbound.poster() as post:
        assert await webhooks.deliver_due(db, post, WEBHOOKS_KEY, now) == 0
        row = await db.fetchrow("SELECT attempts, next_attempt_at FROM webhook_deliveries")
        assert row is not None
        assert row["attempts"] == 1
        assert row["next_attempt_at"] == now + webhooks.backoff(0)
        # Not due yet: nothing is sent.
        assert await webhooks.deliver_due(db, post, WEBHOOKS_KEY, now + timedelta(seconds=5)) == 0
        assert len(calls) == 1
        later = row["next_attempt_at"]
        assert await webhooks.deliver_due(db, post, WEBHOOKS_KEY, later) == 0
        row = await db.fetchrow("SELECT attempts, next_attempt_at FROM webhook_deliveries")
        assert row is not None
        assert row["next_attempt_at"] == later + webhooks.backoff(1)
        assert await webhooks.deliver_due(db, post, WEBHOOKS_KEY, row["next_attempt_at"]) == 1
    assert len(calls) == 3
    assert await db.fetchval("SELECT delivered_at IS NOT NULL FROM webhook_deliveries")


async def test_a_webhook_that_never_answers_is_given_up_after_the_last_attempt(
    grief: Group, db: asyncpg.Connection
) -> None:

    await crisis.enqueue_webhook(db, grief.id, None, "http://127.0.0.1:9/hook", {"x": 1})
    now = datetime.now(UTC)
    async with outbound.poster() as post:
        for _ in range(webhooks.MAX_ATTEMPTS):
            await webhooks.deliver_due(db, post, WEBHOOKS_KEY, now)
            now = await db.fetchval("SELECT next_attempt_at FROM webhook_deliveries")
            if now == datetime.max.replace(tzinfo=UTC) or now.year > 9000:
                break
    row = await db.fetchrow("SELECT attempts, delivered_at, last_error FROM webhook_deliveries")
    assert row is not None
    assert row["attempts"] == webhooks.MAX_ATTEMPTS
    assert row["delivered_at"] is None
    assert row["last_error"]
