"""Working an item over HTTP: claim, approve, edit-and-approve, reject, resolve, escalate; races."""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
import pytest

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeGroup,
    MakeMember,
    Publish,
    item_for,
    item_row,
    notification_kinds,
    post_state,
)


@pytest.fixture
async def warden(make_member: MakeMember) -> Member:
    return await make_member("warden")


@pytest.fixture
async def group(
    make_group: MakeGroup, author: Member, keeper: Member, warden: Member, appoint: Appoint
) -> Group:
    group = await make_group("grief", name="Grief and loss", moderation="all", members_=[author])
    await appoint(group, keeper)
    await appoint(group, warden)
    return group


@pytest.fixture
async def held(group: Group, author: Member, publish: Publish) -> NewPost:
    """A held new topic."""
    return await publish(author, group, title="Held topic", body="Please let this through")


@pytest.fixture
async def item_id(db: asyncpg.Connection, held: NewPost) -> int:
    return await item_for(db, held.post_id)


@pytest.fixture
async def other_mod(make_client: ClientFactory, warden: Member) -> ForumClient:
    return await make_client(warden)


@pytest.fixture
async def reported(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    keeper: Member,
    publish: Publish,
    make_member: MakeMember,
    make_client: ClientFactory,
) -> NewPost:
    """A published post (by a moderator, so it is not held) with one report on it."""
    new = await publish(keeper, group, title="Published topic", body="Already out there")
    reporter = await make_client(await make_member())
    await reporter.post_form(f"/p/{new.post_id}/report", {"reason": "spam"})
    return new


# -- Claim -----------------------------------------------------------------------------------------


async def test_claiming_an_item_redirects_to_it(mod: ForumClient, item_id: int) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/claim")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/mod/items/{item_id}"


