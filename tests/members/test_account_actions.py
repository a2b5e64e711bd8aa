"""The account's two weighty actions, export and deletion: POSTs behind CSRF, rate-limited.

The export used to be a plain GET link, so a cross-site page could make a signed-in member's
browser fetch it; deletion asks for the password, so unlimited attempts were password guesses.
"""

from __future__ import annotations

import asyncpg

from forum.members import limits
from forum.storage.members import Member
from tests.clients import PASSWORD, ForumClient


async def test_the_export_is_not_served_to_a_get(member_client: ForumClient) -> None:
    resp = await member_client.get("/account/export")
    assert resp.status == 405
    assert "pseudonym" not in await resp.text()


async def test_the_export_needs_the_csrf_token(member_client: ForumClient) -> None:
    resp = await member_client.post_form("/account/export", csrf=False)
    assert resp.status == 403
    assert "pseudonym" not in await resp.text()


async def test_the_export_is_rate_limited_per_member(member_client: ForumClient) -> None:
    for _ in range(limits.EXPORTS_PER_MEMBER.limit):
        assert (await member_client.post_form("/account/export")).status == 200
    refused = await member_client.post_form("/account/export")
    assert refused.status == 429
    assert "Please try again in" in await refused.text()


async def test_deletion_attempts_are_rate_limited_so_they_cannot_guess_the_password(
    db: asyncpg.Connection, member_client: ForumClient, member: Member
) -> None:
    for n in range(limits.DELETES_PER_MEMBER.limit):
        wrong = await member_client.post_form("/account/delete", {"password": f"guess {n}"})
        assert wrong.status == 400
    right = await member_client.post_form("/account/delete", {"password": PASSWORD})
    assert right.status == 429  # even the right password waits: the guesses are spent
    assert "Please try again in" in await right.text()
    assert await db.fetchval("SELECT deleted_at FROM members WHERE id = $1", member.id) is None
