"""No page gives an anonymous author away: the crawl of issue 3's "What it must show".

One member, "quietheron" (member id 48613, chosen so that the number is found nowhere by chance),
posts anonymously: topics, replies on a second page, a held post, a post a moderator removed, one
an admin revealed; in another group they reply and start a topic under the group name
"stillwater". Then a visitor, another member, a moderator of those groups, an admin and the
author themselves each follow every link they are shown, from every page they can reach, plus
the addresses a curious person would type (404s, profiles, exports, other people's drafts).

On every page, redirect and log line: the pseudonym never appears (except "Signed in as" for the
author), "stillwater" appears only where that group name was published (the recovery group's
pages and its moderation item), and the member id appears nowhere at all.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections import deque
from dataclasses import dataclass, field

import asyncpg
import pytest

from forum.storage import inbox
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.anonymity.threads import own_marks, set_name
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeDraft,
    MakeGroup,
    MakeMember,
    Publish,
    item_for,
    make_reply,
    make_topic,
)

PSEUDONYM = "quietheron"
PERSONA = "stillwater"
AUTHOR_ID = 48613
ID_PATTERN = re.compile(rf"(?<![\w.]){AUTHOR_ID}(?!\w)")
#: Everything the author wrote anonymously: readable by others, but never next to a name of theirs.
ANONYMOUS_TEXTS = ("unsigned opening words", "unsigned late words", "unsigned recovery words")
#: Each identity's own history: a warning given on one of its items, shown only in its context.
ANONYMOUS_WARNING = "Please keep it kind"
PERSONA_WARNING = "Mind the recovery house rules"
APPEAL = "my words of appeal"
SKIP = ("/static/", "/mod/events", "/inbox/events", "/admin/reveals/", "/logout")
MAX_PAGES = 1000


@dataclass
class World:
    author: Member
    other: Member
    keeper: Member
    overseer: Member
    grief: Group
    recovery: Group
    anon_topic: int = 0
    named_topic: int = 0
    recovery_topic: int = 0
    persona_topic: int = 0
    held_topic: int = 0
    quiet_topic: int = 0
    author_posts: list[int] = field(default_factory=list)
    items: dict[str, int] = field(default_factory=dict)
    author_draft: int = 0
    reveal_path: str = ""
    decisions: dict[str, int] = field(default_factory=dict)  # by item, as `items`
    appeals: dict[str, int] = field(default_factory=dict)

    def persona_pages(self) -> set[str]:
        """Where "stillwater" is rightly shown: where the posts signed with it are."""
        return {
            "/g/recovery",
            f"/t/{self.recovery_topic}",
            f"/t/{self.persona_topic}",
            f"/mod/items/{self.items['persona']}",
            # The other member started the check-in topic: the signed reply reaches their inbox
            # under the name it was published with, as on the topic page.
            "/inbox",
        }

    def history_pages(self, item: str) -> set[str]:
        """Where a warning given on an item may be read by anyone but the author: that item
        (its identity's record) and the moderation logs, whose entries never name the member."""
        pages = {f"/mod/items/{self.items[item]}", "/mod/log", "/admin/log"}
        if item in self.appeals:  # the appeal against it, about the same post
            pages.add(f"/mod/appeals/{self.appeals[item]}")
        return pages

    def seeds(self) -> list[str]:
        topic_ids = [
            self.anon_topic,
            self.named_topic,
            self.recovery_topic,
            self.persona_topic,
            self.held_topic,
            self.quiet_topic,
        ]
        return [
            "/",
            "/?q=grief",
            "/?q=words",  # links to /search?q=words: the anonymous posts, and stillwater's
            "/search?q=unsigned&group=grief",
            "/search?q=hard",
            "/search?q=waiting",
            "/search?q=door",
            "/g/grief",
            "/g/recovery",
            "/g/careful",
            "/g/quiet-room",
            *(f"/t/{t}" for t in topic_ids),
            f"/t/{self.anon_topic}?page=2",
            *(f"/p/{p}" for p in self.author_posts),
            *(f"/p/{p}/report" for p in self.author_posts),
            "/m/harbourlight",
            "/m/keeper",
            "/m/overseer",
            "/drafts",
            f"/drafts/{self.author_draft}",
            "/notifications",
            "/inbox",
            *(f"/check-ins/{i}" for i in self.items.values()),
            "/account/posts",
            "/account/helped",
            "/mod",
            "/mod/log",
            "/admin",
            "/admin/log",
            "/admin/members",
            "/admin/moderators",
            "/admin/lexicon",
            "/admin/groups/grief/health",
            "/admin/groups/grief/crisis",
            "/admin/groups/recovery/crisis",
            *(f"/mod/items/{i}" for i in self.items.values()),
            "/account",
            "/account/export",
            "/admin/groups",
            "/admin/groups/grief",
            "/admin/groups/recovery",
            "/t/999999",
            "/p/999999",
            "/m/nobody-here",
            "/g/no-such-group",
            "/mod/items/999999",
            "/decisions",
            *(f"/decisions/{d}" for d in self.decisions.values()),
            "/mod/appeals",
            *(f"/mod/appeals/{a}" for a in self.appeals.values()),
        ]


async def _filler_topics(db: asyncpg.Connection, group: Group, author: Member, count: int) -> None:
    async with db.transaction():
        for n in range(count):
            await make_topic(db, group, author, f"Filler topic {n}", body=f"filler {n}")


async def _filler_replies(
    db: asyncpg.Connection, topic_id: int, author: Member, count: int
) -> None:
    async with db.transaction():
        for n in range(count):
            await make_reply(db, topic_id, author, body=f"reply {n}")


@pytest.fixture
async def world(
    db: asyncpg.Connection,
    make_member: MakeMember,
    make_group: MakeGroup,
    make_client: ClientFactory,
    make_draft: MakeDraft,
    appoint: Appoint,
    publish: Publish,
) -> World:
    other = await make_member("harbourlight")
    keeper = await make_member("keeper")
    overseer = await make_member("overseer", is_admin=True)
    await db.execute("SELECT setval(pg_get_serial_sequence('members', 'id'), $1)", AUTHOR_ID - 1)
    author = await make_member(PSEUDONYM)
    assert author.id == AUTHOR_ID
    reporter = await make_member("bystander")

    cast = [author, other, reporter]
    grief = await make_group("grief", name="Grief and loss", anonymous="optional", members_=cast)
    recovery = await make_group("recovery", name="Recovery", anonymous="optional", members_=cast)
    careful = await make_group(
        "careful", name="Careful space", anonymous="optional", moderation="all", members_=cast
    )
    quiet = await make_group(
        "quiet-room", name="Quiet room", anonymous="optional", visibility="members", members_=cast
    )
    for group in (grief, recovery, careful, quiet):
        await appoint(group, keeper)
    w = World(author, other, keeper, overseer, grief, recovery)

    # Grief: an anonymous topic long enough for two pages, the author back on page 2.
    opening = await publish(
        author, grief, title="Hard to say", body=ANONYMOUS_TEXTS[0], anonymous=True
    )
    w.anon_topic = opening.topic_id
    await publish(other, grief, topic_id=w.anon_topic, body="Another quiet voice", anonymous=True)
    await _filler_replies(db, w.anon_topic, other, 22)
    late = await publish(
        author, grief, topic_id=w.anon_topic, body=ANONYMOUS_TEXTS[1], anonymous=True
    )
    # A named topic with an anonymous reply (later removed by a moderator).
    named = await publish(other, grief, title="Open thread", body="Open to everyone")
    w.named_topic = named.topic_id
    removed = await publish(
        author, grief, topic_id=w.named_topic, body="unsigned then removed", anonymous=True
    )
    await publish(keeper, grief, topic_id=w.named_topic, body="Welcome, both of you")
    await _filler_topics(db, grief, other, 35)  # the topics above move to ?before= pages

    # Recovery: the author goes by "stillwater", and also posts anonymously there.
    await set_name(db, recovery, author, PERSONA)
    check_in = await publish(other, recovery, title="Recovery check-in", body="How is everyone")
    w.recovery_topic = check_in.topic_id
    renamed = await publish(
        author, recovery, topic_id=w.recovery_topic, body="words under another name"
    )
    unsigned = await publish(
        author, recovery, topic_id=w.recovery_topic, body=ANONYMOUS_TEXTS[2], anonymous=True
    )
    w.persona_topic = (await publish(author, recovery, title="Day thirty")).topic_id

    # A held anonymous topic, and one in a members-only group.
    held = await publish(author, careful, title="Waiting quietly", anonymous=True)
    w.held_topic = held.topic_id
    quiet_topic = await publish(author, quiet, title="Behind the door", anonymous=True)
    w.quiet_topic = quiet_topic.topic_id
    w.author_posts = [
        opening.post_id,
        late.post_id,
        removed.post_id,
        renamed.post_id,
        unsigned.post_id,
        held.post_id,
        quiet_topic.post_id,
    ]

    # Moderation: reports, a warning, a removal, an escalation, and an admin's reveal.
    reporting = await make_client(reporter)
    for post in (opening, renamed, removed):
        resp = await reporting.post_form(f"/p/{post.post_id}/report", {"reason": "hate"})
        assert resp.status == 303
    mod = await make_client(keeper)
    w.items = {
        "anonymous": await item_for(db, opening.post_id, "report"),
        "persona": await item_for(db, renamed.post_id, "report"),
        "removed": await item_for(db, removed.post_id, "report"),
        "held": await item_for(db, held.post_id, "held"),
    }
    await mod.post_form(
        f"/mod/items/{w.items['anonymous']}/sanction",
        {"kind": "warn", "reason": ANONYMOUS_WARNING, "duration": "1d"},
    )
    await mod.post_form(f"/mod/items/{w.items['removed']}/reject", {"reason": "Off topic"})
    await mod.post_form(
        f"/mod/items/{w.items['persona']}/sanction",
        {"kind": "warn", "reason": PERSONA_WARNING, "duration": "1d"},
    )
    await mod.post_form(f"/mod/items/{w.items['persona']}/escalate", {"reason": "Please look"})
    admin = await make_client(overseer)
    resp = await admin.post_form(
        f"/admin/posts/{late.post_id}/reveal",
        {"reason": "A threat was made against a member.", "code": await admin.fresh_code()},
    )
    assert resp.status == 303
    w.reveal_path = resp.headers["Location"]

    # Issue 9: the other member thanks the anonymous posts and mutes the author by pseudonym;
    # the author edits the anonymous opening post (moderators get its history) and deletes one.
    thanking = await make_client(other)
    for post in (opening, unsigned):
        resp = await thanking.post_form(f"/p/{post.post_id}/respond", {"kind": "helped"})
        assert resp.status == 303
    await inbox.mute_member(db, other.id, author.id)  # not over HTTP: the URL names them
    writing = await make_client(author)
    resp = await writing.post_form(f"/p/{opening.post_id}/edit")
    assert resp.status == 303
    edit_url = resp.headers["Location"]
    resp = await writing.post_form(
        edit_url + "/publish", {"body": ANONYMOUS_TEXTS[0] + ", edited", "version": 1}
    )
    assert resp.status == 303, await resp.text()
    spare = await publish(author, grief, topic_id=w.named_topic, body="soon gone", anonymous=True)
    assert (await writing.post_form(f"/p/{spare.post_id}/delete")).status == 303

    # Issue 18: a moderator checks in privately on the anonymous post's item and gives a
    # verdict; the author answers and says they are safe.
    item = w.items["anonymous"]
    resp = await mod.post_form(f"/mod/items/{item}/check-in", {"message": "Checking in on you"})
    assert resp.status == 303
    assert (await mod.post_form(f"/mod/items/{item}/verdict", {"at_risk": "concern"})).status == 303
    for reply in ({"message": "thank you, answering privately"}, {"safe": "1"}):
        assert (await writing.post_form(f"/check-ins/{item}", reply)).status == 303

    # Issue 19: the author appeals the warning and the removal on their anonymous posts.
    for about, appealed in (("anonymous", opening.post_id), ("removed", removed.post_id)):
        decision = await db.fetchval("SELECT id FROM decisions WHERE post_id = $1", appealed)
        resp = await writing.post_form("/appeals", {"decision": str(decision), "text": APPEAL})
        assert resp.status == 303, await resp.text()
        w.decisions[about] = decision
        w.appeals[about] = await db.fetchval(
            "SELECT id FROM appeals WHERE decision_id = $1", decision
        )

    # Unpublished words: the author's anonymous draft, and one of the other member's.
    draft = await make_draft(
        author, grief, topic_id=w.named_topic, body="unsent draft words", anonymous=True
    )
    w.author_draft = draft.id
    await make_draft(other, grief, title="Their own draft", body="their draft words")
    return w


def _links(page: str) -> list[str]:
    found = []
    for raw in re.findall(r'\bhref="([^"]*)"', page):
        url = html.unescape(raw).split("#")[0]
        if url.startswith("/") and not url.startswith("//"):
            found.append(url)
    return found


def _canonical(url: str) -> str:
    path = url.split("?")[0]
    return path if path in ("/login", "/register") else url


@dataclass
class Visit:
    status: int
    text: str
    location: str
    headers: str = ""


async def crawl(
    client: ForumClient, seeds: list[str], skip: tuple[str, ...] = ()
) -> dict[str, Visit]:
    """GET every seed and every local link (and redirect) found, breadth first."""
    seen: dict[str, Visit] = {}
    queue = deque(_canonical(s) for s in seeds)
    while queue:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP + skip):
            continue
        assert len(seen) < MAX_PAGES, "the crawl did not end: is some link generating new ones?"
        resp = await client.get(url)
        text = await resp.text()
        location = resp.headers.get("Location", "")
        headers = "\n".join(
            f"{k}: {v}"
            for k, v in resp.headers.items()
            if k not in ("Set-Cookie", "Content-Length")
        )
        seen[url] = Visit(resp.status, text, location, headers)
        assert resp.status < 500, (url, resp.status)
        targets = _links(text) if resp.content_type == "text/html" else []
        if location.startswith("/"):
            targets.append(location.split("#")[0])
        queue.extend(_canonical(t) for t in targets)
    return seen


