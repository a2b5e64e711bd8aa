"""Members reporting posts (`/p/{id}/report`), and hiding a post that enough members reported."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
import pytest

from forum.moderation import queue
from forum.storage import groups, queue_items
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    MakeGroup,
    MakeMember,
    ModeratorOf,
    Publish,
    item_for,
    make_topic,
    post_state,
)


@pytest.fixture
async def group(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("grief", members_=[author])


@pytest.fixture
async def post(group: Group, author: Member, publish: Publish) -> NewPost:
    return await publish(author, group, title="A hard day", body="Something reportable")


#: What the `reporter` fixture gives.
Reporter = Callable[[], Awaitable[ForumClient]]


@pytest.fixture
async def moderator(moderator_of: ModeratorOf, group: Group) -> ForumClient:
    """`mod`, signed in as `keeper`, who moderates `group`."""
    return await moderator_of(group)


@pytest.fixture
def reporter(make_member: MakeMember, make_client: ClientFactory) -> Reporter:
    """`await reporter()` is a client signed in as a new, distinct member."""

    async def make() -> ForumClient:
        return await make_client(await make_member(established=True))

    return make


async def report(
    client: ForumClient, post_id: int, reason: str = "harassment", details: str = ""
) -> aiohttp.ClientResponse:
    return await client.post_form(f"/p/{post_id}/report", {"reason": reason, "details": details})


async def reported_by(reporter: Reporter, post_id: int, members: int) -> None:
    """That many distinct members report the post."""
    for _ in range(members):
        await report(await reporter(), post_id)


async def decide(
    db: asyncpg.Connection,
    moderator: ForumClient,
    post_id: int,
    action: str,
    form: dict[str, str] | None = None,
) -> aiohttp.ClientResponse:
    """The moderator's `action` (resolve, approve, reject) on the post's open report item."""
    item_id = await item_for(db, post_id, "report")
    return await moderator.post_form(f"/mod/items/{item_id}/{action}", form)


async def report_count(db: asyncpg.Connection, post_id: int) -> int:
    return int(await db.fetchval("SELECT count(*) FROM reports WHERE post_id = $1", post_id))


# -- Filing a report -----------------------------------------------------------------------------


async def test_the_report_page_offers_every_reason(post: NewPost, reporter: Reporter) -> None:
    page = await (await (await reporter()).get(f"/p/{post.post_id}/report")).text()
    values = re.findall(r'name="reason" value="([a-z]+)"', page)
    assert sorted(values) == sorted(
        ["crisis", "harassment", "hate", "spam", "identifying", "medical", "other"]
    )


async def test_a_visitor_is_sent_to_sign_in_before_reporting(
    post: NewPost, client: ForumClient
) -> None:
    resp = await client.get(f"/p/{post.post_id}/report")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_a_visitors_report_is_not_stored(
    db: asyncpg.Connection, post: NewPost, client: ForumClient
) -> None:
    await report(client, post.post_id)
    assert await report_count(db, post.post_id) == 0


async def test_reporting_a_post_thanks_the_member(post: NewPost, reporter: Reporter) -> None:
    client = await reporter()
    resp = await report(client, post.post_id)
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert "Thank you" in page


async def test_reporting_a_post_opens_a_report_item_in_its_group(
    db: asyncpg.Connection,
    group: Group,
    post: NewPost,
    reporter: Reporter,
) -> None:
    await report(await reporter(), post.post_id, "spam", "selling things")
    item = await db.fetchrow("SELECT * FROM queue_items WHERE post_id = $1", post.post_id)
    assert item is not None
    assert (item["kind"], item["state"], item["group_id"]) == ("report", "open", group.id)


async def test_a_report_keeps_its_reason_and_details(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    await report(await reporter(), post.post_id, "identifying", "names a school")
    row = await db.fetchrow("SELECT reason, details FROM reports WHERE post_id = $1", post.post_id)
    assert row is not None
    assert tuple(row) == ("identifying", "names a school")


async def test_a_report_with_an_unknown_reason_answers_400_keeping_the_details(
    post: NewPost, reporter: Reporter
) -> None:
    resp = await report(await reporter(), post.post_id, "boring", "my careful explanation")
    assert resp.status == 400
    page = await resp.text()
    assert "my careful explanation" in page
    assert "choose a reason" in page


async def test_a_report_without_a_reason_answers_400_keeping_the_details(
    post: NewPost, reporter: Reporter
) -> None:
    client = await reporter()
    resp = await client.post_form(f"/p/{post.post_id}/report", {"details": "see the last line"})
    assert resp.status == 400
    assert "see the last line" in await resp.text()


async def test_a_report_with_overlong_details_answers_400_keeping_them(
    post: NewPost, reporter: Reporter
) -> None:
    details = "a" * 999 + "the end"
    resp = await report(await reporter(), post.post_id, "other", details)
    assert resp.status == 400
    assert details in await resp.text()


async def test_an_invalid_report_keeps_the_chosen_reason(post: NewPost, reporter: Reporter) -> None:
    resp = await report(await reporter(), post.post_id, "spam", "x" * 1001)
    assert 'value="spam" checked' in await resp.text()


async def test_an_invalid_report_stores_nothing(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    await report(await reporter(), post.post_id, "boring")
    assert await report_count(db, post.post_id) == 0
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 0


async def test_a_member_can_report_a_post_only_once(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    client = await reporter()
    await report(client, post.post_id, "spam")
    resp = await report(client, post.post_id, "hate")
    assert resp.status == 303
    assert await report_count(db, post.post_id) == 1


async def test_reporting_again_after_a_decision_opens_no_empty_item(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, moderator: ForumClient
) -> None:
    client = await reporter()
    await report(client, post.post_id)
    await decide(db, moderator, post.post_id, "resolve")
    assert (await report(client, post.post_id)).status == 303
    assert await db.fetchval("SELECT count(*) FROM queue_items WHERE state = 'open'") == 0


async def test_reports_from_several_members_share_one_queue_item(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    await reported_by(reporter, post.post_id, 2)
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 1
    assert await report_count(db, post.post_id) == 2


async def test_an_unknown_post_cannot_be_reported(reporter: Reporter) -> None:
    assert (await report(await reporter(), 999_999)).status == 404


@pytest.mark.parametrize(
    "options", [{"moderation": "all"}, {"visibility": "members"}], ids=["held", "members-only"]
)
async def test_a_held_post_or_one_an_outsider_cannot_see_cannot_be_reported(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    author: Member,
    publish: Publish,
    reporter: Reporter,
    options: dict[str, str],
) -> None:
    new = await publish(author, await make_group(members_=[author], **options))
    assert (await report(await reporter(), new.post_id)).status == 404
    assert await report_count(db, new.post_id) == 0


async def test_a_report_needs_a_csrf_token(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    client = await reporter()
    resp = await client.post_form(f"/p/{post.post_id}/report", {"reason": "spam"}, csrf=False)
    assert resp.status == 403
    assert await report_count(db, post.post_id) == 0


# -- The hide threshold ---------------------------------------------------------------------------


async def test_a_post_reported_by_two_members_stays_visible(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, client: ForumClient
) -> None:
    await reported_by(reporter, post.post_id, 2)
    assert await post_state(db, post.post_id) == "published"
    assert "Something reportable" in await (await client.get(f"/t/{post.topic_id}")).text()


async def test_a_post_reported_by_three_members_is_hidden(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    await reported_by(reporter, post.post_id, 3)
    assert await post_state(db, post.post_id) == "hidden"


async def test_a_hidden_post_shows_a_placeholder_instead_of_its_body(
    post: NewPost, reporter: Reporter, client: ForumClient
) -> None:
    await reported_by(reporter, post.post_id, 3)
    resp = await client.get(f"/t/{post.topic_id}")
    assert resp.status == 200
    page = await resp.text()
    assert "Something reportable" not in page
    assert "hidden while moderators review it" in page


async def test_a_hidden_post_is_hidden_from_its_author_too(
    author: Member, make_client: ClientFactory, post: NewPost, reporter: Reporter
) -> None:
    await reported_by(reporter, post.post_id, 3)
    page = await (await (await make_client(author)).get(f"/t/{post.topic_id}")).text()
    assert "Something reportable" not in page


async def test_one_member_reporting_again_and_again_does_not_hide_a_post(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    client = await reporter()
    for reason in ("spam", "hate", "other"):
        await report(client, post.post_id, reason)
    assert await post_state(db, post.post_id) == "published"


@pytest.mark.parametrize(("threshold", "members", "state"), [(1, 1, "hidden"), (5, 4, "published")])
async def test_the_hide_threshold_is_set_per_group(
    db: asyncpg.Connection,
    group: Group,
    post: NewPost,
    reporter: Reporter,
    threshold: int,
    members: int,
    state: str,
) -> None:
    await db.execute(
        "UPDATE groups SET report_hide_threshold = $1 WHERE id = $2", threshold, group.id
    )
    await reported_by(reporter, post.post_id, members)
    assert await post_state(db, post.post_id) == state


async def test_the_queue_shows_a_hidden_post_with_its_report_count(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, moderator: ForumClient
) -> None:
    await reported_by(reporter, post.post_id, 3)
    page = await (await moderator.get("/mod")).text()
    item_id = await item_for(db, post.post_id, "report")
    entry = re.search(
        rf'<li class="queue-item">\s*<a href="/mod/items/{item_id}">.*?</li>', page, re.S
    )
    assert entry is not None
    assert "3 reports" in entry.group(0)
    assert "hidden" in entry.group(0)


async def item_page(db: asyncpg.Connection, moderator: ForumClient, post_id: int) -> str:
    """The page of the post's open report item, as the moderator sees it."""
    item_id = await item_for(db, post_id, "report")
    return await (await moderator.get(f"/mod/items/{item_id}")).text()


