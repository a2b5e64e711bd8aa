"""Statements of reasons and appeals (issue 19): every rejection and sanction names the rule, the
facts, how it came to the moderators and that a person decided; the member appeals once, within
30 days; someone who took no part decides, never shown an anonymous appellant's pseudonym;
upheld, the decision is undone; all audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass
class Case:
    """The cast: `author` in `grief` (guidelines accepted), `mod` (keeper, the group's
    moderator), `admin` (overseer, the only admin), and the factories to add to them."""

    db: asyncpg.Connection
    make_client: ClientFactory
    make_member: MakeMember
    make_group: MakeGroup
    publish: Publish
    appoint: Appoint
    moderator_of: ModeratorOf
    author: Member
    keeper: Member
    overseer: Member
    grief: Group
    mod: ForumClient
    admin: ForumClient

    async def accept_guidelines(self, group: Group) -> None:
        await self.db.execute(
            "UPDATE group_members SET guidelines_accepted_at = now() WHERE group_id = $1", group.id
        )

    async def reported(self, post_id: int) -> int:
        """A member reports the post: its queue item."""
        reporter = await self.make_client(await self.make_member())
        resp = await reporter.post_form(f"/p/{post_id}/report", {"reason": "spam"})
        assert resp.status == 303
        return await item_for(self.db, post_id, "report")

    async def rejected(
        self, mod: ForumClient, group: Group, *, anonymous: bool = False, rule: str = "group-2"
    ) -> tuple[int, int]:
        """The author's post, reported and removed by `mod` under `rule`: (post, decision)."""
        post = await self.publish(
            self.author, group, title="Sponsor me", body="a link", anonymous=anonymous
        )
        item = await self.reported(post.post_id)
        resp = await mod.post_form(
            f"/mod/items/{item}/reject", {"reason": "The post asks for donations", "rule": rule}
        )
        assert resp.status == 303, await resp.text()
        decision = await self.db.fetchval(
            "SELECT id FROM decisions WHERE post_id = $1 ORDER BY id DESC LIMIT 1", post.post_id
        )
        assert decision is not None
        return post.post_id, decision

    async def appeal_id(self, decision: int) -> int:
        return int(
            await self.db.fetchval("SELECT id FROM appeals WHERE decision_id = $1", decision)
        )


@pytest.fixture
async def case(
    db: asyncpg.Connection,
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    publish: Publish,
    appoint: Appoint,
    moderator_of: ModeratorOf,
    author: Member,
    keeper: Member,
    overseer: Member,
    admin: ForumClient,
) -> Case:
    grief = await make_group(
        "grief",
        name="Grief",
        anonymous="optional",
        members_=[author],
        guidelines=GUIDELINES,
        report_hide_threshold=50,
    )
    mod = await moderator_of(grief)
    made = Case(
        db,
        make_client,
        make_member,
        make_group,
        publish,
        appoint,
        moderator_of,
        author,
        keeper,
        overseer,
        grief,
        mod,
        admin,
    )
    await made.accept_guidelines(grief)
    return made


async def _appeal(
    client: ForumClient, decision: int | str, text: str = "It was a memorial fund."
) -> aiohttp.ClientResponse:
    return await client.post_form("/appeals", {"decision": str(decision), "text": text})


async def _appeal_id(db: asyncpg.Connection, decision: int) -> int:
    return int(await db.fetchval("SELECT id FROM appeals WHERE decision_id = $1", decision))


# -- The statement of reasons ----------------------------------------------------------------------


async def test_a_removal_tells_the_rule_the_facts_who_decided_and_how_to_appeal(case: Case) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    me = await case.make_client(case.author)
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


async def test_the_rules_offered_are_the_site_rules_and_the_groups_guidelines(case: Case) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    page = await (await mod.get(f"/mod/items/{item}")).text()
    key = r'<option value="{}:[0-9a-f]{{8}}">{}</option>'
    assert re.search(key.format("site-1", "Site rule 1: Be kind"), page)
    assert re.search(key.format("group-1", "Grief guideline 1: Stay on grief"), page)
    assert re.search(key.format("group-2", "Grief guideline 2: No fundraising links"), page)