def own_name_removed(page: str, viewer: Member) -> str:
    """The page without what it tells a member about themselves: who they are signed in as, and
    (on a group's page) the name they go by there. Neither is about anyone else."""
    for own in ("Signed in as", "Your name in this group:"):
        page = page.replace(f"{own} <strong>{viewer.pseudonym}</strong>", "")
    return page


def without_recovery_results(url: str, page: str) -> str:
    """A search page without its results from the recovery group, where "stillwater" rightly
    signs the posts it signed (as on their topic page); anywhere else on the page it is a leak."""
    scoped = "group=recovery" in url

    def keep(result: re.Match[str]) -> str:
        return "" if scoped or 'href="/g/recovery"' in result.group(0) else result.group(0)

    return re.sub(r'<li class="search-result">.*?</li>', keep, page, flags=re.S)


def leaks(w: World, url: str, visit: Visit, viewer: Member | None) -> list[str]:
    """What this page (or redirect) gives away about the author, if anything."""
    found = []
    text = visit.text + "\n" + visit.headers
    if viewer is not None:
        text = own_name_removed(text, viewer)
    if PSEUDONYM in text.lower():
        found.append(f"{url}: the pseudonym")
    path = url.split("?")[0]
    if path == "/search":
        text = without_recovery_results(url, text)
    if PERSONA in text.lower() and path not in w.persona_pages():
        found.append(f"{url}: the group name")
    if ID_PATTERN.search(text):
        found.append(f"{url}: the member id")
    if viewer is not w.author:
        for item, warning in (("anonymous", ANONYMOUS_WARNING), ("persona", PERSONA_WARNING)):
            if warning in text and path not in w.history_pages(item):
                found.append(f"{url}: the {item} identity's warning, outside its context")
    return found


