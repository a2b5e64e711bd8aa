"""Getting back in with an admin's help, for a member with no recovery codes left (issue 19).

The member asks an admin in a way that lets the admin be sure it is them (docs/admin-guide.md).
The admin writes down how they confirmed it, types a fresh two-factor code, and gets a one-time
link valid for RESET_LIFETIME to pass on to the member; the link is shown once and kept only as
a SHA-256. Issuing it is in the audit log and the member is told in their notifications, so a
link they did not ask for is seen. The link sets a new password and signs the member out
everywhere; it does not turn off two-factor (an account with it on still needs its code), so
one admin cannot use a reset to take over another admin's account or act as a member unseen.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from forum.members import accounts, passwords, two_factor
from forum.storage import audit, members, notifications, password_resets, sessions
from forum.storage.db import Conn
from forum.storage.members import Member

RESET_LIFETIME = timedelta(hours=24)
NOTE_MIN = 20


class ResetRefused(Exception):
    """A refusal to show the admin as it is."""


async def issue_link(conn: Conn, admin: Member, member_id: int, note: str, code: str) -> str:
    """A new one-time link token for the member; refusals are ResetRefused."""
    if not admin.is_admin:
        raise PermissionError("only admins issue reset links")
    note = note.strip()[:1000]
    if len(note) < NOTE_MIN:
        raise ResetRefused(
            "Please write how you confirmed that the person asking owns this account (at least"
            " a sentence): it is kept in the log."
        )
    if member_id == admin.id:
        raise ResetRefused("Change your own password from your account page.")
    member = await members.get_member(conn, member_id)
    if member is None:
        raise ResetRefused("There is no such member.")
    try:
        await two_factor.require_fresh_code(conn, admin, code, "Issuing a reset link")
    except two_factor.TwoFactorError as exc:
        raise ResetRefused(str(exc)) from None
    token = secrets.token_urlsafe(32)
    async with conn.transaction():
        await password_resets.create(conn, member.id, admin.id, token, RESET_LIFETIME)
        await audit.record(
            conn,
            actor_id=admin.id,
            action="password_reset_link",
            subject_id=member.id,
            reason=note,
        )
        await notifications.notify(
            conn,
            member.id,
            "password",
            "An admin made a one-time link to set a new password for your account, valid for"
            " a day. If you did not ask for it, tell an admin at once.",
        )
    return token


async def member_for(conn: Conn, token: str) -> Member | None:
    member_id = await password_resets.member_for(conn, token[:100])
    return None if member_id is None else await members.get_member(conn, member_id)


async def reset(conn: Conn, token: str, member: Member, new: str, confirm: str) -> bool:
    """Set `member`'s new password with their link (`member_for`), once: True, the member signed
    out everywhere and told; False when the link was used or ran out meanwhile. A weak or
    mistyped new password is refused with accounts.AccountError before the link is spent."""
    if new != confirm:
        raise accounts.AccountError("The two passwords are not the same. Please type them again.")
    accounts.check_password(new, member.pseudonym)
    password_hash = await passwords.hash_password(new)
    async with conn.transaction():
        if await password_resets.use(conn, token[:100]) != member.id:
            return False
        await members.save_password_hash(conn, member.id, password_hash)
        await sessions.delete_member_sessions(conn, member.id)
        await notifications.notify(
            conn,
            member.id,
            "password",
            "Your password was set with an admin's reset link, and every other device was"
            " signed out. Make a new set of recovery codes from your account page.",
        )
    return True