async def test_a_rule_rewritten_while_the_moderator_chose_it_is_refused_not_swapped(
    case: Case,
) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    page = await (await mod.get(f"/mod/items/{item}")).text()
    found = re.search(r'<option value="(group-2:[0-9a-f]{8})">', page)
    assert found is not None
    await case.db.execute(
        "UPDATE groups SET guidelines = $2 WHERE id = $1",
        case.grief.id,
        "- No fundraising links.\n- Stay on grief.",  # the same rules, in another order
    )
    resp = await mod.post_form(
        f"/mod/items/{item}/reject", {"reason": "Asks for money", "rule": found.group(1)}
    )
    assert resp.status == 400
    assert await post_state(case.db, post.post_id) == "published"


async def test_a_post_its_author_deleted_first_brings_them_no_statement(case: Case) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    me = await case.make_client(case.author)
    assert (await me.post_form(f"/p/{post.post_id}/delete")).status == 303
    resp = await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Spam", "rule": "site-5"})
    assert resp.status == 303
    assert await case.db.fetchval("SELECT count(*) FROM decisions") == 0


async def test_an_unknown_or_blank_rule_is_refused_and_nothing_is_removed(case: Case) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    for rule in ("site-99", ""):
        resp = await mod.post_form(
            f"/mod/items/{item}/reject", {"reason": "Typed reason kept", "rule": rule}
        )
        assert resp.status == 400
        assert "Choose the rule" in await resp.text()
        assert "Typed reason kept" in await resp.text()
    assert await post_state(case.db, post.post_id) == "published"
    assert await case.db.fetchval("SELECT count(*) FROM decisions") == 0


async def test_a_client_that_names_no_rule_still_sends_a_statement(case: Case) -> None:
    """The contract's reject takes only `reason`: the statement then points to the site rules."""
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    assert (await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Spam"})).status == 303
    assert await case.db.fetchval("SELECT rule FROM decisions") == "The site rules (/rules)"


async def test_a_sanction_sends_a_statement_too(case: Case) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Hello")
    item = await case.reported(post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "mute", "duration": "3d", "reason": "Third fundraising post", "rule": "group-2"},
    )
    assert resp.status == 303
    row = await case.db.fetchrow(
        "SELECT kind, rule, facts, detected_by, sanction_id FROM decisions"
    )
    assert row is not None
    assert (row["kind"], row["rule"], row["facts"], row["detected_by"]) == (
        "mute",
        "Grief guideline 2: No fundraising links.",
        "Third fundraising post",
        "reports",
    )
    assert row["sanction_id"] is not None


async def test_a_held_post_rejected_after_the_scanner_flagged_it_says_so(case: Case) -> None:
    mod = case.mod
    post = await case.publish(
        case.author, case.grief, title="Goodbye", body="I am going to kill myself tonight"
    )
    item = int(
        await case.db.fetchval("SELECT id FROM queue_items WHERE post_id = $1", post.post_id)
    )
    resp = await mod.post_form(
        f"/mod/items/{item}/reject",
        {"reason": "Method details", "rule": "site-3", "at_risk": "urgent"},
    )
    assert resp.status == 303, await resp.text()
    assert (
        await case.db.fetchval("SELECT kind || ' ' || detected_by FROM decisions")
        == "reject scanner"
    )
    page = await (await (await case.make_client(case.author)).get("/notifications")).text()
    assert (
        "The forum&#39;s crisis scanner flagged the post for a moderator; a person decided." in page
    )


# -- Filing an appeal ------------------------------------------------------------------------------


