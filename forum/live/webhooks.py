"""Delivering the webhook outbox: signed POSTs, retried with exponential back-off.

Each request carries `X-Forum-Timestamp` and `X-Forum-Signature: sha256=<hex>`, an HMAC-SHA256
over "<timestamp>.<body>" with the group's webhook key (derived from the forum secret, shown to
admins on the group's admin page), so a receiver can check both origin and freshness. Failures are
logged with the delivery id, host and status only; after MAX_ATTEMPTS the row is kept but no
longer retried.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from forum.storage import crisis
from forum.storage.db import Conn

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=2)
TIMEOUT = aiohttp.ClientTimeout(total=10)


def group_key(forum_secret: bytes, group_id: int) -> bytes:
    return hmac.new(forum_secret, f"webhook:{group_id}".encode(), hashlib.sha256).digest()


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts_so_far: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at an hour."""
    return min(FIRST_RETRY * (1 << min(attempts_so_far, 20)), LONGEST_WAIT)


async def deliver_due(
    conn: Conn, http: aiohttp.ClientSession, forum_secret: bytes, now: datetime
) -> int:
    """Try every due delivery once; returns how many succeeded."""
    delivered = 0
    for delivery in await crisis.take_due_deliveries(conn, now, lease=LEASE):
        body = delivery.payload.encode()
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "forum-webhook/1",
            "X-Forum-Timestamp": timestamp,
            "X-Forum-Signature": sign(group_key(forum_secret, delivery.group_id), timestamp, body),
        }
        try:
            async with http.post(delivery.url, data=body, headers=headers, timeout=TIMEOUT) as r:
                ok, error = 200 <= r.status < 300, f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            ok, error = False, type(exc).__name__
        if ok:
            await crisis.mark_delivered(conn, delivery.id, now)
            delivered += 1
            continue
        attempts = delivery.attempts + 1
        retry_at = now + backoff(delivery.attempts) if attempts < MAX_ATTEMPTS else None
        await crisis.mark_failed(conn, delivery.id, retry_at, error)
        log.warning(
            "webhook delivery %s to %s failed (%s), attempt %s%s",
            delivery.id,
            urlsplit(delivery.url).hostname,
            error,
            attempts,
            "" if retry_at else "; giving up",
        )
    return delivered