async def test_the_item_page_lists_the_reports_but_not_who_made_them(
    db: asyncpg.Connection,
    post: NewPost,
    make_member: MakeMember,
    make_client: ClientFactory,
    moderator: ForumClient,
) -> None:
    names = ["ashgrove", "birchwood"]
    for name, details in zip(names, ["first worry", "second worry"], strict=True):
        await report(await make_client(await make_member(name)), post.post_id, "hate", details)
    page = await item_page(db, moderator, post.post_id)
    assert "first worry" in page
    assert "second worry" in page
    assert not any(name in page for name in names)


async def test_report_details_are_shown_to_moderators_as_text(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, moderator: ForumClient
) -> None:
    await report(await reporter(), post.post_id, "other", "<script>alert(1)</script>")
    page = await item_page(db, moderator, post.post_id)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


async def test_resolving_a_hidden_post_answers_400_and_keeps_it_hidden(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, moderator: ForumClient
) -> None:
    await reported_by(reporter, post.post_id, 3)
    resp = await decide(db, moderator, post.post_id, "resolve")
    assert resp.status == 400
    assert await post_state(db, post.post_id) == "hidden"


async def test_approving_a_hidden_post_shows_it_again(
    db: asyncpg.Connection,
    post: NewPost,
    reporter: Reporter,
    moderator: ForumClient,
    client: ForumClient,
) -> None:
    await reported_by(reporter, post.post_id, 3)
    resp = await decide(db, moderator, post.post_id, "approve")
    assert resp.status == 303
    assert await post_state(db, post.post_id) == "published"
    assert "Something reportable" in await (await client.get(f"/t/{post.topic_id}")).text()


