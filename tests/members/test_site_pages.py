"""The privacy notice, the site rules and the minimum age (issue 19): public pages linked from
every page, written by an admin from a default text, and confirmed by every member who joins."""

from __future__ import annotations

import re

import asyncpg

from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient


async def _join(client: ForumClient, **fields: str) -> int:
    data = {"pseudonym": "newcomer", "password": PASSWORD, **fields}
    return (await client.post_form("/register", data)).status


async def test_the_default_notice_and_rules_are_public_and_linked_from_every_page(
    client: ForumClient,
) -> None:
    privacy = await client.get("/privacy")
    assert privacy.status == 200
    text = await privacy.text()
    assert "What this forum keeps about you" in text
    assert "Anonymity and its limits" in text
    rules = await (await client.get("/rules")).text()
    assert "Be kind." in rules
    for path in ("/", "/login", "/safety"):
        page = await (await client.get(path)).text()
        assert 'href="/privacy"' in page, path
        assert 'href="/rules"' in page, path


async def test_joining_asks_for_the_age_and_the_rules_and_records_them(
    make_client: ClientFactory, db: asyncpg.Connection
) -> None:
    client = await make_client()
    form = await (await client.get("/register")).text()
    assert "I am 16 or older" in form
    assert re.search(r'<input[^>]*id="age_ok"[^>]*required', form)
    assert re.search(r'<input[^>]*id="rules_ok"[^>]*required', form)
    assert await _join(client, **JOINING) == 303
    row = await db.fetchrow("SELECT rules_version, age_confirmed_at FROM members")
    assert row is not None
    assert row["rules_version"] == 0  # the default rules
    assert row["age_confirmed_at"] is not None


async def test_a_client_sending_only_the_contracts_fields_joins_with_nothing_recorded(
    client: ForumClient, db: asyncpg.Connection
) -> None:
    assert await _join(client) == 303
    row = await db.fetchrow("SELECT rules_version, age_confirmed_at FROM members")
    assert row is not None
    assert row["rules_version"] is None
    assert row["age_confirmed_at"] is None


async def test_an_admin_rewrites_the_rules_and_sets_the_age(
    admin: ForumClient,
    make_client: ClientFactory,
    member_client: ForumClient,
    db: asyncpg.Connection,
) -> None:
    assert (await member_client.get("/admin/pages/rules")).status == 404
    refused = await member_client.post_form("/admin/pages/rules", {"body": "Be nice."})
    assert refused.status == 404
    editor = await (await admin.get("/admin/pages/rules")).text()
    assert "This is the default text" in editor
    empty = await admin.post_form("/admin/pages/rules", {"body": "  ", "minimum_age": "18"})
    assert empty.status == 400
    saved = await admin.post_form(
        "/admin/pages/rules", {"body": "## Our rules\n\nBe **gentle**.", "minimum_age": "18"}
    )
    assert saved.status == 303
    visitor = await make_client()
    rules = await (await visitor.get("/rules")).text()
    assert "<strong>gentle</strong>" in rules
    assert "Be kind." not in rules
    assert "I am 18 or older" in await (await visitor.get("/register")).text()
    assert await _join(visitor, **JOINING) == 303
    assert await db.fetchval("SELECT rules_version FROM members WHERE pseudonym = 'newcomer'") == 1
    actions = [r["action"] for r in await db.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["minimum-age", "edit-rules"]


async def test_the_notice_is_sanitised_like_posts(admin: ForumClient, client: ForumClient) -> None:
    saved = await admin.post_form(
        "/admin/pages/privacy", {"body": "Hello <script>alert(1)</script> [x](javascript:alert(1))"}
    )
    assert saved.status == 303
    page = await (await client.get("/privacy")).text()
    assert "<script>alert(1)" not in page
    assert 'href="javascript' not in page


async def test_an_age_out_of_bounds_is_refused(admin: ForumClient) -> None:
    resp = await admin.post_form("/admin/pages/rules", {"body": "Rules.", "minimum_age": "9"})
    assert resp.status == 400
    assert "This is the default text" in await resp.text()  # the text was not saved either
    assert "I am 16 or older" in await (await admin.get("/register")).text()
