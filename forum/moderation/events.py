"""Moderator events: what changed in the queue, written to the live-events table.

A queue change calls `notify()` inside its own transaction, so the event exists (and is announced,
on commit) only if the change happened. Every process reads the table (`forum.live.events`) and
hands the events to its connected moderators (`forum.web.live`); because the fan-in is
PostgreSQL, a moderator connected to any process, on any machine, sees items created through any
other, and one whose process could not hear at the time sees them once it can. Payloads carry ids
and the kind of change only, never post text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from forum.storage import live_events
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Event:
    item_id: int
    group_id: int
    change: str  # "opened", "claimed", "closed", "escalated", "reescalated", "updated"
    level: str = ""  # for crisis items: "concern" or "urgent", so pages can sound the alarm

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"item": self.item_id, "group": self.group_id}
        data["change"] = self.change
        if self.level:
            data["level"] = self.level
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, payload: str) -> Event:
        """Raises ValueError, KeyError or TypeError for a payload `to_json` did not write."""
        data = json.loads(payload)
        return cls(
            int(data["item"]), int(data["group"]), str(data["change"]), str(data.get("level", ""))
        )


async def notify(conn: Conn, event: Event) -> None:
    await live_events.add(conn, "mod", event.group_id, event.to_dict())
