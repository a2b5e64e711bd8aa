"""One draft cannot stall a worker: rendering is bounded, done once per saved version, and saves
are rate-limited.

A 20,000-character draft with a 300-column table header followed by thousands of short lines
used to take seconds to render, on the event loop, at every view of the draft.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum import markup
from forum.members import limits
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import Appoint, MakeGroup, item_for, make_topic, version_of

#: A header of 300 columns, then one-character lines: every line becomes a 300-cell row.
WIDE_TABLE = ("|" + "a|" * 300 + "\n|" + "-|" * 300 + "\n" + "x\n" * 8000)[:20_000]
SMALL_TABLE = "| day | how |\n|---|---|\n| monday | hard |\n| tuesday | better |\n"


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


async def _draft(client: ForumClient, body: str = SMALL_TABLE) -> str:
    resp = await client.post_form("/drafts", {"group": "grief", "title": "My week", "body": body})
    assert resp.status == 303, await resp.text()
    return resp.headers["Location"]


async def _save(client: ForumClient, path: str, body: str) -> tuple[int, str]:
    version = version_of(await (await client.get(path)).text())
    resp = await client.post_form(
        path, {"version": version, "title": "My week", "body": body, "content_warning": ""}
    )
    return resp.status, await resp.text()


# -- The bounds, in words for the author ----------------------------------------------------------


def test_a_table_padded_to_a_wide_header_is_refused_in_one_quick_pass() -> None:
    found = markup.problems(WIDE_TABLE)
    assert len(found) == 1
    assert "cells; a post can hold at most 2,000" in found[0]
    with pytest.raises(markup.TooComplex):
        markup.render(WIDE_TABLE)


@pytest.mark.parametrize(
    "body",
    [
        SMALL_TABLE,
        "An ordinary post.\n\nWith two paragraphs | and a pipe.",
        # Many small tables, each ended by an empty line, stay within bounds.
        ("| a | b |\n|---|---|\n| 1 | 2 |\n\n" * 200)[:20_000],
        "> quoted\n>> twice\n",
    ],
    ids=["small-table", "prose", "many-small-tables", "shallow-quotes"],
)
def test_ordinary_posts_are_within_the_bounds(body: str) -> None:
    assert markup.problems(body) == []
    markup.render(body)


def test_deeply_nested_quotes_are_refused() -> None:
    found = markup.problems("> " * 40 + "deep")
    assert found == ["Quotes are nested 40 deep; a post can nest them at most 10."]


def test_a_table_inside_a_quote_is_counted_too() -> None:
    quoted = "> |" + "a|" * 300 + "\n> |" + "-|" * 300 + "\n" + "> x\n" * 100
    assert markup.problems(quoted)


# -- Saving, viewing, publishing -------------------------------------------------------------------


async def test_saving_an_over_large_table_answers_400_keeps_the_text_and_the_saved_draft(
    db: asyncpg.Connection, member_client: ForumClient, grief: Group
) -> None:
    path = await _draft(member_client)
    status, page = await _save(member_client, path, WIDE_TABLE)
    assert status == 400
    assert "cells; a post can hold at most 2,000" in page
    assert "|a|a|a|" in page  # what was typed is still in the text box
    draft_id = int(path.rsplit("/", 1)[1])
    assert await db.fetchval("SELECT body FROM drafts WHERE id = $1", draft_id) == SMALL_TABLE


async def test_creating_a_draft_with_an_over_large_table_is_refused_too(
    member_client: ForumClient, grief: Group
) -> None:
    resp = await member_client.post_form(
        "/drafts", {"group": "grief", "title": "My week", "body": WIDE_TABLE}
    )
    assert resp.status == 400
    assert "cells; a post can hold at most 2,000" in await resp.text()


async def test_the_preview_is_rendered_once_per_version_and_then_read_back(
    db: asyncpg.Connection, member_client: ForumClient, grief: Group
) -> None:
    path = await _draft(member_client)
    draft_id = int(path.rsplit("/", 1)[1])
    await member_client.get(path)
    row = await db.fetchrow(
        "SELECT version, preview_version, preview_html FROM drafts WHERE id = $1", draft_id
    )
    assert row is not None
    assert row["preview_version"] == row["version"]
    assert "<td>monday</td>" in row["preview_html"]
    # The next view shows what was stored (marked here, so a fresh render would show).
    await db.execute("UPDATE drafts SET preview_html = '<p>stored-7c1</p>' WHERE id = $1", draft_id)
    assert "stored-7c1" in await (await member_client.get(path)).text()
    # A save makes a new version: its preview is rendered afresh.
    status, _ = await _save(member_client, path, "Changed words")
    assert status == 303
    page = await (await member_client.get(path)).text()
    assert "stored-7c1" not in page
    assert "Changed words" in page


async def test_the_published_post_is_the_stored_preview_byte_for_byte(
    db: asyncpg.Connection, member_client: ForumClient, grief: Group
) -> None:
    path = await _draft(member_client)
    page = await (await member_client.get(path)).text()
    preview = await db.fetchval("SELECT preview_html FROM drafts")
    resp = await member_client.post_form(f"{path}/publish", {"version": version_of(page)})
    assert resp.status == 303
    assert await db.fetchval("SELECT body_html FROM posts") == preview


async def test_a_draft_saved_before_the_bounds_shows_why_instead_of_a_preview(
    db: asyncpg.Connection, member_client: ForumClient, grief: Group
) -> None:
    path = await _draft(member_client)
    await db.execute("UPDATE drafts SET body = $1, version = version + 1", WIDE_TABLE)
    resp = await member_client.get(path)
    assert resp.status == 200
    page = await resp.text()
    assert "cells; a post can hold at most 2,000" in page
    assert 'id="preview"' not in page
    publish = await member_client.post_form(f"{path}/publish", {"version": version_of(page)})
    assert publish.status == 400
    assert await db.fetchval("SELECT count(*) FROM posts") == 0


async def test_saves_are_rate_limited_and_a_refused_save_keeps_the_text(
    db: asyncpg.Connection, member_client: ForumClient, grief: Group
) -> None:
    path = await _draft(member_client)
    draft_id = int(path.rsplit("/", 1)[1])
    for n in range(limits.DRAFT_SAVES_PER_MEMBER.limit):
        status, _ = await _save(member_client, path, f"Version {n}")
        assert status == 303
    status, page = await _save(member_client, path, "One save too many")
    assert status == 429
    assert "please save again in" in page
    assert "One save too many" in page
    assert await db.fetchval("SELECT body FROM drafts WHERE id = $1", draft_id) == (
        f"Version {limits.DRAFT_SAVES_PER_MEMBER.limit - 1}"
    )


async def test_a_moderators_edit_over_the_bounds_is_refused(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    author: Member,
    keeper: Member,
    appoint: Appoint,
    mod: ForumClient,
) -> None:
    held_group = await make_group("held", moderation="all", members_=[author])
    await appoint(held_group, keeper)
    post = await make_topic(db, held_group, author)
    await db.execute("UPDATE posts SET state = 'held' WHERE id = $1", post.post_id)
    await db.execute(
        "INSERT INTO queue_items (group_id, post_id, kind, priority) VALUES ($1, $2, 'held', 20)",
        held_group.id,
        post.post_id,
    )
    item_id = await item_for(db, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": WIDE_TABLE, "reason": "Tidied"}
    )
    assert resp.status == 400
    assert "cells; a post can hold at most 2,000" in await resp.text()
    assert await db.fetchval("SELECT state FROM posts WHERE id = $1", post.post_id) == "held"