async def test_claiming_an_item_records_the_claimant(
    db: asyncpg.Connection, mod: ForumClient, keeper: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    assert (await item_row(db, item_id))["claimed_by"] == keeper.id


async def test_a_claim_lasts_fifteen_minutes(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    seconds = await db.fetchval(
        "SELECT extract(epoch FROM claimed_until - now()) FROM queue_items WHERE id = $1", item_id
    )
    assert 14 * 60 < seconds <= 15 * 60


async def test_a_claimed_item_shows_other_moderators_who_has_it(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    page = await (await other_mod.get(f"/mod/items/{item_id}")).text()
    assert "keeper is working on this" in page


async def test_the_queue_shows_who_claimed_an_item(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    assert "claimed by keeper" in await (await other_mod.get("/mod")).text()


async def test_the_claimant_can_renew_their_claim(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await db.execute(
        "UPDATE queue_items SET claimed_until = now() + interval '1 minute' WHERE id = $1", item_id
    )
    assert (await mod.post_form(f"/mod/items/{item_id}/claim")).status == 303
    seconds = await db.fetchval(
        "SELECT extract(epoch FROM claimed_until - now()) FROM queue_items WHERE id = $1", item_id
    )
    assert seconds > 14 * 60


# -- Claim expiry ----------------------------------------------------------------------------------


async def test_another_moderator_cannot_claim_a_claimed_item(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, keeper: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    resp = await other_mod.post_form(f"/mod/items/{item_id}/claim")
    assert resp.status == 409
    assert "keeper has claimed this item" in await resp.text()
    assert (await item_row(db, item_id))["claimed_by"] == keeper.id


async def test_another_moderator_cannot_approve_a_claimed_item(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    resp = await other_mod.post_form(f"/mod/items/{item_id}/approve")
    assert resp.status == 409
    assert await post_state(db, held.post_id) == "held"
    assert (await item_row(db, item_id))["state"] == "open"


async def test_another_moderator_cannot_reject_a_claimed_item(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    resp = await other_mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "No"})
    assert resp.status == 409
    assert await post_state(db, held.post_id) == "held"


async def test_a_refused_action_keeps_the_typed_reason(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    resp = await other_mod.post_form(
        f"/mod/items/{item_id}/reject", {"reason": "A careful explanation"}
    )
    assert "A careful explanation" in await resp.text()


async def expire_claim(db: asyncpg.Connection, item_id: int) -> None:
    await db.execute(
        "UPDATE queue_items SET claimed_until = now() - interval '1 second' WHERE id = $1", item_id
    )


async def test_after_a_claim_expires_another_moderator_can_claim(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, warden: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await expire_claim(db, item_id)
    assert (await other_mod.post_form(f"/mod/items/{item_id}/claim")).status == 303
    assert (await item_row(db, item_id))["claimed_by"] == warden.id


async def test_after_a_claim_expires_another_moderator_can_approve(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await expire_claim(db, item_id)
    assert (await other_mod.post_form(f"/mod/items/{item_id}/approve")).status == 303
    assert await post_state(db, held.post_id) == "published"


async def test_after_a_claim_expires_the_item_shows_no_claim(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await expire_claim(db, item_id)
    page = await (await other_mod.get(f"/mod/items/{item_id}")).text()
    assert "is working on this" not in page
    assert "Claim this item" in page


# -- Approve ---------------------------------------------------------------------------------------


async def test_approving_a_held_topic_publishes_it(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int, client: ForumClient
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/approve")
    assert resp.status == 303
    assert resp.headers["Location"] == "/mod"
    page = await client.get(f"/t/{held.topic_id}")
    assert page.status == 200
    assert "Please let this through" in await page.text()


async def test_approving_closes_the_item_as_approved(
    db: asyncpg.Connection, mod: ForumClient, keeper: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    row = await item_row(db, item_id)
    assert (row["state"], row["outcome"], row["closed_by"]) == ("closed", "approved", keeper.id)


async def test_an_approved_item_leaves_the_queue(mod: ForumClient, item_id: int) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert f'href="/mod/items/{item_id}"' not in await (await mod.get("/mod")).text()


async def test_approving_tells_the_author(
    db: asyncpg.Connection, mod: ForumClient, author: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert await notification_kinds(db, author) == ["held", "approved"]


async def test_keeping_a_reported_post_does_not_notify_its_author(
    db: asyncpg.Connection, mod: ForumClient, keeper: Member, reported: NewPost
) -> None:
    item_id = await item_for(db, reported.post_id, "report")
    assert (await mod.post_form(f"/mod/items/{item_id}/approve")).status == 303
    assert await notification_kinds(db, keeper) == []


# -- Edit and approve ------------------------------------------------------------------------------


async def test_edit_and_approve_publishes_the_moderators_text(
    mod: ForumClient, held: NewPost, item_id: int, client: ForumClient
) -> None:
    resp = await mod.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": "A gentler version", "reason": "Softened it"}
    )
    assert resp.status == 303
    page = await (await client.get(f"/t/{held.topic_id}")).text()
    assert "A gentler version" in page
    assert "Please let this through" not in page


async def test_edit_and_approve_marks_the_post_edited(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int, client: ForumClient
) -> None:
    await mod.post_form(
        f"/mod/items/{item_id}/edit-approve", {"body": "A gentler version", "reason": "Softened it"}
    )
    assert await db.fetchval("SELECT edited_at FROM posts WHERE id = $1", held.post_id)
    assert 'class="post__edited">edited' in await (await client.get(f"/t/{held.topic_id}")).text()


async def test_edit_and_approve_renders_the_new_text_safely(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(
        f"/mod/items/{item_id}/edit-approve",
        {"body": "**kind** <script>alert(1)</script>", "reason": "Tidied"},
    )
    body_html = await db.fetchval("SELECT body_html FROM posts WHERE id = $1", held.post_id)
    assert "<strong>kind</strong>" in body_html
    assert "<script>" not in body_html


async def test_edit_and_approve_with_an_empty_body_answers_400_and_changes_nothing(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/edit-approve", {"body": "   "})
    assert resp.status == 400
    assert await post_state(db, held.post_id) == "held"
    assert (
        await db.fetchval("SELECT body_source FROM posts WHERE id = $1", held.post_id)
        == "Please let this through"
    )


async def test_plain_approve_does_not_mark_the_post_edited(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert await db.fetchval("SELECT edited_at FROM posts WHERE id = $1", held.post_id) is None


# -- Reject ----------------------------------------------------------------------------------------


async def test_rejecting_without_a_reason_answers_400(mod: ForumClient, item_id: int) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "  "})
    assert resp.status == 400
    assert "Please give a reason" in await resp.text()


async def test_rejecting_without_a_reason_changes_nothing(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, author: Member, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject")
    assert await post_state(db, held.post_id) == "held"
    assert (await item_row(db, item_id))["state"] == "open"
    assert await notification_kinds(db, author) == ["held"]


async def test_rejecting_a_held_topic_keeps_it_from_everyone(
    db: asyncpg.Connection,
    mod: ForumClient,
    held: NewPost,
    item_id: int,
    client: ForumClient,
    make_client: ClientFactory,
    author: Member,
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Not for this group"})
    assert resp.status == 303
    assert await post_state(db, held.post_id) == "rejected"
    assert (await client.get(f"/t/{held.topic_id}")).status == 404
    assert (await (await make_client(author)).get(f"/t/{held.topic_id}")).status == 404


async def test_rejecting_closes_the_item_as_rejected(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Not for this group"})
    row = await item_row(db, item_id)
    assert (row["state"], row["outcome"]) == ("closed", "rejected")


async def test_rejecting_sends_the_reason_to_the_author(
    db: asyncpg.Connection,
    mod: ForumClient,
    author: Member,
    item_id: int,
    make_client: ClientFactory,
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Please avoid naming people"})
    page = await (await (await make_client(author)).get("/notifications")).text()
    assert "Please avoid naming people" in page


async def test_rejecting_a_published_post_removes_it(
    db: asyncpg.Connection, mod: ForumClient, reported: NewPost
) -> None:
    item_id = await item_for(db, reported.post_id, "report")
    await mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Spam"})
    assert await post_state(db, reported.post_id) == "removed"


# -- Resolve ---------------------------------------------------------------------------------------


async def test_resolving_a_report_closes_it_and_leaves_the_post(
    db: asyncpg.Connection, mod: ForumClient, reported: NewPost, client: ForumClient
) -> None:
    item_id = await item_for(db, reported.post_id, "report")
    resp = await mod.post_form(f"/mod/items/{item_id}/resolve", {"reason": "Reads fine to me"})
    assert resp.status == 303
    row = await item_row(db, item_id)
    assert (row["state"], row["outcome"]) == ("closed", "resolved")
    assert await post_state(db, reported.post_id) == "published"
    assert "Already out there" in await (await client.get(f"/t/{reported.topic_id}")).text()


async def test_resolving_a_held_post_answers_400_and_leaves_it_held(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/resolve")
    assert resp.status == 400
    assert "approve or reject" in await resp.text()
    assert (await item_row(db, item_id))["state"] == "open"
    assert await post_state(db, held.post_id) == "held"


# -- Escalate --------------------------------------------------------------------------------------


async def test_escalating_notifies_every_admin(
    db: asyncpg.Connection, mod: ForumClient, item_id: int, make_member: MakeMember
) -> None:
    admins = [await make_member(f"admin{n}", is_admin=True) for n in range(2)]
    resp = await mod.post_form(f"/mod/items/{item_id}/escalate", {"reason": "Not sure"})
    assert resp.status == 303
    for admin in admins:
        assert await notification_kinds(db, admin) == ["escalated"]


async def test_escalating_notifies_no_one_but_admins(
    db: asyncpg.Connection,
    mod: ForumClient,
    keeper: Member,
    warden: Member,
    item_id: int,
    make_member: MakeMember,
) -> None:
    await make_member("admin", is_admin=True)
    await mod.post_form(f"/mod/items/{item_id}/escalate")
    assert await notification_kinds(db, keeper) == []
    assert await notification_kinds(db, warden) == []


async def test_an_escalated_item_stays_open_and_marked(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/escalate")
    row = await item_row(db, item_id)
    assert row["state"] == "open"
    assert row["escalated_at"] is not None
    assert "escalated to admins" in await (await mod.get("/mod")).text()


async def test_escalating_releases_the_claim(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/claim")
    await mod.post_form(f"/mod/items/{item_id}/escalate")
    assert (await item_row(db, item_id))["claimed_by"] is None


async def test_escalating_twice_answers_400(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/escalate")
    resp = await other_mod.post_form(f"/mod/items/{item_id}/escalate")
    assert resp.status == 400
    assert "already been escalated" in await resp.text()


@pytest.mark.parametrize("first", ["claim", "escalate"])
async def test_a_claimed_or_escalated_item_can_still_be_decided_by_that_moderator(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int, first: str
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/{first}")
    assert (await mod.post_form(f"/mod/items/{item_id}/approve")).status == 303
    assert await post_state(db, held.post_id) == "published"


# -- Closed items, unknown actions, CSRF -----------------------------------------------------------


async def test_acting_on_a_decided_item_answers_409_saying_who_decided(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    resp = await other_mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Too late"})
    assert resp.status == 409
    assert "keeper already approved this item" in await resp.text()


async def test_a_decided_item_stays_as_decided(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    await other_mod.post_form(f"/mod/items/{item_id}/reject", {"reason": "Too late"})
    assert await post_state(db, held.post_id) == "published"
    assert (await item_row(db, item_id))["outcome"] == "approved"


async def test_approving_twice_answers_409(mod: ForumClient, item_id: int) -> None:
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert (await mod.post_form(f"/mod/items/{item_id}/approve")).status == 409


async def test_an_unknown_action_is_not_found(
    db: asyncpg.Connection, mod: ForumClient, item_id: int
) -> None:
    assert (await mod.post_form(f"/mod/items/{item_id}/delete")).status == 404
    assert (await item_row(db, item_id))["state"] == "open"


async def test_an_action_without_a_csrf_token_answers_403_and_changes_nothing(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    resp = await mod.post_form(f"/mod/items/{item_id}/approve", csrf=False)
    assert resp.status == 403
    assert await post_state(db, held.post_id) == "held"


async def test_deciding_a_held_post_also_closes_its_other_items(
    db: asyncpg.Connection, mod: ForumClient, held: NewPost, item_id: int
) -> None:
    await db.execute(
        "INSERT INTO queue_items (group_id, post_id, kind, priority)"
        " SELECT group_id, post_id, 'crisis', 0 FROM queue_items WHERE id = $1",
        item_id,
    )
    await mod.post_form(f"/mod/items/{item_id}/approve")
    assert await db.fetchval("SELECT count(*) FROM queue_items WHERE state = 'open'") == 0


# -- Two moderators at once ------------------------------------------------------------------------


async def race(
    mod: ForumClient,
    other_mod: ForumClient,
    item_id: int,
    first: str = "approve",
    second: str = "reject",
) -> tuple[aiohttp.ClientResponse, aiohttp.ClientResponse]:
    return await asyncio.gather(
        mod.post_form(f"/mod/items/{item_id}/{first}", {"reason": "from keeper"}),
        other_mod.post_form(f"/mod/items/{item_id}/{second}", {"reason": "from warden"}),
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "reject"), ("reject", "approve"), ("approve", "approve"), ("reject", "reject")],
)
async def test_two_moderators_deciding_at_once_one_wins_and_one_is_told(
    mod: ForumClient, other_mod: ForumClient, item_id: int, first: str, second: str
) -> None:
    responses = await race(mod, other_mod, item_id, first, second)
    assert sorted(r.status for r in responses) == [303, 409]


async def test_the_loser_of_a_race_is_told_what_happened(
    mod: ForumClient, other_mod: ForumClient, item_id: int
) -> None:
    responses = await race(mod, other_mod, item_id)
    loser = next(r for r in responses if r.status == 409)
    assert "Someone else got there first" in await loser.text()


async def test_after_a_race_the_post_is_in_the_winners_state(
    db: asyncpg.Connection,
    mod: ForumClient,
    other_mod: ForumClient,
    held: NewPost,
    author: Member,
    item_id: int,
) -> None:
    responses = await race(mod, other_mod, item_id)
    winner = "approve" if responses[0].status == 303 else "reject"
    row = await item_row(db, item_id)
    expected = {
        "approve": ("approved", "published", "approved"),
        "reject": ("rejected", "rejected", "rejected"),
    }[winner]
    assert (
        row["outcome"],
        await post_state(db, held.post_id),
        (await notification_kinds(db, author))[-1],
    ) == expected


async def test_after_a_race_exactly_one_decision_is_logged_and_notified(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, author: Member, item_id: int
) -> None:
    await race(mod, other_mod, item_id)
    decisions = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE action IN ('approve', 'reject')"
    )
    assert decisions == 1
    assert len(await notification_kinds(db, author)) == 2  # held, then one decision


async def test_two_moderators_claiming_at_once_one_gets_it(
    db: asyncpg.Connection,
    mod: ForumClient,
    other_mod: ForumClient,
    keeper: Member,
    warden: Member,
    item_id: int,
) -> None:
    responses = await asyncio.gather(
        mod.post_form(f"/mod/items/{item_id}/claim"),
        other_mod.post_form(f"/mod/items/{item_id}/claim"),
    )
    assert sorted(r.status for r in responses) == [303, 409]
    winner = keeper if responses[0].status == 303 else warden
    assert (await item_row(db, item_id))["claimed_by"] == winner.id


async def test_a_claim_and_an_approval_at_once_leave_a_consistent_item(
    db: asyncpg.Connection, mod: ForumClient, other_mod: ForumClient, held: NewPost, item_id: int
) -> None:
    responses = await asyncio.gather(
        mod.post_form(f"/mod/items/{item_id}/claim"),
        other_mod.post_form(f"/mod/items/{item_id}/approve"),
    )
    row = await item_row(db, item_id)
    if responses[1].status == 303:
        assert (row["state"], await post_state(db, held.post_id)) == ("closed", "published")
    else:
        assert responses[1].status == 409
        assert (row["state"], await post_state(db, held.post_id)) == ("open", "held")
