"""Crisis escalation: a flagged post becomes the most urgent queue item, and an urgent item that
nobody claims in time goes to every moderator of the group, then to the admins, and to the
group's webhook.

`reescalate_due(conn, now)` is a plain function of the clock it is given, so tests drive it with
a fake clock; every process runs it in a loop and SKIP LOCKED lets exactly one of them act on each
item. The webhook call is written to an outbox in the same transaction and delivered afterwards
(`forum.live.webhooks`), so a slow receiver never holds anything up.
"""

from __future__ import annotations

from datetime import datetime

from forum.moderation import events
from forum.moderation.crisis.scanner import Lexicon, ScanResult
from forum.moderation.events import Event
from forum.storage import audit, crisis, moderators, notifications, queue_items
from forum.storage.db import Conn
from forum.storage.groups import Group

PRIORITY = {
    "urgent": queue_items.PRIORITY["crisis-urgent"],
    "concern": queue_items.PRIORITY["crisis-concern"],
}


async def lexicon_for(conn: Conn, group_id: int) -> Lexicon:
    """The repository lexicon plus the group's own phrases, as admins saved them (compiled once
    per process for each distinct set of phrases: `Lexicon.with_phrases` keeps them)."""
    return Lexicon.base().with_phrases(await crisis.list_group_phrases(conn, group_id))


async def flag(
    conn: Conn, *, group: Group, post_id: int, author_id: int, result: ScanResult, held: bool
) -> int:
    """Queue a post the scanner flagged. Call inside the publishing transaction."""
    item_id, _ = await queue_items.open_item(
        conn, group_id=group.id, post_id=post_id, kind="crisis", priority=PRIORITY[result.level]
    )
    await crisis.record_scan(conn, item_id, result.level, result.to_json())
    phrases = ", ".join(sorted({m.phrase for m in result.matches}))[:900]
    await audit.record(
        conn,
        actor_id=None,
        action=f"crisis-{result.level}",
        group_id=group.id,
        item_id=item_id,
        post_id=post_id,
        reason=f"matched: {phrases}",
    )
    if held:
        await notifications.notify(
            conn,
            author_id,
            "held",
            f"Your post in {group.name} is waiting for a moderator, who will look at it soon."
            " Only you can see it until then.",
            post_id=post_id,
        )
    await events.notify(conn, Event(item_id, group.id, "opened", result.level))
    return item_id


async def reescalate_due(conn: Conn, now: datetime) -> int:
    """Send overdue urgent items up the chain; returns how many steps were taken."""
    steps = 0
    async with conn.transaction():
        for item in await crisis.take_overdue(conn, now, "moderators"):
            steps += 1
            await _alert(
                conn,
                item,
                await crisis.list_moderator_ids(conn, item.group_id),
                f"Urgent: a crisis post in {item.group_name} has waited"
                f" {_minutes(now, item.created_at)} minutes without a moderator."
                f" Please look at queue item #{item.item_id} now.",
                action="reescalate",
                reason="unclaimed urgent crisis item: all moderators alerted",
            )
            if item.webhook_url:
                await crisis.enqueue_webhook(
                    conn, item.group_id, item.item_id, item.webhook_url, _payload(item, now)
                )
        for item in await crisis.take_overdue(conn, now, "admins"):
            steps += 1
            await _alert(
                conn,
                item,
                await moderators.list_admin_ids(conn),
                f"Urgent: a crisis post in {item.group_name} is still unclaimed after"
                f" {_minutes(now, item.created_at)} minutes. Queue item #{item.item_id}.",
                action="alert-admins",
                reason="unclaimed urgent crisis item: admins alerted",
            )
    return steps


async def _alert(
    conn: Conn, item: crisis.Overdue, who: list[int], message: str, *, action: str, reason: str
) -> None:
    """One step up the chain: notify `who`, record it, and sound the alarm on open queues."""
    await notifications.notify_all(conn, who, "crisis", message)
    await audit.record(
        conn,
        actor_id=None,
        action=action,
        group_id=item.group_id,
        item_id=item.item_id,
        reason=reason,
    )
    await events.notify(conn, Event(item.item_id, item.group_id, "reescalated", "urgent"))


def _minutes(now: datetime, since: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


def _payload(item: crisis.Overdue, now: datetime) -> dict[str, object]:
    """What the receiver learns: which item, where, how long. Never post text or an author."""
    return {
        "event": "crisis.unclaimed",
        "group": item.group_slug,
        "item": item.item_id,
        "level": "urgent",
        "waiting_minutes": _minutes(now, item.created_at),
        "path": f"/mod/items/{item.item_id}",
    }
