"""Sanctions: warn, mute in a group, remove from a group, suspend site-wide (admins only).

A sanctioned member keeps reading and keeps their drafts; only publishing is refused, with the
reason and the end date, so they are never left guessing. Moderators sanction the author of a
post they moderate, so an anonymous author can be muted without anyone learning who they are.
"""

from __future__ import annotations

from datetime import timedelta

from forum.moderation import queue, reasons
from forum.storage import audit, groups, members, moderators, notifications, sanctions
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member

KINDS = ("warn", "mute", "remove", "suspend")
DURATIONS = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "forever": None,
}
#: The longest a moderator's mute or removal may last; only admins give longer ones (or none).
MODERATOR_LONGEST = timedelta(days=90)
#: What a sanction may be shortened to ("now" lifts it).
SHORTER = {"now": None, "1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7)}


def _until(sanction: sanctions.Sanction) -> str:
    if sanction.ends_at is None:
        return " until an admin lifts it"
    return f" until {sanction.ends_at:%-d %b %Y %H:%M} UTC"


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


async def _check(
    conn: Conn,
    moderator: Member,
    group: Group,
    author_id: int,
    kind: str,
    length: timedelta | None,
    *,
    masked: bool,
) -> bool:
    """Raises ActionRefused unless `moderator` may give this sanction to this author; True when
    it must wait for an admin's decision.

    Staff are sanctioned by admins only: a moderator cannot silence an admin or a fellow
    moderator of the group, and a moderator's mute or removal ends within MODERATOR_LONGEST.
    Under a signed name the moderator knows who the author is and is told to escalate. Under an
    anonymous post or a per-group name (`masked`) a refusal would tell them "this is one of the
    staff", so the sanction is accepted like any other and waits, not in force and the author
    not told, until an admin confirms or dismisses it. The refusals every author would get are
    checked first, so the two cases read the same."""
    if kind not in KINDS:
        raise queue.ActionRefused("Choose warn, mute, remove or suspend.")
    if author_id == moderator.id:
        raise queue.ActionRefused("You can't sanction yourself.")
    if moderator.is_admin:
        return False
    if kind == "suspend":
        raise queue.ActionRefused("Only admins can suspend an account.")
    if kind != "warn" and (length is None or length > MODERATOR_LONGEST):
        raise queue.ActionRefused(
            "A moderator's mute or removal ends within 90 days; escalate to the admins for longer."
        )
    author = await members.get_member(conn, author_id)
    if author is None:
        raise queue.ActionRefused("This account no longer exists.")
    staff = author.is_admin or await moderators.is_moderator(conn, group.id, author_id)
    if staff and not masked:
        raise queue.ActionRefused(
            "Only admins can sanction the forum's staff: escalate the item to the admins instead."
        )
    return staff


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
    masked: bool = False,
    rule: str | None = None,
    detected: str = "moderator",
) -> None:
    """Sanction the author of a post the moderator moderates. `masked`: the post is anonymous or
    under a per-group name, so the moderator does not know who wrote it (see `_check`). `rule`
    is a key from `reasons.choices`, `detected` how the post came to the moderator; both go in
    the statement of reasons the member is sent."""
    if not reason.strip():
        raise queue.ActionRefused("Please give a reason: the member is told it.")
    named = await reasons.chosen(conn, group, rule)
    if named is None:
        raise queue.ActionRefused("Choose the rule that was broken from the list.")
    waits = await _check(conn, moderator, group, author_id, kind, duration, masked=masked)
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
            awaiting_admin=waits,
            rule=named,
            detected_by=detected,
        )
        # The moderator's log reads the same either way; only admins see that it waits.
        await audit.record(
            conn,
            actor_id=moderator.id,
            action=kind,
            group_id=group.id,
            post_id=post_id,
            subject_id=author_id,
            reason=reason,
        )
        if not waits:
            await _take_effect(conn, sanction, group, author_id)


