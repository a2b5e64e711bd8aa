"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238), for anyone who wants it and
required of staff (issue 19).

Set-up shows the key (base32, to type) and the same key as a QR code drawn on the server as
SVG (no script). The key is on only once the member has typed a code from it; ten recovery codes
of their own are then shown once, for a lost phone. A sign-in with two-factor on is two steps:
the password makes a short-lived challenge (`begin_sign_in`), the code finishes it.

A code is accepted from the step before or after the current one (phone clocks drift), and each
time step works once per member (`two_factor.last_step`), so a code read over a shoulder or
sent twice cannot be replayed. Staff's duty to use it is the forum's policy
(`storage.two_factor.is_required`); until they set it up they can reach only the set-up page
(web/auth.py). The key is stored as it is, like a password-manager's; it is worthless without
the password, and the argon2 hash of that is what a copied database would have to crack.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from markupsafe import Markup

from forum.members import accounts, recovery
from forum.storage import audit, members, notifications, recovery_codes, sessions
from forum.storage import two_factor as store
from forum.storage.db import Conn
from forum.storage.members import Member

ISSUER = "Forum"
#: Steps either side of now whose code is still taken.
DRIFT = 1
CHALLENGE_LIFETIME = timedelta(minutes=10)
CHALLENGE_TRIES = 5


class TwoFactorError(Exception):
    """A refusal to show the member as it is."""


@dataclass(frozen=True, slots=True)
class Setup:
    """What the set-up page shows: the key while it is being set up, or that it is on."""

    enabled: bool
    secret: str = ""
    qr_svg: Markup | None = None


