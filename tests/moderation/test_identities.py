"""A moderator sees an author's record only under the name the item was posted under.

The attack this closes: a moderator warns the anonymous author of one item with a distinctive
reason, then opens an item for a signed post; if the warning shows there too, the two are the same
member. So an item's record (post counts, warnings, mutes, suspensions and their reasons) is the
record of one identity: the pseudonym, one group's name, or one topic's "Anonymous N". Sanctions
still bind the member, whatever name they post under next.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from forum.moderation import sanctions
from forum.storage import groups, members, migrations, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests import databases
from tests.anonymity.threads import set_name
from tests.clients import ForumClient
from tests.factories import Appoint, MakeGroup, Publish, item_for


@dataclass
class Items:
    """One held post of the same member under each of three identities."""

    signed: int
    anonymous: int
    named: int  # under the per-group name "stillwater" in the cancer group


@pytest.fixture
async def open_grief(
    make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint
) -> Group:
    group = await make_group(
        "grief", name="Grief and loss", moderation="all", anonymous="optional", members_=[author]
    )
    await appoint(group, keeper)
    return group


@pytest.fixture
async def items(
    db: asyncpg.Connection,
    open_grief: Group,
    make_group: MakeGroup,
    author: Member,
    keeper: Member,
    appoint: Appoint,
    publish: Publish,
) -> Items:
    cancer = await make_group(
        "cancer", name="Living with cancer", moderation="all", members_=[author]
    )
    await appoint(cancer, keeper)
    await set_name(db, cancer, author, "stillwater")
    signed = await publish(author, open_grief, title="Signed", body="Signed words")
    anonymous = await publish(
        author, open_grief, title="Unsigned", body="Unsigned words", anonymous=True
    )
    named = await publish(author, cancer, title="Named", body="Named words")
    return Items(
        signed=await item_for(db, signed.post_id),
        anonymous=await item_for(db, anonymous.post_id),
        named=await item_for(db, named.post_id),
    )


async def _warn(client: ForumClient, item_id: int, kind: str, reason: str) -> None:
    resp = await client.post_form(
        f"/mod/items/{item_id}/sanction", {"kind": kind, "reason": reason, "duration": "7d"}
    )
    assert resp.status == 303, await resp.text()


async def _page(client: ForumClient, item_id: int) -> str:
    resp = await client.get(f"/mod/items/{item_id}")
    assert resp.status == 200
    return await resp.text()


async def test_a_warning_on_an_anonymous_item_is_not_shown_beside_the_authors_signed_posts(
    mod: ForumClient, items: Items
) -> None:
    await _warn(mod, items.anonymous, "warn", "Marker-7f3a about the unsigned post")
    assert "Marker-7f3a" in await _page(mod, items.anonymous)
    signed = await _page(mod, items.signed)
    assert "Marker-7f3a" not in signed
    assert "No warnings or sanctions." in signed
    assert "No warnings or sanctions." in await _page(mod, items.named)


async def test_a_suspension_on_one_name_is_not_shown_beside_the_members_other_names(
    admin: ForumClient, mod: ForumClient, items: Items
) -> None:
    await _warn(admin, items.named, "suspend", "Marker-91bc for the named post")
    assert "Marker-91bc" in await _page(mod, items.named)
    for other in (items.signed, items.anonymous):
        page = await _page(mod, other)
        assert "Marker-91bc" not in page
        assert "suspend" not in page.split('id="history-heading"')[1].split("</section>")[0]


async def test_each_identity_counts_only_its_own_posts(mod: ForumClient, items: Items) -> None:
    # The same member has three held posts; each item counts the one under its own name.
    for item_id in (items.signed, items.anonymous, items.named):
        assert "0 removed or rejected, 1 waiting." in await _page(mod, item_id)


async def test_an_anonymous_item_names_its_topic_label_not_the_author(
    mod: ForumClient, items: Items, author: Member
) -> None:
    page = await _page(mod, items.anonymous)
    assert "Anonymous 1 in this topic, in Grief and loss" in page
    assert author.pseudonym not in page


async def test_a_mute_given_under_an_anonymous_name_still_binds_the_member_when_signed(
    db: asyncpg.Connection, mod: ForumClient, items: Items, open_grief: Group, author: Member
) -> None:
    await _warn(mod, items.anonymous, "mute", "Marker-c0de")
    group = await groups.get_group_by_slug(db, open_grief.slug)
    assert group is not None
    block = await sanctions.posting_block(db, author.id, group)
    assert block is not None
    assert "Marker-c0de" in block


async def test_the_migration_gives_earlier_sanctions_the_identity_of_their_post(
    pg_admin_url: str, worker_id: str, tmp_path: Path
) -> None:
    """Sanctions written before 0011 are matched to their post through the audit entry written
    in the same transaction; one with no such entry is enforced but shown beside no post."""
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    for migration in migrations.list_files():
        if migration.name < "0011":
            (earlier / migration.name).symlink_to(migration.path)
    url = await databases.recreate(pg_admin_url, f"forum_identities_{worker_id}")
    conn = await asyncpg.connect(url)
    try:
        await migrations.apply_pending(conn, earlier)
        author = await members.create_member(conn, "willow", "x")
        keeper = await members.create_member(conn, "keeper", "x")
        # Written as the schema of then stood (today's create_group names later columns).
        group_id = await conn.fetchval(
            "INSERT INTO groups (slug, name, anonymous) VALUES ('grief', 'Grief', 'optional')"
            " RETURNING id"
        )
        async with conn.transaction():
            post = await topics.create_topic(
                conn,
                group_id=group_id,
                author_id=author.id,
                anonymous=True,
                title="Unsigned",
                body_source="words",
                body_html="<p>words</p>",
                content_warning="",
            )
        for with_audit in (True, False):
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO sanctions (member_id, group_id, kind, reason, created_by)"
                    " VALUES ($1, $2, 'warn', 'old', $3)",
                    author.id,
                    group_id,
                    keeper.id,
                )
                if with_audit:
                    await conn.execute(
                        "INSERT INTO audit_log (actor_id, action, group_id, post_id, subject_id,"
                        " reason) VALUES ($1, 'warn', $2, $3, $4, 'old')",
                        keeper.id,
                        group_id,
                        post.post_id,
                        author.id,
                    )
        assert "0011_identities.sql" in await migrations.apply_pending(conn)
        rows = await conn.fetch("SELECT post_id, identity FROM sanctions ORDER BY id")
        assert [tuple(r) for r in rows] == [
            (post.post_id, f"anon:{post.topic_id}"),
            (None, "unknown"),
        ]
    finally:
        await conn.close()
