"""Quick exit, the /safety page, content warnings and reading preferences over HTTP."""

from __future__ import annotations

import re
from dataclasses import replace

import asyncpg
import pytest
from pytest_aiohttp import AiohttpClient

from forum.config import Settings
from forum.storage import own_data
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.web.app import create_app
from tests.clients import ClientFactory, ForumClient
from tests.factories import MakeGroup, MakeMember, make_topic


@pytest.fixture
async def grief(make_group: MakeGroup, member: Member) -> Group:
    return await make_group("grief", name="Grief and loss", members_=[member])


def html_tag(page: str) -> str:
    tag = re.search(r"<html[^>]*>", page)
    assert tag is not None
    return tag.group()


# -- Quick exit and /safety --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/safety", "/login", "/no-such-page"])
async def test_every_page_has_a_quick_exit_link_to_the_neutral_site(
    client: ForumClient, settings: Settings, path: str
) -> None:
    page = await (await client.get(path)).text()
    assert f'id="quick-exit" href="{settings.quick_exit_url}"' in page
    assert "quick-exit.js" in page
    assert 'href="/safety"' in page


async def test_the_neutral_site_is_configured_per_forum(
    aiohttp_client: AiohttpClient, settings: Settings, db: asyncpg.Connection
) -> None:
    app = create_app(replace(settings, quick_exit_url="https://weather.example.org/today"))
    http = await aiohttp_client(app)
    page = await (await http.get("/")).text()
    assert 'id="quick-exit" href="https://weather.example.org/today"' in page


async def test_the_safety_page_says_what_quick_exit_cannot_hide(client: ForumClient) -> None:
    resp = await client.get("/safety")
    assert resp.status == 200
    page = await resp.text()
    assert "cannot remove this forum from your browser history" in page
    assert "monitoring software" in page
    assert "private window" in page


async def test_the_quick_exit_script_is_served(client: ForumClient) -> None:
    page = await (await client.get("/")).text()
    script_tag = re.search(r'<script src="([^"]+quick-exit\.js[^"]*)"', page)
    assert script_tag is not None
    src = script_tag.group(1)
    script = await (await client.get(src)).text()
    assert "location.replace" in script


# -- Content warnings ----------------------------------------------------------------------------


async def test_a_warned_post_is_closed_behind_its_warning_for_visitors(
    client: ForumClient, db: asyncpg.Connection, grief: Group, member: Member
) -> None:
    new = await make_topic(db, grief, member, body="The hardest day", warning="baby loss")
    page = await (await client.get(f"/t/{new.topic_id}")).text()
    assert re.search(r'<details class="post__warning">\s*<summary>Content warning: baby loss', page)
    assert "The hardest day" in page  # inside <details>, so it works without JavaScript


async def test_visitor_pages_do_not_vary_by_cookie(
    make_client: ClientFactory, db: asyncpg.Connection, grief: Group, member: Member
) -> None:
    new = await make_topic(db, grief, member, body="Words", warning="grief")
    one, two = await make_client(), await make_client()
    two.http.session.cookie_jar.update_cookies({"text_size": "larger", "forum_prefs": "open"})
    first = await (await one.get(f"/t/{new.topic_id}")).text()
    second = await (await two.get(f"/t/{new.topic_id}")).text()
    assert first == second


# -- Preferences ---------------------------------------------------------------------------------


async def test_preferences_ask_a_visitor_to_sign_in(client: ForumClient) -> None:
    resp = await client.get("/account/preferences")
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/login")