async def test_a_member_appeals_each_decision_once(case: Case) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    me = await case.make_client(case.author)
    resp = await _appeal(me, f"decision {decision}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/decisions/{decision}?appealed=1"
    again = await _appeal(me, decision, "And another thing")
    assert again.status == 409
    assert "appealed this decision already" in await again.text()
    assert await case.db.fetchval("SELECT count(*) FROM appeals") == 1
    assert await audit_count(case.db, "appeal") == 1
    actor = await case.db.fetchval("SELECT actor_id FROM audit_log WHERE action = 'appeal'")
    assert actor is None  # the appellant is never named in the log


async def test_an_appeal_is_refused_after_thirty_days_or_without_words_and_keeps_the_text(
    case: Case,
) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    me = await case.make_client(case.author)
    blank = await _appeal(me, decision, "   ")
    assert blank.status == 400
    too_long = await _appeal(me, decision, "x" * 2001)
    assert too_long.status == 400
    assert "x" * 2001 in await too_long.text()
    await case.db.execute(
        "UPDATE decisions SET created_at = now() - interval '30 days 1 minute' WHERE id = $1",
        decision,
    )
    late = await _appeal(me, decision, "Please look again")
    assert late.status == 400
    text = await late.text()
    assert "within 30 days" in text
    assert "Please look again" in text
    assert await case.db.fetchval("SELECT count(*) FROM appeals") == 0


async def test_no_one_appeals_another_members_decision(case: Case) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    other = await case.make_client(await case.make_member())
    assert (await _appeal(other, decision)).status == 404
    assert (await other.get(f"/decisions/{decision}")).status == 404
    bad = await _appeal(other, "not a decision", "words worth keeping")
    assert bad.status == 400
    assert "words worth keeping" in await bad.text()
    assert (await (await case.make_client()).get(f"/decisions/{decision}")).status == 303  # sign in
    assert await case.db.fetchval("SELECT count(*) FROM appeals") == 0


def test_a_decision_is_named_as_notifications_name_it() -> None:
    for raw in ("42", " 42 ", "#42", "D-42", "d42", "decision 42", "Decision 42"):
        assert appeals.reference(raw) == 42, raw
    for raw in ("", "42a", "decision", "-42", "4 2"):
        assert appeals.reference(raw) is None, raw


# -- Deciding it -----------------------------------------------------------------------------------


async def test_an_appeal_is_decided_only_by_someone_who_did_not_decide_the_original(
    case: Case,
) -> None:
    mod = case.mod
    post_id, decision = await case.rejected(mod, case.grief)
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    # The moderator who removed it neither sees nor decides it.
    assert f"/mod/appeals/{appeal}" not in await (await mod.get("/mod/appeals")).text()
    assert (await mod.get(f"/mod/appeals/{appeal}")).status == 404
    decide = {"outcome": "uphold", "reason": "I removed it myself"}
    assert (await mod.post_form(f"/mod/appeals/{appeal}", decide)).status == 404
    # Another moderator of the group does not either: this group's appeals go to the admins.
    colleague = await case.make_member("colleague")
    await case.appoint(case.grief, colleague)
    other_mod = await case.make_client(colleague)
    assert (await other_mod.get(f"/mod/appeals/{appeal}")).status == 404
    # A plain member has no appeals queue at all.
    assert (
        await (await case.make_client(await case.make_member())).get("/mod/appeals")
    ).status == 404
    # The admin does.
    assert f"/mod/appeals/{appeal}" in await (await case.admin.get("/mod/appeals")).text()
    assert await post_state(case.db, post_id) == "removed"
    assert await case.db.fetchval("SELECT state FROM appeals") == "open"


async def test_an_admin_who_decided_cannot_decide_the_appeal_but_another_admin_can(
    case: Case,
) -> None:
    _, decision = await case.rejected(
        case.admin,
        case.grief,
    )
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    assert (await case.admin.get(f"/mod/appeals/{appeal}")).status == 404
    second = await case.make_client(await case.make_member("second", is_admin=True))
    resp = await second.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "The link asked for money."}
    )
    assert resp.status == 303
    assert await case.db.fetchval("SELECT decided_by FROM appeals") != case.overseer.id


