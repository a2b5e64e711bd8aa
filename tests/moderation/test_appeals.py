"""Statements of reasons and appeals (issue 19): every rejection and sanction names the rule, the
facts, how it came to the moderators and that a person decided; the member appeals once, within
30 days; someone who took no part decides, never shown an anonymous appellant's pseudonym;
upheld, the decision is undone; all audited."""

from __future__ import annotations

import re

import aiohttp
import asyncpg
import pytest

from forum.moderation import appeals
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeGroup,
    MakeMember,
    ModeratorOf,
    Publish,
    audit_count,
    item_for,
    post_state,
)

GUIDELINES = "- **Stay on grief.** Other topics go elsewhere.\n- No fundraising links."


@pytest.fixture
async def grief(db: asyncpg.Connection, make_group: MakeGroup, author: Member) -> Group:
    group = await make_group(
        "grief",
        name="Grief",
        anonymous="optional",
        members_=[author],
        guidelines=GUIDELINES,
        report_hide_threshold=50,
    )
    await _accept_guidelines(db, group)
    return group


async def _accept_guidelines(db: asyncpg.Connection, group: Group) -> None:
    await db.execute(
        "UPDATE group_members SET guidelines_accepted_at = now() WHERE group_id = $1", group.id
    )


async def _reported(
    db: asyncpg.Connection, make_client: ClientFactory, make_member: MakeMember, post_id: int
) -> int:
    reporter = await make_client(await make_member())
    resp = await reporter.post_form(f"/p/{post_id}/report", {"reason": "spam"})
    assert resp.status == 303
    return await item_for(db, post_id, "report")


async def _rejected(
    db: asyncpg.Connection,
    mod: ForumClient,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    group: Group,
    *,
    anonymous: bool = False,
    rule: str = "group-2",
) -> tuple[int, int]:
    """The author's post, reported and removed by `mod` under `rule`: (post id, decision id)."""
    post = await publish(author, group, title="Sponsor me", body="a link", anonymous=anonymous)
    item = await _reported(db, make_client, make_member, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/reject", {"reason": "The post asks for donations", "rule": rule}
    )
    assert resp.status == 303, await resp.text()
    decision = await db.fetchval(
        "SELECT id FROM decisions WHERE post_id = $1 ORDER BY id DESC LIMIT 1", post.post_id
    )
    assert decision is not None
    return post.post_id, decision


async def _appeal(
    client: ForumClient, decision: int | str, text: str = "It was a memorial fund."
) -> aiohttp.ClientResponse:
    return await client.post_form("/appeals", {"decision": str(decision), "text": text})


async def _appeal_id(db: asyncpg.Connection, decision: int) -> int:
    return int(await db.fetchval("SELECT id FROM appeals WHERE decision_id = $1", decision))


# -- The statement of reasons ----------------------------------------------------------------------


