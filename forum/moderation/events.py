"""Live moderator events: PostgreSQL NOTIFY in, server-sent events out.

A queue change calls `notify()` inside its own transaction, so the event fires on commit and only
if the change happened. Each process keeps one dedicated LISTEN connection (the pool would run
UNLISTEN on release) and fans each notification out to its connected moderators through `Hub`.
Because the fan-in is PostgreSQL, a moderator connected to any process, on any machine, sees
items created through any other. Payloads carry ids and the kind of change only, never post text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from forum.live.listening import listening
from forum.storage.db import Conn
from forum.web.keys import settings_key

log = logging.getLogger(__name__)

CHANNEL = "mod_queue"
#: A slow client that falls this far behind gets one "resync" event instead of the backlog, so
#: memory per connection stays bounded.
MAX_BACKLOG = 100


@dataclass(frozen=True, slots=True)
class Event:
    item_id: int
    group_id: int
    change: str  # "opened", "claimed", "closed", "escalated", "reescalated", "updated"
    level: str = ""  # for crisis items: "concern" or "urgent", so pages can sound the alarm

    def to_json(self) -> str:
        data: dict[str, object] = {"item": self.item_id, "group": self.group_id}
        data["change"] = self.change
        if self.level:
            data["level"] = self.level
        return json.dumps(data)


async def notify(conn: Conn, event: Event) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, event.to_json())


@dataclass(eq=False)
class Subscription:
    group_ids: frozenset[int] | None  # None: every group (admins)
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(MAX_BACKLOG))

    def wants(self, event: Event) -> bool:
        return self.group_ids is None or event.group_id in self.group_ids


@dataclass(eq=False)
class Hub:
    """This process's connected moderators."""

    subscribers: set[Subscription] = field(default_factory=set)

    def subscribe(self, group_ids: frozenset[int] | None) -> Subscription:
        subscription = Subscription(group_ids)
        self.subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscribers.discard(subscription)

    def publish(self, event: Event) -> None:
        for subscription in list(self.subscribers):
            if subscription.wants(event):
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    while not subscription.queue.empty():
                        subscription.queue.get_nowait()
                    subscription.queue.put_nowait(Event(0, event.group_id, "resync"))


hub_key = web.AppKey("moderation_hub", Hub)


def _parse(payload: str) -> Event | None:
    try:
        data = json.loads(payload)
        return Event(
            int(data["item"]), int(data["group"]), str(data["change"]), str(data.get("level", ""))
        )
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed %s notification", CHANNEL)
        return None


async def listen(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one LISTEN connection per process, reconnecting if it drops."""
    hub = app[hub_key] = Hub()
    url = app[settings_key].database_url
    assert url is not None

    def on_payload(payload: str) -> None:
        event = _parse(payload)
        if event is not None:
            hub.publish(event)

    async with listening(
        url, CHANNEL, on_payload, what="moderator events", application_name="forum-mod-events"
    ):
        yield
