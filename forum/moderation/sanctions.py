"""Sanctions: warn, mute in a group, remove from a group, suspend site-wide (admins only).

A sanctioned member keeps reading and keeps their drafts; only publishing is refused, with the
reason and the end date, so they are never left guessing. Moderators sanction the author of a
post they moderate, so an anonymous author can be muted without anyone learning who they are.
"""

from __future__ import annotations

from datetime import timedelta

from forum.moderation import queue
from forum.storage import audit, groups, notifications, sanctions
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member

KINDS = ("warn", "mute", "remove", "suspend")
DURATIONS = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "forever": None,
}


def _until(sanction: sanctions.Sanction) -> str:
    return f" until {sanction.ends_at:%-d %b %Y %H:%M} UTC" if sanction.ends_at else ""


async def posting_block(conn: Conn, member_id: int, group: Group) -> str | None:
    """Why this member may not publish in this group now, or None if they may."""
    for sanction in await sanctions.active_posting_blocks(conn, member_id, group.id):
        if sanction.kind == "suspend":
            return (
                f"Your account is suspended{_until(sanction)}: {sanction.reason}. You can"
                " still read and keep drafts."
            )
        if sanction.kind == "mute":
            return (
                f"You are muted in {group.name}{_until(sanction)}: {sanction.reason}. You can"
                " still read and keep drafts."
            )
        return f"You were removed from {group.name}{_until(sanction)}: {sanction.reason}."
    return None


async def removal(conn: Conn, member_id: int, group: Group) -> str | None:
    """Why this member may not rejoin the group (a removal still in force), or None."""
    for sanction in await sanctions.active_posting_blocks(conn, member_id, group.id):
        if sanction.kind == "remove":
            return f"You were removed from {group.name}{_until(sanction)}: {sanction.reason}."
    return None


async def apply(
    conn: Conn,
    *,
    moderator: Member,
    group: Group,
    author_id: int,
    kind: str,
    reason: str,
    duration: timedelta | None,
    post_id: int | None,
) -> None:
    if kind not in KINDS:
        raise queue.ActionRefused("Choose warn, mute, remove or suspend.")
    if kind == "suspend" and not moderator.is_admin:
        raise queue.ActionRefused("Only admins can suspend an account.")
    if not reason.strip():
        raise queue.ActionRefused("Please give a reason: the member is told it.")
    if author_id == moderator.id:
        raise queue.ActionRefused("You can't sanction yourself.")
    reason = reason.strip()[:1000]
    async with conn.transaction():
        sanction = await sanctions.create(
            conn,
            member_id=author_id,
            group_id=None if kind == "suspend" else group.id,
            kind=kind,
            reason=reason,
            duration=None if kind == "warn" else duration,
            created_by=moderator.id,
            post_id=post_id,
        )
        if kind == "remove":
            await groups.leave_group(conn, group.id, author_id)
        await audit.record(
            conn,
            actor_id=moderator.id,
            action=kind,
            group_id=group.id,
            post_id=post_id,
            subject_id=author_id,
            reason=reason,
        )
        message = {
            "warn": f"A moderator of {group.name} sent you a warning: {reason}",
            "mute": f"You are muted in {group.name}{_until(sanction)}: {reason}. You can still"
            " read and keep drafts.",
            "remove": f"You were removed from {group.name}{_until(sanction)}: {reason}.",
            "suspend": f"Your account is suspended{_until(sanction)}: {reason}. You can still"
            " read and keep drafts.",
        }[kind]
        await notifications.notify(conn, author_id, kind, message, post_id=post_id)
