""" "Edit and approve" keeps what the author wrote, tells them what changed and why, and leaves
them free to withdraw the post.

It used to rewrite a member's post with no copy of the original and no word to the author.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeMember, Publish, item_for, notification_kinds, post_state

ORIGINAL = "My neighbour Dave Smith at 12 Elm Road said it was my fault"
EDITED = "My neighbour said it was my fault"
WHY = "Took out a name and an address, to keep you both safe"


@pytest.fixture
async def held(grief: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(author, grief, title="What he said", body=ORIGINAL)


@pytest.fixture
async def item_id(db: asyncpg.Connection, held: NewPost) -> int:
    return await item_for(db, held.post_id)


@pytest.fixture
async def writer(make_client: ClientFactory, author: Member) -> ForumClient:
    return await make_client(author)


async def _edit(mod: ForumClient, item_id: int, reason: str = WHY) -> int:
    resp = await mod.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": EDITED, "reason": reason}
    )
    return resp.status


async def test_an_edit_needs_a_reason_and_a_refused_one_keeps_the_moderators_text(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/edit-approve", {"body": EDITED})
    assert resp.status == 400
    page = await resp.text()
    assert "Please say why you edited the post" in page
    assert EDITED in page  # the moderator's edit is still in the form
    assert await post_state(db, held.post_id) == "held"
    assert await db.fetchval("SELECT body_source FROM posts WHERE id = $1", held.post_id) == (
        ORIGINAL
    )


async def test_the_authors_own_text_is_kept_with_the_moderators_reason(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    assert await _edit(mod, item_id) == 303
    rows = await db.fetch(
        "SELECT body_source, moderator_reason FROM post_versions WHERE post_id = $1",
        held.post_id,
    )
    assert [tuple(r) for r in rows] == [(ORIGINAL, WHY)]
    assert await db.fetchval("SELECT body_source FROM posts WHERE id = $1", held.post_id) == EDITED
    assert await db.fetchval("SELECT reason FROM audit_log WHERE action = 'edit-approve'") == WHY


async def test_the_author_is_told_what_changed_and_why(
    db: asyncpg.Connection, mod: ForumClient, writer: ForumClient, author: Member, item_id: int
) -> None:
    await _edit(mod, item_id)
    assert await notification_kinds(db, author) == ["held", "edited", "approved"]
    page = await (await writer.get("/notifications")).text()
    assert "edited your post before approving it" in page
    assert "Took out a name and an address" in page


async def test_the_author_and_moderators_can_read_the_original_but_no_one_else(
    mod: ForumClient,
    writer: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    held: NewPost,
    item_id: int,
) -> None:
    await _edit(mod, item_id)
    history = f"/mod/posts/{held.post_id}/history"
    for reader in (writer, mod):
        resp = await reader.get(history)
        assert resp.status == 200
        page = await resp.text()
        assert "Dave Smith" in page
        assert "Replaced by a moderator's edit:" in page
    assert "delete the post" in await (await writer.get(history)).text()
    stranger = await make_client(await make_member("stranger"))
    assert (await stranger.get(history)).status == 404
    assert f'href="{history}"' in await (await writer.get("/account/posts")).text()


async def test_the_author_can_withdraw_the_edited_post(
    db: asyncpg.Connection, mod: ForumClient, writer: ForumClient, held: NewPost, item_id: int
) -> None:
    await _edit(mod, item_id)
    resp = await writer.post_form(f"/p/{held.post_id}/delete", {})
    assert resp.status == 303
    assert await post_state(db, held.post_id) == "deleted"
