"""Delivering the webhook outbox: signed POSTs, retried with exponential back-off.

Each request carries `X-Forum-Timestamp` and `X-Forum-Signature: sha256=<hex>`, an HMAC-SHA256
over "<timestamp>.<body>" with the group's webhook key (derived from the forum secret, shown to
admins on the group's admin page), so a receiver can check both origin and freshness. Failures are
logged with the delivery id, host and status only; after MAX_ATTEMPTS the row is kept but no
longer retried. The HTTP client is a parameter (`Post`): the web layer lends its aiohttp client
(`forum.web.outbound`), so this module knows the outbox and the signature, not the transport.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from forum.storage import crisis
from forum.storage.db import Conn

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10.0

#: POST `body` with `headers` to `url`; the response's status. Raises DeliveryFailed (or
#: OSError, TimeoutError) when there is no response.
Post = Callable[[str, bytes, Mapping[str, str]], Awaitable[int]]


class DeliveryFailed(Exception):
    """No answer from the receiver; the message names the kind of failure, never the URL."""


def group_key(webhooks_key: bytes, group_id: int) -> bytes:
    """One group's signing key, from the forum's webhooks key (`Settings.key("webhooks")`): a
    receiver holding it can check one group's deliveries and nothing else."""
    return hmac.new(webhooks_key, f"webhook:{group_id}".encode(), hashlib.sha256).digest()


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts_so_far: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at an hour."""
    return min(FIRST_RETRY * (1 << min(attempts_so_far, 20)), LONGEST_WAIT)


async def deliver_due(conn: Conn, post: Post, webhooks_key: bytes, now: datetime) -> int:
    """Try every due delivery once; returns how many succeeded."""
    delivered = 0
    for delivery in await crisis.take_due_deliveries(conn, now, lease=LEASE):
        body = delivery.payload.encode()
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "forum-webhook/1",
            "X-Forum-Timestamp": timestamp,
            "X-Forum-Signature": sign(group_key(webhooks_key, delivery.group_id), timestamp, body),
        }
        try:
            status = await post(delivery.url, body, headers)
            ok, error = 200 <= status < 300, f"HTTP {status}"
        except DeliveryFailed as exc:
            ok, error = False, str(exc)
        except (TimeoutError, OSError) as exc:
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
