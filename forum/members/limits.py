"""Rate-limit policies, with their state in PostgreSQL so every process enforces the same count.

What is limited is keyed with an HMAC under the forum secret before it is stored: the table can
say "this address failed 20 times" without holding the address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import timedelta

from forum.config import Settings
from forum.storage import rate_limits
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Policy:
    bucket: str
    limit: int
    window: timedelta


LOGIN_PER_PSEUDONYM = Policy("login-pseudonym", 5, timedelta(minutes=15))
LOGIN_PER_ADDRESS = Policy("login-address", 30, timedelta(minutes=15))
REGISTER_PER_ADDRESS = Policy("register-address", 10, timedelta(hours=1))
PUBLISH_PER_MEMBER = Policy("publish-member", 20, timedelta(minutes=10))
DRAFTS_PER_MEMBER = Policy("draft-member", 60, timedelta(minutes=10))
#: Searches are the heaviest reads: per member, or per address for visitors. Far above what a
#: person types and pages through; well below a scraper trying words.
SEARCH_PER_READER = Policy("search-reader", 30, timedelta(minutes=1))
#: "This helped me" / "me too" presses: generous for reading a long thread, not for a script.
RESPONSES_PER_MEMBER = Policy("respond-member", 120, timedelta(minutes=10))


def as_configured(settings: Settings, policy: Policy) -> Policy:
    """The policy, unless a benchmark server lifted the per-member posting limits.

    Lifted, the attempt is still counted (the same write as always), it just never refuses, so a
    benchmark measures the real cost of a publish.
    """
    if settings.benchmark_no_rate_limits:
        return replace(policy, limit=2**31 - 1)
    return policy


class Limited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def key(secret: bytes, value: str) -> bytes:
    return hmac.new(secret, value.lower().encode(), hashlib.sha256).digest()


async def check(conn: Conn, policy: Policy, k: bytes) -> None:
    """Raise Limited if the limit is already reached, without counting this attempt."""
    window = await rate_limits.peek(conn, policy.bucket, k, policy.window)
    if window.hits >= policy.limit:
        raise Limited(window.retry_after)


async def spend(conn: Conn, policy: Policy, k: bytes) -> None:
    """Count one attempt; raise Limited when it goes over the limit."""
    window = await rate_limits.hit(conn, policy.bucket, k, policy.window)
    if window.hits > policy.limit:
        raise Limited(window.retry_after)
