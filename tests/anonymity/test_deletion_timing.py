"""Deleting an account with its posts does not link the member's names by time.

It used to retitle and blank the member's signed and anonymous topics in the same second, so
anyone watching the forum could tell they were one person. Now the posts under the pseudonym go
at once, and each other identity (one topic's "Anonymous N", one group's name) at its own random
moment within the next two hours, the way members' own deletions come and go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from forum.storage import own_data
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.anonymity.threads import set_name
from tests.clients import PASSWORD, ForumClient
from tests.factories import Publish


@pytest.fixture
async def posts(
    db: asyncpg.Connection, grief: Group, recovery: Group, author: Member, publish: Publish
) -> dict[str, NewPost]:
    await set_name(db, recovery, author, "stillwater")
    signed = await publish(author, grief, title="Signed topic", body="signed words")
    first = await publish(author, grief, title="First unsigned", body="unsigned a", anonymous=True)
    again = await publish(
        author, grief, topic_id=first.topic_id, body="unsigned a again", anonymous=True
    )
    other = await publish(author, grief, title="Other unsigned", body="unsigned b", anonymous=True)
    named = await publish(author, recovery, title="Named topic", body="named words")
    return {"signed": signed, "first": first, "again": again, "other": other, "named": named}


async def _delete(writer: ForumClient) -> None:
    resp = await writer.post_form("/account/delete", {"password": PASSWORD, "remove_posts": "on"})
    assert resp.status == 303


async def _state(db: asyncpg.Connection, post: NewPost) -> str:
    return str(await db.fetchval("SELECT state FROM posts WHERE id = $1", post.post_id))


async def test_only_the_pseudonyms_posts_go_at_once(
    db: asyncpg.Connection, client: ForumClient, writer: ForumClient, posts: dict[str, NewPost]
) -> None:
    await _delete(writer)
    assert await _state(db, posts["signed"]) == "deleted"
    assert own_data.REMOVED_TITLE in await (await client.get("/g/grief")).text()
    for name in ("first", "again", "other", "named"):
        assert await _state(db, posts[name]) == "published", name
    grief_page = await (await client.get("/g/grief")).text()
    assert "First unsigned" in grief_page
    assert "Other unsigned" in grief_page
    assert "Named topic" in await (await client.get("/g/recovery")).text()


async def test_each_other_identity_has_its_own_moment_within_two_hours(
    db: asyncpg.Connection, writer: ForumClient, posts: dict[str, NewPost]
) -> None:
    before = datetime.now(UTC)
    await _delete(writer)
    due = {r["post_id"]: r["due_at"] for r in await db.fetch("SELECT * FROM pending_removals")}
    ids = {name: post.post_id for name, post in posts.items()}
    assert set(due) == {ids["first"], ids["again"], ids["other"], ids["named"]}
    # One topic's "Anonymous 1" is one identity: its posts go together...
    assert due[ids["first"]] == due[ids["again"]]
    # ...and the three identities at three unrelated moments.
    assert len({due[ids["first"]], due[ids["other"]], due[ids["named"]]}) == 3
    for at in due.values():
        assert before + timedelta(seconds=59) <= at <= before + timedelta(hours=2, seconds=5)


async def test_an_identitys_posts_go_when_its_moment_comes_and_not_before(
    db: asyncpg.Connection, client: ForumClient, writer: ForumClient, posts: dict[str, NewPost]
) -> None:
    await _delete(writer)
    assert await own_data.apply_due_removals(db) == 0  # nothing is due yet
    await db.execute(
        "UPDATE pending_removals SET due_at = now() - interval '1 second' WHERE post_id = $1",
        posts["named"].post_id,
    )
    assert await own_data.apply_due_removals(db) == 1
    assert await _state(db, posts["named"]) == "deleted"
    assert "named words" not in await (await client.get(f"/t/{posts['named'].topic_id}")).text()
    assert own_data.REMOVED_TITLE in await (await client.get("/g/recovery")).text()
    for name in ("first", "again", "other"):
        assert await _state(db, posts[name]) == "published", name
    await db.execute("UPDATE pending_removals SET due_at = now() - interval '1 second'")
    assert await own_data.apply_due_removals(db) == 3
    left = await db.fetchval(
        "SELECT count(*) FROM posts WHERE body_source LIKE 'unsigned%' OR body_source LIKE 'named%'"
    )
    assert left == 0
    assert await db.fetchval("SELECT count(*) FROM pending_removals") == 0
