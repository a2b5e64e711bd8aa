"""Moderator events: what changed in the queue, sent with PostgreSQL NOTIFY.

A queue change calls `notify()` inside its own transaction, so the event fires on commit and only
if the change happened. Every process listens on `CHANNEL` and hands the events to its connected
moderators (`forum.web.live`); because the fan-in is PostgreSQL, a moderator connected to any
process, on any machine, sees items created through any other. Payloads carry ids and the kind of
change only, never post text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from forum.storage.db import Conn

CHANNEL = "mod_queue"


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

    @classmethod
    def from_json(cls, payload: str) -> Event:
        """Raises ValueError, KeyError or TypeError for a payload `to_json` did not write."""
        data = json.loads(payload)
        return cls(
            int(data["item"]), int(data["group"]), str(data["change"]), str(data.get("level", ""))
        )


async def notify(conn: Conn, event: Event) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, event.to_json())