async def test_rejecting_a_reported_post_leaves_a_removed_placeholder(
    db: asyncpg.Connection,
    group: Group,
    author: Member,
    publish: Publish,
    post: NewPost,
    reporter: Reporter,
    moderator: ForumClient,
    client: ForumClient,
) -> None:
    reply = await publish(author, group, topic_id=post.topic_id, body="The reported reply")
    await report(await reporter(), reply.post_id)
    resp = await decide(db, moderator, reply.post_id, "reject", {"reason": "Personal attack"})
    assert resp.status == 303
    page = await (await client.get(f"/t/{post.topic_id}")).text()
    assert "The reported reply" not in page
    assert "removed by a moderator" in page


async def test_reports_after_a_decision_open_a_new_item(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter, moderator: ForumClient
) -> None:
    await report(await reporter(), post.post_id)
    first = await item_for(db, post.post_id, "report")
    await decide(db, moderator, post.post_id, "resolve")
    await report(await reporter(), post.post_id)
    assert await item_for(db, post.post_id, "report") != first


# -- Reports arriving at the same moment -----------------------------------------------------------


async def test_three_members_reporting_at_once_hide_the_post(
    db: asyncpg.Connection, post: NewPost, reporter: Reporter
) -> None:
    clients = [await reporter() for _ in range(3)]
    responses = await asyncio.gather(*(report(c, post.post_id) for c in clients))
    assert [r.status for r in responses] == [303, 303, 303]
    assert await post_state(db, post.post_id) == "hidden"
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 1


async def test_a_report_begun_before_another_opened_the_item_still_counts(
    db: asyncpg.Connection, database_url: str, group: Group, post: NewPost, make_member: MakeMember
) -> None:
    """Two reports in flight: the one whose transaction began first reaches the queue second."""
    await db.execute("UPDATE groups SET report_hide_threshold = 2 WHERE id = $1", group.id)
    raised = await groups.get_group_by_slug(db, "grief")
    assert raised is not None
    group = raised
    first, second = await make_member(established=True), await make_member(established=True)
    late = await asyncpg.connect(database_url)
    try:
        async with late.transaction():
            await queue.report(
                db, post_id=post.post_id, group=group, reporter=second, reason="spam", details=""
            )
            await queue.report(
                late, post_id=post.post_id, group=group, reporter=first, reason="hate", details=""
            )
    finally:
        await late.close()
    item = await queue_items.get_item(db, await item_for(db, post.post_id, "report"))
    assert item is not None
    assert item.report_count == 2
    assert len(await queue_items.list_reports(db, post.post_id, item.created_at)) == 2
    assert await post_state(db, post.post_id) == "hidden"


async def test_a_report_that_someone_may_be_at_risk_goes_to_the_crisis_section(
    make_client: ClientFactory,
    make_member: MakeMember,
    make_group: MakeGroup,
    db: asyncpg.Connection,
) -> None:
    author = await make_member("author1")
    reporter = await make_member("reporter1")
    group = await make_group("grief", members_=[author, reporter])
    new = await make_topic(db, group, author, "A hard night", body="I can't go on")
    client = await make_client(reporter)
    resp = await client.post_form(f"/p/{new.post_id}/report", {"reason": "crisis"})
    assert resp.status == 303
    row = await db.fetchrow("SELECT kind, priority FROM queue_items")
    assert row is not None
    assert row["kind"] == "crisis"
    assert row["priority"] < await db.fetchval("SELECT 20")  # ahead of held posts (20)