VIEWERS = ["visitor", "other member", "moderator", "admin", "author"]


def who(w: World, viewer: str) -> Member | None:
    return {
        "visitor": None,
        "other member": w.other,
        "moderator": w.keeper,
        "admin": w.overseer,
        "author": w.author,
    }[viewer]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_no_page_reachable_by_anyone_names_the_anonymous_author(
    logs: pytest.LogCaptureFixture, world: World, make_client: ClientFactory, viewer: str
) -> None:
    member = who(world, viewer)
    client = await make_client(member)
    own_export = ("/account/export",) if member is world.author else ()
    pages = await crawl(client, world.seeds(), skip=own_export)
    problems = [p for url, visit in pages.items() for p in leaks(world, url, visit, member)]
    assert not problems, "\n".join(problems)
    # Nor any log line, from publishing the posts (setup) to the last page read.
    records = logs.get_records("setup") + logs.get_records("call")
    assert any(r.name == "aiohttp.access" for r in records)  # the logs were being captured
    lines = [r.getMessage() for r in records]
    assert not [line for line in lines if PSEUDONYM in line or ID_PATTERN.search(line)]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_crawl_reached_the_pages_that_matter(
    world: World, make_client: ClientFactory, viewer: str
) -> None:
    """So that the test above cannot pass by seeing nothing."""
    member = who(world, viewer)
    pages = await crawl(await make_client(member), world.seeds())
    ok = {url for url, visit in pages.items() if visit.status == 200}
    assert f"/t/{world.anon_topic}" in ok
    assert f"/t/{world.anon_topic}?page=2" in ok
    assert any(url.startswith("/g/grief?before=") for url in ok)
    assert f"/t/{world.named_topic}" in ok
    assert f"/t/{world.recovery_topic}" in ok
    assert "/m/harbourlight" in ok
    first_page = pages[f"/t/{world.anon_topic}"].text
    assert ANONYMOUS_TEXTS[0] in first_page
    assert ANONYMOUS_TEXTS[1] in pages[f"/t/{world.anon_topic}?page=2"].text
    assert PERSONA in pages[f"/t/{world.recovery_topic}"].text
    if member is not None:
        assert "/notifications" in ok
        assert "/drafts" in ok
        assert f"/p/{world.author_posts[0]}/report" in ok
        assert pages[f"/drafts/{world.author_draft}"].status == (
            200 if member is world.author else 404
        )
    if member is not None:
        assert "/inbox" in ok
    if member in (world.author, world.other):  # each replied where the other wrote later
        opened = [url for url, visit in pages.items() if url.startswith("/inbox/")]
        assert opened, "no inbox item was followed"
        assert all(pages[url].status == 303 for url in opened)
    if member is world.author:
        assert "/account/helped" in ok
        assert ANONYMOUS_TEXTS[0] in pages["/account/helped"].text
        assert "/account/posts" in ok
    if member in (world.keeper, world.overseer):
        assert f"/mod/posts/{world.author_posts[0]}/history" in ok
    if member is world.author:
        assert "/decisions" in ok
        assert {f"/decisions/{d}" for d in world.decisions.values()} <= ok
    if member is world.overseer:  # the keeper took both decisions: the admin judges the appeals
        assert "/mod/appeals" in ok
        for appeal in world.appeals.values():
            assert APPEAL in pages[f"/mod/appeals/{appeal}"].text
            assert "An anonymous member" in pages[f"/mod/appeals/{appeal}"].text
    if member is world.keeper:
        assert "/mod/appeals" in ok
        assert all(pages[f"/mod/appeals/{a}"].status == 404 for a in world.appeals.values())
    if member in (world.keeper, world.overseer):
        assert "/mod/log" in ok
        assert all(f"/mod/items/{i}" in ok for i in world.items.values())
        item_page = pages[f"/mod/items/{world.items['anonymous']}"].text
        assert "thank you, answering privately" in item_page  # the check-in thread was read
        assert "The author says they are safe now." in item_page
        # Each identity's record is on its own item, and only there.
        assert ANONYMOUS_WARNING in item_page
        assert PERSONA_WARNING not in item_page
        persona_page = pages[f"/mod/items/{world.items['persona']}"].text
        assert PERSONA_WARNING in persona_page
        assert ANONYMOUS_WARNING not in persona_page
        assert ANONYMOUS_WARNING in pages["/mod/log"].text
    if member is world.overseer:
        assert {"/admin", "/admin/log", "/admin/members", "/admin/moderators"} <= ok
        assert PERSONA_WARNING in pages["/admin/log"].text
    check_in = f"/check-ins/{world.items['anonymous']}"
    if member is world.author:
        assert check_in in ok
        assert "Checking in on you" in pages[check_in].text
        assert check_in in _links(pages["/inbox"].text)
    else:
        assert pages[check_in].status in (404, 303)  # 303: a visitor is sent to sign in
    if member is world.overseer:
        assert "/admin/groups/grief" in ok
    if member is world.author:
        assert f"/t/{world.held_topic}" in ok
        assert own_marks(first_page) == {1}
    else:
        assert pages[f"/t/{world.held_topic}"].status == 404
    if member is None:
        assert pages[f"/t/{world.quiet_topic}"].status == 404
    # Search, reached from the directory's link: anonymous posts by label, under their topics.
    found = pages["/search?q=words"]
    assert found.status == 200
    assert f'href="/t/{world.anon_topic}#post-1"' in found.text
    assert f'href="/t/{world.recovery_topic}#post-2"' in found.text
    assert "Anonymous 1" in found.text
    assert PERSONA in found.text  # next to the post it signed, in the recovery group
    assert f'href="/t/{world.anon_topic}#post-1"' in pages["/search?q=hard"].text
    assert "<mark>unsigned</mark>" in pages["/search?q=unsigned&group=grief"].text
    assert "/search?q=unsigned" in ok
    # Held posts are found by no one, not even their author; members-only only by members.
    assert "search-result" not in pages["/search?q=waiting"].text
    door = pages["/search?q=door"].text
    assert (f'href="/t/{world.quiet_topic}#post-1"' in door) == (member is not None)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_authors_profile_lists_none_of_their_posts(
    world: World, make_client: ClientFactory, viewer: str
) -> None:
    member = who(world, viewer)
    resp = await (await make_client(member)).get(f"/m/{PSEUDONYM}")
    assert resp.status == 200
    page = await resp.text()
    assert "No posts to show here." in page
    assert not re.search(r'href="/[pt]/\d+"', page)
    for text in (*ANONYMOUS_TEXTS, "Hard to say", "Day thirty", "words under another name"):
        assert text not in page
    assert PERSONA not in page
    assert not ID_PATTERN.search(page)


