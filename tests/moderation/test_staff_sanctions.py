"""A moderator's sanction on an anonymous author who is staff: accepted like any other, so the
answer cannot tell the moderator "this is one of the staff", but not in force until an admin
confirms it (issue 17). Under a signed name it is refused, as test_sanction_bounds shows."""

from __future__ import annotations

import re
from datetime import timedelta

import asyncpg
import pytest

from forum.moderation import sanctions
from forum.storage import queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ForumClient
from tests.factories import Appoint, MakeGroup, MakeMember, Publish, notification_kinds

REASON = "Please keep it kind"


@pytest.fixture
async def support(make_group: MakeGroup, author: Member, keeper: Member, appoint: Appoint) -> Group:
    """Anonymous posting allowed; `keeper` moderates, `author` is an ordinary member."""
    group = await make_group(
        "support", name="Peer support", anonymous="optional", members_=[author]
    )
    await appoint(group, keeper)
    return group


@pytest.fixture
async def warden(make_member: MakeMember, support: Group, appoint: Appoint) -> Member:
    """A second moderator of the group: staff, like an admin."""
    member = await make_member("warden")
    await appoint(support, member)
    return member


async def _anonymous_item(
    db: asyncpg.Connection, publish: Publish, who: Member, group: Group, title: str
) -> int:
    """A report item on `who`'s anonymous topic."""
    post = await publish(who, group, title=title, body="Words", anonymous=True)
    item_id, _ = await queue_items.open_item(
        db, group_id=group.id, post_id=post.post_id, kind="report", priority=30
    )
    return item_id


async def _sanction(
    client: ForumClient, item_id: int, kind: str = "mute", duration: str = "7d"
) -> tuple[int, str]:
    resp = await client.post_form(
        f"/mod/items/{item_id}/sanction", {"kind": kind, "reason": REASON, "duration": duration}
    )
    if resp.status == 303:  # back to the item, as the browser would follow
        return resp.status, await (await client.get(f"/mod/items/{item_id}")).text()
    return resp.status, await resp.text()


def _record(page: str) -> str:
    """The author's record beside the item (the sanctions listed), without ids and times."""
    section = page.split('id="history-heading"', 1)[1].split("</section>", 1)[0]
    section = re.sub(r"/mod/items/\d+/sanctions/\d+", "/mod/items/N/sanctions/N", section)
    section = re.sub(r'(id|for)="(ends|lift-reason)-\d+"', r'\1="\2-N"', section)
    section = re.sub(r'datetime="[^"]+"', "", section)
    section = re.sub(r"\d{4} \d\d:\d\d UTC", "TIME UTC", section)  # a minute may turn between
    section = re.sub(r'name="csrf_token" value="[^"]+"', "", section)
    return re.sub(r"Anonymous \d+", "Anonymous N", section)


@pytest.fixture
async def both(
    db: asyncpg.Connection, publish: Publish, support: Group, author: Member, warden: Member
) -> tuple[int, int]:
    """(an ordinary member's anonymous item, a moderator's anonymous item)."""
    return (
        await _anonymous_item(db, publish, author, support, "First topic"),
        await _anonymous_item(db, publish, warden, support, "Second topic"),
    )


async def test_the_moderator_gets_the_same_answer_and_page_for_staff_and_members(
    db: asyncpg.Connection, mod: ForumClient, both: tuple[int, int], warden: Member
) -> None:
    answers = [await _sanction(mod, item) for item in both]
    assert [status for status, _ in answers] == [303, 303]
    member_page, staff_page = (text for _, text in answers)
    assert _record(member_page) == _record(staff_page)
    assert REASON in _record(staff_page)
    assert "Waiting for an admin" not in staff_page
    assert staff_page.count("staff") == member_page.count("staff")
    # the moderator's log reads the same too
    log = await (await mod.get("/mod/log")).text()
    assert log.count(REASON) == 2
    waiting = await db.fetch("SELECT awaiting_admin FROM sanctions ORDER BY id")
    assert [r["awaiting_admin"] for r in waiting] == [False, True]
    assert await notification_kinds(db, warden) == []  # the staff member is not told yet


@pytest.mark.parametrize("duration", ["forever"])
async def test_the_generic_refusals_come_first(
    mod: ForumClient, both: tuple[int, int], duration: str
) -> None:
    """A sanction no moderator may give is refused with the same words for every author."""
    answers = [await _sanction(mod, item, duration=duration) for item in both]
    assert [status for status, _ in answers] == [400, 400]
    assert all("ends within 90 days" in text for _, text in answers)
    assert all("staff" not in text.split("Act on the author")[0] for _, text in answers)


