"""Joining a group: asking to join (with the moderators' question for approval groups), and
moderators deciding on requests.

A member removed from a group by a moderator cannot rejoin while the removal lasts: rejoining
would undo the moderator's decision. Deciding is for the group's moderators (and admins); each
decision, the applicant's notification and the audit entry are one transaction, and deciding
twice (two moderators at once) changes nothing the second time.
"""

from __future__ import annotations

from forum.moderation import sanctions
from forum.storage import audit, groups, memberships, moderators, notifications
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member

ANSWER_MAX = 1000


class AnswerRefused(Exception):
    """The answer to the moderators' question cannot be sent as it is (the message says why)."""


class Removed(Exception):
    """The member was removed from the group and may not rejoin yet (the message says why)."""


def asks(group: Group) -> bool:
    """Whether joining asks the moderators' question."""
    return group.membership == "approval" and bool(group.join_question)


async def join(conn: Conn, group: Group, member_id: int, *, answer: str, accepted: bool) -> str:
    """Join, or ask to join; "active" or "pending". Raises AnswerRefused or Removed."""
    if asks(group) and not answer:
        raise AnswerRefused("Please answer the moderators' question: it helps them welcome you.")
    if len(answer) > ANSWER_MAX:
        raise AnswerRefused(
            f"Your answer can be at most {ANSWER_MAX:,} characters; it is still here."
        )
    removed = await sanctions.removal(conn, member_id, group)
    if removed is not None:
        raise Removed(removed)
    return await groups.join_group(
        conn,
        group,
        member_id,
        answer=answer if asks(group) else "",
        accepted_guidelines=accepted and bool(group.guidelines),
    )


async def decide(
    conn: Conn, moderator: Member, group_id: int, member_id: int, *, approve: bool
) -> bool | None:
    """Approve or decline one request: whether it changed, or None when `moderator` does not
    moderate that group (the caller answers as if there were no such request)."""
    if not await moderators.is_moderator(conn, group_id, moderator.id):
        return None
    view = await groups.get_visible_group_by_id(conn, group_id, moderator.id, True)
    if view is None:
        return None
    name = view.group.name
    action = "join-approve" if approve else "join-decline"
    async with conn.transaction():
        if approve:
            changed = await memberships.approve(conn, group_id, member_id)
            message = f"Your request to join “{name}” was accepted. Welcome!"
        else:
            changed = await memberships.decline(conn, group_id, member_id)
            message = (
                f"Your request to join “{name}” was not accepted this time. You are welcome"
                " to look for another group in the directory."
            )
        if changed:
            await notifications.notify(conn, member_id, action, message)
            await audit.record(
                conn,
                actor_id=moderator.id,
                action=action,
                group_id=group_id,
                subject_id=member_id,
            )
    return changed