@pytest.mark.parametrize("viewer", ["visitor", "other member"])
async def test_another_members_export_holds_nothing_of_the_author(
    world: World, make_client: ClientFactory, viewer: str
) -> None:
    member = who(world, viewer)
    client = await make_client(member)
    resp = await client.post_form("/account/export")
    if member is None:
        assert resp.status == 303
        return
    text = await resp.text()
    data = json.loads(text)
    assert data["member"]["pseudonym"] == "harbourlight"
    for secret in (PSEUDONYM, PERSONA, *ANONYMOUS_TEXTS, "unsent draft words", "words under"):
        assert secret not in text
    assert not ID_PATTERN.search(text)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", [PSEUDONYM, PERSONA])
async def test_searching_for_the_authors_names_answers_as_for_any_word(
    world: World, make_client: ClientFactory, viewer: str, name: str
) -> None:
    member = who(world, viewer)
    client = await make_client(member)
    for path in ("/?q=", "/search?q=", "/search?group=recovery&q="):
        searched = await (await client.get(path + name)).text()
        nonsense = await (await client.get(path + "zqxwvbnmlk")).text()
        if member is not None:
            searched = own_name_removed(searched, member)
            nonsense = own_name_removed(nonsense, member)
        assert searched.replace(name, "zqxwvbnmlk") == nonsense, path


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_group_name_has_no_profile_and_answers_like_an_unknown_name(
    world: World, make_client: ClientFactory, viewer: str
) -> None:
    member = who(world, viewer)
    client = await make_client(member)
    named = await client.get(f"/m/{PERSONA}")
    unknown = await client.get("/m/zqxwvbnmlk")
    assert named.status == unknown.status == 404
    named_page, unknown_page = await named.text(), await unknown.text()
    if member is not None:
        named_page = own_name_removed(named_page, member)
        unknown_page = own_name_removed(unknown_page, member)
    assert named_page.replace(PERSONA, "zqxwvbnmlk") == unknown_page