def _step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is, within DRIFT of now, or None."""
    digits = "".join(c for c in code if not c.isspace())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - DRIFT + i for i in range(2 * DRIFT + 1)):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _qr(uri: str) -> Markup:
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code of your two-factor key")
    return Markup(svg)  # noqa: S704 (segno's own SVG of our own URI: nothing a member typed)


async def setup(conn: Conn, member: Member) -> Setup:
    """The key to scan: a new one, or the one already shown and not yet confirmed."""
    key = await store.get_key(conn, member.id)
    if key is not None and key.confirmed:
        return Setup(enabled=True)
    secret = await store.start_key(conn, member.id, pyotp.random_base32())
    uri = pyotp.TOTP(secret).provisioning_uri(name=member.pseudonym, issuer_name=ISSUER)
    return Setup(enabled=False, secret=secret, qr_svg=_qr(uri))


async def confirm(conn: Conn, member: Member, code: str, *, now: float | None = None) -> list[str]:
    """Turn two-factor on with a first code from the app; the new recovery codes, to show once."""
    key = await store.get_key(conn, member.id)
    if key is None or key.confirmed:
        raise TwoFactorError("Two-factor sign-in is on already, or was not being set up.")
    step = _step(key.secret, code, time.time() if now is None else now)
    async with conn.transaction():
        if step is None or not await store.use_step(conn, member.id, step, confirm=True):
            raise TwoFactorError(
                "That code isn't right. Type the six digits your app shows now; if it still"
                " fails, check that your phone's clock is set automatically."
            )
        codes = await recovery.issue(conn, member, recovery_codes.FOR_TWO_FACTOR)
        await notifications.notify(
            conn,
            member.id,
            "two_factor",
            "Two-factor sign-in is on: signing in now asks for a code from your app.",
        )
    return codes


async def enabled(conn: Conn, member_id: int) -> bool:
    key = await store.get_key(conn, member_id)
    return key is not None and key.confirmed


async def check(conn: Conn, member_id: int, code: str, *, now: float | None = None) -> bool:
    """Whether `code` is a fresh code from the member's app (then its step is used up) or one of
    their two-factor recovery codes (then that code is used up, and they are told)."""
    key = await store.get_key(conn, member_id)
    if key is None or not key.confirmed:
        return False
    step = _step(key.secret, code, time.time() if now is None else now)
    if step is not None:
        return await store.use_step(conn, member_id, step)
    if len(recovery.plain(code)) < 12:
        return False
    code_id = await recovery.matching(conn, member_id, code, recovery_codes.FOR_TWO_FACTOR)
    if code_id is None or not await recovery_codes.use(conn, code_id):
        return False
    left = await recovery_codes.count_unused(conn, member_id, recovery_codes.FOR_TWO_FACTOR)
    await notifications.notify(
        conn,
        member_id,
        "two_factor",
        "A two-factor recovery code was used to sign in to your account."
        f" {left} code{'' if left == 1 else 's'} left"
        + (": set up two-factor again from your account page." if left < 3 else "."),
    )
    return True


async def require_fresh_code(conn: Conn, member: Member, code: str, doing: str) -> None:
    """Staff's confirmation of a grave action (`doing`, e.g. "Revealing an author") with a code
    from their app now; TwoFactorError without two-factor on, or with a wrong or used code."""
    if not await enabled(conn, member.id):
        raise TwoFactorError(
            f"{doing} needs two-factor sign-in. Set it up from your account page first."
        )
    if not await check(conn, member.id, code[:64]):
        raise TwoFactorError(
            "That two-factor code isn't right, or was used already. Type the code your app"
            " shows now."
        )


async def turn_off(conn: Conn, member: Member, password: str, code: str) -> None:
    """Turn two-factor off after the password and a code; refused to staff who must keep it."""
    if await store.is_required(conn, member.id):
        raise TwoFactorError(
            "Your role on this forum needs two-factor sign-in, so it cannot be turned off."
        )
    if not await accounts.password_matches(conn, member, password):
        raise TwoFactorError("That password isn't right, so two-factor is still on.")
    if not await check(conn, member.id, code):
        raise TwoFactorError("That code isn't right, so two-factor is still on.")
    async with conn.transaction():
        await store.delete_key(conn, member.id)
        await recovery_codes.delete(conn, member.id, recovery_codes.FOR_TWO_FACTOR)
        await notifications.notify(
            conn, member.id, "two_factor", "Two-factor sign-in was turned off for your account."
        )


#: How much an operator must write about how they confirmed who is asking (as for a reset link).
CLEAR_NOTE_CHARS = 20


async def clear_lost(conn: Conn, pseudonym: str, note: str) -> Member:
    """An operator's way back for a member who lost both their app and their two-factor recovery
    codes (`forum clear-two-factor`; docs/admin-guide.md says how to confirm who is asking). The
    key and those codes go, every session of theirs ends, the member is told, and the audit log
    records it with the note and no actor (it was done at the server, not by a signed-in admin).
    Staff who must have two-factor set it up again at their next sign-in (`auth.owed_gate`)."""
    if len(note.strip()) < CLEAR_NOTE_CHARS:
        raise TwoFactorError(
            f"Say how you confirmed who is asking, in at least {CLEAR_NOTE_CHARS} characters."
        )
    found = await members.get_credentials(conn, pseudonym)
    if found is None:
        raise TwoFactorError(f"There is no member called {pseudonym!r}.")
    member = found.member
    async with conn.transaction():
        if not await store.delete_key(conn, member.id):
            raise TwoFactorError(f"{member.pseudonym} does not have two-factor sign-in on.")
        await recovery_codes.delete(conn, member.id, recovery_codes.FOR_TWO_FACTOR)
        await sessions.delete_member_sessions(conn, member.id)
        await audit.record(
            conn,
            actor_id=None,
            action="two-factor-cleared",
            subject_id=member.id,
            reason=note.strip()[:1000],
        )
        await notifications.notify(
            conn,
            member.id,
            "two_factor",
            "Two-factor sign-in was cleared for your account by the forum's operator, at your"
            " request; you were signed out everywhere. If you did not ask for this, tell an"
            " admin at once.",
        )
    return member


async def begin_sign_in(conn: Conn, member: Member) -> str:
    """The password was right and a code is needed: the challenge token the code step carries."""
    token = secrets.token_urlsafe(32)
    await store.create_challenge(conn, member.id, token, CHALLENGE_LIFETIME)
    return token


async def spend_try(conn: Conn, token: str) -> int | None:
    """Count one try at a sign-in's code: the member it is for, or None when the challenge is
    unknown, older than CHALLENGE_LIFETIME or out of its CHALLENGE_TRIES (then it is gone and the
    member starts again with the password)."""
    return await store.spend_challenge(conn, token[:100], CHALLENGE_TRIES)


async def finish_sign_in(conn: Conn, token: str, member_id: int, code: str) -> Member | None:
    """The member, once the code is right (the challenge then ends); None otherwise."""
    if not await check(conn, member_id, code[:64]):
        return None
    await store.end_challenge(conn, token[:100])
    return await members.get_member(conn, member_id)
