"""The privacy notice, the site rules and the minimum age (issue 19): public pages linked from
every page, written by an admin from a default text, and confirmed by every member who joins."""

from __future__ import annotations

import re

import asyncpg

from forum.storage import members
from forum.storage.members import Member
from tests.clients import JOINING, PASSWORD, ClientFactory, ForumClient
from tests.factories import MakeGroup


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


# -- accepting changed rules ---------------------------------------------------------------------


async def _new_rules(admin: ForumClient, text: str = "Be kind. Be careful. No selling.") -> None:
    resp = await admin.post_form("/admin/pages/rules", {"body": text})
    assert resp.status == 303


async def _rules_version(db: asyncpg.Connection, member_id: int) -> int | None:
    value = await db.fetchval("SELECT rules_version FROM members WHERE id = $1", member_id)
    return None if value is None else int(value)


async def test_changed_rules_are_accepted_again_at_the_next_page(
    db: asyncpg.Connection, admin: ForumClient, make_client: ClientFactory
) -> None:
    assert await _join(await make_client(), **JOINING) == 303
    member_id = int(await db.fetchval("SELECT id FROM members WHERE pseudonym = 'newcomer'"))
    joiner = await make_client(await members.get_member(db, member_id))
    assert await _rules_version(db, member_id) == 0
    assert (await joiner.get("/g/none-such")).status == 404  # nothing owed yet: pages as usual
    await _new_rules(admin)
    resp = await joiner.get("/drafts?x=1")
    assert resp.status == 303
    assert resp.headers["Location"] == "/rules/accept?next=/drafts?x%3D1"
    page = await (await joiner.get("/rules/accept?next=/drafts")).text()
    assert "No selling." in page
    # the rules, the privacy notice and the account (to export or leave) stay open meanwhile
    for path in ("/rules", "/privacy", "/account"):
        assert (await joiner.get(path)).status == 200, path
    resp = await joiner.post_form("/rules/accept?next=/drafts", {"version": "1"})
    assert resp.status == 303
    assert resp.headers["Location"] == "/drafts"
    assert await _rules_version(db, member_id) == 1
    assert (await joiner.get("/drafts")).status == 200


async def test_a_member_who_joined_before_the_rules_is_asked_once_they_change(
    admin: ForumClient, member_client: ForumClient, db: asyncpg.Connection
) -> None:
    assert (await member_client.get("/drafts")).status == 200  # the default text: nothing owed
    await _new_rules(admin)
    assert (await member_client.get("/drafts")).status == 303


async def test_accepting_an_older_text_than_the_newest_accepts_nothing(
    admin: ForumClient, member_client: ForumClient, member: Member, db: asyncpg.Connection
) -> None:
    await _new_rules(admin)
    await _new_rules(admin, "Be kind. Version three.")
    resp = await member_client.post_form("/rules/accept", {"version": "1"})
    assert resp.status == 409
    assert "Version three." in await resp.text()
    assert await _rules_version(db, member.id) is None


async def test_the_admin_who_wrote_the_rules_has_accepted_them(
    admin: ForumClient, overseer: Member, db: asyncpg.Connection
) -> None:
    await _new_rules(admin)
    assert await _rules_version(db, overseer.id) == 1
    assert (await admin.get("/admin/pages/rules?saved=1")).status == 200


async def test_a_post_being_sent_is_never_turned_away_for_the_rules(
    admin: ForumClient,
    member_client: ForumClient,
    member: Member,
    make_group: MakeGroup,
    db: asyncpg.Connection,
) -> None:
    """Only pages wait for the acceptance: a form on its way (a draft being saved, a post being
    published) goes through, so no typed text is lost."""
    group = await make_group("grief", members_=[member])
    await _new_rules(admin)
    resp = await member_client.post_form(
        "/drafts", {"group": group.slug, "title": "Still here", "body": "Typed before the change."}
    )
    assert resp.status == 303
    assert not resp.headers["Location"].startswith("/rules")
    assert await db.fetchval("SELECT count(*) FROM drafts") == 1