async def test_an_upheld_appeal_puts_the_post_back_and_tells_the_member_why(case: Case) -> None:
    mod = case.mod
    post_id, decision = await case.rejected(mod, case.grief)
    me = await case.make_client(case.author)
    await _appeal(me, decision)
    appeal = await case.appeal_id(decision)
    page = await (await case.admin.get(f"/mod/appeals/{appeal}")).text()
    assert "It was a memorial fund." in page
    assert "The post asks for donations" in page
    resp = await case.admin.post_form(
        f"/mod/appeals/{appeal}",
        {"outcome": "uphold", "reason": "A memorial fund is not fundraising for oneself."},
    )
    assert resp.status == 303
    assert await post_state(case.db, post_id) == "published"
    assert await case.db.fetchval("SELECT reversed_at IS NOT NULL FROM decisions") is True
    notes = await (await me.get("/notifications")).text()
    assert f"Your appeal against decision {decision} was upheld" in notes
    assert "A memorial fund is not fundraising for oneself." in notes
    assert "Your post is back, as you wrote it." in notes
    assert (
        "upheld, and the decision reversed" in await (await me.get(f"/decisions/{decision}")).text()
    )
    assert await audit_count(case.db, "appeal-upheld") == 1
    # Decided once: a second decision is refused, the first stands.
    again = await case.admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "No"}
    )
    assert again.status == 409
    assert await case.db.fetchval("SELECT state FROM appeals") == "upheld"


async def test_an_upheld_appeal_publishes_a_held_post_that_was_rejected(case: Case) -> None:
    careful = await case.make_group("careful", moderation="all", members_=[case.author])
    mod = await case.moderator_of(careful)
    post = await case.publish(case.author, careful, title="Waiting", body="held words")
    item = await item_for(case.db, post.post_id, "held")
    resp = await mod.post_form(
        f"/mod/items/{item}/reject", {"reason": "Off topic", "rule": "site-1"}
    )
    assert resp.status == 303
    decision = await case.db.fetchval("SELECT id FROM decisions")
    assert await case.db.fetchval("SELECT kind FROM decisions") == "reject"
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    resp = await case.admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Fine."}
    )
    assert resp.status == 303
    assert await post_state(case.db, post.post_id) == "published"
    topic = await (await case.make_client()).get(f"/t/{post.topic_id}")
    assert topic.status == 200
    assert "held words" in await topic.text()


async def test_a_refused_appeal_leaves_the_decision_and_says_why(case: Case) -> None:
    mod = case.mod
    post_id, decision = await case.rejected(mod, case.grief)
    me = await case.make_client(case.author)
    await _appeal(me, decision)
    appeal = await case.appeal_id(decision)
    bad = await case.admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "maybe", "reason": "Hm"})
    assert bad.status == 400
    blank = await case.admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": " "}
    )
    assert blank.status == 400
    resp = await case.admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "The guideline is clear."}
    )
    assert resp.status == 303
    assert await post_state(case.db, post_id) == "removed"
    notes = await (await me.get("/notifications")).text()
    assert "was not upheld: The guideline is clear. The decision stands" in notes
    assert await audit_count(case.db, "appeal-refused") == 1


async def test_an_upheld_appeal_lifts_a_mute_and_undoes_a_removal(case: Case) -> None:
    mod = case.mod
    for kind in ("mute", "remove"):
        post = await case.publish(case.author, case.grief, title=f"Before the {kind}")
        item = await case.reported(post.post_id)
        resp = await mod.post_form(
            f"/mod/items/{item}/sanction",
            {"kind": kind, "duration": "7d", "reason": "Repeated links", "rule": "group-2"},
        )
        assert resp.status == 303
        decision = await case.db.fetchval("SELECT max(id) FROM decisions")
        await _appeal(await case.make_client(case.author), decision)
        appeal = await case.appeal_id(decision)
        resp = await case.admin.post_form(
            f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Too harsh."}
        )
        assert resp.status == 303
    blocks = await case.db.fetchval(
        "SELECT count(*) FROM sanctions WHERE member_id = $1 AND lifted_at IS NULL", case.author.id
    )
    assert blocks == 0
    assert (
        await case.db.fetchval(
            "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
            case.grief.id,
            case.author.id,
        )
        == "active"
    )
    await case.accept_guidelines(case.grief)  # back in the group, they accept its guidelines again
    after = await case.publish(case.author, case.grief, title="Back again")
    assert after.post_id


