"""The search page `/search`: who finds what, paging by links, names, and hostile input.

Posts are published with `publishing.publish` and moderated over HTTP (report, reject), so the
states search must respect are reached the way members and moderators reach them.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from forum.members import limits
from forum.posting import publishing
from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import (
    Appoint,
    MakeDraft,
    MakeGroup,
    MakeMember,
    Publish,
    appoint,
    item_for,
    publish,
)

__all__ = ["appoint", "publish"]  # fixtures

SECRET = "quietheron"


def result_links(page: str) -> list[str]:
    return [
        html.unescape(href)
        for href in re.findall(r'<a class="search-result__title" href="([^"]+)"', page)
    ]


def more_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">More results</a>', page)
    return html.unescape(found.group(1)) if found else None


def results_text(page: str) -> str:
    """The text of the results list, tags removed (highlights split words into pieces)."""
    found = re.search(r'<ol class="search-results">(.*?)</ol>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split()) if found else ""


async def search(client: ForumClient, query: str, **params: str) -> tuple[int, str]:
    resp = await client.http.get("/search", params={"q": query, **params}, allow_redirects=False)
    return resp.status, await resp.text()


@pytest.fixture
async def author(make_member: MakeMember) -> Member:
    return await make_member(SECRET)


@pytest.fixture
async def grief(make_group: MakeGroup, author: Member, member: Member) -> Group:
    return await make_group(
        "grief", name="Grief and loss", anonymous="optional", members_=[author, member]
    )


# -- The page ------------------------------------------------------------------------------------


async def test_the_search_page_without_words_offers_the_form(client: ForumClient) -> None:
    resp = await client.get("/search")
    assert resp.status == 200
    page = await resp.text()
    assert 'role="search"' in page
    assert "Type a word or two" in page


async def test_a_search_finds_a_post_and_links_to_it_in_its_topic(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    new = await publish(author, grief, title="Evenings", body="The evenings are the hardest")
    status, page = await search(client, "hardest")
    assert status == 200
    assert result_links(page) == [f"/t/{new.topic_id}#post-1"]
    assert "<mark>hardest</mark>" in page
    assert "Grief and loss" in page


async def test_a_reply_on_a_later_page_links_to_that_page(
    client: ForumClient, db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> None:
    opening = await publish(author, grief, title="Long thread", body="first")
    for n in range(20):
        await publish(author, grief, topic_id=opening.topic_id, body=f"reply {n}")
    late = await publish(author, grief, topic_id=opening.topic_id, body="a distinctive word")
    _, page = await search(client, "distinctive")
    assert result_links(page) == [f"/t/{opening.topic_id}?page=2#post-{late.number}"]


async def test_the_group_page_has_a_search_box_for_that_group(
    client: ForumClient, grief: Group
) -> None:
    page = await (await client.get("/g/grief")).text()
    box = re.search(r'<form method="get" action="/search".*?</form>', page, re.S)
    assert box is not None
    assert 'name="group" value="grief"' in box.group(0)


async def test_the_directory_links_to_post_search_with_its_words(client: ForumClient) -> None:
    page = await (await client.get("/?q=sleep")).text()
    assert 'href="/search?q=sleep"' in page
    assert 'href="/search"' in await (await client.get("/")).text()


async def test_a_group_search_keeps_to_the_group_and_offers_every_group(
    client: ForumClient, make_group: MakeGroup, grief: Group, author: Member, publish: Publish
) -> None:
    other = await make_group("other", name="Other group", members_=[author])
    here = await publish(author, grief, title="Here", body="lonely evenings")
    await publish(author, other, title="There", body="lonely mornings")
    status, page = await search(client, "lonely", group="grief")
    assert status == 200
    assert result_links(page) == [f"/t/{here.topic_id}#post-1"]
    assert 'href="/search?q=lonely"' in page
    _, everywhere = await search(client, "lonely")
    assert len(result_links(everywhere)) == 2


# -- Visibility ----------------------------------------------------------------------------------


async def test_a_members_only_group_is_not_searched_for_others(
    client: ForumClient,
    make_client: ClientFactory,
    make_group: MakeGroup,
    make_member: MakeMember,
    author: Member,
    publish: Publish,
) -> None:
    quiet = await make_group("quiet", visibility="members", members_=[author])
    await publish(author, quiet, title="Behind the door", body="private words")
    outsider = await make_client(await make_member("outsider"))
    insider = await make_client(author)
    for viewer in (client, outsider):
        _, page = await search(viewer, "private")
        assert result_links(page) == []
        assert "Behind the door" not in page
        status, _ = await search(viewer, "private", group="quiet")
        assert status == 404
    _, page = await search(insider, "private", group="quiet")
    assert len(result_links(page)) == 1


async def test_an_unknown_group_answers_404_like_a_hidden_one(client: ForumClient) -> None:
    status, _ = await search(client, "words", group="no-such-group")
    assert status == 404


async def test_a_held_post_is_not_found_even_by_its_author(
    make_client: ClientFactory, make_group: MakeGroup, author: Member, publish: Publish
) -> None:
    careful = await make_group("careful", moderation="all", members_=[author])
    held = await publish(author, careful, title="Waiting", body="held words")
    assert held.held
    for viewer in (await make_client(), await make_client(author)):
        _, page = await search(viewer, "held", group="careful")
        assert result_links(page) == []


async def test_a_post_hidden_by_reports_is_not_found(
    db: asyncpg.Connection,
    client: ForumClient,
    make_client: ClientFactory,
    grief: Group,
    author: Member,
    member: Member,
    publish: Publish,
) -> None:
    await db.execute("UPDATE groups SET report_hide_threshold = 1 WHERE id = $1", grief.id)
    await db.execute(  # an established reporter, whose one report is enough here
        "UPDATE members SET created_at = now() - interval '30 days' WHERE id = $1", member.id
    )
    opening = await publish(author, grief, title="Thread", body="opening")
    reply = await publish(author, grief, topic_id=opening.topic_id, body="reported words")
    assert len(result_links((await search(client, "reported"))[1])) == 1
    reporter = await make_client(member)
    resp = await reporter.post_form(f"/p/{reply.post_id}/report", {"reason": "spam"})
    assert resp.status == 303
    assert result_links((await search(client, "reported"))[1]) == []


async def test_a_rejected_post_is_not_found(
    db: asyncpg.Connection,
    client: ForumClient,
    make_client: ClientFactory,
    make_group: MakeGroup,
    make_member: MakeMember,
    author: Member,
    appoint: Appoint,
    publish: Publish,
) -> None:
    careful = await make_group("careful", moderation="all", members_=[author])
    keeper = await make_member("keeper")
    await appoint(careful, keeper)
    held = await publish(author, careful, title="Waiting", body="rejected words")
    mod = await make_client(keeper)
    item = await item_for(db, held.post_id)
    resp = await mod.post_form(f"/mod/items/{item}/reject", {"reason": "Off topic"})
    assert resp.status == 303
    assert await db.fetchval("SELECT state FROM posts WHERE id = $1", held.post_id) == "rejected"
    for viewer in (client, mod):
        assert result_links((await search(viewer, "rejected"))[1]) == []


async def test_an_archived_groups_posts_are_still_found(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Old days", body="remembered words")
    await db.execute("UPDATE groups SET archived_at = now() WHERE id = $1", grief.id)
    assert len(result_links((await search(client, "remembered", group="grief"))[1])) == 1


# -- Names ---------------------------------------------------------------------------------------


async def test_an_anonymous_post_shows_its_label_and_never_the_pseudonym(
    make_client: ClientFactory, grief: Group, author: Member, member: Member, publish: Publish
) -> None:
    opening = await publish(member, grief, title="Open thread", body="first words")
    await publish(author, grief, topic_id=opening.topic_id, body="unsigned words", anonymous=True)
    for viewer in (await make_client(), await make_client(member)):
        _, page = await search(viewer, "unsigned")
        assert "Anonymous 1" in results_text(page)
        assert SECRET not in page


async def test_searching_a_pseudonym_answers_as_for_any_unknown_word(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Unsigned thoughts", body="quiet words", anonymous=True)
    _, named = await search(client, SECRET)
    _, unknown = await search(client, "zqxwvbnmlk")
    assert named.replace(SECRET, "zqxwvbnmlk") == unknown


async def test_a_post_under_a_group_name_shows_that_name(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await groups.set_display_name(db, grief.id, author.id, "stillwater")
    await publish(author, grief, title="Day thirty", body="named words")
    _, page = await search(client, "named")
    assert "by stillwater" in results_text(page)
    assert SECRET not in page
    assert 'href="/m/stillwater"' not in page


async def test_a_post_under_a_pseudonym_links_to_the_profile(
    client: ForumClient, grief: Group, member: Member, publish: Publish
) -> None:
    await publish(member, grief, title="Day one", body="signed words")
    _, page = await search(client, "signed")
    assert f'href="/m/{member.pseudonym}"' in page


# -- Content warnings and escaping ---------------------------------------------------------------


async def test_a_post_with_a_content_warning_keeps_its_snippet_behind_the_warning(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, make_draft: MakeDraft
) -> None:
    draft = await make_draft(
        author, grief, title="Hard night", body="words about the ward", content_warning="hospital"
    )
    await publishing.publish(db, draft)
    _, page = await search(client, "ward")
    found = re.search(r'<details class="search-result__warning">(.*?)</details>', page, re.S)
    assert found is not None
    assert "Content warning: hospital" in found.group(1)
    assert "<mark>ward</mark>" in found.group(1)
    assert page.count("<mark>ward</mark>") == 1


async def test_markup_typed_into_a_title_or_post_is_shown_as_text(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(
        author,
        grief,
        title='<img src=x onerror="alert(1)"> title',
        body='<script>alert("body")</script> words',
    )
    _, page = await search(client, "words")
    assert "<img" not in page
    assert "<script>" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; title" in page
    assert "&lt;/script&gt;" in page


# -- Paging --------------------------------------------------------------------------------------


async def test_more_results_links_walk_every_match_once(
    client: ForumClient, db: asyncpg.Connection, grief: Group, author: Member, publish: Publish
) -> None:
    for n in range(45):
        await publish(author, grief, title=f"Topic {n}", body="tired " * (1 + n % 3) + str(n))
    seen: list[str] = []
    url: str | None = "/search?q=tired"
    pages = 0
    while url:
        resp = await client.get(url)
        assert resp.status == 200
        page = await resp.text()
        seen.extend(result_links(page))
        url = more_link(page)
        pages += 1
        if url:
            assert "after" in parse_qs(urlsplit(url).query)
    assert pages == 3
    assert len(seen) == 45
    assert len(set(seen)) == 45


async def test_a_tampered_cursor_answers_404(client: ForumClient) -> None:
    for bad in ("x-1", "1", "1-", "-1-2", "1" * 30 + "-1"):
        status, _ = await search(client, "words", after=bad)
        assert status == 404, bad


# -- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["!!! ;--", "...", "the", "-grief", "() <> && ||"])
async def test_a_query_without_words_gets_a_calm_page(client: ForumClient, query: str) -> None:
    status, page = await search(client, query)
    assert status == 200
    assert "a word or two" in page


async def test_a_very_long_query_is_cut_and_said_so(
    client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Evenings", body="hardest evenings")
    status, page = await search(client, "hardest " + "x" * 5000)
    assert status == 200
    assert "up to 200 characters" in page
    value = re.search(r'<input type="search" id="q" name="q" value="([^"]*)"', page)
    assert value is not None
    assert value.group(1) == "hardest " + "x" * 192


async def test_sql_in_a_query_is_searched_as_words(
    db: asyncpg.Connection, client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Tables", body="drop the table of posts")
    status, page = await search(client, "'; DROP TABLE posts; --")
    assert status == 200
    assert len(result_links(page)) == 1
    assert await db.fetchval("SELECT count(*) FROM posts") == 1


async def test_a_nul_character_in_a_query_answers_400_as_anywhere(client: ForumClient) -> None:
    status, page = await search(client, "sle\x00ep")
    assert status == 400
    assert "Something in that request didn&#39;t come through" in page


async def test_searching_too_often_answers_429_and_keeps_the_words(client: ForumClient) -> None:
    for _ in range(limits.SEARCH_PER_READER.limit):
        assert (await search(client, "sleep"))[0] == 200
    status, page = await search(client, "sleep")
    assert status == 429
    assert "Please wait" in page
    assert 'value="sleep"' in page
    # Opening the empty form is not a search.
    assert (await client.get("/search")).status == 200


async def test_each_member_has_their_own_search_allowance(
    make_client: ClientFactory, make_member: MakeMember
) -> None:
    first = await make_client(await make_member("first"))
    second = await make_client(await make_member("second"))
    for _ in range(limits.SEARCH_PER_READER.limit + 1):
        await search(first, "sleep")
    assert (await search(first, "sleep"))[0] == 429
    assert (await search(second, "sleep"))[0] == 200


async def test_a_snippet_holding_a_readers_hidden_word_is_folded_away(
    member_client: ForumClient, grief: Group, author: Member, publish: Publish
) -> None:
    await publish(author, grief, title="Sleep", body="Sleep came back after the relapse ended")
    await member_client.post_form("/account/preferences", {"hide_words": "relapse"})
    _, page = await search(member_client, "sleep")
    found = re.search(r'<details class="search-result__warning">(.*?)</details>', page, re.S)
    assert found is not None
    assert "Folded away for you" in found.group(1)
    assert "relapse" in found.group(1)  # still there, behind the fold, for the reader to open
