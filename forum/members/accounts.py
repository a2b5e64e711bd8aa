"""Registering and signing in: the rules for pseudonyms and passwords, per-group names and
closing an account.

The wrong-password and no-such-member answers are identical, in words and in time, so the form
cannot be used to find out who is a member. (Failed sign-ins are throttled by the sign-in page,
per pseudonym and per address, with `limits`.)
"""

from __future__ import annotations

import re
import unicodedata

from forum.members import passwords
from forum.storage import groups, members, own_data
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member

PSEUDONYM = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
#: Names that would let someone pass as staff, the system, or another member's state.
RESERVED = frozenset(
    {
        "admin",
        "admins",
        "administrator",
        "anonymous",
        "anon",
        "deleted",
        "deleted-member",
        "moderator",
        "moderators",
        "mod",
        "mods",
        "staff",
        "system",
        "root",
        "support",
        "help",
        "forum",
        "official",
        "team",
        "null",
        "undefined",
        "none",
        "guest",
        "visitor",
        "member",
        "everyone",
        "here",
        "you",
        "me",
        "crisis",
        "security",
        "abuse",
        "webmaster",
        "postmaster",
    }
)


#: Reserved words that no name may even begin with (after `skeleton`): they read as a role or a
#: system label ("Anonymous_1" next to "Anonymous 1", "ADMIN_", "moderator-team").
RESERVED_PREFIXES = ("admin", "moderator", "anonymous", "staff", "official", "system", "deleted")
#: Characters that pass for others in most fonts, folded to one of each: 0 and o, 1 and l and I...
_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "i": "l", "3": "e", "4": "a", "5": "s", "7": "t"})


def skeleton(name: str) -> str:
    """What a name looks like, for comparing names that could be mistaken for each other:
    Unicode-normalised (NFKC), case-folded, without separators or trailing digits, look-alike
    characters folded ("Adm1n_", "ADMIN" and "admin2" share one)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = "".join(c for c in folded if c not in "_- .").rstrip("0123456789")
    return folded.translate(_LOOKALIKES).replace("rn", "m").replace("vv", "w")


_RESERVED_SKELETONS = frozenset(skeleton(word) for word in RESERVED)
_PREFIX_SKELETONS = tuple(skeleton(word) for word in RESERVED_PREFIXES)


class AccountError(Exception):
    """A refusal to show the member as it is."""


def check_pseudonym(pseudonym: str) -> str:
    if not PSEUDONYM.match(pseudonym):
        raise AccountError(
            "A pseudonym needs 3 to 32 characters: letters, digits, '_' or '-', with no spaces."
        )
    shape = skeleton(pseudonym)
    if not shape or shape in _RESERVED_SKELETONS or shape.startswith(_PREFIX_SKELETONS):
        raise AccountError(f"“{pseudonym}” is reserved. Please choose another pseudonym.")
    return pseudonym


async def check_not_like_staff(conn: Conn, name: str, member_id: int | None) -> None:
    """Refuse a name that could be mistaken for an admin's or a moderator's pseudonym."""
    shape = skeleton(name)
    for staff in await members.staff_pseudonyms(conn, other_than=member_id):
        if skeleton(staff) == shape:
            raise AccountError(
                f"“{name}” looks too much like the name of one of the forum's staff. Please"
                " choose another."
            )


def check_password(password: str, pseudonym: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise AccountError(
            f"Your password needs at least {PASSWORD_MIN} characters; this one has"
            f" {len(password)}. A short sentence you will remember works well."
        )
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"Your password can be at most {PASSWORD_MAX} characters.")
    if password.lower() == pseudonym.lower():
        raise AccountError("Your password must not be the same as your pseudonym.")
    return password


async def register(conn: Conn, pseudonym: str, password: str, *, is_admin: bool = False) -> Member:
    check_pseudonym(pseudonym)
    check_password(password, pseudonym)
    await check_not_like_staff(conn, pseudonym, None)
    if await groups.display_name_in_use(conn, pseudonym):
        raise AccountError(_taken(pseudonym))
    password_hash = await passwords.hash_password(password)
    try:
        return await members.create_member(conn, pseudonym, password_hash, is_admin=is_admin)
    except members.PseudonymTaken:
        raise AccountError(_taken(pseudonym)) from None


def _taken(name: str) -> str:
    return (
        f"The name “{name}” is taken (names are the same whatever their capital letters)."
        " Please choose another."
    )


async def set_group_name(conn: Conn, group: Group, member: Member, name: str) -> str | None:
    """Choose (or with "" drop) the name a member goes by in one group.

    A group name follows the pseudonym rules, is unique within the group, and may not be anyone
    else's pseudonym, so nobody can pass as another member. It is never linked to the member's
    pseudonym on any page: that is the point of having it.
    """
    name = name.strip()
    if not name:
        await groups.set_display_name(conn, group.id, member.id, None)
        return None
    check_pseudonym(name)
    await check_not_like_staff(conn, name, member.id)
    if name.lower() != member.pseudonym.lower() and await members.pseudonym_in_use(
        conn, name, other_than=member.id
    ):
        raise AccountError(_taken(name))
    if await groups.name_on_others_posts(conn, group.id, name, member.id):
        raise AccountError(_taken(name))
    try:
        if not await groups.set_display_name(conn, group.id, member.id, name):
            raise AccountError(f"Join {group.name} first, then choose your name there.")
    except groups.DisplayNameTaken:
        raise AccountError(_taken(name)) from None
    return name


async def sign_in(conn: Conn, pseudonym: str, password: str) -> Member | None:
    """The member, or None for a wrong pseudonym or password (the same answer, in the same time).

    Throttling is the caller's: it spends `limits.LOGIN_*` before and refunds on success."""
    credentials = (
        await members.get_credentials(conn, pseudonym) if PSEUDONYM.match(pseudonym) else None
    )
    ok, needs_rehash = await passwords.verify(
        credentials.password_hash if credentials else None, password[:PASSWORD_MAX]
    )
    if not ok or credentials is None:
        return None
    if needs_rehash:
        await members.save_password_hash(
            conn, credentials.member.id, await passwords.hash_password(password)
        )
    return credentials.member


async def password_matches(conn: Conn, member: Member, password: str) -> bool:
    """Whether `password` is the signed-in member's own (they confirm an action with it)."""
    credentials = await members.get_credentials(conn, member.pseudonym)
    ok, _ = await passwords.verify(
        credentials.password_hash if credentials else None, password[:PASSWORD_MAX]
    )
    return ok


async def delete_account(conn: Conn, member: Member, password: str, *, remove_posts: bool) -> None:
    """Close the member's own account after they confirm with their password."""
    if not await password_matches(conn, member, password):
        raise AccountError("That password isn't right, so nothing was deleted.")
    async with conn.transaction():
        await own_data.delete_account(conn, member.id, remove_posts=remove_posts)