async def test_a_group_may_let_its_other_moderators_decide_appeals(case: Case) -> None:
    peer = await case.make_group("peer-run", appeals="moderators", members_=[case.author])
    mod = await case.moderator_of(peer)
    _, decision = await case.rejected(
        mod,
        peer,
        rule="site-5",
    )
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    colleague = await case.make_member("colleague")
    await case.appoint(peer, colleague)
    outsider = await case.make_member("outsider")
    await case.appoint(await case.make_group("elsewhere"), outsider)
    assert (await (await case.make_client(outsider)).get(f"/mod/appeals/{appeal}")).status == 404
    other_mod = await case.make_client(colleague)
    assert f"/mod/appeals/{appeal}" in await (await other_mod.get("/mod/appeals")).text()
    resp = await other_mod.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "It was an advert."}
    )
    assert resp.status == 303
    assert await case.db.fetchval("SELECT decided_by FROM appeals") == colleague.id


async def test_the_eligible_deciders_are_told_an_appeal_waits(case: Case) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    await _appeal(await case.make_client(case.author), decision)
    told = await case.db.fetch("SELECT member_id, message FROM notifications WHERE kind = 'appeal'")
    assert [r["member_id"] for r in told] == [case.overseer.id]
    assert "willow" not in told[0]["message"]
    assert case.keeper.id not in [r["member_id"] for r in told]


# -- Anonymity -------------------------------------------------------------------------------------


async def test_an_appeal_about_an_anonymous_post_never_shows_the_appellants_pseudonym(
    case: Case,
) -> None:
    mod = case.mod
    _, decision = await case.rejected(
        mod,
        case.grief,
        anonymous=True,
    )
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    pages = [
        await (await case.admin.get("/mod/appeals")).text(),
        await (await case.admin.get(f"/mod/appeals/{appeal}")).text(),
        await (await case.admin.get("/admin/log")).text(),
    ]
    assert "An anonymous member" in pages[1]
    for page in pages:
        assert case.author.pseudonym not in page
    await case.admin.post_form(f"/mod/appeals/{appeal}", {"outcome": "refuse", "reason": "Clear."})
    for path in (f"/mod/appeals/{appeal}", "/admin/log", "/mod/log"):
        assert case.author.pseudonym not in await (await case.admin.get(path)).text()
    assert case.author.pseudonym not in await (await mod.get("/mod/log")).text()


async def test_a_signed_post_shows_the_appellants_pseudonym_to_the_decider(case: Case) -> None:
    mod = case.mod
    _, decision = await case.rejected(mod, case.grief)
    await _appeal(await case.make_client(case.author), decision)
    page = await (await case.admin.get(f"/mod/appeals/{await case.appeal_id(decision)}")).text()
    assert f"From {case.author.pseudonym}," in page


async def test_a_staff_sanction_confirmed_by_an_admin_is_not_decided_by_that_admin(
    case: Case,
) -> None:
    """A moderator's warning on a fellow moderator's anonymous post waits for an admin; the admin
    who confirmed it took part in the decision, so another admin decides the appeal."""
    mod = case.mod
    fellow = await case.make_member("fellow")
    await case.appoint(case.grief, fellow)
    await case.accept_guidelines(case.grief)
    post = await case.publish(fellow, case.grief, title="Unsigned", anonymous=True)
    item = await case.reported(post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Unkind words", "rule": "site-1"},
    )
    assert resp.status == 303
    assert await case.db.fetchval("SELECT count(*) FROM decisions") == 0  # waits: not told yet
    sanction = await case.db.fetchval("SELECT id FROM sanctions")
    resp = await case.admin.post_form(
        f"/mod/items/{item}/sanctions/{sanction}/decision",
        {"decision": "confirm", "reason": "Agreed."},
    )
    assert resp.status == 303, await resp.text()
    row = await case.db.fetchrow("SELECT id, confirmed_by FROM decisions")
    assert row is not None
    assert row["confirmed_by"] == case.overseer.id
    await _appeal(await case.make_client(fellow), row["id"])
    appeal = await case.appeal_id(row["id"])
    assert (await case.admin.get(f"/mod/appeals/{appeal}")).status == 404
    second = await case.make_client(await case.make_member("second", is_admin=True))
    assert (await second.get(f"/mod/appeals/{appeal}")).status == 200