@pytest.mark.parametrize("viewer", ["visitor", "other member", "moderator"])
async def test_looking_up_the_author_by_member_id_finds_nothing(
    world: World, make_client: ClientFactory, viewer: str
) -> None:
    client = await make_client(who(world, viewer))
    for path in (f"/m/{AUTHOR_ID}", f"/t/{AUTHOR_ID}", f"/p/{AUTHOR_ID}", f"/drafts/{AUTHOR_ID}"):
        resp = await client.get(path)
        assert resp.status in (303, 404), path
        assert PSEUDONYM not in (await resp.text()).lower()


async def test_only_the_admins_reveal_page_names_the_author(
    world: World, make_client: ClientFactory
) -> None:
    """The one exception, kept out of the crawl above: the audited reveal."""
    admin = await make_client(world.overseer)
    page = await (await admin.get(world.reveal_path)).text()
    assert f"<strong>{PSEUDONYM}</strong>" in page
    for member in (None, world.other, world.keeper, world.author):
        resp = await (await make_client(member)).get(world.reveal_path)
        assert resp.status in (303, 404)


async def test_the_author_sees_their_own_data_in_their_export(
    world: World, make_client: ClientFactory
) -> None:
    """The author's own export (left out of their crawl) is where their names meet, for them."""
    data = json.loads(
        await (await (await make_client(world.author)).post_form("/account/export")).text()
    )
    assert data["member"]["pseudonym"] == PSEUDONYM
    assert {p["id"] for p in data["posts"]} >= set(world.author_posts)
    assert {g["name_in_group"] for g in data["groups"]} >= {PERSONA}
