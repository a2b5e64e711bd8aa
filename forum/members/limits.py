"""Rate-limit policies, with their state in PostgreSQL so every process enforces the same count.

What is limited is keyed with an HMAC under the forum secret before it is stored: the table can
say "this address failed 20 times" without holding the address. Limits are spent in one layer,
the web handlers, the same way for every action: `spend(conn, settings, POLICY, who)` (and
`refund` after, where only failures count, as for signing in).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from forum.config import Settings
from forum.storage import rate_limits
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Policy:
    bucket: str
    limit: int
    window: timedelta
    #: FORUM_BENCHMARK_NO_RATE_LIMITS lifts it: the attempt is still counted (the same write as
    #: always) but never refused, so a benchmark measures the real cost of a publish.
    benchmark_lifts: bool = False


#: Failed sign-ins: 5 guesses at one pseudonym from one address; 30 from one address in all; 50
#: at one pseudonym from everywhere (a spread-out attack). The owner, signing in from their own
#: address, meets only the last, and only for up to an hour.
LOGIN_PER_PSEUDONYM_AND_ADDRESS = Policy("login-pseudonym-address", 5, timedelta(minutes=15))
LOGIN_PER_ADDRESS = Policy("login-address", 30, timedelta(minutes=15))
LOGIN_PER_PSEUDONYM = Policy("login-pseudonym", 50, timedelta(hours=1))
REGISTER_PER_ADDRESS = Policy("register-address", 10, timedelta(hours=1))
PUBLISH_PER_MEMBER = Policy("publish-member", 20, timedelta(minutes=10), benchmark_lifts=True)
DRAFTS_PER_MEMBER = Policy("draft-member", 60, timedelta(minutes=10), benchmark_lifts=True)
#: Saving a draft (each save renders its preview once): far above a person re-reading and
#: saving, well below a script re-rendering large posts to keep a worker busy.
DRAFT_SAVES_PER_MEMBER = Policy(
    "draft-save-member", 120, timedelta(minutes=10), benchmark_lifts=True
)
#: Searches are the heaviest reads: per member, or per address for visitors. Far above what a
#: person types and pages through; well below a scraper trying words.
SEARCH_PER_READER = Policy("search-reader", 30, timedelta(minutes=1))
#: Downloading everything a member wrote is heavy and sensitive: a few a day are plenty.
EXPORTS_PER_MEMBER = Policy("export-member", 10, timedelta(hours=1))
#: Password changes and new recovery-code sets: each asks for the password, so a few a quarter.
PASSWORD_CHANGES_PER_MEMBER = Policy("password-member", 5, timedelta(minutes=15))
#: Recovery attempts, like sign-in: per pseudonym and address, per address, per pseudonym.
RECOVER_PER_PSEUDONYM_AND_ADDRESS = Policy("recover-pseudonym-address", 5, timedelta(minutes=15))
RECOVER_PER_ADDRESS = Policy("recover-address", 20, timedelta(minutes=15))
RECOVER_PER_PSEUDONYM = Policy("recover-pseudonym", 20, timedelta(hours=1))
#: Two-factor codes typed by a signed-in member (set-up, turning off, confirming a reveal): six
#: digits are a million guesses, so a handful per quarter hour.
TWO_FACTOR_PER_MEMBER = Policy("two-factor-member", 10, timedelta(minutes=15))
#: The code step of signing in, per member: each challenge allows a few tries, and this bounds
#: how many challenges' worth someone who has the password can spend.
SIGN_IN_CODES_PER_MEMBER = Policy("sign-in-code-member", 10, timedelta(minutes=15))
#: Deleting an account asks for the password: these are password guesses too.
DELETES_PER_MEMBER = Policy("delete-member", 5, timedelta(minutes=15))
#: "This helped me" / "me too" presses: generous for reading a long thread, not for a script.
RESPONSES_PER_MEMBER = Policy("respond-member", 120, timedelta(minutes=10))


class Limited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _key(secret: bytes, who: str) -> bytes:
    return hmac.new(secret, who.lower().encode(), hashlib.sha256).digest()


def _limit(settings: Settings, policy: Policy) -> int:
    return (
        2**31 - 1 if policy.benchmark_lifts and settings.benchmark_no_rate_limits else policy.limit
    )


async def check(conn: Conn, settings: Settings, policy: Policy, who: str) -> None:
    """Raise Limited if `who` ("m:<id>", "a:<address>", ...) already reached the limit, without
    counting this attempt."""
    window = await rate_limits.peek(
        conn, policy.bucket, _key(settings.key("rate-limits"), who), policy.window
    )
    if window.hits >= _limit(settings, policy):
        raise Limited(window.retry_after)


async def refund(conn: Conn, settings: Settings, policy: Policy, who: str) -> None:
    """Give back one attempt spent (one that turned out not to count, such as a sign-in that
    succeeded). Spending first and refunding after is what keeps concurrent attempts within the
    limit: each is counted before it is evaluated."""
    await rate_limits.refund(conn, policy.bucket, _key(settings.key("rate-limits"), who))


async def spend(conn: Conn, settings: Settings, policy: Policy, who: str) -> None:
    """Count one attempt by `who`; raise Limited when it goes over the limit."""
    window = await rate_limits.hit(
        conn, policy.bucket, _key(settings.key("rate-limits"), who), policy.window
    )
    if window.hits > _limit(settings, policy):
        raise Limited(window.retry_after)