async def test_a_waiting_mute_is_not_in_force_until_an_admin_confirms_it(
    db: asyncpg.Connection,
    mod: ForumClient,
    admin: ForumClient,
    both: tuple[int, int],
    warden: Member,
    support: Group,
) -> None:
    staff_item = both[1]
    await _sanction(mod, staff_item)
    # not in force: the moderator can still post in the group
    assert await sanctions.posting_block(db, warden.id, support) is None
    overview = await (await admin.get("/admin")).text()
    assert "Sanctions waiting for an admin" in overview
    assert f"/mod/items/{staff_item}" in overview
    page = await (await admin.get(f"/mod/items/{staff_item}")).text()
    assert "Waiting for an admin" in page
    sanction_id = await db.fetchval("SELECT id FROM sanctions WHERE member_id = $1", warden.id)
    # a moderator cannot decide
    refused = await mod.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}/decision",
        {"decision": "confirm", "reason": "Agreed"},
    )
    assert refused.status == 404
    # it waited two days for a decision
    await db.execute(
        "UPDATE sanctions SET created_at = created_at - interval '2 days',"
        " ends_at = ends_at - interval '2 days' WHERE id = $1",
        sanction_id,
    )
    no_reason = await admin.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}/decision", {"decision": "confirm"}
    )
    assert no_reason.status == 400
    resp = await admin.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}/decision",
        {"decision": "confirm", "reason": "Agreed"},
    )
    assert resp.status == 303
    row = await db.fetchrow(
        "SELECT awaiting_admin, ends_at - now() AS left FROM sanctions WHERE id = $1", sanction_id
    )
    assert row is not None
    assert not row["awaiting_admin"]
    assert row["left"] > timedelta(days=6, hours=23)  # the seven days count from the decision
    assert await notification_kinds(db, warden) == ["mute"]
    assert await sanctions.posting_block(db, warden.id, support) is not None
    assert (
        await db.fetchval(
            "SELECT action FROM audit_log WHERE action LIKE 'confirm-%' AND group_id IS NULL"
        )
        == "confirm-mute"
    )
    assert "Sanctions waiting for an admin" not in await (await admin.get("/admin")).text()


async def test_a_dismissed_one_reads_as_lifted_and_the_member_is_never_told(
    db: asyncpg.Connection,
    mod: ForumClient,
    admin: ForumClient,
    both: tuple[int, int],
    warden: Member,
) -> None:
    staff_item = both[1]
    await _sanction(mod, staff_item, kind="remove")
    sanction_id = await db.fetchval("SELECT id FROM sanctions WHERE member_id = $1", warden.id)
    resp = await admin.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}/decision",
        {"decision": "dismiss", "reason": "Not needed"},
    )
    assert resp.status == 303
    assert await notification_kinds(db, warden) == []
    assert (
        await db.fetchval(
            "SELECT count(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id"
            " WHERE g.slug = 'support' AND gm.member_id = $1",
            warden.id,
        )
        == 1
    )  # never removed
    page = await (await mod.get(f"/mod/items/{staff_item}")).text()
    assert "(lifted" in page
    log = await (await mod.get("/mod/log")).text()
    assert "lift-remove" in log or "lift" in log
    again = await admin.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}/decision",
        {"decision": "confirm", "reason": "Changed my mind"},
    )
    assert again.status == 404  # no longer waiting


async def test_the_moderator_lifting_their_own_waiting_sanction_tells_no_one(
    db: asyncpg.Connection, mod: ForumClient, both: tuple[int, int], warden: Member
) -> None:
    staff_item = both[1]
    await _sanction(mod, staff_item)
    sanction_id = await db.fetchval("SELECT id FROM sanctions WHERE member_id = $1", warden.id)
    resp = await mod.post_form(
        f"/mod/items/{staff_item}/sanctions/{sanction_id}", {"ends": "now", "reason": "Sorry"}
    )
    assert resp.status == 303
    assert await notification_kinds(db, warden) == []
    assert await db.fetchval("SELECT count(*) FROM sanctions WHERE lifted_at IS NOT NULL") == 1


async def test_an_admins_anonymous_post_waits_too(
    db: asyncpg.Connection,
    mod: ForumClient,
    publish: Publish,
    support: Group,
    overseer: Member,
) -> None:
    await db.execute(
        "INSERT INTO group_members (group_id, member_id) VALUES ($1, $2)", support.id, overseer.id
    )
    item = await _anonymous_item(db, publish, overseer, support, "An admin's topic")
    status, _ = await _sanction(mod, item, kind="warn")
    assert status == 303
    assert await db.fetchval("SELECT awaiting_admin FROM sanctions") is True
    assert await notification_kinds(db, overseer) == []