async def test_preferences_are_saved_and_shown_again(
    member_client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    resp = await member_client.post_form(
        "/account/preferences",
        {
            "text_size": "large",
            "warnings": "open",
            "collapse_words": "suicide\nbaby loss",
            "hide_words": "relapse",
        },
    )
    assert resp.status == 303
    assert resp.headers["Location"] == "/account/preferences?saved=1"
    row = await db.fetchrow("SELECT * FROM reader_preferences WHERE member_id = $1", member.id)
    assert row is not None
    assert row["text_size"] == "large"
    assert row["open_warnings"] is True
    assert row["collapse_words"] == ["suicide", "baby loss"]
    assert row["hide_words"] == ["relapse"]
    page = await (await member_client.get(resp.headers["Location"])).text()
    assert "Saved." in page
    assert 'value="large" checked' in page
    assert "suicide\nbaby loss</textarea>" in page


async def test_text_size_is_a_class_on_every_page_of_that_member(
    member_client: ForumClient,
) -> None:
    await member_client.post_form("/account/preferences", {"text_size": "larger"})
    assert 'class="text-larger"' in html_tag(await (await member_client.get("/")).text())


async def test_an_unknown_text_size_falls_back_to_standard(
    member_client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    await member_client.post_form("/account/preferences", {"text_size": "huge"})
    assert await db.fetchval("SELECT text_size FROM reader_preferences") == "standard"


async def test_too_many_words_re_render_with_what_was_typed(
    member_client: ForumClient, db: asyncpg.Connection
) -> None:
    typed = "\n".join(f"word{i}" for i in range(60))
    resp = await member_client.post_form("/account/preferences", {"hide_words": typed})
    assert resp.status == 400
    page = await resp.text()
    assert "up to 50" in page
    assert "word59" in page
    assert await db.fetchval("SELECT count(*) FROM reader_preferences") == 0


async def test_saving_preferences_needs_the_csrf_token(
    member_client: ForumClient, db: asyncpg.Connection
) -> None:
    resp = await member_client.post_form("/account/preferences", {"text_size": "large"}, csrf=False)
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM reader_preferences") == 0


async def test_a_hidden_word_folds_the_post_away_for_that_member_alone(
    make_client: ClientFactory,
    member_client: ForumClient,
    db: asyncpg.Connection,
    grief: Group,
    member: Member,
    make_member: MakeMember,
) -> None:
    new = await make_topic(db, grief, member, body="Day 3 after a relapse")
    await member_client.post_form("/account/preferences", {"hide_words": "RELAPSE"})
    mine = await (await member_client.get(f"/t/{new.topic_id}")).text()
    assert re.search(r'<details class="post__folded">\s*<summary>Folded away for you', mine)
    someone_else = await make_client(await make_member("cedar"))
    theirs = await (await someone_else.get(f"/t/{new.topic_id}")).text()
    visitor = await (await (await make_client()).get(f"/t/{new.topic_id}")).text()
    for page in (theirs, visitor):
        assert "post__folded" not in page
        assert "Day 3 after a relapse" in page


async def test_a_member_may_open_warnings_except_those_naming_their_words(
    member_client: ForumClient, db: asyncpg.Connection, grief: Group, member: Member
) -> None:
    first = await make_topic(db, grief, member, body="About drinking", warning="alcohol")
    second = await make_topic(db, grief, member, body="About the end", warning="Suicide mention")
    await member_client.post_form(
        "/account/preferences", {"warnings": "open", "collapse_words": "suicide"}
    )
    opened = await (await member_client.get(f"/t/{first.topic_id}")).text()
    closed = await (await member_client.get(f"/t/{second.topic_id}")).text()
    assert '<details class="post__warning" open>' in opened
    assert '<details class="post__warning">' in closed


async def test_preferences_go_with_the_account_and_into_the_export(
    member_client: ForumClient, db: asyncpg.Connection, member: Member
) -> None:
    await member_client.post_form("/account/preferences", {"hide_words": "relapse"})
    export = await (await member_client.post_form("/account/export")).json()
    assert export["reading_preferences"]["hide_words"] == ["relapse"]
    async with db.transaction():
        await own_data.delete_account(db, member.id, remove_posts=False)
    assert await db.fetchval("SELECT count(*) FROM reader_preferences") == 0


async def test_a_profile_excerpt_does_not_skip_the_content_warning(
    client: ForumClient, db: asyncpg.Connection, grief: Group, member: Member
) -> None:
    await make_topic(db, grief, member, body="What happened that night", warning="violence")
    page = await (await client.get(f"/m/{member.pseudonym}")).text()
    assert "Content warning: violence" in page
    assert "What happened that night" not in page


async def test_a_profile_excerpt_is_folded_for_a_member_who_hides_its_words(
    member_client: ForumClient, db: asyncpg.Connection, grief: Group, member: Member
) -> None:
    await make_topic(db, grief, member, body="Back at the casino again")
    await member_client.post_form("/account/preferences", {"hide_words": "casino"})
    page = await (await member_client.get(f"/m/{member.pseudonym}")).text()
    assert "Folded away for you" in page
    assert "Back at the casino again" not in page