async def _take_effect(
    conn: Conn,
    sanction: sanctions.Sanction,
    group: Group,
    author_id: int,
    *,
    confirmed_by: int | None = None,
) -> None:
    """A removal takes the member out of the group; the member is sent the statement of reasons
    (what, why, under which rule, how to appeal)."""
    kind, reason = sanction.kind, sanction.reason
    if kind == "remove":
        await groups.leave_group(conn, group.id, author_id)
    message = {
        "warn": f"A moderator of {group.name} sent you a warning: {reason}",
        "mute": f"You are muted in {group.name}{_until(sanction)}: {reason}. You can still"
        " read and keep drafts.",
        "remove": f"You were removed from {group.name}{_until(sanction)}: {reason}.",
        "suspend": f"Your account is suspended{_until(sanction)}: {reason}. You can still"
        " read and keep drafts.",
    }[kind]
    await reasons.tell(
        conn,
        member_id=author_id,
        group=group,
        kind=kind,
        notice=kind,
        post_id=sanction.post_id,
        sanction_id=sanction.id,
        rule=sanction.rule or reasons.ANY_RULE,
        facts=reason,
        detected=sanction.detected_by,
        decided_by=sanction.created_by,
        confirmed_by=confirmed_by,
        message=message,
    )


async def decide(
    conn: Conn,
    *,
    admin: Member,
    group: Group,
    sanction: sanctions.Sanction,
    confirm: bool,
    reason: str,
) -> None:
    """An admin's decision on a sanction that waits (`awaiting_admin`). Confirmed, it takes
    effect as if just given, its length counting from now (admin-only log entry). Dismissed,
    it is lifted: the moderator's log shows an admin lifting it, as for any other sanction, and
    the member, never told of it, is told nothing."""
    if not admin.is_admin:
        raise queue.ActionRefused("Only admins decide on these.")
    if not reason.strip():
        raise queue.ActionRefused("Please give a reason: it goes in the audit log.")
    async with conn.transaction():
        if confirm:
            decided = await sanctions.confirm(conn, sanction.id)
        else:
            decided = await sanctions.dismiss(conn, sanction.id, by=admin.id)
        if decided is None:
            raise queue.ActionRefused("That no longer waits for a decision.")
        changed, author_id = decided
        if confirm:
            await _take_effect(conn, changed, group, author_id, confirmed_by=admin.id)
        # A dismissed mute or removal shows as lifted, as any other would; the rest is admins'.
        visible = not confirm and sanction.kind != "warn"
        decision = "confirm" if confirm else "dismiss"
        await audit.record(
            conn,
            actor_id=admin.id,
            action=f"lift-{sanction.kind}" if visible else f"{decision}-{sanction.kind}",
            group_id=group.id if visible else None,
            post_id=sanction.post_id,
            subject_id=author_id,
            reason=reason.strip()[:1000],
        )


async def lift(
    conn: Conn,
    *,
    actor: Member,
    group: Group,
    sanction: sanctions.Sanction,
    author_id: int,
    reason: str,
    after: timedelta | None,
) -> sanctions.Sanction:
    """Lift a sanction now (`after` None) or make it end `after` from now, if that is sooner.

    Admins may lift any sanction, a moderator the ones they gave. The caller has looked the
    sanction up among those listed beside the item, so it belongs to the item's author."""
    if not (actor.is_admin or sanction.created_by == actor.id):
        raise queue.ActionRefused("Only an admin or the moderator who gave it can change this.")
    if not reason.strip():
        raise queue.ActionRefused("Please give a reason: the member is told it.")
    reason = reason.strip()[:1000]
    async with conn.transaction():
        changed = await sanctions.end_sooner(conn, sanction.id, after=after, by=actor.id)
        if changed is None:
            raise queue.ActionRefused("That has already ended, or ends sooner than that.")
        action = "lift" if after is None else "shorten"
        await audit.record(
            conn,
            actor_id=actor.id,
            action=f"{action}-{sanction.kind}",
            group_id=group.id,
            post_id=sanction.post_id,
            subject_id=author_id,
            reason=reason,
        )
        if sanction.awaiting_admin:
            return changed  # never in force, so the member was never told of it
        what = {"mute": f"mute in {group.name}", "remove": f"removal from {group.name}"}.get(
            sanction.kind, "account suspension"
        )
        message = (
            f"Your {what} was lifted: {reason}"
            if after is None
            else f"Your {what} now ends{_until(changed)}: {reason}"
        )
        await notifications.notify(conn, author_id, action, message, post_id=sanction.post_id)
    return changed
