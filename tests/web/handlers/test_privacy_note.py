"""The privacy check at preview: a gentle note naming each finding; never stored, logged or
blocking."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import MakeDraft, MakeGroup

PHONE = "07700 900123"
EMAIL = "sam.jones@example.org"


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


async def test_the_preview_names_a_phone_number_and_an_email_address(
    member_client: ForumClient, member: Member, grief: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(member, grief, body=f"Call me on {PHONE} or write to {EMAIL}.")
    page = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert "a gentle privacy check" in page
    assert f"a phone number: “{PHONE}”" in page
    assert f"an e-mail address: “{EMAIL}”" in page


async def test_the_title_and_the_warning_are_checked_too(
    member_client: ForumClient, member: Member, grief: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(
        member, grief, title=f"Ring {PHONE}", body="Hello", content_warning="my husband John Smith"
    )
    page = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert "a phone number" in page
    assert "full name: “my husband John Smith”" in page


async def test_no_note_when_nothing_identifying_is_found(
    member_client: ForumClient, member: Member, grief: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(member, grief, body="I take 20mg at 10:30 since 15/03/2024.")
    page = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert "privacy-note" not in page


async def test_publishing_with_a_finding_still_works(
    member_client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    grief: Group,
    make_draft: MakeDraft,
) -> None:
    draft = await make_draft(member, grief, body=f"Text me on {PHONE}")
    resp = await member_client.post_form(f"/drafts/{draft.id}/publish", {"version": draft.version})
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/t/")
    assert await db.fetchval("SELECT count(*) FROM posts WHERE body_source LIKE '%' || $1", PHONE)


async def test_what_was_found_is_never_logged_or_stored_apart_from_the_draft(
    member_client: ForumClient,
    member: Member,
    db: asyncpg.Connection,
    grief: Group,
    make_draft: MakeDraft,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    draft = await make_draft(member, grief, body=f"Call me on {PHONE}")
    await member_client.get(f"/drafts/{draft.id}")
    assert PHONE not in caplog.text
    tables = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'ARRAY')"
    )
    holding = []
    for row in tables:
        found = await db.fetchval(
            f'SELECT count(*) FROM "{row["table_name"]}"'  # noqa: S608 - names from the catalog
            f' WHERE "{row["column_name"]}"::text LIKE $1',
            f"%{PHONE}%",
        )
        if found:
            holding.append(f"{row['table_name']}.{row['column_name']}")
    # The draft itself: its text, and that text rendered as its preview (one row, gone with it).
    assert sorted(holding) == ["drafts.body", "drafts.preview_html"]


async def test_an_edit_that_removes_the_finding_removes_the_note(
    member_client: ForumClient, member: Member, grief: Group, make_draft: MakeDraft
) -> None:
    draft = await make_draft(member, grief, body=f"Call me on {PHONE}")
    await member_client.post_form(
        f"/drafts/{draft.id}", {"body": "Call me some time", "version": draft.version}
    )
    page = await (await member_client.get(f"/drafts/{draft.id}")).text()
    assert "privacy-note" not in page
