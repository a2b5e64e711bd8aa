"""Unmasking the author of one anonymous post: admins only, with a written reason, a fresh
two-factor code, a second admin's confirmation where the forum has two or more, on the record.

An admin asks with a reason and a code from their app. Alone, they see the name at once. With
other admins, the request waits (`reveal_requests`, naming the post, not the author) until one of
them confirms it with their own fresh code within CONFIRM_WITHIN, or declines it; the asker is
told either way. The reveal is an audit-log entry naming the asking admin, the post and the
reason, and only that admin may open it (`/admin/reveals/{id}`); the author is told at once that
their post was unmasked and why. Asking, confirming and declining are in the audit log too.
Nothing else in the forum ever joins an anonymous post to its author for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from forum.members import two_factor
from forum.moderation.queue import ActionRefused
from forum.storage import audit, members, notifications, posts, reveal_requests
from forum.storage.db import Conn
from forum.storage.members import Member

REASON_MIN = 10
CONFIRM_WITHIN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Asked:
    """What asking led to: `reveal_id` (the name may be shown) or `request_id` (waiting)."""

    reveal_id: int | None = None
    request_id: int | None = None


async def _fresh_code(conn: Conn, admin: Member, code: str) -> None:
    if not await two_factor.enabled(conn, admin.id):
        raise ActionRefused(
            "Revealing an author needs two-factor sign-in. Set it up from your account page first."
        )
    if not await two_factor.check(conn, admin.id, code[:64]):
        raise ActionRefused(
            "That two-factor code isn't right, or was used already. Type the code your app"
            " shows now."
        )


async def request_reveal(conn: Conn, admin: Member, post_id: int, reason: str, code: str) -> Asked:
    if not admin.is_admin:
        raise PermissionError("only admins reveal authors")
    reason = reason.strip()[:1000]
    if len(reason) < REASON_MIN:
        raise ActionRefused(
            "Please write why the author must be revealed (at least a sentence): the reason is"
            " kept in the log and sent to the member."
        )
    found = await posts.get_anonymous_post(conn, post_id)
    if found is None:
        raise ActionRefused("Only an anonymous post's author can be revealed.")
    await _fresh_code(conn, admin, code)
    others = await members.other_admin_ids(conn, admin.id)
    if not others:
        return Asked(reveal_id=await _reveal(conn, admin.id, post_id, reason, found))
    group_id, group_name, _ = found
    async with conn.transaction():
        request_id = await reveal_requests.create(conn, post_id, admin.id, reason, CONFIRM_WITHIN)
        await audit.record(
            conn,
            actor_id=admin.id,
            action="reveal_requested",
            group_id=group_id,
            post_id=post_id,
            reason=reason,
        )
        hours = int(CONFIRM_WITHIN.total_seconds() // 3600)
        await notifications.notify_all(
            conn,
            others,
            "reveal_request",
            f"{admin.pseudonym} asks to reveal who wrote an anonymous post in {group_name}."
            f" Their reason: {reason}. A second admin must confirm or decline it within {hours}"
            " hours, from the admin overview.",
            post_id=post_id,
        )
    return Asked(request_id=request_id)


async def _reveal(
    conn: Conn, admin_id: int, post_id: int, reason: str, post: tuple[int, str, int]
) -> int:
    """Record the reveal (for `admin_id` to open) and tell the author; the audit entry.
    `post` is the post's (group id, group name, author id), as `get_anonymous_post` reads it."""
    group_id, group_name, author_id = post
    async with conn.transaction():
        entry_id = await audit.record(
            conn,
            actor_id=admin_id,
            action="reveal",
            group_id=group_id,
            post_id=post_id,
            subject_id=author_id,
            reason=reason,
        )
        await notifications.notify(
            conn,
            author_id,
            "revealed",
            f"An admin looked up who wrote one of your anonymous posts in {group_name}. Their"
            f" reason: {reason}. Your name was shown to that admin only, not to other members.",
            post_id=post_id,
        )
    return entry_id


async def decide(conn: Conn, admin: Member, request_id: int, *, confirm: bool, code: str) -> None:
    """A second admin confirms (with a fresh code of their own) or declines a waiting request.
    A request whose asker is no longer an admin (or gone) can only be declined."""
    if not admin.is_admin:
        raise PermissionError("only admins decide reveals")
    async with conn.transaction():
        found = await reveal_requests.get(conn, request_id, lock=True)
        if found is None:
            raise ActionRefused("There is no such request.")
        if found.outcome is not None or found.expired:
            raise ActionRefused("This request was decided already, or its time ran out.")
        if found.requested_by == admin.id:
            raise ActionRefused("Another admin must decide a reveal you asked for.")
        if confirm:  # declining unmasks nobody: no code needed
            asker = await members.get_member(conn, found.requested_by or 0)
            if asker is None or not asker.is_admin:
                raise ActionRefused(
                    "The admin who asked is no longer an admin, so this request can only be"
                    " declined."
                )
            await _fresh_code(conn, admin, code)
        post = await posts.get_anonymous_post(conn, found.post_id)
        reveal_id = None
        if confirm and found.requested_by is not None:
            if post is None:
                raise ActionRefused("Only an anonymous post's author can be revealed.")
            reveal_id = await _reveal(conn, found.requested_by, found.post_id, found.reason, post)
        outcome = "confirmed" if reveal_id is not None else "declined"
        await reveal_requests.decide(conn, request_id, admin.id, outcome, reveal_id)
        await audit.record(
            conn,
            actor_id=admin.id,
            action=f"reveal_{outcome}",
            group_id=post[0] if post else None,
            post_id=found.post_id,
            reason=f"Request #{request_id} by {found.requester_name or 'a former admin'}",
        )
        if found.requested_by is not None:
            await notifications.notify(
                conn,
                found.requested_by,
                "reveal_request",
                f"{admin.pseudonym} {outcome} your request to reveal the author of post"
                f" #{found.post_id}."
                + (" You can see the name from the admin overview." if reveal_id else ""),
                post_id=found.post_id,
            )
