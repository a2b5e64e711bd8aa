"""Changing a password, and getting back in without e-mail (issue 19).

A member gets ten one-time recovery codes when they join and whenever they ask for a new set;
each is shown once and kept only as an argon2 hash. `/recover` takes the pseudonym, one code and
a new password. Its answer is the same, in words and in time, whether the pseudonym exists, has
codes left or not: every attempt checks the code against CODES hashes, the member's unused ones
padded with a dummy. (Throttling is the caller's, per pseudonym and per address, like sign-in.)

The codes carry 60 random bits each, so their hashes use a light argon2 profile: guessing a
code is hopeless whatever the hash costs, and ten checks per attempt must stay cheap.

A changed or recovered password ends the member's other sessions, and the member is told in
their notifications, so a stranger who did it cannot do it unseen.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from forum.members import accounts, passwords
from forum.storage import members, notifications, recovery_codes, sessions
from forum.storage.db import Conn
from forum.storage.members import Member

CODES = 10
#: Crockford's base32 without look-alikes: what a member copies by hand must not be ambiguous.
ALPHABET = "abcdefghjkmnpqrstvwxyz0123456789"
_GROUPS = 3
_GROUP_LENGTH = 4  # 12 characters of 32: 60 bits
_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
_DUMMY = _hasher.hash("not a recovery code")


def new_codes() -> list[str]:
    """CODES fresh codes, as the member sees them: "k7mq-2xhd-9rtp"."""
    return [
        "-".join(
            "".join(secrets.choice(ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
        )
        for _ in range(CODES)
    ]


def plain(code: str) -> str:
    """A typed code, as it was made: case, spaces and dashes do not matter."""
    return "".join(c for c in code.lower() if c.isalnum())[: _GROUPS * _GROUP_LENGTH + 8]


async def issue(
    conn: Conn, member: Member, purpose: str = recovery_codes.FOR_PASSWORD
) -> list[str]:
    """A new set for the member (the old set stops working); the codes, to show once."""
    codes = new_codes()
    hashes = await asyncio.to_thread(lambda: [_hasher.hash(plain(c)) for c in codes])
    await recovery_codes.replace(conn, member.id, hashes, purpose)
    return codes


async def issue_first(conn: Conn, member: Member) -> list[str] | None:
    """The member's first set, or None if they were ever given one (it is not shown again)."""
    async with conn.transaction():
        if await recovery_codes.ever_issued(conn, member.id, lock=True):
            return None
        return await issue(conn, member)


async def matching(
    conn: Conn, member_id: int | None, code: str, purpose: str = recovery_codes.FOR_PASSWORD
) -> int | None:
    """The id of the member's unused code that `code` is, or None; always CODES checks."""
    stored = await recovery_codes.unused(conn, member_id, purpose) if member_id is not None else []
    typed = plain(code)

    def check() -> int | None:
        found = None
        for i in range(CODES):
            entry = stored[i] if i < len(stored) else None
            try:
                _hasher.verify(entry.code_hash if entry else _DUMMY, typed)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                continue
            if entry is not None and found is None:
                found = entry.id
        return found

    return await asyncio.to_thread(check)


async def recover(conn: Conn, pseudonym: str, code: str, new_password: str) -> Member | None:
    """Set a new password with one recovery code: the member (signed out everywhere, told), or
    None when the pseudonym and code do not match. A weak new password is refused first, before
    any code is spent, with accounts.AccountError."""
    accounts.check_password(new_password, pseudonym)
    credentials = (
        await members.get_credentials(conn, pseudonym)
        if accounts.PSEUDONYM.match(pseudonym)
        else None
    )
    member = credentials.member if credentials else None
    code_id = await matching(conn, member.id if member else None, code)
    if member is None or code_id is None:
        return None
    password_hash = await passwords.hash_password(new_password)
    async with conn.transaction():
        if not await recovery_codes.use(conn, code_id):
            return None
        await members.save_password_hash(conn, member.id, password_hash)
        await sessions.delete_member_sessions(conn, member.id)
        left = await recovery_codes.count_unused(conn, member.id)
        await notifications.notify(
            conn,
            member.id,
            "password",
            "Your password was reset with a recovery code, and every other device was signed"
            f" out. You have {left} code{'' if left == 1 else 's'} left"
            + (": make a new set from your account page." if left < 3 else "."),
        )
    return member


async def change_password(
    conn: Conn, member: Member, current: str, new: str, confirm: str, *, keep_session: str
) -> int:
    """Change the member's password after they confirm the current one; ends every other
    session (how many) and tells the member. Refusals are accounts.AccountError; a refused
    change changes nothing."""
    if new != confirm:
        raise accounts.AccountError(
            "The two new passwords are not the same. Please type them again."
        )
    accounts.check_password(new, member.pseudonym)
    if not await accounts.password_matches(conn, member, current):
        raise accounts.AccountError("Your current password isn't right, so nothing was changed.")
    password_hash = await passwords.hash_password(new)
    async with conn.transaction():
        await members.save_password_hash(conn, member.id, password_hash)
        ended = await sessions.delete_other_sessions(conn, member.id, keep_session)
        await notifications.notify(
            conn,
            member.id,
            "password",
            "Your password was changed"
            + (
                f" and {ended} other device{'' if ended == 1 else 's'} signed out."
                if ended
                else "."
            ),
        )
    return ended


async def confirm_password(conn: Conn, member: Member, password: str) -> None:
    """Raises accounts.AccountError unless `password` is the member's (before a new code set)."""
    if not await accounts.password_matches(conn, member, password):
        raise accounts.AccountError("That password isn't right, so no new codes were made.")