async def test_an_upheld_appeal_against_a_removal_that_has_ended_does_not_put_them_back(
    case: Case,
) -> None:
    mod = case.mod
    post = await case.publish(case.author, case.grief, title="Before")
    item = await case.reported(post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "remove", "duration": "1d", "reason": "Links again", "rule": "group-2"},
    )
    assert resp.status == 303
    await case.db.execute("UPDATE sanctions SET ends_at = now() - interval '1 minute'")
    decision = await case.db.fetchval("SELECT id FROM decisions")
    await _appeal(await case.make_client(case.author), decision)
    appeal = await case.appeal_id(decision)
    resp = await case.admin.post_form(
        f"/mod/appeals/{appeal}", {"outcome": "uphold", "reason": "Ok."}
    )
    assert resp.status == 303
    member_row = await case.db.fetchval(
        "SELECT state FROM group_members WHERE group_id = $1 AND member_id = $2",
        case.grief.id,
        case.author.id,
    )
    assert member_row is None  # whether to come back is theirs to choose now
    notes = await (await (await case.make_client(case.author)).get("/notifications")).text()
    assert "you may join the group again from its page" in notes


async def test_whoever_took_another_decision_on_the_same_post_does_not_decide_its_appeal(
    case: Case,
) -> None:
    peer = await case.make_group("peer-run", appeals="moderators", members_=[case.author])
    mod = await case.moderator_of(peer)
    colleague = await case.make_member("colleague")
    await case.appoint(peer, colleague)
    post = await case.publish(case.author, peer, title="Links")
    item = await case.reported(post.post_id)
    other_mod = await case.make_client(colleague)
    resp = await other_mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Links", "rule": "site-5"},
    )
    assert resp.status == 303
    resp = await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Links", "rule": "site-5"})
    assert resp.status == 303
    rejection = await case.db.fetchval("SELECT id FROM decisions WHERE kind = 'remove-post'")
    await _appeal(await case.make_client(case.author), rejection)
    appeal = await case.appeal_id(rejection)
    assert (await other_mod.get(f"/mod/appeals/{appeal}")).status == 404
    decide = {"outcome": "uphold", "reason": "I warned them for it"}
    assert (await other_mod.post_form(f"/mod/appeals/{appeal}", decide)).status == 404


async def test_an_appeal_no_one_uninvolved_may_decide_is_flagged_to_the_admins(case: Case) -> None:
    _, decision = await case.rejected(
        case.admin,
        case.grief,
    )
    await _appeal(await case.make_client(case.author), decision)
    told = await case.db.fetch("SELECT member_id, message FROM notifications WHERE kind = 'appeal'")
    assert [r["member_id"] for r in told] == [case.overseer.id]
    assert "appoint another admin" in told[0]["message"]
    assert (await case.admin.get(f"/mod/appeals/{await case.appeal_id(decision)}")).status == 404


async def test_a_sanction_an_admin_confirmed_goes_to_admins_even_where_moderators_decide(
    case: Case,
) -> None:
    """Only a staff author's masked post waits for an admin: a moderator deciding the appeal
    would learn the anonymous author is one of the staff."""
    peer = await case.make_group("peer-run", anonymous="optional", appeals="moderators")
    mod = await case.moderator_of(peer)
    fellow, third = await case.make_member("fellow"), await case.make_member("third")
    await case.appoint(peer, fellow)
    await case.appoint(peer, third)
    post = await case.publish(fellow, peer, title="Unsigned", anonymous=True)
    item = await case.reported(post.post_id)
    resp = await mod.post_form(
        f"/mod/items/{item}/sanction",
        {"kind": "warn", "duration": "1d", "reason": "Unkind", "rule": "site-1"},
    )
    assert resp.status == 303
    sanction = await case.db.fetchval("SELECT id FROM sanctions")
    resp = await case.admin.post_form(
        f"/mod/items/{item}/sanctions/{sanction}/decision",
        {"decision": "confirm", "reason": "Agreed."},
    )
    assert resp.status == 303
    decision = await case.db.fetchval("SELECT id FROM decisions")
    await _appeal(await case.make_client(fellow), decision)
    appeal = await case.appeal_id(decision)
    assert (await (await case.make_client(third)).get(f"/mod/appeals/{appeal}")).status == 404
    second = await case.make_client(await case.make_member("second", is_admin=True))
    page = await second.get(f"/mod/appeals/{appeal}")
    assert page.status == 200
    assert "confirmed by an admin" not in await page.text()
