"""Requests the forum itself sends (webhook deliveries), through aiohttp's client.

`poster()` lends `forum.live.webhooks` a `Post` function for as long as its block runs: one
client session (so connections are reused), a total timeout per request, and every client-side
failure reported as `DeliveryFailed` with the kind of failure only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import aiohttp

from forum.live import webhooks


@contextlib.asynccontextmanager
async def poster() -> AsyncIterator[webhooks.Post]:
    timeout = aiohttp.ClientTimeout(total=webhooks.TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
            try:
                async with http.post(url, data=body, headers=dict(headers)) as response:
                    return response.status
            except aiohttp.ClientError as exc:
                raise webhooks.DeliveryFailed(type(exc).__name__) from None

        yield post
