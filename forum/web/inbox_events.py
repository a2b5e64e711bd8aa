"""Live inbox updates: the same NOTIFY-to-SSE design as the moderators' queue, per member.

`storage.inbox.deliver` queues `pg_notify('member_inbox', {"member": id, "item": id})` for each
recipient inside the publishing transaction. Each process keeps one LISTEN connection of its own
and hands each notification to that member's open streams in this process only, so a member
connected to any worker hears of replies published through any other. Payloads are ids: never
post text, and never who wrote the reply.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from forum.live.listening import listening
from forum.storage import inbox
from forum.web.keys import settings_key

log = logging.getLogger(__name__)

#: A stream that falls this far behind is sent one "resync" (item 0) instead of the backlog.
MAX_BACKLOG = 50


@dataclass(eq=False)
class Hub:
    """This process's open inbox streams, by member."""

    streams: defaultdict[int, set[asyncio.Queue[int]]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def subscribe(self, member_id: int) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(MAX_BACKLOG)
        self.streams[member_id].add(queue)
        return queue

    def unsubscribe(self, member_id: int, queue: asyncio.Queue[int]) -> None:
        queues = self.streams.get(member_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self.streams[member_id]

    def publish(self, member_id: int, item_id: int) -> None:
        for queue in list(self.streams.get(member_id, ())):
            try:
                queue.put_nowait(item_id)
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(0)


hub_key = web.AppKey("inbox_hub", Hub)


def _parse(payload: str) -> tuple[int, int] | None:
    try:
        data = json.loads(payload)
        return int(data["member"]), int(data["item"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed %s notification", inbox.CHANNEL)
        return None


async def listen(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one LISTEN connection per process, reconnecting if it drops."""
    hub = app[hub_key] = Hub()
    url = app[settings_key].database_url
    assert url is not None

    def on_payload(payload: str) -> None:
        parsed = _parse(payload)
        if parsed is not None:
            hub.publish(*parsed)

    async with listening(
        url, inbox.CHANNEL, on_payload, what="inbox events", application_name="forum-inbox-events"
    ):
        yield
