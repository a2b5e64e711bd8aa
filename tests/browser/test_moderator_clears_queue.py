"""Issue 4 in Chromium: an admin appoints a moderator, whose queue fills live and is cleared."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import join, register, sign_in_new_staff, start_topic
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser


def post_topic(page: Page, title: str, body: str) -> None:
    join(page, "sharing", "Sharing circle")
    start_topic(page, title, body)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Awaiting review")).to_be_visible()


def test_a_moderator_clears_a_queue_that_fills_while_they_watch(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-admin", "site_admin", "--password-stdin", stdin=PASSWORD + "\n")
    forum_cli("create-group", "sharing", "--name", "Sharing circle", "--moderation", "all")

    author = open_page()
    register(author, "new_voice")
    moderator = open_page()
    register(moderator, "night_owl")

    admin = open_page()
    sign_in_new_staff(admin, "site_admin")
    admin.goto("/admin/groups/sharing")
    admin.get_by_label("Appoint a moderator (their pseudonym)").fill("night_owl")
    admin.get_by_role("button", name="Appoint").click()
    expect(admin.get_by_role("region", name="Moderators")).to_contain_text("night_owl")

    post_topic(author, "My first week here", "Hello everyone, I am glad I found you.")

    moderator.goto("/mod")
    expect(moderator.get_by_role("status")).to_contain_text("Live")
    expect(moderator.get_by_role("link", name=re.compile("My first week here"))).to_be_visible()

    # A second post arrives while the moderator watches: the page updates without a reload.
    post_topic(author, "Buy cheap pills here", "spam spam spam")
    expect(moderator.get_by_role("link", name=re.compile("Buy cheap pills here"))).to_be_visible()
    expect(moderator.get_by_role("status")).to_contain_text("New item")

    moderator.get_by_role("link", name=re.compile("My first week here")).click()
    moderator.get_by_role("button", name="Claim this item").click()
    moderator.get_by_role("button", name="Approve and show").click()
    expect(moderator).to_have_url(re.compile(r"/mod$"))

    moderator.get_by_role("link", name=re.compile("Buy cheap pills here")).click()
    moderator.get_by_label(re.compile("Rule it broke")).select_option(
        label="Site rule 5: No selling, no spam, no recruiting for causes, services or treatments"
    )
    moderator.get_by_label(re.compile("Reason or note")).fill("Advertising is not allowed here.")
    moderator.get_by_role("button", name=re.compile("Reject")).click()
    expect(moderator).to_have_url(re.compile(r"/mod$"))
    expect(moderator.locator("#queue")).to_contain_text("0 open items")

    author.goto("/notifications")
    expect(author.get_by_text(re.compile("was approved"))).to_be_visible()
    expect(author.get_by_text(re.compile("Advertising is not allowed here"))).to_be_visible()
    expect(author.get_by_text(re.compile("Rule: Site rule 5: No selling"))).to_be_visible()
    author.goto("/g/sharing")
    expect(author.get_by_role("link", name="My first week here")).to_be_visible()
    expect(author.get_by_role("link", name="Buy cheap pills here")).to_have_count(0)
    assert problems == []
