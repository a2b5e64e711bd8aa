"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

Hashing costs tens of milliseconds of CPU on purpose, so it runs in a worker thread and the event
loop keeps serving other members meanwhile. `verify` also reports when a stored hash was made
with older parameters, so it can be replaced at the next successful sign-in.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
#: Verified against when the pseudonym does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). A None hash (unknown member) never matches but costs the same."""

    def check() -> tuple[bool, bool]:
        try:
            _hasher.verify(password_hash or _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        if password_hash is None:
            return False, False
        return True, _hasher.check_needs_rehash(password_hash)

    return await asyncio.to_thread(check)
