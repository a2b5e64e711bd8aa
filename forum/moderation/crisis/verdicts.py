"""Moderators' verdicts: "was this person at risk?", asked when a crisis item is closed (issue 18).

A verdict is stored on its queue item (`storage.crisis.record_verdict`), audited, and never
shown to the author. A post the scanner did not flag that reached the queue another way (a
member's "someone may be at risk" report, a held or reported post) and was judged at risk is a
miss. The admins' crisis page shows the record; `forum crisis-train --with-local-verdicts`
learns from it.
"""

from __future__ import annotations

from forum.moderation.queue import ActionRefused
from forum.storage import audit, crisis
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.storage.queue_items import Item

__all__ = ["CHOICES", "LABELS", "needed", "record"]

CHOICES = crisis.VERDICTS
LABELS = {
    "urgent": "Yes, at risk now (urgent)",
    "concern": "Struggling, not in immediate danger (concern)",
    "no": "No, not at risk",
}
#: Actions that close an item: on a crisis item without a verdict they need one.
CLOSING = frozenset({"approve", "edit-approve", "reject", "resolve"})


def needed(item: Item, action: str, at_risk: str) -> str | None:
    """The verdict to record with this action (None: none), or ActionRefused."""
    if at_risk and at_risk not in CHOICES:
        raise ActionRefused("Please choose whether this person was at risk.")
    if not at_risk and item.kind == "crisis" and item.verdict is None and action in CLOSING:
        raise ActionRefused(
            "Before closing a crisis item, please say whether this person was at risk."
        )
    return at_risk or None


async def record(conn: Conn, item: Item, moderator: Member, at_risk: str) -> None:
    if at_risk not in CHOICES:
        raise ActionRefused("Please choose whether this person was at risk.")
    async with conn.transaction():
        await crisis.record_verdict(conn, item.id, moderator.id, at_risk)
        await audit.record(
            conn,
            actor_id=moderator.id,
            action="verdict",
            group_id=item.group_id,
            item_id=item.id,
            post_id=item.post_id,
            subject_id=item.author_id,
            reason=f"at risk: {at_risk}",
        )