async def test_a_removal_tells_the_rule_the_facts_who_decided_and_how_to_appeal(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    me = await make_client(author)
    notes = await (await me.get("/notifications")).text()
    assert (
        "A moderator removed your post in Grief. Their reason: The post asks for donations."
        in notes
    )
    assert "Rule: Grief guideline 2: No fundraising links." in notes
    assert "Members reported the post; a person decided." in notes
    assert f"This is decision {decision}" in notes
    assert f'href="/decisions/{decision}"' in notes
    page = await (await me.get(f"/decisions/{decision}")).text()
    assert "Your post was not published" not in page  # it was visible: removed
    assert "Your post was removed" in page
    assert "Grief guideline 2: No fundraising links." in page
    assert "The post asks for donations" in page
    assert 'name="decision"' in page
    assert 'action="/appeals"' in page
    listed = await (await me.get("/decisions")).text()
    assert f'href="/decisions/{decision}"' in listed


async def test_the_rules_offered_are_the_site_rules_and_the_groups_guidelines(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    page = await (await mod.get(f"/mod/items/{item}")).text()
    key = r'<option value="{}:[0-9a-f]{{8}}">{}</option>'
    assert re.search(key.format("site-1", "Site rule 1: Be kind"), page)
    assert re.search(key.format("group-1", "Grief guideline 1: Stay on grief"), page)
    assert re.search(key.format("group-2", "Grief guideline 2: No fundraising links"), page)


async def test_a_rule_rewritten_while_the_moderator_chose_it_is_refused_not_swapped(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    page = await (await mod.get(f"/mod/items/{item}")).text()
    found = re.search(r'<option value="(group-2:[0-9a-f]{8})">', page)
    assert found is not None
    await db.execute(
        "UPDATE groups SET guidelines = $2 WHERE id = $1",
        grief.id,
        "- No fundraising links.\n- Stay on grief.",  # the same rules, in another order
    )
    resp = await mod.post_form(
        f"/mod/items/{item}/reject", {"reason": "Asks for money", "rule": found.group(1)}
    )
    assert resp.status == 400
    assert await post_state(db, post.post_id) == "published"


async def test_a_post_its_author_deleted_first_brings_them_no_statement(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    me = await make_client(author)
    assert (await me.post_form(f"/p/{post.post_id}/delete")).status == 303
    resp = await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Spam", "rule": "site-5"})
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM decisions") == 0


async def test_an_unknown_or_blank_rule_is_refused_and_nothing_is_removed(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    for rule in ("site-99", ""):
        resp = await mod.post_form(
            f"/mod/items/{item}/reject", {"reason": "Typed reason kept", "rule": rule}
        )
        assert resp.status == 400
        assert "Choose the rule" in await resp.text()
        assert "Typed reason kept" in await resp.text()
    assert await post_state(db, post.post_id) == "published"
    assert await db.fetchval("SELECT count(*) FROM decisions") == 0


async def test_a_client_that_names_no_rule_still_sends_a_statement(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    """The contract's reject takes only `reason`: the statement then points to the site rules."""
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    assert (await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Spam"})).status == 303
    assert await db.fetchval("SELECT rule FROM decisions") == "The site rules (/rules)"


async def test_a_sanction_sends_a_statement_too(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Hello")
    item = await _reported(db, make_client, make_member, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "mute", "duration": "3d", "reason": "Third fundraising post", "rule": "group-2"},
    )
    assert resp.status == 303
    row = await db.fetchrow("SELECT kind, rule, facts, detected_by, sanction_id FROM decisions")
    assert row is not None
    assert (row["kind"], row["rule"], row["facts"], row["detected_by"]) == (
        "mute",
        "Grief guideline 2: No fundraising links.",
        "Third fundraising post",
        "reports",
    )
    assert row["sanction_id"] is not None


async def test_a_held_post_rejected_after_the_scanner_flagged_it_says_so(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Goodbye", body="I am going to kill myself tonight")
    item = int(await db.fetchval("SELECT id FROM queue_items WHERE post_id = $1", post.post_id))
    resp = await mod.post_form(
        f"/mod/items/{item}/reject",
        {"reason": "Method details", "rule": "site-3", "at_risk": "urgent"},
    )
    assert resp.status == 303, await resp.text()
    assert await db.fetchval("SELECT kind || ' ' || detected_by FROM decisions") == "reject scanner"
    page = await (await (await make_client(author)).get("/notifications")).text()
    assert (
        "The forum&#39;s crisis scanner flagged the post for a moderator; a person decided." in page
    )


# -- Filing an appeal ------------------------------------------------------------------------------


async def test_a_member_appeals_each_decision_once(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    me = await make_client(author)
    resp = await _appeal(me, f"decision {decision}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/decisions/{decision}?appealed=1"
    again = await _appeal(me, decision, "And another thing")
    assert again.status == 409
    assert "appealed this decision already" in await again.text()
    assert await db.fetchval("SELECT count(*) FROM appeals") == 1
    assert await audit_count(db, "appeal") == 1
    actor = await db.fetchval("SELECT actor_id FROM audit_log WHERE action = 'appeal'")
    assert actor is None  # the appellant is never named in the log


async def test_an_appeal_is_refused_after_thirty_days_or_without_words_and_keeps_the_text(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    me = await make_client(author)
    blank = await _appeal(me, decision, "   ")
    assert blank.status == 400
    too_long = await _appeal(me, decision, "x" * 2001)
    assert too_long.status == 400
    assert "x" * 2001 in await too_long.text()
    await db.execute(
        "UPDATE decisions SET created_at = now() - interval '30 days 1 minute' WHERE id = $1",
        decision,
    )
    late = await _appeal(me, decision, "Please look again")
    assert late.status == 400
    text = await late.text()
    assert "within 30 days" in text
    assert "Please look again" in text
    assert await db.fetchval("SELECT count(*) FROM appeals") == 0


async def test_no_one_appeals_another_members_decision(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    other = await make_client(await make_member())
    assert (await _appeal(other, decision)).status == 404
    assert (await other.get(f"/decisions/{decision}")).status == 404
    bad = await _appeal(other, "not a decision", "words worth keeping")
    assert bad.status == 400
    assert "words worth keeping" in await bad.text()
    assert (await (await make_client()).get(f"/decisions/{decision}")).status == 303  # sign in
    assert await db.fetchval("SELECT count(*) FROM appeals") == 0


def test_a_decision_is_named_as_notifications_name_it() -> None:
    for raw in ("42", " 42 ", "#42", "D-42", "d42", "decision 42", "Decision 42"):
        assert appeals.reference(raw) == 42, raw
    for raw in ("", "42a", "decision", "-42", "4 2"):
        assert appeals.reference(raw) is None, raw


# -- Deciding it -----------------------------------------------------------------------------------


async def test_an_appeal_is_decided_only_by_someone_who_did_not_decide_the_original(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    appoint: Appoint,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    post_id, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    # The moderator who removed it neither sees nor decides it.
    assert f"/mod/appeals/{appeal}" not in await (await mod.get("/mod/appeals")).text()
    assert (await mod.get(f"/mod/appeals/{appeal}")).status == 404
    decide = {"outcome": "uphold", "reason": "I removed it myself"}
    assert (await mod.post_form(f"/mod/appeals/{appeal}", decide)).status == 404
    # Another moderator of the group does not either: this group's appeals go to the admins.
    colleague = await make_member("colleague")
    await appoint(grief, colleague)
    other_mod = await make_client(colleague)
    assert (await other_mod.get(f"/mod/appeals/{appeal}")).status == 404
    # A plain member has no appeals queue at all.
    assert (await (await make_client(await make_member())).get("/mod/appeals")).status == 404
    # The admin does.
    assert f"/mod/appeals/{appeal}" in await (await admin.get("/mod/appeals")).text()
    assert await post_state(db, post_id) == "removed"
    assert await db.fetchval("SELECT state FROM appeals") == "open"


async def test_an_admin_who_decided_cannot_decide_the_appeal_but_another_admin_can(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
    overseer: Member,
) -> None:
    _, decision = await _rejected(db, admin, make_client, make_member, publish, author, grief)
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    assert (await admin.get(f"/mod/appeals/{appeal}")).status == 404
    second = await make_client(await make_member("second", is_admin=True))
    resp = await second.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "The link asked for money."}
    )
    assert resp.status == 303
    assert await db.fetchval("SELECT decided_by FROM appeals") != overseer.id


async def test_an_upheld_appeal_puts_the_post_back_and_tells_the_member_why(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    post_id, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    me = await make_client(author)
    await _appeal(me, decision)
    appeal = await _appeal_id(db, decision)
    page = await (await admin.get(f"/mod/appeals/{appeal}")).text()
    assert "It was a memorial fund." in page
    assert "The post asks for donations" in page
    resp = await admin.post_form(
        f"/mod/appeals/{appeal}",
        {"outcome": "uphold", "reason": "A memorial fund is not fundraising for oneself."},
    )
    assert resp.status == 303
    assert await post_state(db, post_id) == "published"
    assert await db.fetchval("SELECT reversed_at IS NOT NULL FROM decisions") is True
    notes = await (await me.get("/notifications")).text()
    assert f"Your appeal against decision {decision} was upheld" in notes
    assert "A memorial fund is not fundraising for oneself." in notes
    assert "Your post is back, as you wrote it." in notes
    assert (
        "upheld, and the decision reversed" in await (await me.get(f"/decisions/{decision}")).text()
    )
    assert await audit_count(db, "appeal-upheld") == 1
    # Decided once: a second decision is refused, the first stands.
    again = await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "No"})
    assert again.status == 409
    assert await db.fetchval("SELECT state FROM appeals") == "upheld"


async def test_an_upheld_appeal_publishes_a_held_post_that_was_rejected(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_group: MakeGroup,
    publish: Publish,
    author: Member,
    admin: ForumClient,
) -> None:
    careful = await make_group("careful", moderation="all", members_=[author])
    mod = await moderator_of(careful)
    post = await publish(author, careful, title="Waiting", body="held words")
    item = await item_for(db, post.post_id, "held")
    resp = await mod.post_form(
        f"/mod/items/{item}/reject", {"reason": "Off topic", "rule": "site-1"}
    )
    assert resp.status == 303
    decision = await db.fetchval("SELECT id FROM decisions")
    assert await db.fetchval("SELECT kind FROM decisions") == "reject"
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    resp = await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Fine."})
    assert resp.status == 303
    assert await post_state(db, post.post_id) == "published"
    topic = await (await make_client()).get(f"/t/{post.topic_id}")
    assert topic.status == 200
    assert "held words" in await topic.text()


async def test_a_refused_appeal_leaves_the_decision_and_says_why(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    post_id, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    me = await make_client(author)
    await _appeal(me, decision)
    appeal = await _appeal_id(db, decision)
    bad = await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "maybe", "reason": "Hm"})
    assert bad.status == 400
    blank = await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": " "})
    assert blank.status == 400
    resp = await admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "The guideline is clear."}
    )
    assert resp.status == 303
    assert await post_state(db, post_id) == "removed"
    notes = await (await me.get("/notifications")).text()
    assert "was not upheld: The guideline is clear. The decision stands" in notes
    assert await audit_count(db, "appeal-refused") == 1


async def test_an_upheld_appeal_lifts_a_mute_and_undoes_a_removal(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    for kind in ("mute", "remove"):
        post = await publish(author, grief, title=f"Before the {kind}")
        item = await _reported(db, make_client, make_member, post.post_id)
        resp = await mod.post_form(
            f"/mod/items/{item}/sanction",
            {"kind": kind, "duration": "7d", "reason": "Repeated links", "rule": "group-2"},
        )
        assert resp.status == 303
        decision = await db.fetchval("SELECT max(id) FROM decisions")
        await _appeal(await make_client(author), decision)
        appeal = await _appeal_id(db, decision)
        resp = await admin.post_form(
            f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Too harsh."}
        )
        assert resp.status == 303
    blocks = await db.fetchval(
        "SELECT count(*) FROM sanctions WHERE member_id = $1 AND lifted_at IS NULL", author.id
    )
    assert blocks == 0
    assert (
        await db.fetchval(
            "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
            grief.id,
            author.id,
        )
        == "active"
    )
    await _accept_guidelines(db, grief)  # back in the group, they accept its guidelines again
    after = await publish(author, grief, title="Back again")
    assert after.post_id


async def test_a_group_may_let_its_other_moderators_decide_appeals(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    publish: Publish,
    author: Member,
    appoint: Appoint,
) -> None:
    peer = await make_group("peer-run", appeals="moderators", members_=[author])
    mod = await moderator_of(peer)
    _, decision = await _rejected(
        db, mod, make_client, make_member, publish, author, peer, rule="site-5"
    )
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    colleague = await make_member("colleague")
    await appoint(peer, colleague)
    outsider = await make_member("outsider")
    await appoint(await make_group("elsewhere"), outsider)
    assert (await (await make_client(outsider)).get(f"/mod/appeals/{appeal}")).status == 404
    other_mod = await make_client(colleague)
    assert f"/mod/appeals/{appeal}" in await (await other_mod.get("/mod/appeals")).text()
    resp = await other_mod.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "It was an advert."}
    )
    assert resp.status == 303
    assert await db.fetchval("SELECT decided_by FROM appeals") == colleague.id


async def test_the_eligible_deciders_are_told_an_appeal_waits(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    overseer: Member,
    keeper: Member,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    await _appeal(await make_client(author), decision)
    told = await db.fetch("SELECT member_id, message FROM notifications WHERE kind = 'appeal'")
    assert [r["member_id"] for r in told] == [overseer.id]
    assert "willow" not in told[0]["message"]
    assert keeper.id not in [r["member_id"] for r in told]


# -- Anonymity -------------------------------------------------------------------------------------


async def test_an_appeal_about_an_anonymous_post_never_shows_the_appellants_pseudonym(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(
        db, mod, make_client, make_member, publish, author, grief, anonymous=True
    )
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    pages = [
        await (await admin.get("/mod/appeals")).text(),
        await (await admin.get(f"/mod/appeals/{appeal}")).text(),
        await (await admin.get("/admin/log")).text(),
    ]
    assert "An anonymous member" in pages[1]
    for page in pages:
        assert author.pseudonym not in page
    await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "Clear."})
    for path in (f"/mod/appeals/{appeal}", "/admin/log", "/mod/log"):
        assert author.pseudonym not in await (await admin.get(path)).text()
    assert author.pseudonym not in await (await mod.get("/mod/log")).text()


async def test_a_signed_post_shows_the_appellants_pseudonym_to_the_decider(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    _, decision = await _rejected(db, mod, make_client, make_member, publish, author, grief)
    await _appeal(await make_client(author), decision)
    page = await (await admin.get(f"/mod/appeals/{await _appeal_id(db, decision)}")).text()
    assert f"From {author.pseudonym}," in page


async def test_a_staff_sanction_confirmed_by_an_admin_is_not_decided_by_that_admin(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    grief: Group,
    admin: ForumClient,
    overseer: Member,
    appoint: Appoint,
) -> None:
    """A moderator's warning on a fellow moderator's anonymous post waits for an admin; the admin
    who confirmed it took part in the decision, so another admin decides the appeal."""
    mod = await moderator_of(grief)
    fellow = await make_member("fellow")
    await appoint(grief, fellow)
    await _accept_guidelines(db, grief)
    post = await publish(fellow, grief, title="Unsigned", anonymous=True)
    item = await _reported(db, make_client, make_member, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Unkind words", "rule": "site-1"},
    )
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM decisions") == 0  # waits: not told yet
    sanction = await db.fetchval("SELECT id FROM sanctions")
    resp = await admin.post_form(
        f"/mod/items/{item}/sanctions/{sanction}/decision",
        {"decision": "confirm", "reason": "Agreed."},
    )
    assert resp.status == 303, await resp.text()
    row = await db.fetchrow("SELECT id, confirmed_by FROM decisions")
    assert row is not None
    assert row["confirmed_by"] == overseer.id
    await _appeal(await make_client(fellow), row["id"])
    appeal = await _appeal_id(db, row["id"])
    assert (await admin.get(f"/mod/appeals/{appeal}")).status == 404
    second = await make_client(await make_member("second", is_admin=True))
    assert (await second.get(f"/mod/appeals/{appeal}")).status == 200


async def test_an_upheld_appeal_against_a_removal_that_has_ended_does_not_put_them_back(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
) -> None:
    mod = await moderator_of(grief)
    post = await publish(author, grief, title="Before")
    item = await _reported(db, make_client, make_member, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "remove", "duration": "1d", "reason": "Links again", "rule": "group-2"},
    )
    assert resp.status == 303
    await db.execute("UPDATE sanctions SET ends_at = now() - interval '1 minute'")
    decision = await db.fetchval("SELECT id FROM decisions")
    await _appeal(await make_client(author), decision)
    appeal = await _appeal_id(db, decision)
    resp = await admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Ok."})
    assert resp.status == 303
    member_row = await db.fetchval(
        "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
        grief.id,
        author.id,
    )
    assert member_row is None  # whether to come back is theirs to choose now
    notes = await (await (await make_client(author)).get("/notifications")).text()
    assert "you may join the group again from its page" in notes


async def test_whoever_took_another_decision_on_the_same_post_does_not_decide_its_appeal(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    publish: Publish,
    author: Member,
    appoint: Appoint,
) -> None:
    peer = await make_group("peer-run", appeals="moderators", members_=[author])
    mod = await moderator_of(peer)
    colleague = await make_member("colleague")
    await appoint(peer, colleague)
    post = await publish(author, peer, title="Links")
    item = await _reported(db, make_client, make_member, post.post_id)
    other_mod = await make_client(colleague)
    resp = await other_mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Links", "rule": "site-5"},
    )
    assert resp.status == 303
    resp = await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Links", "rule": "site-5"})
    assert resp.status == 303
    rejection = await db.fetchval("SELECT id FROM decisions WHERE kind = 'remove-post'")
    await _appeal(await make_client(author), rejection)
    appeal = await _appeal_id(db, rejection)
    assert (await other_mod.get(f"/mod/appeals/{appeal}")).status == 404
    decide = {"outcome": "uphold", "reason": "I warned them for it"}
    assert (await other_mod.post_form(f"/mod/appeals/{appeal}", decide)).status == 404


async def test_an_appeal_no_one_uninvolved_may_decide_is_flagged_to_the_admins(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    publish: Publish,
    author: Member,
    grief: Group,
    admin: ForumClient,
    overseer: Member,
) -> None:
    _, decision = await _rejected(db, admin, make_client, make_member, publish, author, grief)
    await _appeal(await make_client(author), decision)
    told = await db.fetch("SELECT member_id, message FROM notifications WHERE kind = 'appeal'")
    assert [r["member_id"] for r in told] == [overseer.id]
    assert "appoint another admin" in told[0]["message"]
    assert (await admin.get(f"/mod/appeals/{await _appeal_id(db, decision)}")).status == 404


async def test_a_sanction_an_admin_confirmed_goes_to_admins_even_where_moderators_decide(
    db: asyncpg.Connection,
    moderator_of: ModeratorOf,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    publish: Publish,
    admin: ForumClient,
    appoint: Appoint,
) -> None:
    """Only a staff author's masked post waits for an admin: a moderator deciding the appeal
    would learn the anonymous author is one of the staff."""
    peer = await make_group("peer-run", anonymous="optional", appeals="moderators")
    mod = await moderator_of(peer)
    fellow, third = await make_member("fellow"), await make_member("third")
    await appoint(peer, fellow)
    await appoint(peer, third)
    post = await publish(fellow, peer, title="Unsigned", anonymous=True)
    item = await _reported(db, make_client, make_member, post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Unkind", "rule": "site-1"},
    )
    assert resp.status == 303
    sanction = await db.fetchval("SELECT id FROM sanctions")
    resp = await admin.post_form(
        f"/mod/items/{item}/sanctions/{sanction}/decision",
        {"decision": "confirm", "reason": "Agreed."},
    )
    assert resp.status == 303
    decision = await db.fetchval("SELECT id FROM decisions")
    await _appeal(await make_client(fellow), decision)
    appeal = await _appeal_id(db, decision)
    assert (await (await make_client(third)).get(f"/mod/appeals/{appeal}")).status == 404
    second = await make_client(await make_member("second", is_admin=True))
    page = await second.get(f"/mod/appeals/{appeal}")
    assert page.status == 200
    assert "confirmed by an admin" not in await page.text()
